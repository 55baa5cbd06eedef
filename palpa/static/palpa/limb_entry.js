// Limb measurement entry: Enter moves to the next point's field, down the column,
// then to the top of the next column; on the last field Enter does nothing (save with
// the buttons). Without this script the page is a plain form.
(function () {
  "use strict";
  function fields() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-limb-entry] input[data-point]"));
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !target.matches || !target.matches("[data-limb-entry] input[data-point]")) {
      return;
    }
    event.preventDefault();
    var all = fields();
    var next = all[all.indexOf(target) + 1];
    if (next) {
      next.focus();
      next.select();
    }
  });
})();
