/* The SLA settings page: show the parts that match the choices, add and remove rows, keep the
 * by-property table in step with its side panels, and ask where to apply a change on Save.
 * Plain JavaScript on top of Bootstrap 5 and htmx; the page works (less comfortably) without it. */
(function () {
  "use strict";

  const form = document.getElementById("sla-form");
  if (!form) return;

  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const KINDS = ["first_response", "next_response", "close"];
  const UNIT_MINUTES = { minutes: 1, hours: 60, days: 1440 };

  function checkedValue(name) {
    const input = form.querySelector(`input[name="${name}"]:checked`);
    return input ? input.value : "";
  }

  function hoursChanged() {
    document.body.dispatchEvent(new CustomEvent("hours-changed"));
  }

  /* -- Show the parts that match the choices ------------------------------------------------ */

  function syncVisibility() {
    $("#working-hours-block").classList.toggle("d-none", checkedValue("applies") !== "working_hours");
    const scope = checkedValue("scope");
    $("#goals-all").classList.toggle("d-none", scope !== "all");
    $("#goals-by-property").classList.toggle("d-none", scope !== "property");
    const property = form.elements.property.value; // "" while "Choose…" is selected: no table
    $$(".property-goals").forEach((el) => el.classList.toggle("d-none", el.dataset.property !== property));
    $("#choose-property-hint").classList.toggle("d-none", scope !== "property" || property !== "");
    const goalsOn = form.elements.goals_enabled.checked;
    $("#goals-off-note").classList.toggle("d-none", goalsOn);
    $("#goals-card").classList.toggle("goals-off", !goalsOn);
  }

  form.addEventListener("change", (event) => {
    const name = event.target.name;
    if (name === "property" && event.target.value) {
      const byProperty = form.querySelector('input[name="scope"][value="property"]');
      if (byProperty) byProperty.checked = true;
    }
    if (["applies", "scope", "property", "goals_enabled"].includes(name)) syncVisibility();
    if (name === "applies") hoursChanged();
    if (name === "timezone") $("#hours-zone").textContent = event.target.value;
  });

  /* -- Formset rows: add (from a template) and remove ---------------------------------------- */

  function addRow(prefix, templateSelector, container) {
    const total = form.elements[`${prefix}-TOTAL_FORMS`];
    const index = parseInt(total.value, 10) || 0;
    const template = document.createElement("template");
    template.innerHTML = $(templateSelector).innerHTML.replace(/__prefix__/g, String(index)).trim();
    const row = template.content.firstElementChild;
    container.appendChild(row);
    total.value = String(index + 1); // never lowered: removed rows leave gaps the server skips
    return row;
  }

  function syncOffLabels() {
    $$(".day-row").forEach((day) => {
      const hasRows = day.querySelector(".period-row") !== null;
      day.querySelector(".off-label").classList.toggle("d-none", hasRows);
    });
  }

  function syncHolidays() {
    const rows = $$("#holiday-rows .holiday-row");
    $("#no-holidays").classList.toggle("d-none", rows.length > 0);
    const dated = rows.filter((row) => {
      const date = row.querySelector('input[name$="-date"]');
      return date && date.value;
    });
    $("#holiday-count").textContent = String(dated.length);
  }

  const hoursModal = $("#hours-modal");
  hoursModal.addEventListener("click", (event) => {
    const add = event.target.closest(".add-period");
    if (add) {
      const day = add.dataset.day;
      const list = $(`.periods[data-day="${day}"]`, hoursModal);
      const wasEmpty = list.querySelector(".period-row") === null;
      const row = addRow("period", "#period-template", list);
      row.querySelector('input[name$="-day"]').value = day;
      if (wasEmpty) {
        row.querySelector('input[name$="-start"]').value = "09:00";
        row.querySelector('input[name$="-end"]').value = "17:00";
      }
      syncOffLabels();
      row.querySelector('input[name$="-start"]').focus();
      return;
    }
    const remove = event.target.closest(".remove-row");
    if (remove) {
      remove.closest(".period-row").remove();
      syncOffLabels();
    }
  });

  const holidaysModal = $("#holidays-modal");
  holidaysModal.addEventListener("click", (event) => {
    if (event.target.closest("#add-holiday")) {
      const row = addRow("holiday", "#holiday-template", $("#holiday-rows"));
      syncHolidays();
      row.querySelector('input[name$="-date"]').focus();
      return;
    }
    const remove = event.target.closest(".remove-row");
    if (remove) {
      remove.closest(".holiday-row").remove();
      syncHolidays();
    }
  });
  holidaysModal.addEventListener("change", syncHolidays);

  /* Dialogs edit a copy: Cancel puts the rows back as they were when the dialog opened. */
  function editableDialog(modal, containerSelector, onClose) {
    let snapshot = null;
    modal.addEventListener("show.bs.modal", () => {
      snapshot = $(containerSelector).cloneNode(true); // input clones keep their current values
    });
    modal.querySelector('[data-action="cancel"]').addEventListener("click", () => {
      if (snapshot) $(containerSelector).replaceWith(snapshot);
      snapshot = null;
      bootstrap.Modal.getOrCreateInstance(modal).hide();
      onClose();
    });
    modal.querySelector('[data-action="done"]').addEventListener("click", () => {
      snapshot = null;
      bootstrap.Modal.getOrCreateInstance(modal).hide();
      onClose();
    });
  }
  editableDialog(hoursModal, "#hours-days", () => {
    syncOffLabels();
    hoursChanged();
  });
  editableDialog(holidaysModal, "#holiday-rows", syncHolidays);

  /* Enter inside a dialog or side panel must not submit the whole page. */
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("input") && event.target.closest(".modal, .offcanvas")) {
      event.preventDefault();
    }
  });

  /* -- Holidays in one step: a country's public holidays or an .ics file, added as rows ------ */

  function addRowFrom(prefix, template, container) {
    const total = form.elements[`${prefix}-TOTAL_FORMS`];
    const index = parseInt(total.value, 10) || 0;
    const holder = document.createElement("template");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index)).trim();
    const row = holder.content.firstElementChild;
    container.appendChild(row);
    total.value = String(index + 1); // never lowered: removed rows leave gaps the server skips
    return row;
  }

  function sortHolidayRows(tbody) {
    const key = (row) => {
      const date = row.querySelector('input[name$="-date"]');
      return date && date.value ? date.value : "9999";
    };
    $$(".holiday-row", tbody).sort((a, b) => key(a).localeCompare(key(b))).forEach((row) => tbody.appendChild(row));
  }

  async function addFromSource(sources, fromFile) {
    const status = $(".source-status", sources);
    const body = new FormData();
    body.set("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    if (fromFile) {
      const file = $('[data-source="ics_file"]', sources).files[0];
      body.set("source", "ics");
      if (file) body.set("ics_file", file);
    } else {
      ["country", "subdivision", "first_year", "last_year"].forEach((name) => {
        body.set(name, $(`[data-source="${name}"]`, sources).value);
      });
    }
    status.className = "small mt-2 source-status text-body-secondary";
    status.textContent = TEXT.textChecking;
    let answer;
    try {
      const response = await fetch(form.dataset.holidaySourceUrl, {
        method: "POST",
        body,
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      answer = await response.json();
    } catch (error) {
      answer = { error: TEXT.textSourceFailed };
    }
    if (answer.error || !Array.isArray(answer.holidays)) {
      status.className = "small mt-2 source-status text-danger";
      status.textContent = answer.error || TEXT.textSourceFailed;
      return;
    }
    const tbody = $(sources.dataset.rows);
    const template = $(sources.dataset.template);
    const listed = new Set($$('input[name$="-date"]', tbody).map((input) => input.value).filter(Boolean));
    let added = 0;
    answer.holidays.forEach((holiday) => {
      if (listed.has(holiday.date)) return;
      const row = addRowFrom(sources.dataset.holidayPrefix, template, tbody);
      row.querySelector('input[name$="-date"]').value = holiday.date;
      row.querySelector('input[name$="-name"]').value = holiday.name;
      listed.add(holiday.date);
      added += 1;
    });
    sortHolidayRows(tbody);
    status.className = "small mt-2 source-status text-success";
    status.textContent = interpolate(TEXT.textSourceAdded, { added: added, listed: answer.holidays.length - added }, true);
    if (tbody.id === "holiday-rows") syncHolidays();
    syncSchedules();
    updateDirty();
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest(".add-public-holidays, .import-ics");
    if (!button) return;
    addFromSource(button.closest(".holiday-sources"), button.classList.contains("import-ics"));
  });

  /* -- Team schedules: each edited in a dialog of its own, saved with the page --------------- */

  const scheduleList = $("#schedule-list");
  const schedulesTotal = form.elements["ts-TOTAL_FORMS"];

  function scheduleModal(prefix) {
    return document.getElementById(`${prefix}-modal`);
  }

  function isRemoved(prefix) {
    const input = form.elements[`${prefix}-DELETE`];
    return Boolean(input && input.value && !["False", "false", "0", "off"].includes(input.value));
  }

  function syncSchedules() {
    if (!scheduleList) return;
    const taken = new Set();
    $$(".schedule-row", scheduleList).forEach((row) => {
      const prefix = row.dataset.prefix;
      const modal = scheduleModal(prefix);
      if (!modal) return;
      const removed = isRemoved(prefix);
      row.classList.toggle("d-none", removed);
      if (removed) return;
      const boxes = $$("input.schedule-team:checked", modal);
      boxes.forEach((box) => taken.add(box.value));
      const names = boxes.map((box) => box.closest(".form-check").querySelector("label").textContent.trim());
      const label = names.join(", ") || TEXT.textNoTeam;
      row.querySelector(".schedule-teams").textContent = label;
      $(".schedule-title-teams", modal).textContent = label;
      row.querySelector(".schedule-zone-label").textContent = $("select.schedule-zone", modal).value;
      const count = $$(".holiday-rows .holiday-row", modal).filter((r) => r.querySelector('input[name$="-date"]').value).length;
      row.querySelector(".schedule-holidays").textContent = interpolate(
        ngettext("%(count)s holiday", "%(count)s holidays", count), { count: count }, true,
      );
      $(".schedule-holiday-count", modal).textContent = String(count);
    });
    $$(".default-team-row", scheduleList).forEach((row) => row.classList.toggle("d-none", taken.has(row.dataset.team)));
  }

  async function refreshScheduleSummary(prefix) {
    const modal = scheduleModal(prefix);
    const row = document.getElementById(`${prefix}-row`);
    if (!modal || !row) return;
    const params = new URLSearchParams({ prefix: `${prefix}-period` });
    $$(`[name^="${prefix}-period-"]`, modal).forEach((input) => params.append(input.name, input.value));
    try {
      const response = await fetch(`${form.dataset.summaryUrl}?${params}`, { credentials: "same-origin" });
      if (!response.ok) return;
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      const summary = holder.querySelector("#hours-summary");
      if (summary) row.querySelector(".schedule-summary").textContent = summary.textContent;
    } catch (error) {
      /* the summary stays as it was; the rows themselves are what is saved */
    }
  }

  function addSchedule(team) {
    const index = parseInt(schedulesTotal.value, 10) || 0;
    const prefix = `ts-${index}`;
    const fill = (selector) => {
      const holder = document.createElement("template");
      holder.innerHTML = $(selector).innerHTML.replace(/__ts__/g, String(index)).trim();
      return holder.content.firstElementChild;
    };
    const row = fill("#schedule-row-template");
    const modal = fill("#schedule-modal-template");
    const firstDefault = $(".default-team-row", scheduleList);
    scheduleList.insertBefore(row, firstDefault);
    $("#schedule-modals").appendChild(modal);
    schedulesTotal.value = String(index + 1);
    const box = $(`input.schedule-team[value="${team}"]`, modal);
    if (box) box.checked = true;
    modal.dataset.fresh = "1";
    syncSchedules();
    bootstrap.Modal.getOrCreateInstance(modal).show();
    return prefix;
  }

  function dropFreshSchedule(modal) {
    // A schedule added and then cancelled was never there: the page is as it was before.
    const prefix = modal.dataset.prefix;
    const row = document.getElementById(`${prefix}-row`);
    const modalInstance = bootstrap.Modal.getInstance(modal);
    modal.addEventListener("hidden.bs.modal", () => {
      if (modalInstance) modalInstance.dispose();
      modal.remove();
      updateDirty(); // its fields are gone with it: the page is as it was
    }, { once: true });
    if (row) row.remove();
    if (prefix === `ts-${parseInt(schedulesTotal.value, 10) - 1}`) {
      schedulesTotal.value = String(parseInt(schedulesTotal.value, 10) - 1);
    }
  }

  if (scheduleList) {
    scheduleList.addEventListener("click", (event) => {
      const own = event.target.closest(".own-hours");
      if (own) {
        addSchedule(own.dataset.team);
        return;
      }
      const remove = event.target.closest(".remove-schedule");
      if (remove) {
        const prefix = remove.closest(".schedule-row").dataset.prefix;
        form.elements[`${prefix}-DELETE`].value = "on";
        syncSchedules();
        updateDirty();
      }
    });
  }

  const scheduleSnapshots = new Map();
  document.addEventListener("show.bs.modal", (event) => {
    const modal = event.target;
    if (!modal.classList || !modal.classList.contains("schedule-modal")) return;
    const editor = $(".schedule-editor", modal);
    scheduleSnapshots.set(modal.id, {
      editor: editor.cloneNode(true), // input clones keep their current values
      selects: $$("select", editor).map((select) => [select.id, select.value]),
    });
  });

  document.addEventListener("click", (event) => {
    const modal = event.target.closest(".schedule-modal");
    if (!modal) return;
    const prefix = modal.dataset.prefix;
    const action = event.target.closest("[data-schedule-action]");
    if (action) {
      const snapshot = scheduleSnapshots.get(modal.id);
      scheduleSnapshots.delete(modal.id);
      if (action.dataset.scheduleAction === "cancel" && modal.dataset.fresh === "1") {
        dropFreshSchedule(modal);
      } else if (action.dataset.scheduleAction === "cancel" && snapshot) {
        $(".schedule-editor", modal).replaceWith(snapshot.editor);
        snapshot.selects.forEach(([id, value]) => {
          const select = document.getElementById(id);
          if (select) select.value = value;
        });
      } else {
        delete modal.dataset.fresh;
      }
      bootstrap.Modal.getOrCreateInstance(modal).hide();
      syncOffLabels();
      syncSchedules();
      refreshScheduleSummary(prefix);
      setTimeout(updateDirty, 0);
      return;
    }
    const add = event.target.closest(".add-period");
    if (add) {
      const list = $(`.periods[data-day="${add.dataset.day}"]`, modal);
      const wasEmpty = list.querySelector(".period-row") === null;
      const row = addRowFrom(`${prefix}-period`, $(".period-template", modal), list);
      row.querySelector('input[name$="-day"]').value = add.dataset.day;
      if (wasEmpty) {
        row.querySelector('input[name$="-start"]').value = "09:00";
        row.querySelector('input[name$="-end"]').value = "17:00";
      }
      syncOffLabels();
      row.querySelector('input[name$="-start"]').focus();
      return;
    }
    if (event.target.closest(".add-holiday")) {
      const row = addRowFrom(`${prefix}-holiday`, $(`#${prefix}-holiday-template`), $(".holiday-rows", modal));
      row.querySelector('input[name$="-date"]').focus();
      syncSchedules();
      return;
    }
    const remove = event.target.closest(".remove-row");
    if (remove) {
      const row = remove.closest(".period-row, .holiday-row");
      if (row) row.remove();
      syncOffLabels();
      syncSchedules();
    }
  });

  /* -- Goals by property: the table row mirrors its side panel ------------------------------- */

  function minutesShort(minutes) {
    if (minutes === null) return "—";
    // The words come from the page's language (ngettext and interpolate: /jsi18n/).
    const say = (text, count) => interpolate(text, { count: count }, true);
    if (minutes % 1440 === 0) {
      const days = minutes / 1440;
      return say(ngettext("%(count)s day", "%(count)s days", days), days);
    }
    if (minutes % 60 === 0) {
      const hours = minutes / 60;
      return say(ngettext("%(count)s h", "%(count)s h", hours), hours);
    }
    return say(ngettext("%(count)s min", "%(count)s min", minutes), minutes);
  }

  function readMinutes(prefix, name) {
    const number = form.elements[`${prefix}-${name}_number`];
    const unit = form.elements[`${prefix}-${name}_unit`];
    if (!number || !unit) return null;
    const text = number.value.trim();
    if (!/^\d+$/.test(text) || parseInt(text, 10) < 1) return null;
    const factor = UNIT_MINUTES[unit.value];
    return factor ? parseInt(text, 10) * factor : null;
  }

  function updateValueRow(prefix) {
    const row = document.getElementById(`${prefix}-row`);
    const enabled = form.elements[`${prefix}-enabled`];
    if (!row || !enabled) return;
    const on = enabled.checked;
    row.classList.toggle("value-off", !on);
    row.querySelector(".no-sla").classList.toggle("d-none", on);
    $$(".summary", row).forEach((cell) => cell.classList.toggle("d-none", !on));
    KINDS.forEach((kind) => {
      row.querySelector(`[data-summary="${kind}_minutes"]`).textContent = minutesShort(readMinutes(prefix, `${kind}_minutes`));
    });
    const soon = KINDS.map((kind) => readMinutes(prefix, `${kind}_due_soon_minutes`));
    row.querySelector('[data-summary="due_soon"]').textContent = soon.some((m) => m !== null)
      ? soon.map(minutesShort).join(" / ")
      : "—";
    const mirror = $(`#panel-${prefix}-on`);
    if (mirror) mirror.checked = on;
  }

  function hasGoals(prefix) {
    return KINDS.some((kind) => readMinutes(prefix, `${kind}_minutes`) !== null);
  }

  /* A value that is off and has no goal yet is switched on by the first goal typed into it
   * (the switch shows it); "No priority" / "No team" stay off until switched on by hand. */
  const offAndEmpty = new Set(
    $$("input.goal-enabled").map((input) => input.name.replace(/-enabled$/, ""))
      .filter((prefix) => !form.elements[`${prefix}-enabled`].checked && !hasGoals(prefix)),
  );

  function onGoalEdit(event) {
    const name = event.target.name || "";
    const match = /^(goals-\w+-\d+)-/.exec(name);
    if (!match) return;
    const prefix = match[1];
    if (name.endsWith("-enabled")) offAndEmpty.delete(prefix);
    const value = form.elements[`${prefix}-value`];
    if (offAndEmpty.has(prefix) && value && value.value !== "" && hasGoals(prefix)) {
      offAndEmpty.delete(prefix);
      form.elements[`${prefix}-enabled`].checked = true;
    }
    updateValueRow(prefix);
  }
  form.addEventListener("input", onGoalEdit);
  form.addEventListener("change", onGoalEdit);

  $$(".mirror-switch").forEach((toggle) => {
    toggle.addEventListener("change", () => {
      const target = document.getElementById(toggle.dataset.mirror);
      if (!target) return;
      target.checked = toggle.checked;
      target.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });

  /* The "a day is …" note is rendered by the server with the hours summary (htmx, out of band). */
  document.body.addEventListener("htmx:afterSettle", () => {
    const note = $("#day-note");
    if (note) $$(".day-note-copy").forEach((copy) => { copy.textContent = note.textContent; });
  });

  /* -- Goals side panel: ✕ (or Esc) puts back what the panel held when it opened; Done keeps --- */

  function panelInputs(panel) {
    const prefix = panel.id.replace(/^panel-/, "");
    const enabled = form.elements[`${prefix}-enabled`];
    return [enabled, ...$$("input, select", panel).filter((input) => input.name)].filter(Boolean);
  }

  const keptPanels = new Set();
  // On the window, capturing: Bootstrap hides the panel from a capturing listener on the document.
  window.addEventListener("click", (event) => {
    const done = event.target.closest && event.target.closest(".panel-done");
    if (done) keptPanels.add(done.closest(".goal-panel"));
  }, true);

  $$(".goal-panel").forEach((panel) => {
    let saved = null;
    panel.addEventListener("show.bs.offcanvas", () => {
      keptPanels.delete(panel);
      saved = panelInputs(panel).map((input) => [input, input.type === "checkbox" ? input.checked : input.value]);
    });
    panel.addEventListener("hide.bs.offcanvas", () => {
      const keep = keptPanels.delete(panel);
      if (!keep && saved) {
        saved.forEach(([input, value]) => {
          if (input.type === "checkbox") input.checked = value; else input.value = value;
        });
        updateValueRow(panel.id.replace(/^panel-/, ""));
        updateDirty();
      }
      saved = null;
    });
  });

  /* -- Unsaved changes: a marker on the save bar, and a question before leaving ------------- */

  const saveButton = $("#save-button");
  const TEXT = form.dataset; // the page's words, translated by the server
  const startsDirty = form.dataset.dirty === "1"; // a page shown again with what was typed
  const IGNORED = new Set(["csrfmiddlewaretoken", "intent", "apply_to"]);
  let submitting = false;

  function formState() {
    const parts = [];
    new FormData(form).forEach((value, name) => {
      if (!IGNORED.has(name)) parts.push(`${name}=${value}`);
    });
    return parts.join("&");
  }

  let savedState = formState();

  function isDirty() {
    return startsDirty || formState() !== savedState;
  }

  function updateDirty() {
    const dirty = isDirty();
    $("#unsaved-marker").classList.toggle("d-none", !dirty);
    saveButton.disabled = !dirty;
    saveButton.querySelector(".label").textContent = dirty ? TEXT.textSave : TEXT.textNoChanges;
    if (dirty) $("#save-status").textContent = "";
    return dirty;
  }

  form.addEventListener("input", updateDirty);
  form.addEventListener("change", updateDirty);
  form.addEventListener("click", (event) => {
    if (event.target.closest(".remove-row, .add-period, #add-holiday, .add-holiday")) setTimeout(updateDirty, 0);
  });
  $$(".modal [data-action]", form).forEach((button) => button.addEventListener("click", () => setTimeout(updateDirty, 0)));

  window.addEventListener("beforeunload", (event) => {
    if (!submitting && isDirty()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  const leaveModal = $("#leave-modal");
  let leave = null;
  $("#leave-go").addEventListener("click", () => {
    const go = leave;
    leave = null;
    submitting = true; // no second question from beforeunload
    bootstrap.Modal.getOrCreateInstance(leaveModal).hide();
    if (go) go();
  });

  function askBeforeLeaving(go) {
    leave = go;
    bootstrap.Modal.getOrCreateInstance(leaveModal).show();
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || submitting || !isDirty()) return;
    const href = link.getAttribute("href");
    if (!href || href.startsWith("#") || link.target === "_blank" || link.hasAttribute("data-bs-toggle")) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    askBeforeLeaving(() => { window.location.href = link.href; });
  });

  document.addEventListener("submit", (event) => {
    const other = event.target;
    if (other === form || submitting || !isDirty()) return;
    event.preventDefault(); // sign out, or any other form of the page
    askBeforeLeaving(() => other.submit());
  }, true);

  /* -- Save: the server checks first; only a valid change asks how to apply it -------------- */

  const applyModal = $("#apply-modal");
  const applyBody = $("#apply-modal-body");

  function submitFor(intent) {
    // A plain submit that the server answers with the whole page (errors next to their fields).
    submitting = true;
    let input = form.querySelector('input[type="hidden"][name="intent"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "intent";
      form.appendChild(input);
    }
    input.value = intent;
    HTMLFormElement.prototype.submit.call(form);
  }

  async function check() {
    saveButton.disabled = true;
    $("#save-status").textContent = TEXT.textChecking;
    const body = new FormData(form);
    body.delete("intent");
    let fragment = null;
    try {
      const response = await fetch(form.dataset.checkUrl, {
        method: "POST",
        body,
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (response.ok) {
        const holder = document.createElement("div");
        holder.innerHTML = await response.text();
        fragment = holder.querySelector("#apply-dialog-body");
      }
    } catch (error) {
      fragment = null;
    }
    const outcome = fragment ? fragment.dataset.outcome : "";
    if (outcome === "unchanged") {
      // Said differently (60 minutes for 1 hour), but the saved settings: nothing to keep.
      if (!startsDirty) savedState = formState();
      updateDirty();
      $("#save-status").textContent = TEXT.textUnchanged;
      saveButton.disabled = true;
      saveButton.querySelector(".label").textContent = TEXT.textNoChanges;
      return;
    }
    $("#save-status").textContent = "";
    if (outcome !== "changed") {
      submitFor("check"); // the page comes back with the errors marked
      return;
    }
    if (fragment.dataset.openTickets === "0") {
      submitFor("save"); // no open ticket: nothing to ask
      return;
    }
    applyBody.replaceChildren(fragment);
    updateDirty();
    bootstrap.Modal.getOrCreateInstance(applyModal).show();
    const pending = applyBody.querySelector("#dry-run[data-pending]");
    if (pending) loadDryRun(body, pending);
  }

  async function loadDryRun(body, pending) {
    // The dry run reads every open ticket: the dialog opens first, its numbers follow.
    body.set("part", "dry_run");
    try {
      const response = await fetch(form.dataset.checkUrl, {
        method: "POST",
        body,
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      const block = holder.querySelector("#dry-run");
      if (block && pending.isConnected) {
        pending.replaceWith(block);
        // Over many open tickets it runs in the background: the block follows its progress.
        if (block.hasAttribute("hx-get") && window.htmx) window.htmx.process(block);
      }
    } catch (error) {
      if (pending.isConnected) pending.textContent = TEXT.textDryRunFailed;
    }
  }

  form.addEventListener("submit", (event) => {
    const intent = event.submitter ? event.submitter.value : "check";
    if (intent === "save") {
      submitting = true;
      $$("#apply-save, #save-button", form).forEach((button) => { button.disabled = true; });
      return;
    }
    event.preventDefault();
    if (!submitting) check();
  });

  if (applyModal.dataset.showOnLoad) bootstrap.Modal.getOrCreateInstance(applyModal).show();

  /* Back to this page from the browser's cache: undo what the last submit did. */
  window.addEventListener("pageshow", () => {
    submitting = false;
    $$('input[type="hidden"][name="intent"]', form).forEach((input) => input.remove());
    $("#apply-save").disabled = false;
    updateDirty();
  });

  updateDirty();
})();
