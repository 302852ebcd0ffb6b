// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary (or a safety notice) so screen readers announce it first.
  var first = document.getElementById("error-summary") || document.querySelector(".safety-notice[data-focus]");
  if (first) {
    first.setAttribute("tabindex", "-1");
    first.focus();
  }
});
