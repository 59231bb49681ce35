// The report's filters: typing a date picks "Custom range" (the form works without JavaScript:
// then pick "Custom range" yourself).
(function () {
  "use strict";
  var period = document.getElementById("id_period");
  if (!period) {
    return;
  }
  ["id_start", "id_end"].forEach(function (id) {
    var input = document.getElementById(id);
    if (input) {
      input.addEventListener("change", function () {
        period.value = "custom";
      });
    }
  });
})();
