// Keyboard support for Palpa's staff calendar (no build step; loaded by calendar.html).
// Left/Right arrows or k/j: previous/next day or week; t: today; n: new booking.
// Up/Down arrows move between the appointments of a day; Enter opens one (it is a link).
(function () {
  "use strict";
  var KEYS = { ArrowLeft: "prev", k: "prev", ArrowRight: "next", j: "next", t: "today", n: "new" };

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function moveBetweenAppointments(event) {
    var current = document.activeElement;
    if (!current || !current.classList.contains("appt")) return false;
    var all = Array.prototype.slice.call(document.querySelectorAll("#calendar a.appt"));
    var i = all.indexOf(current);
    var next = all[i + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) next.focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && moveBetweenAppointments(event)) {
      event.preventDefault();
      return;
    }
    var which = KEYS[event.key];
    if (!which) return;
    // While a day or week is loading, its links are about to be replaced: wait for it.
    if (document.querySelector("#calendar .htmx-request")) {
      event.preventDefault();
      return;
    }
    var link = document.querySelector('#calendar [data-cal-key="' + which + '"]');
    if (!link) return;
    event.preventDefault();
    link.click();
  });

  // After htmx swaps in another day or week, put the focus on its heading.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "calendar") {
      var title = document.getElementById("cal-title");
      if (title) title.focus();
    }
  });
})();
