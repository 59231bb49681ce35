// The queue's filter bar: a changed select applies the filters at once (the Apply button and
// Enter in the search box still work without JavaScript).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLSelectElement) || !field.hasAttribute("data-autosubmit")) {
      return;
    }
    var form = field.form;
    if (form) {
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit();
      } else {
        form.submit();
      }
    }
  });
})();
