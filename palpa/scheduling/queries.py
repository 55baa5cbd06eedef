"""The schedule as the actor may see it, and the data the slot finder works on.

Every staff role of the organization sees the schedule (billers too, read-only); owners,
therapists and the front desk book and change it. Other organizations see nothing.

``available_slots`` feeds the pure slot finder (``palpa.scheduling.slots``) from the
database for one appointment type across a location; the calendar, online booking and
the benchmark use it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from palpa.accounts.models import Location, Room, User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.audit.services import Action, record
from palpa.patients.models import Patient
from palpa.practitioners import rules as license_rules
from palpa.practitioners.models import License, Practitioner
from palpa.scheduling import hours
from palpa.scheduling.models import (
    MAX_BUSY_SPAN,
    MAX_DURATION_MINUTES,
    Appointment,
    AppointmentReminder,
    AppointmentType,
    AvailabilityException,
    ClosedDay,
    OnlineBookingSettings,
    RoomFeature,
    WaitlistEntry,
    WorkingHours,
)
from palpa.scheduling.patient_messages import DEFAULT_CANCEL_NOTICE_HOURS
from palpa.scheduling.slots import Interval, find_slots, merge, subtract

DEFAULT_STEP = dt.timedelta(minutes=15)
MAX_DURATION = dt.timedelta(minutes=MAX_DURATION_MINUTES)  # no appointment is longer


def may_see_schedule(actor: User) -> bool:
    return has_capability(actor, Capability.SCHEDULE_READ)


def may_book(actor: User) -> bool:
    return has_capability(actor, Capability.SCHEDULE_BOOK)


def may_override(actor: User) -> bool:
    """Book beyond what the patient's referral covers (with a written reason)."""
    return has_capability(actor, Capability.REFERRALS_OVERRIDE)


def appointment_types_for(
    actor: User, *, include_inactive: bool = False
) -> QuerySet[AppointmentType]:
    if not may_see_schedule(actor):
        return AppointmentType.objects.none()
    found = AppointmentType.objects.filter(organization_id=tenant_id(actor))
    return found if include_inactive else found.filter(active=True)


def locations_for(actor: User) -> QuerySet[Location]:
    if not may_see_schedule(actor):
        return Location.objects.none()
    return Location.objects.filter(organization_id=tenant_id(actor), active=True)


def rooms_for(actor: User, location: Location | None = None) -> QuerySet[Room]:
    if not may_see_schedule(actor):
        return Room.objects.none()
    found = Room.objects.filter(organization_id=tenant_id(actor), active=True)
    return found.filter(location=location) if location is not None else found


def appointments_for(
    actor: User,
    *,
    location: Location | None = None,
    practitioner: Practitioner | None = None,
    patient: Patient | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: Iterable[str] | None = None,
) -> QuerySet[Appointment]:
    """The actor's organization's appointments overlapping ``[start, end)``, by start."""
    if not may_see_schedule(actor):
        return Appointment.objects.none()
    found = Appointment.objects.filter(organization_id=tenant_id(actor))
    if location is not None:
        found = found.filter(location=location)
    if practitioner is not None:
        found = found.filter(practitioner=practitioner)
    if patient is not None:
        found = found.filter(patient=patient)
    if start is not None:
        # Bounded below on ``start`` too, so the ``(…, start)`` indexes read only the span.
        found = found.filter(end__gt=start, start__gte=start - MAX_DURATION)
    if end is not None:
        found = found.filter(start__lt=end)
    if statuses is not None:
        found = found.filter(status__in=list(statuses))
    return found.select_related(
        "patient", "practitioner", "room", "appointment_type", "location", "booked_by"
    ).order_by("start", "pk")


def reminders_for(actor: User, *, patient: Patient) -> QuerySet[AppointmentReminder]:
    """The reminders of the patient's appointments that were sent, failed, skipped or are
    still to go (not those cancelled with a moved or cancelled appointment), newest
    first; none for roles that do not see the schedule."""
    if not may_see_schedule(actor):
        return AppointmentReminder.objects.none()
    return (
        AppointmentReminder.objects.filter(
            organization_id=tenant_id(actor), appointment__patient=patient
        )
        .exclude(status=AppointmentReminder.Status.CANCELLED)
        .select_related("appointment__location")
        .order_by("-created_at", "-pk")
    )


def waitlist_for(
    actor: User, *, location: Location | None = None, include_closed: bool = False
) -> QuerySet[WaitlistEntry]:
    if not may_see_schedule(actor):
        return WaitlistEntry.objects.none()
    found = WaitlistEntry.objects.filter(organization_id=tenant_id(actor))
    if location is not None:
        found = found.filter(location=location)
    if not include_closed:
        found = found.filter(
            status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED]
        )
    return found.select_related("patient", "appointment_type", "practitioner", "location")


def may_configure(actor: User) -> bool:
    return has_capability(actor, Capability.SCHEDULE_CONFIGURE)


def closed_days_for(
    actor: User, *, location: Location | None = None, since: dt.date | None = None
) -> QuerySet[ClosedDay]:
    """The organization's closed days (those of the location given and those of every
    location, when a location is given), from ``since`` on, by date; every staff role
    that sees the schedule sees them."""
    if not may_see_schedule(actor):
        return ClosedDay.objects.none()
    found = ClosedDay.objects.filter(organization_id=tenant_id(actor))
    if location is not None:
        found = found.filter(Q(location=location) | Q(location__isnull=True))
    if since is not None:
        found = found.filter(date__gte=since)
    return found.select_related("location").order_by("date", "location__name", "pk")


# --- what the slot finder works on ------------------------------------------------------


def closed_days_at(location: Location, first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """The local days from ``first`` to ``last`` the location is closed (its own closed
    days and those of every location), with the reason, in one query; a day closed both
    ways gives the location's own reason."""
    return closed_days_of([location], first, last)[location.pk]


def closed_days_of(
    locations: Sequence[Location], first: dt.date, last: dt.date
) -> dict[int, dict[dt.date, str]]:
    """``closed_days_at`` of several locations of one organization in one query, by
    location pk."""
    found: dict[int, dict[dt.date, str]] = {place.pk: {} for place in locations}
    if not locations:
        return found
    rows = ClosedDay.objects.filter(
        Q(location_id__in=list(found)) | Q(location__isnull=True),
        organization_id=locations[0].organization_id,
        date__gte=first,
        date__lte=last,
    ).values_list("date", "reason", "location_id")
    for day, reason, here in rows:
        for pk in [here] if here is not None else list(found):
            if here is not None or day not in found[pk]:
                found[pk][day] = reason
    return found


def working_intervals(
    practitioner: Practitioner, location: Location, first: dt.date, last: dt.date
) -> list[Interval]:
    """The practitioner's working time at the location on the local days ``first`` to
    ``last``: the weekly hours plus extra hours, minus time off (UTC intervals)."""
    found = working_intervals_at(location, first, last, practitioner_ids=[practitioner.pk])
    return found.get(practitioner.pk, [])


def working_intervals_at(
    location: Location,
    first: dt.date,
    last: dt.date,
    *,
    practitioner_ids: Sequence[int] | None = None,
    closed: dict[dt.date, str] | None = None,
) -> dict[int, list[Interval]]:
    """``working_intervals`` of every practitioner who works at the location (or of those
    named) on the local days ``first`` to ``last``, by practitioner pk, in at most three
    queries (the closed days unless given as ``closed_days_at`` found them, the weekly
    hours, then the exceptions); the location's closed days are taken out whole, and
    those without working time are left out."""
    tz = hours.zone(location.time_zone)
    span = Interval(hours.day_bounds(first, tz).start, hours.day_bounds(last, tz).end)
    if closed is None:
        closed = closed_days_at(location, first, last)
    if len(closed) == (last - first).days + 1:
        return {}  # closed every day of the span: nobody works
    shut = [hours.day_bounds(day, tz) for day in sorted(closed)]
    rows = WorkingHours.objects.filter(location=location)
    if practitioner_ids is not None:
        rows = rows.filter(practitioner_id__in=list(practitioner_ids))
    patterns: dict[int, list[hours.WeeklyHours]] = defaultdict(list)
    for who, weekday, start, end, valid_from, valid_until in rows.values_list(
        "practitioner_id", "weekday", "start_time", "end_time", "valid_from", "valid_until"
    ):
        patterns[who].append(hours.WeeklyHours(weekday, start, end, valid_from, valid_until))
    # Exceptions here and time off anywhere (no location) in the span: few rows, and
    # extra hours here make a practitioner without weekly hours here a candidate too.
    exceptions = AvailabilityException.objects.filter(
        Q(location=location) | Q(location__isnull=True, organization_id=location.organization_id),
        starts_at__lt=span.end,
        ends_at__gt=span.start,
    )
    if practitioner_ids is not None:
        exceptions = exceptions.filter(practitioner_id__in=list(practitioner_ids))
    extra: dict[int, list[Interval]] = defaultdict(list)
    off: dict[int, list[Interval]] = defaultdict(list)
    for who, kind, starts_at, ends_at in exceptions.values_list(
        "practitioner_id", "kind", "starts_at", "ends_at"
    ):
        if kind == AvailabilityException.Kind.EXTRA_HOURS:
            extra[who].append(Interval(max(starts_at, span.start), min(ends_at, span.end)))
        elif kind == AvailabilityException.Kind.TIME_OFF:
            off[who].append(Interval(starts_at, ends_at))
    found: dict[int, list[Interval]] = {}
    for who in [*patterns, *(pk for pk in extra if pk not in patterns)]:
        weekly = hours.working_intervals(patterns.get(who, []), first, last, tz)
        working = subtract([*weekly, *extra.get(who, [])], [*off.get(who, []), *shut])
        if working:
            found[who] = working
    return found


def _overlapping(start: dt.datetime, end: dt.datetime) -> Q:
    """Active appointments whose ``[start, busy_until)`` overlaps ``[start, end)``,
    bounded on both sides of ``start`` so that a ``(…, start)`` index reads only the
    span: none starts more than ``MAX_BUSY_SPAN`` before its ``busy_until``."""
    return Q(
        status__in=Appointment.ACTIVE,
        start__lt=end,
        start__gte=start - MAX_BUSY_SPAN,
        busy_until__gt=start,
    )


def busy_intervals(
    *,
    practitioner: Practitioner | None = None,
    room: Room | None = None,
    start: dt.datetime,
    end: dt.datetime,
    exclude: Sequence[int] = (),
) -> list[Interval]:
    """``[start, busy_until)`` of the active appointments of a practitioner or a room
    (at every location) that overlap ``[start, end)``."""
    found = Appointment.objects.filter(_overlapping(start, end))
    if practitioner is not None:
        found = found.filter(practitioner=practitioner)
    if room is not None:
        found = found.filter(room=room)
    if exclude:
        found = found.exclude(pk__in=list(exclude))
    return [Interval(s, b) for s, b in found.values_list("start", "busy_until")]


def busy_by_practitioner(
    practitioner_ids: Sequence[int], *, start: dt.datetime, end: dt.datetime
) -> dict[int, list[Interval]]:
    """``busy_intervals`` of several practitioners (at every location) in one query."""
    busy: dict[int, list[Interval]] = {pk: [] for pk in practitioner_ids}
    if not busy:
        return busy
    for who, s, until in Appointment.objects.filter(
        _overlapping(start, end), practitioner_id__in=list(busy)
    ).values_list("practitioner_id", "start", "busy_until"):
        busy[who].append(Interval(s, until))
    return busy


def busy_by_room(
    rooms: Sequence[Room], *, start: dt.datetime, end: dt.datetime
) -> dict[int, list[Interval]]:
    """``busy_intervals`` of several rooms in one query, keyed by room pk in the order given."""
    busy: dict[int, list[Interval]] = {r.pk: [] for r in rooms}
    if not busy:
        return busy
    for room_id, s, until in Appointment.objects.filter(
        _overlapping(start, end), room_id__in=list(busy)
    ).values_list("room_id", "start", "busy_until"):
        busy[room_id].append(Interval(s, until))
    return busy


def suitable_rooms(location: Location, appointment_type: AppointmentType) -> list[Room]:
    """The location's active rooms that have every feature the type requires, by name."""
    return _suitable(_active_rooms(location), appointment_type)


def _active_rooms(location: Location) -> list[Room]:
    return list(Room.objects.filter(location=location, active=True).order_by("name", "pk"))


def _suitable(rooms: list[Room], appointment_type: AppointmentType) -> list[Room]:
    required = set(appointment_type.required_features or [])
    if not required or not rooms:
        return rooms
    have: dict[int, set[str]] = {}
    for room_id, feature in RoomFeature.objects.filter(room__in=rooms).values_list(
        "room_id", "feature"
    ):
        have.setdefault(room_id, set()).add(feature)
    return [r for r in rooms if required <= have.get(r.pk, set())]


def eligible_practitioners(
    appointment_type: AppointmentType, organization_id: int
) -> QuerySet[Practitioner]:
    """Active practitioners who may perform the type (all active when none are named)."""
    found = Practitioner.objects.filter(organization_id=organization_id, active=True)
    named = appointment_type.practitioners.all()
    if named.exists():
        found = found.filter(pk__in=named.values("pk"))
    return found.order_by("family_name", "given_name", "pk")


@dataclass(frozen=True)
class OpenSlot:
    practitioner: Practitioner
    room: Room | None
    start: dt.datetime
    end: dt.datetime


def available_slots(
    *,
    location: Location,
    appointment_type: AppointmentType,
    first_day: dt.date,
    days: int = 7,
    practitioner: Practitioner | None = None,
    now: dt.datetime | None = None,
    min_notice: dt.timedelta = dt.timedelta(0),
    horizon: dt.datetime | None = None,
    step: dt.timedelta = DEFAULT_STEP,
) -> list[OpenSlot]:
    """Free slots for one appointment type at a location over ``days`` local days from
    ``first_day``: every eligible practitioner (or the one given) who holds a current
    license there that day, inside working hours, clear of appointments (theirs and the
    room's, buffers included), with a suitable room free when the type needs one.
    Sorted by start, then practitioner.

    A fixed number of queries however many practitioners and days: the eligible
    practitioners, their working hours and exceptions at the location, the licenses of
    those who work there (decided per day in Python by the same rule as
    ``practitioners.services.check_license``), the busy times of all of them at once, and
    the rooms with their busy times."""
    tz = hours.zone(location.time_zone)
    last_day = first_day + dt.timedelta(days=days - 1)
    span = Interval(hours.day_bounds(first_day, tz).start, hours.day_bounds(last_day, tz).end)
    moment = now or timezone.now()
    not_before = max(span.start, moment + min_notice)
    # Working time first: it narrows the organization's practitioners to those who work
    # at the location in the span; then eligibility and licenses for those only.
    working_of = working_intervals_at(
        location,
        first_day,
        last_day,
        practitioner_ids=[practitioner.pk] if practitioner is not None else None,
    )
    if not working_of:
        return []
    candidates = (
        [practitioner]
        if practitioner is not None
        else list(
            eligible_practitioners(appointment_type, location.organization_id).filter(
                pk__in=list(working_of)
            )
        )
    )
    if not candidates:
        return []
    licenses = _licenses_of([p.pk for p in candidates])
    day_list = hours.days(first_day, last_day)
    working_now: dict[int, list[Interval]] = {}
    for who in candidates:
        name = f"{who.given_name} {who.family_name}"
        licensed = {
            day
            for day in day_list
            if license_rules.decide(
                licenses.get(who.pk, []), who=name, jurisdiction=location.jurisdiction, on=day
            ).allowed
        }
        working = [w for w in working_of[who.pk] if hours.local_day(w.start, tz) in licensed]
        if working:
            working_now[who.pk] = working
    candidates = [p for p in candidates if p.pk in working_now]
    if not candidates:
        return []
    rooms: list[Room] = []
    needs_room = False
    if appointment_type.needs_room:
        active_rooms = _active_rooms(location)
        needs_room = bool(active_rooms)  # a location without rooms books practitioners only
        rooms = _suitable(active_rooms, appointment_type)
    all_rooms_busy = busy_by_room(rooms, start=span.start, end=span.end) if needs_room else {}
    busy_of = busy_by_practitioner([p.pk for p in candidates], start=span.start, end=span.end)
    by_id = {r.pk: r for r in rooms}
    found: list[OpenSlot] = []
    for who in candidates:
        slots = find_slots(
            working=working_now[who.pk],
            busy=busy_of[who.pk],
            duration=appointment_type.duration,
            buffer=appointment_type.buffer,
            step=step,
            not_before=not_before,
            horizon=min(horizon, span.end) if horizon is not None else span.end,
            rooms=all_rooms_busy if needs_room else None,
        )
        found.extend(
            OpenSlot(who, by_id.get(s.room) if isinstance(s.room, int) else None, s.start, s.end)
            for s in slots
        )
    return sorted(found, key=lambda s: (s.start, s.practitioner.family_name, s.practitioner.pk))


def _licenses_of(practitioner_ids: Sequence[int]) -> dict[int, list[License]]:
    """Every license of the practitioners in one query, in the order
    ``practitioner.licenses.all()`` gives them (what ``check_license`` decides on)."""
    found: dict[int, list[License]] = defaultdict(list)
    for lic in License.objects.filter(practitioner_id__in=list(practitioner_ids)):
        found[lic.practitioner_id].append(lic)
    return found


# --- the business page's figures (read by billing.business) --------------------------------
# Each is aggregated in the database over ``[start, end)``, the period's UTC bounds, for
# appointments that *start* in it; the caller has checked the actor may see the figures.

#: Statuses that held the practitioner's and the room's time (a no-show held it too).
HELD: tuple[str, ...] = (*Appointment.ACTIVE, Appointment.Status.NOSHOW)


def _in_period(
    actor: User, start: dt.datetime, end: dt.datetime, location: Location | None
) -> QuerySet[Appointment]:
    found = Appointment.objects.filter(
        organization_id=tenant_id(actor), start__gte=start, start__lt=end
    )
    return found.filter(location=location) if location is not None else found


def appointment_outcomes(
    actor: User,
    *,
    start: dt.datetime,
    end: dt.datetime,
    location: Location | None = None,
) -> dict[str, int]:
    """Counts of the period's appointments: ``fulfilled``, ``noshow``, ``cancelled`` and
    ``late_cancelled`` (cancelled less than the location's cancellation notice before the
    start: its online booking setting ``cancel_notice_hours``, else
    ``DEFAULT_CANCEL_NOTICE_HOURS``), in two queries."""
    notice_hours = dict(
        OnlineBookingSettings.objects.filter(organization_id=tenant_id(actor)).values_list(
            "location_id", "cancel_notice_hours"
        )
    )
    default_notice_hours = DEFAULT_CANCEL_NOTICE_HOURS
    late = Q()
    for location_id, hours_ in notice_hours.items():
        late |= Q(
            location_id=location_id,
            cancelled_at__gt=F("start") - dt.timedelta(hours=hours_),
        )
    late |= ~Q(location_id__in=list(notice_hours)) & Q(
        cancelled_at__gt=F("start") - dt.timedelta(hours=default_notice_hours)
    )
    cancelled = Q(status=Appointment.Status.CANCELLED)
    return _in_period(actor, start, end, location).aggregate(
        fulfilled=Count("pk", filter=Q(status=Appointment.Status.FULFILLED)),
        noshow=Count("pk", filter=Q(status=Appointment.Status.NOSHOW)),
        cancelled=Count("pk", filter=cancelled),
        late_cancelled=Count("pk", filter=cancelled & late),
    )


_LENGTH = ExpressionWrapper(F("end") - F("start"), output_field=DurationField())


def booked_minutes(
    actor: User,
    *,
    by: str,
    start: dt.datetime,
    end: dt.datetime,
    location: Location | None = None,
) -> dict[int, int]:
    """Minutes of appointments that held time (``HELD``), by ``practitioner_id`` or
    ``room_id`` (``by``), in one grouped query."""
    assert by in ("practitioner_id", "room_id")
    rows = (
        _in_period(actor, start, end, location)
        .filter(status__in=HELD, **{f"{by}__isnull": False})
        .values(by)
        .annotate(length=Sum(_LENGTH))
        .order_by()
    )
    return {row[by]: _minutes(row["length"]) for row in rows}


def _minutes(length: dt.timedelta | int | None) -> int:
    if length is None:
        return 0
    if isinstance(length, int):  # a backend without a duration type: microseconds
        return length // 60_000_000
    return int(length.total_seconds()) // 60


def working_minutes(
    actor: User, *, first: dt.date, last: dt.date, location: Location | None = None
) -> tuple[dict[int, int], dict[int, int]]:
    """Working minutes (weekly hours plus extra hours, minus time off and the locations'
    closed days) from ``first`` to ``last``: by practitioner pk, and the minutes each
    location is open (anyone works there), by location pk. Two queries per location and
    one for every location's closed days."""
    places = [location] if location is not None else list(locations_for(actor))
    closed = closed_days_of(places, first, last)
    by_practitioner: dict[int, int] = defaultdict(int)
    open_minutes: dict[int, int] = {}
    for place in places:
        found = working_intervals_at(place, first, last, closed=closed[place.pk])
        for who, intervals in found.items():
            by_practitioner[who] += sum(_span(i) for i in intervals)
        open_minutes[place.pk] = sum(_span(i) for i in merge(i for v in found.values() for i in v))
    return dict(by_practitioner), open_minutes


def _span(interval: Interval) -> int:
    return int((interval.end - interval.start).total_seconds()) // 60


# --- audited reads ---------------------------------------------------------------------
# ``scheduling.services`` re-exports this: it writes only the audit entry of a read.


def audit_schedule_read(
    *, actor: User, what: str, patient_ids: Sequence[str], detail: dict[str, Any] | None = None
) -> None:
    """One audit entry for a read of the schedule (which names patients): what was read,
    the filters, and the public ids of the patients shown (or the one patient's id)."""
    record(
        actor=actor,
        action=Action.READ,
        object_type=what,
        patient_id=patient_ids[0] if len(set(patient_ids)) == 1 else "",
        detail={**(detail or {}), "patients": sorted(set(patient_ids))},
    )
