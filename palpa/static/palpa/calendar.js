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

  // While a day or week loads, a key pressed is kept and acted on once the new one has
  // settled (its links are replaced on the way), so no key typed ahead is lost and no
  // key follows a link htmx has not taken over yet (that would reload the whole page).
  var loading = false;
  var queued = null;

  function inCalendar(event) {
    var el = event.detail && event.detail.elt;
    return !!(el && el.closest && el.closest("#calendar"));
  }

  function go(which) {
    var link = document.querySelector('#calendar [data-cal-key="' + which + '"]');
    if (!link) return false;
    if (window.htmx && link.hasAttribute("hx-get")) window.htmx.process(link);
    link.click();
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
    if (loading) {
      event.preventDefault();
      queued = which;
      return;
    }
    if (go(which)) event.preventDefault();
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (inCalendar(event)) loading = true;
  });

  function settled() {
    loading = false;
    var which = queued;
    queued = null;
    if (which) go(which);
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "calendar") settled();
  });
  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (inCalendar(event)) settled();
    });
  });

  // After htmx swaps in another day or week, put the focus on its heading.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "calendar") {
      var title = document.getElementById("cal-title");
      if (title) title.focus();
    }
  });
})();
