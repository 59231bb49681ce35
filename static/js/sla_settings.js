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
    const property = form.elements.property.value || "priority";
    $$(".property-goals").forEach((el) => el.classList.toggle("d-none", el.dataset.property !== property));
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

  /* -- Goals by property: the table row mirrors its side panel ------------------------------- */

  function minutesShort(minutes) {
    if (minutes === null) return "—";
    if (minutes % 1440 === 0) return minutes === 1440 ? "1 day" : `${minutes / 1440} days`;
    if (minutes % 60 === 0) return `${minutes / 60} h`;
    return `${minutes} min`;
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

  function onGoalEdit(event) {
    const match = /^(goals-\w+-\d+)-/.exec(event.target.name || "");
    if (match) updateValueRow(match[1]);
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

  /* -- Save: ask where the change applies when there are open tickets ------------------------ */

  const openTickets = parseInt(form.dataset.openTickets || "0", 10);
  const applyModal = $("#apply-modal");
  let confirmed = false;

  function leaveOutUnusedGoals() {
    // Only the chosen scope's goals are saved; the others need not travel with the POST.
    const scope = checkedValue("scope");
    const property = form.elements.property.value;
    $$("input, select", form).forEach((input) => {
      const name = input.name || "";
      const byProperty = /^goals-(\w+)-/.exec(name);
      const unused = (name.startsWith("goal-all-") && scope !== "all")
        || (byProperty && (scope !== "property" || byProperty[1] !== property));
      if (unused && !input.disabled) {
        input.disabled = true;
        input.dataset.leftOut = "1";
      }
    });
  }

  form.addEventListener("submit", (event) => {
    if (openTickets > 0 && !confirmed) {
      event.preventDefault();
      bootstrap.Modal.getOrCreateInstance(applyModal).show();
      return;
    }
    leaveOutUnusedGoals();
    $("#save-button").disabled = true;
  });

  $("#apply-save").addEventListener("click", () => {
    confirmed = true;
    form.requestSubmit();
  });
  applyModal.addEventListener("hidden.bs.modal", () => { confirmed = false; });

  /* Back to this page from the browser's cache: undo what the last submit did. */
  window.addEventListener("pageshow", () => {
    $$("[data-left-out]", form).forEach((input) => {
      input.disabled = false;
      delete input.dataset.leftOut;
    });
    $("#save-button").disabled = false;
    confirmed = false;
  });
})();
