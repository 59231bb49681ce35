// The language picker of signed-out pages: a picked language applies at once (without
// JavaScript, the page shows a Change button instead).
(function () {
  "use strict";
  var form = document.querySelector("form[data-language-picker]");
  if (!form) {
    return;
  }
  form.addEventListener("change", function () {
    form.submit();
  });
})();
