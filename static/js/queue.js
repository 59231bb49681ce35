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

// The rows' poll sends the state they were rendered in; the server answers 204 (nothing to
// swap) when they would read the same, else new rows with their new state (X-Queue-State).
(function () {
  "use strict";
  function isRows(element) {
    return element instanceof HTMLElement && element.id === "queue-rows";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var rows = event.detail.elt;
    if (isRows(rows) && rows.dataset.state) {
      event.detail.parameters.state = rows.dataset.state;
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var rows = event.detail.elt;
    if (!isRows(rows) || !event.detail.successful) {
      return;
    }
    rows.dataset.state = event.detail.xhr.getResponseHeader("X-Queue-State") || "";
  });
})();
