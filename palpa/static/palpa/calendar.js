// Keyboard, drag-and-drop and filters for Palpa's staff calendar (no build step; loaded
// by calendar.html; everything here enhances links and forms that work without it).
// Left/Right arrows or k/j: previous/next day or week; t: today; n: new booking.
// Up/Down arrows move between the appointments of a day; Enter opens one (it is a link).
// On an empty time (a link to the booking form): arrows move between times and columns,
// Enter books. m on a movable appointment starts a move: choose a time with the arrows,
// Enter moves it there, Escape gives up. Dragging an appointment onto a time moves it.
// Moves post to the same service as the move form; a refusal is shown and nothing moves.
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

  // --- empty times: one tab stop per column, arrows between them -----------------------
  function slotsOf(column) {
    return Array.prototype.slice.call(column.querySelectorAll("a.slot"));
  }

  function rowOf(el) {
    var m = /\bgr-(\d+)\b/.exec(el.className);
    return m ? parseInt(m[1], 10) : 0;
  }

  function rove() {
    var columns = document.querySelectorAll("#calendar .tcol[data-col]");
    Array.prototype.forEach.call(columns, function (column) {
      slotsOf(column).forEach(function (slot, i) {
        slot.setAttribute("tabindex", i === 0 ? "0" : "-1");
      });
    });
  }

  function nearest(slots, row) {
    var best = null;
    slots.forEach(function (s) {
      if (!best || Math.abs(rowOf(s) - row) < Math.abs(rowOf(best) - row)) best = s;
    });
    return best;
  }

  function focusSlot(slot) {
    if (!slot) return;
    var column = slot.closest(".tcol");
    slotsOf(column).forEach(function (s) { s.setAttribute("tabindex", "-1"); });
    slot.setAttribute("tabindex", "0");
    slot.focus();
  }

  function moveBetweenSlots(event) {
    var current = document.activeElement;
    if (!current || !current.classList || !current.classList.contains("slot")) return false;
    var column = current.closest(".tcol");
    var slots = slotsOf(column);
    var i = slots.indexOf(current);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      focusSlot(slots[i + (event.key === "ArrowDown" ? 1 : -1)]);
      return true;
    }
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      var sibling = column;
      do {
        sibling = event.key === "ArrowRight" ? sibling.nextElementSibling : sibling.previousElementSibling;
      } while (sibling && !(sibling.matches(".tcol[data-col]") && slotsOf(sibling).length));
      if (sibling) focusSlot(nearest(slotsOf(sibling), rowOf(current)));
      return true;
    }
    if (event.key === "Enter" && moving) {
      moveTo(moving, current);
      return true;
    }
    return false;
  }

  // --- moving an appointment: drag and drop, or m + arrows + Enter ----------------------
  var moving = null; // the appointment being moved by keyboard
  var dragged = null;
  var refocus = null; // the appointment to focus once the calendar comes back

  function notice(text) {
    var box = document.getElementById("cal-notice");
    if (!box) return;
    box.classList.remove("refused");
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
  }

  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function moveTo(appointment, slot) {
    var scroll = document.querySelector("#calendar .cal-scroll");
    var here = scroll ? scroll.getAttribute("data-cal-url") : "";
    var query = here.indexOf("?") >= 0 ? here.slice(here.indexOf("?")) : "";
    var values = { to_date: slot.getAttribute("data-date"), to_time: slot.getAttribute("data-time") };
    if (slot.hasAttribute("data-practitioner")) values.to_practitioner = slot.getAttribute("data-practitioner");
    if (slot.hasAttribute("data-room")) values.to_room = slot.getAttribute("data-room");
    refocus = appointment.getAttribute("href");
    moving = null;
    window.htmx.ajax("POST", appointment.getAttribute("data-move") + query, {
      target: "#calendar",
      swap: "innerHTML",
      values: values,
      headers: { "X-CSRFToken": csrf() },
      source: slot,
    });
  }

  function startMove(appointment) {
    if (moving) moving.classList.remove("moving");
    moving = appointment;
    appointment.classList.add("moving");
    var column = appointment.closest(".tcol");
    var slots = slotsOf(column);
    notice(
      "Moving " + (appointment.querySelector(".appt-patient") || appointment).textContent.trim() +
      ": choose a time with the arrow keys and press Enter; Escape leaves it where it is."
    );
    focusSlot(nearest(slots.length ? slots : slotsOf(document), rowOf(appointment)));
  }

  function stopMove() {
    if (!moving) return;
    var appointment = moving;
    moving.classList.remove("moving");
    moving = null;
    notice("Not moved.");
    appointment.focus();
  }

  function enhance() {
    rove();
    Array.prototype.forEach.call(document.querySelectorAll("#calendar a.appt[data-move]"), function (a) {
      a.setAttribute("draggable", "true");
    });
    if (refocus) {
      var again = document.querySelector('#calendar a.appt[href="' + refocus + '"]');
      refocus = null;
      if (again) again.focus();
      return true;
    }
    return false;
  }

  document.addEventListener("dragstart", function (event) {
    var a = event.target.closest && event.target.closest("#calendar a.appt[data-move]");
    if (!a) return;
    dragged = a;
    a.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", a.getAttribute("href"));
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
  });
  document.addEventListener("dragover", function (event) {
    var slot = dragged && event.target.closest && event.target.closest("#calendar a.slot");
    if (!slot) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    slot.classList.add("target");
  });
  document.addEventListener("dragleave", function (event) {
    var slot = event.target.closest && event.target.closest("#calendar a.slot");
    if (slot) slot.classList.remove("target");
  });
  document.addEventListener("drop", function (event) {
    var slot = dragged && event.target.closest && event.target.closest("#calendar a.slot");
    if (!slot) return;
    event.preventDefault();
    slot.classList.remove("target");
    var a = dragged;
    dragged.classList.remove("dragging");
    dragged = null;
    moveTo(a, slot);
  });

  // A calendar answered with an error status still shows its reason in place.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422 && event.detail.target &&
        event.detail.target.id === "calendar") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // --- filters apply at once (a plain GET: the address stays shareable) -----------------
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-apply-at-once]");
    if (!form) return;
    if (event.target.name === "location") {
      var room = form.querySelector('select[name="room"]');
      if (room) room.value = ""; // rooms belong to a location
    }
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    if (event.key === "Escape" && moving) {
      event.preventDefault();
      stopMove();
      return;
    }
    if (moveBetweenSlots(event)) {
      event.preventDefault();
      return;
    }
    var focused = document.activeElement;
    if (event.key === "m" && focused && focused.matches && focused.matches("#calendar a.appt[data-move]")) {
      event.preventDefault();
      startMove(focused);
      return;
    }
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

  // After htmx swaps in another day or week, put the focus on its heading (after a
  // move, on the appointment moved).
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "calendar") {
      if (enhance()) return;
      var title = document.getElementById("cal-title");
      if (title) title.focus();
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", enhance);
  else enhance();
})();
