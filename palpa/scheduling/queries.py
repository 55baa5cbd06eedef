"""The schedule as the actor may see it, and the data the slot finder works on.

Every staff role of the organization sees the schedule (billers too, read-only); owners,
therapists and the front desk book and change it. Other organizations see nothing.

``available_slots`` feeds the pure slot finder (``palpa.scheduling.slots``) from the
database for one appointment type across a location; the calendar, online booking and
the benchmark use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from palpa.accounts.models import Location, Room, User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import check_license
from palpa.scheduling import hours
from palpa.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    RoomFeature,
    WaitlistEntry,
    WorkingHours,
)
from palpa.scheduling.slots import Interval, find_slots, subtract

DEFAULT_STEP = dt.timedelta(minutes=15)


def may_see_schedule(actor: User) -> bool:
    return has_capability(actor, Capability.VIEW_DEMOGRAPHICS)


def may_book(actor: User) -> bool:
    return has_capability(actor, Capability.EDIT_DEMOGRAPHICS)


def may_override(actor: User) -> bool:
    return has_capability(actor, Capability.MANAGE_ORGANIZATION)


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
        found = found.filter(end__gt=start)
    if end is not None:
        found = found.filter(start__lt=end)
    if statuses is not None:
        found = found.filter(status__in=list(statuses))
    return found.select_related(
        "patient", "practitioner", "room", "appointment_type", "location", "booked_by"
    ).order_by("start", "pk")


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


# --- what the slot finder works on ------------------------------------------------------


def working_intervals(
    practitioner: Practitioner, location: Location, first: dt.date, last: dt.date
) -> list[Interval]:
    """The practitioner's working time at the location on the local days ``first`` to
    ``last``: the weekly hours plus extra hours, minus time off (UTC intervals)."""
    tz = hours.zone(location.time_zone)
    pattern = [
        hours.WeeklyHours(
            row.weekday, row.start_time, row.end_time, row.valid_from, row.valid_until
        )
        for row in WorkingHours.objects.filter(practitioner=practitioner, location=location)
    ]
    span = Interval(hours.day_bounds(first, tz).start, hours.day_bounds(last, tz).end)
    weekly = hours.working_intervals(pattern, first, last, tz)
    exceptions = AvailabilityException.objects.filter(
        practitioner=practitioner, starts_at__lt=span.end, ends_at__gt=span.start
    ).filter(Q(location=location) | Q(location__isnull=True))
    extra = [
        Interval(max(e.starts_at, span.start), min(e.ends_at, span.end))
        for e in exceptions
        if e.kind == AvailabilityException.Kind.EXTRA_HOURS
    ]
    off = [
        Interval(e.starts_at, e.ends_at)
        for e in exceptions
        if e.kind == AvailabilityException.Kind.TIME_OFF
    ]
    return subtract([*weekly, *extra], off)


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
    found = Appointment.objects.filter(
        status__in=Appointment.ACTIVE, start__lt=end, busy_until__gt=start
    )
    if practitioner is not None:
        found = found.filter(practitioner=practitioner)
    if room is not None:
        found = found.filter(room=room)
    if exclude:
        found = found.exclude(pk__in=list(exclude))
    return [Interval(s, b) for s, b in found.values_list("start", "busy_until")]


def suitable_rooms(location: Location, appointment_type: AppointmentType) -> list[Room]:
    """The location's active rooms that have every feature the type requires, by name."""
    rooms = list(Room.objects.filter(location=location, active=True).order_by("name", "pk"))
    required = set(appointment_type.required_features or [])
    if not required:
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
    Sorted by start, then practitioner."""
    tz = hours.zone(location.time_zone)
    last_day = first_day + dt.timedelta(days=days - 1)
    span = Interval(hours.day_bounds(first_day, tz).start, hours.day_bounds(last_day, tz).end)
    moment = now or timezone.now()
    not_before = max(span.start, moment + min_notice)
    practitioners = (
        [practitioner]
        if practitioner is not None
        else list(eligible_practitioners(appointment_type, location.organization_id))
    )
    prefetch_related_objects(practitioners, "licenses")  # one query, not one per day
    rooms = suitable_rooms(location, appointment_type) if appointment_type.needs_room else []
    all_rooms_busy = _room_busy(rooms, span)
    needs_room = appointment_type.needs_room and _location_has_rooms(location)
    found: list[OpenSlot] = []
    for who in practitioners:
        licensed = [
            day
            for day in hours.days(first_day, last_day)
            if check_license(who, jurisdiction=location.jurisdiction, on=day).allowed
        ]
        if not licensed:
            continue
        working = [
            w
            for w in working_intervals(who, location, first_day, last_day)
            if hours.local_day(w.start, tz) in licensed
        ]
        if not working:
            continue
        busy = busy_intervals(practitioner=who, start=span.start, end=span.end)
        slots = find_slots(
            working=working,
            busy=busy,
            duration=appointment_type.duration,
            buffer=appointment_type.buffer,
            step=step,
            not_before=not_before,
            horizon=min(horizon, span.end) if horizon is not None else span.end,
            rooms=all_rooms_busy if needs_room else None,
        )
        by_id = {r.pk: r for r in rooms}
        found.extend(
            OpenSlot(who, by_id.get(s.room) if isinstance(s.room, int) else None, s.start, s.end)
            for s in slots
        )
    return sorted(found, key=lambda s: (s.start, s.practitioner.family_name, s.practitioner.pk))


def _location_has_rooms(location: Location) -> bool:
    return Room.objects.filter(location=location, active=True).exists()


def _room_busy(rooms: Sequence[Room], span: Interval) -> dict[int, list[Interval]]:
    busy: dict[int, list[Interval]] = {r.pk: [] for r in rooms}
    for room_id, start, until in Appointment.objects.filter(
        room__in=list(rooms),
        status__in=Appointment.ACTIVE,
        start__lt=span.end,
        busy_until__gt=span.start,
    ).values_list("room_id", "start", "busy_until"):
        busy[room_id].append(Interval(start, until))
    return busy
