"""The staff calendar: day and week views per location, practitioner and room; booking,
moving, cancelling, arrival and no-show; the waitlist; recurring courses.

Every staff role of the organization sees the calendar (billers read only); owners,
therapists and the front desk change it, through the services, whose refusals are shown
in place naming the field or the rule. Other organizations get 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from palpa.accounts.gates import requires
from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability
from palpa.audit.services import Action, record
from palpa.core.dates import page_date
from palpa.core.errors import Refused
from palpa.core.forms import apply_validation_error
from palpa.core.redirects import local_next
from palpa.core.views import staff_user
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for
from palpa.practitioners.models import Practitioner
from palpa.practitioners.queries import practitioners_for
from palpa.scheduling import actions, grid, hours, queries, services
from palpa.scheduling.forms import BookingForm, CancelForm, CourseForm, MoveForm, WaitlistForm
from palpa.scheduling.models import Appointment, WaitlistOffer
from palpa.scheduling.online import notices_for

Status = Appointment.Status


def _show_error(form: BaseForm, exc: Exception) -> None:
    """A service's refusal on the form: per field for validation errors, else on top
    with the rule's code (e.g. ``license``, ``referral``, ``slot_taken``)."""
    if isinstance(exc, ValidationError):
        apply_validation_error(form, exc)
    else:
        form.add_error(None, str(exc))


def _location(user: User, value: str | None) -> Location:
    locations = queries.locations_for(user)
    if value:
        try:
            return get_object_or_404(locations, public_id=value)
        except ValidationError as exc:  # not a UUID
            raise Http404 from exc
    first = locations.order_by("name", "pk").first()
    if first is None:
        raise Http404("No location to show.")
    return first


def _optional(queryset: Any, value: str | None) -> Any:
    if not value:
        return None
    try:
        return get_object_or_404(queryset, public_id=value)
    except ValidationError as exc:
        raise Http404 from exc


def _day(value: str | None, location: Location) -> dt.date:
    return page_date(value) or hours.local_day(timezone.now(), hours.zone(location.time_zone))


def _span(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo, fmt: str = "%H:%M") -> str:
    """Start and end as local wall-clock times, e.g. 09:00 to 10:00 in the location."""
    return f"{start.astimezone(tz):{fmt}}\N{EN DASH}{end.astimezone(tz):%H:%M}"


def _local(day: dt.date, at: dt.time, location: Location) -> dt.datetime:
    return hours.to_utc(day, at, hours.zone(location.time_zone))


# --- the calendar -----------------------------------------------------------------------


def _calendar_url(span: str, day: dt.date, cal: grid.Calendar) -> str:
    params = {"view": span, "date": day.isoformat(), "location": str(cal.location.public_id)}
    if cal.practitioner is not None:
        params["practitioner"] = str(cal.practitioner.public_id)
    if cal.room is not None:
        params["room"] = str(cal.room.public_id)
    if span == grid.DAY and cal.group == grid.BY_ROOM:
        params["by"] = grid.BY_ROOM
    return reverse("scheduling:calendar") + "?" + urlencode(params)


def _calendar_context(user: User, params: Any) -> dict[str, Any]:
    """The calendar the query ``params`` name (``view``, ``date``, ``location``,
    ``practitioner``, ``room``, ``by``) and the links around it."""
    location = _location(user, params.get("location"))
    practitioner = _optional(practitioners_for(user), params.get("practitioner"))
    room = _optional(queries.rooms_for(user, location), params.get("room"))
    span = params.get("view", grid.WEEK)
    if span not in grid.SPANS:
        span = grid.WEEK
    group = params.get("by", grid.BY_PRACTITIONER)
    if group not in grid.GROUPS:
        group = grid.BY_PRACTITIONER
    today = hours.local_day(timezone.now(), hours.zone(location.time_zone))
    cal = grid.build(
        user,
        span=span,
        day=_day(params.get("date"), location),
        location=location,
        practitioner=practitioner,
        room=room,
        today=today,
        group=group,
    )
    book = {"location": str(location.public_id)}
    if practitioner is not None:
        book["practitioner"] = str(practitioner.public_id)
    if room is not None:
        book["room"] = str(room.public_id)
    return {
        "cal": cal,
        "may_book": queries.may_book(user),
        # One prefix for every appointment link (reversing a URL per block is slow).
        "appointment_base": reverse("scheduling:calendar") + "appointments/",
        "book_base": reverse("scheduling:book") + "?" + urlencode(book),
        "here_url": _calendar_url(span, cal.first, cal),
        "prev_url": _calendar_url(span, cal.previous, cal),
        "next_url": _calendar_url(span, cal.next, cal),
        "today_url": _calendar_url(span, today, cal),
        "day_url": _calendar_url(grid.DAY, cal.first, cal),
        "week_url": _calendar_url(grid.WEEK, cal.first, cal),
        "new_url": reverse("scheduling:book")
        + "?"
        + urlencode({"location": str(location.public_id), "date": cal.first.isoformat()}),
    }


@login_required
@requires(Capability.SCHEDULE_READ)
def calendar(request: HttpRequest) -> HttpResponse:
    """``?view=day|week&date=&location=&practitioner=&room=&by=practitioner|room``: a time
    grid; htmx asks for the grid only."""
    user = staff_user(request)
    context = _calendar_context(user, request.GET)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "scheduling/_calendar.html", context)
    cal: grid.Calendar = context["cal"]
    # The filter's choices, for the whole page only (names only: no licenses).
    context["locations"] = list(queries.locations_for(user).order_by("name"))
    context["practitioners"] = list(
        practitioners_for(user).filter(active=True).prefetch_related(None)
    )
    context["rooms"] = list(queries.rooms_for(user, cal.location).order_by("name"))
    return render(request, "scheduling/calendar.html", context)


@login_required
@require_POST
@requires(Capability.SCHEDULE_BOOK)
def calendar_move(request: HttpRequest, public_id: str) -> HttpResponse:
    """An appointment dropped on another time of the calendar (or moved there by
    keyboard): ``to_date``, ``to_time`` and optionally ``to_practitioner`` / ``to_room``
    (the column it was dropped in) go to the same service as the move form, with every
    booking rule. The calendar the query string names comes back with the outcome; a
    refusal names the rule and leaves the appointment where it was (answered 200 to
    htmx, which swaps in only successful answers, so the reason is shown in place)."""
    user = staff_user(request)
    appointment = _appointment(user, public_id)
    data = {
        "date": request.POST.get("to_date", ""),
        "time": request.POST.get("to_time", ""),
        "practitioner": request.POST.get("to_practitioner", ""),
        "room": request.POST.get("to_room", ""),
    }
    form = MoveForm(data, actor=user, location=appointment.location)
    refused = ""
    if not form.is_valid():
        refused = "; ".join(
            f"{form.fields[name].label if name in form.fields else 'Move'}: "
            + " ".join(str(e) for e in errors)
            for name, errors in form.errors.items()
        )
    else:
        clean = form.cleaned_data
        try:
            moved = services.reschedule_appointment(
                actor=user,
                appointment=appointment,
                start=_local(clean["date"], clean["time"], appointment.location),
                practitioner=clean["practitioner"],
                room=clean["room"],
            )
        except ValidationError as exc:
            refused = " ".join(exc.messages)
        except Refused as exc:
            refused = str(exc)
    name = appointment.patient.full_name
    if refused:
        notice = f"Not moved: {refused} {name}'s appointment stays where it was."
    else:
        tz = hours.zone(moved.location.time_zone)
        notice = (
            f"Moved {name} to {moved.start.astimezone(tz):%a %d %b %H:%M} "
            f"with {moved.practitioner.display_name}."
        )
    if not request.htmx:  # type: ignore[attr-defined]
        (messages.error if refused else messages.success)(request, notice)
        return redirect(_calendar_url_from(request))
    context = _calendar_context(user, request.GET)
    context.update(notice=notice, notice_refused=bool(refused))
    return render(request, "scheduling/_calendar.html", context)


def _calendar_url_from(request: HttpRequest) -> str:
    query = request.GET.urlencode()
    return reverse("scheduling:calendar") + (f"?{query}" if query else "")


# --- booking ---------------------------------------------------------------------------


def _slots(
    user: User,
    *,
    location: Location | None,
    appointment_type: Any,
    day: dt.date | None,
    practitioner: Practitioner | None,
    days: int = 1,
) -> list[queries.OpenSlot]:
    if location is None or appointment_type is None or day is None:
        return []
    return queries.available_slots(
        location=location,
        appointment_type=appointment_type,
        first_day=day,
        days=days,
        practitioner=practitioner,
    )


@login_required
@requires(Capability.SCHEDULE_BOOK)
def book(request: HttpRequest) -> HttpResponse:
    """Book one appointment: choose a free slot from the slot finder (or type a time)."""
    user = staff_user(request)
    if request.method == "POST":
        _location(user, request.POST.get("location"))  # another organization's: 404
        form = BookingForm(request.POST, actor=user)
        if form.is_valid():
            data = form.cleaned_data
            location = data["location"]
            try:
                appointment = services.book_appointment(
                    actor=user,
                    patient=data["patient"],
                    practitioner=data["practitioner"],
                    location=location,
                    appointment_type=data["appointment_type"],
                    start=_local(data["date"], data["time"], location),
                    room=data["room"],
                    outside_hours_reason=data["outside_hours_reason"],
                    override_reason=data.get("override_reason", ""),
                    notes=data["notes"],
                )
            except (ValidationError, Refused) as exc:
                _show_error(form, exc)
            else:
                messages.success(request, "Appointment booked.")
                return redirect("scheduling:appointment", public_id=appointment.public_id)
        return _render_book(request, user, form, status=422)
    initial: dict[str, Any] = {k: v for k, v in request.GET.items() if v}
    patient = _optional(patients_for(user), request.GET.get("patient_id"))
    if patient is not None:
        initial["patient"] = patient.mrn
    if "location" not in initial:
        initial["location"] = _location(user, None).public_id
    return _render_book(request, user, BookingForm(initial=initial, actor=user))


def _render_book(
    request: HttpRequest, user: User, form: BookingForm, status: int = 200
) -> HttpResponse:
    """The form and, once a type and a day are chosen, that day's free slots."""
    source = form.data if form.is_bound else form.initial
    location = _optional(queries.locations_for(user), str(source.get("location") or ""))
    kind = _optional(queries.appointment_types_for(user), str(source.get("appointment_type") or ""))
    who = _optional(practitioners_for(user), str(source.get("practitioner") or ""))
    day = page_date(source.get("date"))
    slots = _slots(user, location=location, appointment_type=kind, day=day, practitioner=None)
    tz = hours.zone(location.time_zone) if location is not None else dt.UTC
    base = {
        k: str(v)
        for k, v in source.items()
        if k in ("patient", "location", "appointment_type", "notes") and v
    }
    choices = []
    for s in slots:
        if who is not None and s.practitioner.pk != who.pk:
            continue
        local = s.start.astimezone(tz)
        params = {
            **base,
            "practitioner": str(s.practitioner.public_id),
            "date": local.date().isoformat(),
            "time": f"{local:%H:%M}",
        }
        if s.room is not None:
            params["room"] = str(s.room.public_id)
        choices.append(
            {
                "slot": s,
                "label": _span(s.start, s.end, tz),
                "url": reverse("scheduling:book") + "?" + urlencode(params),
            }
        )
    context = {
        "form": form,
        "slots": choices[:80],
        "more_slots": max(0, len(choices) - 80),
        "searched": location is not None and kind is not None and day is not None,
        "location": location,
        "day": day,
        "kind": kind,
        "who": who,
        "find": {"patient": str(source.get("patient") or "")},
        "locations": list(queries.locations_for(user).order_by("name")),
        "types": list(queries.appointment_types_for(user)),
        "practitioners": list(practitioners_for(user).filter(active=True)),
    }
    return render(request, "scheduling/book.html", context, status=status)


# --- one appointment -----------------------------------------------------------------------


def _appointment(user: User, public_id: str) -> Appointment:
    return get_object_or_404(queries.appointments_for(user), public_id=public_id)


def _audit_read(user: User, appointment: Appointment) -> None:
    record(
        actor=user,
        action=Action.READ,
        obj=appointment,
        patient_id=str(appointment.patient.public_id),
        detail={"view": "appointment"},
    )


def _render_appointment(
    request: HttpRequest,
    user: User,
    appointment: Appointment,
    *,
    move_form: MoveForm | None = None,
    cancel_form: CancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    tz = hours.zone(appointment.location.time_zone)
    may_book = queries.may_book(user)
    block = grid.Block(
        appointment, appointment.start.astimezone(tz), appointment.end.astimezone(tz)
    )
    local_day = block.local_start.date()
    grid.annotate(user, [block], first=local_day, last=local_day)
    _audit_read(user, appointment)
    context: dict[str, Any] = {
        "a": appointment,
        "info": block,
        "links": actions.for_appointment(user, appointment),
        "may_book": may_book,
        "movable": may_book and appointment.status == Status.BOOKED,
        "cancellable": may_book and appointment.status in (Status.BOOKED, Status.ARRIVED),
        "offerable": may_book
        and appointment.status == Status.CANCELLED
        and appointment.start > timezone.now(),
        "offers": list(appointment.offers.select_related("entry__patient")),
        "calendar_url": reverse("scheduling:calendar")
        + "?"
        + urlencode(
            {
                "view": "day",
                "date": local_day.isoformat(),
                "location": str(appointment.location.public_id),
            }
        ),
    }
    if context["movable"]:
        move_day = page_date(request.GET.get("move_date")) or max(
            local_day, hours.local_day(timezone.now(), tz)
        )
        anyone = request.GET.get("anyone") == "1"
        slots = _slots(
            user,
            location=appointment.location,
            appointment_type=appointment.appointment_type,
            day=move_day,
            practitioner=None if anyone else appointment.practitioner,
        )
        context.update(
            move_day=move_day,
            anyone=anyone,
            move_slots=[
                {
                    "slot": s,
                    "label": _span(s.start, s.end, tz),
                    "date": s.start.astimezone(tz).date().isoformat(),
                    "time": f"{s.start.astimezone(tz):%H:%M}",
                }
                for s in slots[:60]
            ],
            move_form=move_form
            or MoveForm(
                actor=user,
                location=appointment.location,
                initial={"date": move_day, "time": block.local_start.time()},
            ),
        )
    if context["cancellable"]:
        context["cancel_form"] = cancel_form or CancelForm()
    return render(request, "scheduling/appointment.html", context, status=status)


@login_required
@requires(Capability.SCHEDULE_READ)
def appointment_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    return _render_appointment(request, user, _appointment(user, public_id))


@login_required
@require_POST
@requires(Capability.SCHEDULE_BOOK)
def appointment_move(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    appointment = _appointment(user, public_id)
    form = MoveForm(request.POST, actor=user, location=appointment.location)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.reschedule_appointment(
                actor=user,
                appointment=appointment,
                start=_local(data["date"], data["time"], appointment.location),
                practitioner=data["practitioner"],
                room=data["room"],
                outside_hours_reason=data["outside_hours_reason"],
                override_reason=data.get("override_reason", ""),
            )
        except (ValidationError, Refused) as exc:
            _show_error(form, exc)
        else:
            messages.success(request, "Appointment moved.")
            return redirect("scheduling:appointment", public_id=appointment.public_id)
    appointment.refresh_from_db()
    return _render_appointment(request, user, appointment, move_form=form, status=422)


@login_required
@require_POST
@requires(Capability.SCHEDULE_BOOK)
def appointment_cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    appointment = _appointment(user, public_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_appointment(
                actor=user,
                appointment=appointment,
                reason=form.cleaned_data["reason"],
                offer_to_waitlist=form.cleaned_data["offer_to_waitlist"],
            )
        except (ValidationError, Refused) as exc:
            _show_error(form, exc)
        else:
            offer = WaitlistOffer.objects.filter(freed_by=appointment).first()
            text = "Appointment cancelled."
            if offer is not None:
                text += (
                    f" The freed time was offered to {offer.entry.patient.full_name} (waitlist)."
                )
            messages.success(request, text)
            return redirect("scheduling:appointment", public_id=appointment.public_id)
    appointment.refresh_from_db()
    return _render_appointment(request, user, appointment, cancel_form=form, status=422)


def _next(request: HttpRequest, default: str) -> str:
    """Where to go back to: a page of this site named in ``next``, else ``default``."""
    return local_next(request, request.POST.get("next", ""), default)


def _status_change(request: HttpRequest, public_id: str, what: str) -> HttpResponse:
    user = staff_user(request)
    appointment = _appointment(user, public_id)
    change = services.mark_arrived if what == "arrived" else services.mark_no_show
    try:
        change(actor=user, appointment=appointment)
    except Refused as exc:
        messages.error(request, f"Not changed: {exc}")
    else:
        messages.success(
            request, "Marked as arrived." if what == "arrived" else "Marked as a no-show."
        )
    return redirect(_next(request, reverse("scheduling:appointment", args=[public_id])))


@login_required
@require_POST
@requires(Capability.SCHEDULE_BOOK)
def appointment_arrived(request: HttpRequest, public_id: str) -> HttpResponse:
    return _status_change(request, public_id, "arrived")


@login_required
@require_POST
@requires(Capability.SCHEDULE_BOOK)
def appointment_no_show(request: HttpRequest, public_id: str) -> HttpResponse:
    return _status_change(request, public_id, "noshow")


@login_required
@require_POST
@requires(Capability.SCHEDULE_BOOK)
def appointment_offer(request: HttpRequest, public_id: str) -> HttpResponse:
    """Offer a cancelled appointment's freed time to the next patient on the waitlist."""
    user = staff_user(request)
    appointment = _appointment(user, public_id)
    if appointment.status != Status.CANCELLED or appointment.start <= timezone.now():
        messages.error(request, "Only the time of a cancelled appointment still ahead is offered.")
    else:
        offer = services.offer_freed_slot(actor=user, appointment=appointment)
        if offer is None:
            messages.error(request, "Nobody on the waitlist fits this time.")
        else:
            messages.success(request, f"Offered to {offer.entry.patient.full_name}.")
    return redirect(_next(request, reverse("scheduling:appointment", args=[public_id])))


# --- the waitlist --------------------------------------------------------------------------


@login_required
@require_POST
@requires(Capability.SCHEDULE_BOOK)
def waitlist_withdraw(request: HttpRequest, public_id: str) -> HttpResponse:
    """Take a patient off the waitlist (the entry is kept, marked withdrawn, audited)."""
    user = staff_user(request)
    entry = get_object_or_404(queries.waitlist_for(user), public_id=public_id)
    reason = request.POST.get("reason", "").strip()[:300]
    services.withdraw_from_waitlist(actor=user, entry=entry, reason=reason)
    messages.success(request, f"{entry.patient.full_name} is off the waitlist.")
    return redirect(reverse("scheduling:waitlist") + f"?location={entry.location.public_id}")


@login_required
@requires(Capability.SCHEDULE_READ, post=Capability.SCHEDULE_BOOK)
def waitlist(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    location = _location(user, request.GET.get("location") or request.POST.get("location"))
    form = WaitlistForm(request.POST or None, actor=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = services.add_to_waitlist(actor=user, location=location, **data)
            except (ValidationError, Refused) as exc:
                _show_error(form, exc)
            else:
                messages.success(request, f"{entry.patient.full_name} is on the waitlist.")
                return redirect(reverse("scheduling:waitlist") + f"?location={location.public_id}")
        status = 422
    entries = list(
        queries.waitlist_for(user, location=location)
        .prefetch_related("offers")
        .order_by("created_at", "pk")
    )
    freed = list(
        queries.appointments_for(
            user, location=location, start=timezone.now(), statuses=[Status.CANCELLED]
        ).filter(offers__isnull=True)[:50]
    )
    if entries:
        record(
            actor=user,
            action=Action.READ,
            object_type="WaitlistEntry",
            detail={
                "view": "waitlist",
                "location": str(location.public_id),
                "patients": sorted({str(e.patient.public_id) for e in entries}),
            },
        )
    tz = hours.zone(location.time_zone)
    context = {
        "location": location,
        "locations": list(queries.locations_for(user).order_by("name")),
        "entries": entries,
        "freed": [(a, a.start.astimezone(tz)) for a in freed],
        "form": form if queries.may_book(user) else None,
        "may_book": queries.may_book(user),
        "here": request.get_full_path(),
    }
    return render(request, "scheduling/waitlist.html", context, status=status)


# --- a recurring course ---------------------------------------------------------------------


def _course_times(form: CourseForm) -> list[services.CourseTime]:
    return [
        services.CourseTime(form.cleaned_data[f"weekday_{n}"], form.cleaned_data[f"time_{n}"])
        for n in range(1, form.per_week + 1)
    ]


@login_required
@requires(Capability.SCHEDULE_BOOK)
def course(request: HttpRequest) -> HttpResponse:
    """Book a course of care (e.g. 2 visits a week for 6 weeks): preview every visit with
    its conflicts first; "Book all" books every one or none.

    The plan of care links here with ``?patient=&per_week=&weeks=&start=&practitioner=``.
    """
    user = staff_user(request)
    preview = None
    status = 200
    if request.method == "POST":
        _location(user, request.POST.get("location"))  # another organization's: 404
        try:
            per_week = int(request.POST.get("per_week", "1"))
        except ValueError:
            per_week = 1
        form = CourseForm(request.POST, actor=user, per_week=per_week)
        if form.is_valid():
            data = form.cleaned_data
            args: dict[str, Any] = {
                "actor": user,
                "patient": data["patient"],
                "practitioner": data["practitioner"],
                "location": data["location"],
                "appointment_type": data["appointment_type"],
                "first_day": data["first_day"],
                "weeks": data["weeks"],
                "times": _course_times(form),
                "outside_hours_reason": data["outside_hours_reason"],
                "replace": _swaps(request.POST),
            }
            try:
                if request.POST.get("action") == "book":
                    booked = services.book_course(
                        **args,
                        override_reason=data.get("override_reason", ""),
                        notes=data["notes"],
                    )
                    messages.success(request, f"Course booked: {len(booked)} appointments.")
                    return redirect(_first_week(booked[0]))
                preview = services.preview_course(**args)
            except services.CourseConflicts as exc:
                preview = exc.preview
                form.add_error(None, "Nothing was booked: every conflict is listed below.")
                status = 409
            except (ValidationError, Refused) as exc:
                _show_error(form, exc)
                status = 422
        else:
            status = 422
    else:
        patient: Patient | None = _optional(patients_for(user), request.GET.get("patient"))
        who = _optional(practitioners_for(user), request.GET.get("practitioner"))
        per_week, initial = CourseForm.initial_from(request.GET, patient=patient, practitioner=who)
        form = CourseForm(initial=initial, actor=user, per_week=per_week)
    tz: dt.tzinfo = dt.UTC
    if form.is_bound and form.is_valid():
        tz = hours.zone(form.cleaned_data["location"].time_zone)
    rows = []
    for c in preview.candidates if preview is not None else []:
        asked = c.original or c.start
        rows.append(
            {
                "c": c,
                "label": _span(c.start, c.end, tz, "%a %d %b %Y %H:%M"),
                "key": _epoch(asked),
                "value": _epoch(c.start) if c.original is not None else "",
                "asked": f"{asked.astimezone(tz):%a %d %b %H:%M}",
                "alternatives": [
                    {"value": _epoch(a), "label": f"{a.astimezone(tz):%a %d %b %H:%M}"}
                    for a in c.alternatives
                ],
            }
        )
    context = {"form": form, "preview": preview, "rows": rows, "per_week": form.per_week}
    return render(request, "scheduling/course.html", context, status=status)


def _epoch(instant: dt.datetime) -> str:
    return str(int(instant.timestamp()))


def _swaps(data: Any) -> dict[dt.datetime, dt.datetime]:
    """The alternatives chosen in a course preview: ``swap-<asked>=<chosen>``, both as
    seconds since 1970 (UTC); an empty or unreadable choice keeps the asked time."""
    found: dict[dt.datetime, dt.datetime] = {}
    for key, value in data.items():
        if not key.startswith("swap-") or not value:
            continue
        try:
            asked = dt.datetime.fromtimestamp(int(key[5:]), dt.UTC)
            chosen = dt.datetime.fromtimestamp(int(value), dt.UTC)
        except (ValueError, OverflowError, OSError):
            continue
        found[asked] = chosen
    return found


def _first_week(a: Appointment) -> str:
    day = hours.local_day(a.start, hours.zone(a.location.time_zone))
    return (
        reverse("scheduling:calendar")
        + "?"
        + urlencode(
            {"view": "week", "date": day.isoformat(), "location": str(a.location.public_id)}
        )
    )


def dashboard_panel(user: User) -> dict[str, object]:
    """How many online bookings, changes and requests wait for the front desk
    (registered in SchedulingConfig.ready)."""
    if not has_capability(user, Capability.SCHEDULE_READ):
        return {}

    return {"online_notices": notices_for(user).count()}
