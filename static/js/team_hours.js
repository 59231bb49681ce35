/* A team's own working hours: add and remove period and holiday rows (formset rows from a
   template, as on the SLA settings page). Everything else is plain form posts. */
(function () {
  "use strict";
  const form = document.getElementById("team-hours-form");
  if (!form) return;

  function addRow(prefix, templateId, container) {
    const total = form.elements[`${prefix}-TOTAL_FORMS`];
    const index = parseInt(total.value, 10) || 0;
    const template = document.createElement("template");
    template.innerHTML = document
      .getElementById(templateId)
      .innerHTML.replace(/__prefix__/g, String(index))
      .trim();
    const row = template.content.firstElementChild;
    container.appendChild(row);
    total.value = String(index + 1); // never lowered: removed rows leave gaps the server skips
    return row;
  }

  function syncOffLabels() {
    form.querySelectorAll(".day-row").forEach((day) => {
      const hasRows = day.querySelector(".period-row") !== null;
      day.querySelector(".off-label").classList.toggle("d-none", hasRows);
    });
  }

  function syncHolidays() {
    const count = form.querySelectorAll("#holiday-rows .holiday-row").length;
    document.getElementById("holiday-count").textContent = String(count);
  }

  form.addEventListener("click", (event) => {
    const add = event.target.closest(".add-period");
    if (add) {
      const day = add.dataset.day;
      const list = form.querySelector(`.periods[data-day="${day}"]`);
      const wasEmpty = list.querySelector(".period-row") === null;
      const row = addRow("period", "period-template", list);
      row.querySelector('input[name$="-day"]').value = day;
      if (wasEmpty) {
        row.querySelector('input[name$="-start"]').value = "09:00";
        row.querySelector('input[name$="-end"]').value = "17:00";
      }
      syncOffLabels();
      row.querySelector('input[name$="-start"]').focus();
      return;
    }
    if (event.target.closest("#add-holiday")) {
      const row = addRow("holiday", "holiday-template", document.getElementById("holiday-rows"));
      syncHolidays();
      row.querySelector('input[name$="-date"]').focus();
      return;
    }
    const remove = event.target.closest(".remove-row");
    if (remove) {
      const row = remove.closest(".period-row, .holiday-row");
      if (row) row.remove();
      syncOffLabels();
      syncHolidays();
    }
  });
})();
