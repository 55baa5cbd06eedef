"""The only code that writes appointments, the waitlist and its offers.

Every booking (staff or online, single or a course) passes the same rules, in order:

1. the patient, practitioner, type, location and room belong to one organization and
   are active; the practitioner may perform the type; the room is at the location and
   has the features the type requires (a free suitable room is chosen when none is given);
2. the practitioner holds a current license for the location's jurisdiction on the
   appointment's local date (``practitioners.services.require_current_license``);
3. the appointment lies inside the practitioner's working hours at the location, outside
   time off; staff may book outside hours by giving ``outside_hours_reason`` (stored and
   audited); online booking never may;
4. a patient whose screening decision is STOP may be booked only for an evaluation; the
   decision at booking is stored on the appointment (``screening_decision``);
5. neither the practitioner nor the room is busy, buffers included: refused with
   ``SlotTaken`` (409, code ``slot_taken``), and on PostgreSQL guaranteed by exclusion
   constraints even for concurrent requests;
6. for types that count as visits, the referral must cover every planned visit: the new
   ones plus the patient's booked and arrived appointments not yet counted
   (``referrals.services.require_authorization``); an owner may override with a reason.

Each service takes keyword arguments with ``actor`` first, checks role and organization,
runs in one transaction and leaves an audit entry per appointment written.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from palpa.accounts.models import Location, Room, User
from palpa.accounts.permissions import Capability, require, tenant_id
from palpa.audit.services import Action, record
from palpa.core import events
from palpa.core.errors import Refused
from palpa.core.tenancy import require_same_organization
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import require_current_license
from palpa.referrals.models import ReferralOverride
from palpa.referrals.services import require_authorization
from palpa.scheduling import alternatives, hours, queries
from palpa.scheduling.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    AppointmentStatusChanged,
    WaitlistSlotOffered,
)
from palpa.scheduling.flags import Flag
from palpa.scheduling.models import (
    PRACTITIONER_EXCLUSION,
    ROOM_EXCLUSION,
    Appointment,
    AppointmentType,
    AvailabilityException,
    ClosedDay,
    RoomFeature,
    WaitlistEntry,
    WaitlistOffer,
    WorkingHours,
)
from palpa.scheduling.slots import Interval
from palpa.screening.queries import screening_status

MIN_REASON = 10
MAX_COURSE_APPOINTMENTS = 60
ONLINE_MIN_NOTICE = dt.timedelta(hours=2)
Status = Appointment.Status


class SlotTaken(Refused):
    """The practitioner or the room is already booked then (409, code ``slot_taken``)."""

    code = "slot_taken"


class OutsideHours(Refused):
    code = "outside_hours"


class ScreeningStop(Refused):
    code = "screening_stop"


class NotAllowedNow(Refused):
    """The appointment's status does not allow this change (e.g. cancelling a no-show)."""

    code = "appointment_status"


class CourseConflicts(Refused):
    code = "course_conflicts"

    def __init__(self, preview: CoursePreview) -> None:
        lines = [f"{c.start.isoformat()}: {'; '.join(c.problems)}" for c in preview.conflicts]
        lines += preview.problems
        super().__init__(
            "The course was not booked; nothing was saved. Conflicts: " + " | ".join(lines)
        )
        self.preview = preview


# --- helpers --------------------------------------------------------------------------


def _utc(value: dt.datetime, name: str) -> dt.datetime:
    if timezone.is_naive(value):
        raise ValidationError({name: "Give the time with its UTC offset (e.g. ...T14:00:00Z)."})
    return value.astimezone(dt.UTC)


def _reason(value: str, name: str, minimum: int = MIN_REASON) -> str:
    text = (value or "").strip()
    if len(text) < minimum:
        raise ValidationError({name: f"Give the reason in words (at least {minimum} characters)."})
    return text[:300]


@dataclass
class _Request:
    """One appointment to check: who, what, where, when."""

    patient: Patient
    practitioner: Practitioner
    location: Location
    appointment_type: AppointmentType
    start: dt.datetime
    room: Room | None = None
    exclude: tuple[int, ...] = ()

    @property
    def end(self) -> dt.datetime:
        return self.start + self.appointment_type.duration

    @property
    def busy_until(self) -> dt.datetime:
        return self.end + self.appointment_type.buffer

    @property
    def blocked(self) -> Interval:
        return Interval(self.start, self.busy_until)

    @property
    def local_date(self) -> dt.date:
        return hours.local_day(self.start, hours.zone(self.location.time_zone))


def _check_parties(req: _Request) -> None:
    """Rule 1 (apart from choosing the room)."""
    require_same_organization(
        req.location, req.patient, req.practitioner, req.appointment_type, req.room
    )
    errors: dict[str, str] = {}
    if req.patient.status != Patient.Status.ACTIVE:
        errors["patient"] = f"The patient's record is {req.patient.get_status_display().lower()}."
    if not req.practitioner.active:
        errors["practitioner"] = "This practitioner is no longer active."
    elif not _may_perform(req.practitioner, req.appointment_type):
        errors["practitioner"] = (
            f"{req.practitioner} does not perform {req.appointment_type.name}; "
            "choose one of the practitioners named on the appointment type."
        )
    if not req.appointment_type.active:
        errors["appointment_type"] = "This appointment type is no longer offered."
    if not req.location.active:
        errors["location"] = "This location is closed."
    if req.room is not None:
        if req.room.location_id != req.location.pk:
            errors["room"] = f"The room {req.room.name} is not at {req.location.name}."
        elif not req.room.active:
            errors["room"] = f"The room {req.room.name} is out of use."
        elif req.room not in queries.suitable_rooms(req.location, req.appointment_type):
            needed = ", ".join(req.appointment_type.required_features)
            errors["room"] = f"The room {req.room.name} lacks what the type needs: {needed}."
    if errors:
        raise ValidationError(errors)


def _may_perform(practitioner: Practitioner, appointment_type: AppointmentType) -> bool:
    named = appointment_type.practitioners.all()
    return not named.exists() or named.filter(pk=practitioner.pk).exists()


def _check_license(req: _Request) -> None:
    require_current_license(req.practitioner, location=req.location, on=req.local_date)


def _inside_hours(req: _Request) -> bool:
    day = req.local_date
    working = queries.working_intervals(
        req.practitioner, req.location, day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    )
    wanted = Interval(req.start, req.end)
    return any(w.contains(wanted) for w in working)


def _check_hours(req: _Request, *, outside_hours_reason: str, online: bool) -> str:
    """Rule 3; returns the reason stored when booked outside hours."""
    if _inside_hours(req):
        return ""
    tz = hours.zone(req.location.time_zone)
    local = req.start.astimezone(tz)
    closed = queries.closed_days_at(
        req.location, hours.local_day(req.start, tz), hours.local_day(req.end, tz)
    )
    if closed:
        day, why = min(closed.items())
        message = f"{req.location.name} is closed on {day:%A %d %B %Y} ({why})."
    else:
        message = (
            f"{req.practitioner} does not work at {req.location.name} at "
            f"{local:%Y-%m-%d %H:%M} ({req.location.time_zone}) for "
            f"{req.appointment_type.duration_minutes} minutes "
            "(outside working hours or time off)."
        )
    if online:
        raise OutsideHours(message)
    if not (outside_hours_reason or "").strip():
        raise OutsideHours(message + " Staff may book it anyway by giving a reason.")
    return _reason(outside_hours_reason, "outside_hours_reason")


def _check_screening(req: _Request) -> str:
    """Rule 4; returns the decision stored on the appointment."""
    status = screening_status(req.patient, on=req.local_date)
    decision = status.effective_decision or ""
    if decision == "STOP" and req.appointment_type.kind != AppointmentType.Kind.EVALUATION:
        raise ScreeningStop(
            "The patient's screening says STOP: only an evaluation may be booked until a "
            "physician's clearance or a new screening changes that."
        )
    return decision


def _check_free(req: _Request, planned: Sequence[_Request] = ()) -> None:
    """Rule 5 as a query (the constraint on PostgreSQL is the guarantee)."""
    _check_practitioner_free(req, planned)
    if req.room is not None:
        busy = queries.busy_intervals(
            room=req.room, start=req.start, end=req.busy_until, exclude=req.exclude
        )
        busy += [p.blocked for p in planned if p.room is not None and p.room.pk == req.room.pk]
        if any(b.overlaps(req.blocked) for b in busy):
            raise SlotTaken(
                f"The room {req.room.name} is already booked then: the slot was just taken. "
                "Choose another time or room."
            )


def _check_practitioner_free(req: _Request, planned: Sequence[_Request] = ()) -> None:
    busy = queries.busy_intervals(
        practitioner=req.practitioner, start=req.start, end=req.busy_until, exclude=req.exclude
    )
    busy += [p.blocked for p in planned if p.practitioner.pk == req.practitioner.pk]
    if any(b.overlaps(req.blocked) for b in busy):
        raise SlotTaken(
            f"{req.practitioner} is already booked then (buffers included): the slot was "
            "just taken. Choose another time."
        )


def _choose_room(req: _Request, planned: Sequence[_Request] = ()) -> None:
    """A free suitable room for the request when it needs one and none was given."""
    _check_practitioner_free(req, planned)
    if req.room is not None or not req.appointment_type.needs_room:
        return
    if not Room.objects.filter(location=req.location, active=True).exists():
        return  # a location without rooms books practitioners only
    rooms = queries.suitable_rooms(req.location, req.appointment_type)
    if not rooms:
        needed = ", ".join(req.appointment_type.required_features)
        raise ValidationError({"room": f"No room at {req.location.name} has {needed}."})
    for room in rooms:
        busy = queries.busy_intervals(
            room=room, start=req.start, end=req.busy_until, exclude=req.exclude
        )
        busy += [p.blocked for p in planned if p.room is not None and p.room.pk == room.pk]
        if not any(b.overlaps(req.blocked) for b in busy):
            req.room = room
            return
    raise SlotTaken(f"No suitable room at {req.location.name} is free then. Choose another time.")


def _planned_visits(patient: Patient, new: Sequence[_Request], exclude: Sequence[int]) -> int:
    """Visits the referral must cover: the patient's booked or arrived appointments of
    types that count (not yet counted: a visit is counted when its note is signed) plus
    the new ones."""
    existing = (
        Appointment.objects.filter(
            patient=patient,
            status__in=[Status.BOOKED, Status.ARRIVED],
            appointment_type__counts_as_visit=True,
        )
        .exclude(pk__in=list(exclude))
        .count()
    )
    return existing + sum(1 for r in new if r.appointment_type.counts_as_visit)


def _last_planned_day(patient: Patient, new: Sequence[_Request], exclude: Sequence[int]) -> dt.date:
    days = [r.local_date for r in new]
    later = (
        Appointment.objects.filter(
            patient=patient,
            status__in=[Status.BOOKED, Status.ARRIVED],
            appointment_type__counts_as_visit=True,
        )
        .exclude(pk__in=list(exclude))
        .select_related("location")
        .order_by("-start")
        .first()
    )
    if later is not None:
        days.append(hours.local_day(later.start, hours.zone(later.location.time_zone)))
    return max(days)


def _check_referral(
    actor: User | None, new: Sequence[_Request], override_reason: str, exclude: Sequence[int]
) -> ReferralOverride | None:
    """Rule 6, for all of ``new`` at once."""
    counted = [r for r in new if r.appointment_type.counts_as_visit]
    if not counted:
        return None
    patient = counted[0].patient
    if actor is None and override_reason:
        raise PermissionDenied("Online booking cannot override a referral.")
    return require_authorization(
        # Online (actor None) passes no override reason, so the actor is never used.
        actor=cast(User, actor),
        patient=patient,
        visits_planned=_planned_visits(patient, counted, exclude),
        ends_on=_last_planned_day(patient, counted, exclude),
        override_reason=override_reason,
        on=min(r.local_date for r in counted),
    )


SLOT_JUST_TAKEN = (
    "Someone booked this slot a moment ago: the slot was just taken. Choose another time."
)
DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE


def _save(appointment: Appointment) -> None:
    """Save; an exclusion violation (a concurrent booking won) becomes ``SlotTaken``.

    Two bookings of one slot inserted at the same moment can each wait on the other's
    exclusion check (practitioner and room); PostgreSQL then aborts one with a deadlock.
    Only conflicting rows wait on each other, so that one lost the slot too: the
    savepoint is rolled back and it becomes ``SlotTaken`` like a violation."""
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "")
        if constraint in (PRACTITIONER_EXCLUSION, ROOM_EXCLUSION):
            raise SlotTaken(SLOT_JUST_TAKEN) from exc
        raise
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", "") == DEADLOCK_DETECTED:
            raise SlotTaken(SLOT_JUST_TAKEN) from exc
        raise


def _detail(a: Appointment, **extra: Any) -> dict[str, Any]:
    return {
        "start": a.start.isoformat(),
        "end": a.end.isoformat(),
        "practitioner": str(a.practitioner.public_id),
        "room": str(a.room.public_id) if a.room is not None else None,
        "location": str(a.location.public_id),
        "type": a.appointment_type.code,
        "status": a.status,
        **extra,
    }


def _audit(actor: User | None, action: str, a: Appointment, **extra: Any) -> None:
    record(
        actor=actor,
        action=action,
        organization=a.location.organization,
        obj=a,
        patient_id=str(a.patient.public_id),
        detail=_detail(a, **extra),
        actor_label="" if actor is not None else "online booking",
    )


# --- booking --------------------------------------------------------------------------


def _book(
    actor: User | None,
    req: _Request,
    *,
    source: str,
    outside_hours_reason: str,
    override_reason: str,
    notes: str,
    series: uuid.UUID | None = None,
) -> Appointment:
    online = source == Appointment.Source.ONLINE
    req.start = _utc(req.start, "start")
    with transaction.atomic():  # IMMEDIATE on SQLite: writers queue here
        _check_parties(req)
        _check_license(req)
        reason = _check_hours(req, outside_hours_reason=outside_hours_reason, online=online)
        decision = _check_screening(req)
        _choose_room(req)
        _check_free(req)
        override = _check_referral(actor, [req], override_reason, req.exclude)
        appointment = Appointment(
            organization_id=req.location.organization_id,
            location=req.location,
            practitioner=req.practitioner,
            room=req.room,
            patient=req.patient,
            appointment_type=req.appointment_type,
            start=req.start,
            end=req.end,
            busy_until=req.busy_until,
            status=Status.BOOKED,
            source=source,
            booked_by=actor,
            series=series,
            notes=(notes or "").strip()[:500],
            screening_decision=decision,
            outside_hours_reason=reason,
            referral_override=override,
        )
        _save(appointment)
        _audit(actor, Action.CREATE, appointment, source=source, outside_hours_reason=reason)
        events.publish(AppointmentBooked(appointment.pk, appointment.public_id))
    return appointment


def book_appointment(
    *,
    actor: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    room: Room | None = None,
    outside_hours_reason: str = "",
    override_reason: str = "",
    notes: str = "",
) -> Appointment:
    """Book one appointment as staff (the rules are in the module text). ``room`` None
    picks the first free suitable room; ``override_reason`` is an owner's referral
    override; ``outside_hours_reason`` books outside working hours."""
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, location)
    req = _Request(patient, practitioner, location, appointment_type, start, room)
    return _book(
        actor,
        req,
        source=Appointment.Source.STAFF,
        outside_hours_reason=outside_hours_reason,
        override_reason=override_reason,
        notes=notes,
    )


def book_online_appointment(
    *,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    notes: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """A patient books themself (no staff actor): the type must be online-bookable, the
    slot inside working hours, at least ``ONLINE_MIN_NOTICE`` ahead; no overrides."""
    if not appointment_type.online_bookable:
        raise ValidationError({"appointment_type": "This appointment type is not bookable online."})
    moment = now or timezone.now()
    if _utc(start, "start") < moment + ONLINE_MIN_NOTICE:
        hours_ahead = int(ONLINE_MIN_NOTICE.total_seconds() // 3600)
        raise ValidationError(
            {"start": f"Online bookings start at least {hours_ahead} hours from now."}
        )
    require_same_organization(location, patient)
    req = _Request(patient, practitioner, location, appointment_type, start)
    return _book(
        None,
        req,
        source=Appointment.Source.ONLINE,
        outside_hours_reason="",
        override_reason="",
        notes=notes,
    )


def reschedule_appointment(
    *,
    actor: User,
    appointment: Appointment,
    start: dt.datetime,
    practitioner: Practitioner | None = None,
    room: Room | None = None,
    outside_hours_reason: str = "",
    override_reason: str = "",
) -> Appointment:
    """Move a booked appointment (and optionally to another practitioner or room); every
    booking rule is checked again, the old time is freed only if the new one is taken."""
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, appointment)
    with transaction.atomic():
        current = Appointment.objects.select_related(
            "location__organization", "patient", "practitioner", "appointment_type", "room"
        ).get(pk=appointment.pk)
        if current.status != Status.BOOKED:
            raise NotAllowedNow(
                "Only a booked appointment can be moved; this one is "
                f"{current.get_status_display().lower()}."
            )
        before = {
            "start": current.start.isoformat(),
            "practitioner": str(current.practitioner.public_id),
        }
        req = _Request(
            current.patient,
            practitioner or current.practitioner,
            current.location,
            current.appointment_type,
            _utc(start, "start"),
            room if room is not None else (current.room if practitioner is None else None),
            exclude=(current.pk,),
        )
        if room is None and practitioner is None and current.room is not None:
            req.room = current.room
            try:
                _check_free(req)
            except SlotTaken:
                req.room = None  # the same room is taken then: look for another
        _check_parties(req)
        _check_license(req)
        reason = _check_hours(req, outside_hours_reason=outside_hours_reason, online=False)
        decision = _check_screening(req)
        _choose_room(req)
        _check_free(req)
        override = _check_referral(actor, [req], override_reason, req.exclude)
        current.practitioner = req.practitioner
        current.room = req.room
        current.start = req.start
        current.end = req.end
        current.busy_until = req.busy_until
        current.screening_decision = decision
        current.outside_hours_reason = reason
        current.referral_override = override or current.referral_override
        _save(current)
        _audit(actor, Action.UPDATE, current, moved_from=before, outside_hours_reason=reason)
        events.publish(AppointmentRescheduled(current.pk, current.public_id))
    appointment.refresh_from_db()
    return current


def cancel_appointment(
    *, actor: User | None, appointment: Appointment, reason: str, offer_to_waitlist: bool = True
) -> Appointment:
    """Cancel a booked or arrived appointment (reason required). The freed slot is
    offered to the next fitting waitlist patient when it is still ahead.
    ``actor`` None is the patient cancelling online."""
    if actor is not None:
        require(actor, Capability.SCHEDULE_BOOK)
        require_same_organization(actor, appointment)
    text = _reason(reason, "reason", minimum=3)
    with transaction.atomic():
        current = _locked(appointment)
        if current.status not in (Status.BOOKED, Status.ARRIVED):
            raise NotAllowedNow(
                f"This appointment is {current.get_status_display().lower()}: "
                "it cannot be cancelled."
            )
        current.status = Status.CANCELLED
        current.cancel_reason = text
        current.cancelled_at = timezone.now()
        current.cancelled_by = actor
        current.save(
            update_fields=["status", "cancel_reason", "cancelled_at", "cancelled_by", "updated_at"]
        )
        _audit(actor, Action.UPDATE, current, cancel_reason=text)
        events.publish(AppointmentCancelled(current.pk, current.public_id))
        if offer_to_waitlist and current.start > timezone.now():
            offer_freed_slot(actor=actor, appointment=current)
    appointment.refresh_from_db()
    return current


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related(
            "location__organization", "patient", "practitioner", "appointment_type", "room"
        )
        .get(pk=appointment.pk)
    )


def _set_status(
    actor: User, appointment: Appointment, to: str, allowed_from: Sequence[str], **extra: Any
) -> Appointment:
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, appointment)
    with transaction.atomic():
        current = _locked(appointment)
        if current.status not in allowed_from:
            label = dict(Status.choices)[to].lower()
            raise NotAllowedNow(
                f"This appointment is {current.get_status_display().lower()}: it cannot be "
                f"marked {label}."
            )
        now = timezone.now()
        tz = hours.zone(current.location.time_zone)
        if to == Status.ARRIVED and hours.local_day(current.start, tz) > hours.local_day(now, tz):
            raise NotAllowedNow("A patient can arrive only on the appointment's day.")
        if to in (Status.NOSHOW, Status.FULFILLED) and current.start > now:
            raise NotAllowedNow("The appointment has not started yet.")
        before = current.status
        current.status = to
        fields = ["status", "updated_at"]
        if to == Status.ARRIVED:
            current.arrived_at = now
            fields.append("arrived_at")
        current.save(update_fields=fields)
        _audit(actor, Action.UPDATE, current, status_from=before, **extra)
        events.publish(AppointmentStatusChanged(current.pk, current.public_id, to))
    appointment.refresh_from_db()
    return current


def mark_arrived(*, actor: User, appointment: Appointment) -> Appointment:
    return _set_status(actor, appointment, Status.ARRIVED, [Status.BOOKED])


def mark_no_show(*, actor: User, appointment: Appointment) -> Appointment:
    return _set_status(actor, appointment, Status.NOSHOW, [Status.BOOKED])


def mark_fulfilled(*, actor: User, appointment: Appointment) -> Appointment:
    """The visit took place (care calls this when the treatment note is signed)."""
    return _set_status(actor, appointment, Status.FULFILLED, [Status.BOOKED, Status.ARRIVED])


# --- recurring courses ----------------------------------------------------------------


@dataclass(frozen=True)
class CourseTime:
    weekday: int  # 0 Monday … 6 Sunday
    at: dt.time  # local wall-clock time at the location


@dataclass
class CourseCandidate:
    start: dt.datetime
    end: dt.datetime
    room: Room | None
    problems: list[str] = field(default_factory=list)
    # The start the course asked for, when this visit was moved to an alternative.
    original: dt.datetime | None = None
    # For a conflict: the nearest free starts (alternatives.nearest), nearest first.
    alternatives: list[dt.datetime] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class CoursePreview:
    candidates: list[CourseCandidate]
    problems: list[str]  # for the course as a whole (e.g. the referral)

    @property
    def conflicts(self) -> list[CourseCandidate]:
        return [c for c in self.candidates if not c.ok]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.conflicts


def course_starts(
    *, first_day: dt.date, weeks: int, times: Sequence[CourseTime], time_zone: str
) -> list[dt.datetime]:
    """UTC starts of a course: each of ``times`` in each of ``weeks`` weeks from
    ``first_day`` (the first week is the seven days from ``first_day``), sorted."""
    tz = hours.zone(time_zone)
    starts = []
    for week in range(weeks):
        for t in times:
            offset = (t.weekday - first_day.weekday()) % 7
            day = first_day + dt.timedelta(days=week * 7 + offset)
            starts.append(hours.to_utc(day, t.at, tz))
    return sorted(set(starts))


def _course_requests(
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    first_day: dt.date,
    weeks: int,
    times: Sequence[CourseTime],
    room: Room | None,
    replace: Mapping[dt.datetime, dt.datetime] | None = None,
) -> list[_Request]:
    errors: dict[str, str] = {}
    if not 1 <= weeks <= 52:
        errors["weeks"] = "Give between 1 and 52 weeks."
    if not times:
        errors["times"] = "Give at least one weekday and time."
    elif any(not 0 <= t.weekday <= 6 for t in times):
        errors["times"] = "Weekdays run from 0 (Monday) to 6 (Sunday)."
    elif len(times) * weeks > MAX_COURSE_APPOINTMENTS:
        errors["times"] = f"A course books at most {MAX_COURSE_APPOINTMENTS} appointments."
    if errors:
        raise ValidationError(errors)
    starts = course_starts(
        first_day=first_day, weeks=weeks, times=times, time_zone=location.time_zone
    )
    if replace:  # visits moved to a chosen alternative (a start given twice counts once)
        starts = sorted({_utc(replace.get(s, s), "start") for s in starts})
    return [_Request(patient, practitioner, location, appointment_type, s, room) for s in starts]


def _with_alternatives(
    preview: CoursePreview,
    requests: Sequence[_Request],
    replace: Mapping[dt.datetime, dt.datetime] | None,
) -> CoursePreview:
    """Each conflict's nearest free starts with the same practitioner (same day first,
    then the nearest days, three days either side), clear of the other visits; and each
    moved visit's original start."""
    originals = {new: old for old, new in (replace or {}).items()}
    for c in preview.candidates:
        c.original = originals.get(c.start)
    conflicts = preview.conflicts
    if not conflicts:
        return preview
    req = requests[0]
    tz = hours.zone(req.location.time_zone)
    days = [hours.local_day(c.start, tz) for c in conflicts]
    first = min(days) - dt.timedelta(days=3)
    free = [
        s.start
        for s in queries.available_slots(
            location=req.location,
            appointment_type=req.appointment_type,
            first_day=first,
            days=(max(days) - first).days + 4,
            practitioner=req.practitioner,
        )
    ]
    length = req.appointment_type.duration + req.appointment_type.buffer
    kept = [Interval(c.start, c.start + length) for c in preview.candidates if c.ok]
    for c in conflicts:
        c.alternatives = alternatives.nearest(c.start, free, tz=tz, length=length, avoid=kept)
    return preview


def _preview(
    actor: User, requests: list[_Request], *, outside_hours_reason: str, override_reason: str
) -> CoursePreview:
    candidates: list[CourseCandidate] = []
    accepted: list[_Request] = []
    _check_parties(requests[0])
    for req in requests:
        problems: list[str] = []
        for check in (
            _check_license,
            lambda r: _check_hours(r, outside_hours_reason=outside_hours_reason, online=False),
            _check_screening,
            lambda r: _choose_room(r, accepted),
            lambda r: _check_free(r, accepted),
        ):
            try:
                check(req)
            except (Refused, ValidationError) as exc:
                problems.append(_message(exc))
                break
        if not problems:
            accepted.append(req)
        candidates.append(CourseCandidate(req.start, req.end, req.room, problems))
    course_problems: list[str] = []
    if not override_reason:
        try:
            _check_referral(actor, requests, "", ())
        except (Refused, ValidationError) as exc:
            course_problems.append(_message(exc))
    return CoursePreview(candidates, course_problems)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def preview_course(
    *,
    actor: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    first_day: dt.date,
    weeks: int,
    times: Sequence[CourseTime],
    room: Room | None = None,
    outside_hours_reason: str = "",
    replace: Mapping[dt.datetime, dt.datetime] | None = None,
) -> CoursePreview:
    """Every appointment a course would book, each with its conflicts and, for a
    conflict, the nearest free alternatives; and the course's own problems (the
    referral); nothing is saved. ``replace`` moves visits (asked start: chosen start)."""
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, location)
    requests = _course_requests(
        patient, practitioner, location, appointment_type, first_day, weeks, times, room, replace
    )
    preview = _preview(
        actor, requests, outside_hours_reason=outside_hours_reason, override_reason=""
    )
    return _with_alternatives(preview, requests, replace)


def book_course(
    *,
    actor: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    first_day: dt.date,
    weeks: int,
    times: Sequence[CourseTime],
    room: Room | None = None,
    outside_hours_reason: str = "",
    override_reason: str = "",
    notes: str = "",
    replace: Mapping[dt.datetime, dt.datetime] | None = None,
) -> list[Appointment]:
    """Book a recurring course, all or nothing: any conflict refuses the whole course
    (``CourseConflicts``, 409, with every conflict listed and its nearest alternatives).
    The appointments share one ``series`` id; the referral is checked once for all of
    them. ``replace`` moves visits to chosen alternatives (asked start: chosen start)."""
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, location)
    requests = _course_requests(
        patient, practitioner, location, appointment_type, first_day, weeks, times, room, replace
    )
    series = uuid.uuid4()
    booked: list[Appointment] = []
    with transaction.atomic():
        preview = _preview(
            actor,
            requests,
            outside_hours_reason=outside_hours_reason,
            override_reason=override_reason,
        )
        if not preview.ok:
            raise CourseConflicts(_with_alternatives(preview, requests, replace))
        override = _check_referral(actor, requests, override_reason, ())
        for req in requests:
            reason = _check_hours(req, outside_hours_reason=outside_hours_reason, online=False)
            appointment = Appointment(
                organization_id=location.organization_id,
                location=location,
                practitioner=practitioner,
                room=req.room,
                patient=patient,
                appointment_type=appointment_type,
                start=req.start,
                end=req.end,
                busy_until=req.busy_until,
                status=Status.BOOKED,
                source=Appointment.Source.STAFF,
                booked_by=actor,
                series=series,
                notes=(notes or "").strip()[:500],
                screening_decision=_check_screening(req),
                outside_hours_reason=reason,
                referral_override=override,
            )
            _save(appointment)
            _audit(actor, Action.CREATE, appointment, series=str(series), course_size=len(requests))
            events.publish(AppointmentBooked(appointment.pk, appointment.public_id))
            booked.append(appointment)
    return booked


# --- the waitlist ---------------------------------------------------------------------


def add_to_waitlist(
    *,
    actor: User,
    patient: Patient,
    location: Location,
    appointment_type: AppointmentType,
    practitioner: Practitioner | None = None,
    earliest_date: dt.date | None = None,
    latest_date: dt.date | None = None,
    weekdays: Sequence[int] = (),
    window_start: dt.time | None = None,
    window_end: dt.time | None = None,
    notes: str = "",
) -> WaitlistEntry:
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, patient, location, appointment_type, practitioner)
    errors: dict[str, str] = {}
    if patient.status != Patient.Status.ACTIVE:
        errors["patient"] = "Only active patients can wait for a slot."
    if earliest_date and latest_date and latest_date < earliest_date:
        errors["latest_date"] = "The latest date comes before the earliest."
    if window_start and window_end and window_end <= window_start:
        errors["window_end"] = "The window ends before it starts."
    if any(not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = "Weekdays run from 0 (Monday) to 6 (Sunday)."
    if practitioner is not None and not _may_perform(practitioner, appointment_type):
        errors["practitioner"] = f"{practitioner} does not perform {appointment_type.name}."
    if errors:
        raise ValidationError(errors)
    entry = WaitlistEntry(
        organization_id=patient.organization_id,
        patient=patient,
        location=location,
        appointment_type=appointment_type,
        practitioner=practitioner,
        earliest_date=earliest_date,
        latest_date=latest_date,
        weekdays=sorted(set(weekdays)),
        window_start=window_start,
        window_end=window_end,
        notes=(notes or "").strip()[:300],
        added_by=actor,
    )
    with transaction.atomic():
        entry.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=entry,
            patient_id=str(patient.public_id),
            detail={"type": appointment_type.code, "location": str(location.public_id)},
        )
    return entry


def _fits(entry: WaitlistEntry, freed: Appointment, start: dt.datetime, end: dt.datetime) -> bool:
    tz = hours.zone(freed.location.time_zone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    day = local_start.date()
    return (
        (entry.practitioner_id is None or entry.practitioner_id == freed.practitioner_id)
        and (entry.earliest_date is None or day >= entry.earliest_date)
        and (entry.latest_date is None or day <= entry.latest_date)
        and (not entry.weekdays or day.weekday() in entry.weekdays)
        and (entry.window_start is None or local_start.time() >= entry.window_start)
        and (
            entry.window_end is None
            or (local_end.date() == day and local_end.time() <= entry.window_end)
        )
    )


def offer_freed_slot(*, actor: User | None, appointment: Appointment) -> WaitlistOffer | None:
    """The freed time of a cancelled appointment, offered to the longest-waiting patient
    who fits: same location, an appointment type that fits in the freed time (the
    cancelled one's type first), their practitioner preference, dates, weekdays and
    time window. The offer is recorded; the entry becomes "offered". None if nobody fits,
    or if the location is closed that day (a closed day is never offered)."""
    if actor is not None:
        require_same_organization(actor, appointment)
    tz = hours.zone(appointment.location.time_zone)
    freed_day = hours.local_day(appointment.start, tz)
    if queries.closed_days_at(appointment.location, freed_day, freed_day):
        return None
    freed_start = appointment.start
    freed_until = appointment.busy_until
    entries = (
        WaitlistEntry.objects.filter(
            organization_id=appointment.organization_id,
            location_id=appointment.location_id,
            status=WaitlistEntry.Status.WAITING,
        )
        .exclude(patient_id=appointment.patient_id)
        .select_related("appointment_type", "patient")
        .order_by("created_at", "pk")
    )
    for entry in entries:
        kind = entry.appointment_type
        end = freed_start + kind.duration
        if freed_start + kind.duration + kind.buffer > freed_until:
            continue
        if not _fits(entry, appointment, freed_start, end):
            continue
        with transaction.atomic():
            offer = WaitlistOffer.objects.create(
                organization_id=appointment.organization_id,
                entry=entry,
                freed_by=appointment,
                practitioner_id=appointment.practitioner_id,
                room_id=appointment.room_id,
                start=freed_start,
                end=end,
                offered_by=actor,
            )
            entry.status = WaitlistEntry.Status.OFFERED
            entry.save(update_fields=["status", "updated_at"])
            record(
                actor=actor,
                action=Action.CREATE,
                organization=appointment.location.organization,
                obj=offer,
                patient_id=str(entry.patient.public_id),
                detail={
                    "entry": str(entry.public_id),
                    "freed_by": str(appointment.public_id),
                    "start": freed_start.isoformat(),
                    "type": kind.code,
                },
                actor_label="" if actor is not None else "online cancellation",
            )
            events.publish(WaitlistSlotOffered(offer.pk, offer.public_id))
        return offer
    return None


# --- flags ----------------------------------------------------------------------------


def screening_flags(patient: Patient) -> list[Flag]:
    """The schedule's own flag: a patient whose screening says STOP today."""
    status = screening_status(patient)
    if status.effective_decision == "STOP":
        return [
            Flag(
                "screening_stop",
                "Screening: STOP (evaluation only)",
                "danger",
                Capability.SCREENING_READ_DECISION,
            )
        ]
    return []


# --- configuration: appointment types, hours, time off, room features ------------------

TYPE_FIELDS = (
    "code",
    "name",
    "kind",
    "duration_minutes",
    "buffer_minutes",
    "required_features",
    "needs_room",
    "online_bookable",
    "counts_as_visit",
    "active",
)


def create_appointment_type(
    *, actor: User, practitioners: Sequence[Practitioner] = (), **fields: Any
) -> AppointmentType:
    """An owner adds an appointment type (``TYPE_FIELDS``); ``practitioners`` limits who
    may perform it (none: everyone)."""
    require(actor, Capability.SCHEDULE_CONFIGURE)
    unknown = sorted(set(fields) - set(TYPE_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))
    require_same_organization(actor, *practitioners)
    kind = AppointmentType(organization_id=tenant_id(actor), **fields)
    kind.required_features = sorted(set(kind.required_features or []))
    kind.full_clean(exclude=["organization"])
    with transaction.atomic():
        kind.save()
        kind.practitioners.set(practitioners)
        record(actor=actor, action=Action.CREATE, obj=kind, detail={"code": kind.code})
    return kind


def update_appointment_type(
    *,
    actor: User,
    appointment_type: AppointmentType,
    changes: dict[str, Any],
    practitioners: Sequence[Practitioner] | None = None,
) -> AppointmentType:
    """Change a type (``active`` False retires it; types are never deleted)."""
    require(actor, Capability.SCHEDULE_CONFIGURE)
    require_same_organization(actor, appointment_type, *(practitioners or ()))
    unknown = sorted(set(changes) - set(TYPE_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    before = {k: getattr(appointment_type, k) for k in changes}
    for name, value in changes.items():
        setattr(appointment_type, name, value)
    appointment_type.full_clean(exclude=["organization"])
    with transaction.atomic():
        appointment_type.save()
        if practitioners is not None:
            appointment_type.practitioners.set(practitioners)
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=appointment_type,
            detail={"changed": {k: [str(before[k]), str(v)] for k, v in changes.items()}},
        )
    return appointment_type


@dataclass(frozen=True)
class HoursRow:
    weekday: int
    start: dt.time
    end: dt.time
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


def set_weekly_hours(
    *, actor: User, practitioner: Practitioner, location: Location, rows: Sequence[HoursRow]
) -> list[WorkingHours]:
    """Replace the practitioner's weekly hours at the location (local wall-clock times).
    Owners set anyone's hours; a therapist sets their own."""
    own = practitioner.user_id is not None and practitioner.user_id == actor.pk
    require(actor, Capability.PRACTITIONERS_OWN_HOURS if own else Capability.PRACTITIONERS_MANAGE)
    require_same_organization(actor, practitioner, location)
    errors: dict[str, str] = {}
    for row in rows:
        if not 0 <= row.weekday <= 6:
            errors["weekday"] = "Weekdays run from 0 (Monday) to 6 (Sunday)."
        if row.end <= row.start:
            errors["end"] = f"Hours on day {row.weekday} end before they start."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        WorkingHours.objects.filter(practitioner=practitioner, location=location).delete()
        made = WorkingHours.objects.bulk_create(
            WorkingHours(
                organization_id=practitioner.organization_id,
                practitioner=practitioner,
                location=location,
                weekday=row.weekday,
                start_time=row.start,
                end_time=row.end,
                valid_from=row.valid_from,
                valid_until=row.valid_until,
            )
            for row in rows
        )
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=practitioner,
            detail={
                "location": str(location.public_id),
                "hours": [[r.weekday, r.start.isoformat(), r.end.isoformat()] for r in rows],
            },
        )
    return list(made)


def add_availability_exception(
    *,
    actor: User,
    practitioner: Practitioner,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    kind: str = "time_off",
    location: Location | None = None,
    reason: str = "",
) -> AvailabilityException:
    """Time off (any location when ``location`` is None) or extra hours (at a location),
    as UTC instants; partial days are fine. Appointments already booked then are kept
    (the calendar shows them) and must be moved by hand."""
    own = practitioner.user_id is not None and practitioner.user_id == actor.pk
    require(actor, Capability.PRACTITIONERS_OWN_HOURS if own else Capability.PRACTITIONERS_MANAGE)
    require_same_organization(actor, practitioner, location)
    start, end = _utc(starts_at, "starts_at"), _utc(ends_at, "ends_at")
    if end <= start:
        raise ValidationError({"ends_at": "The end comes before the start."})
    if kind == AvailabilityException.Kind.EXTRA_HOURS and location is None:
        raise ValidationError({"location": "Extra hours are worked at a location: name it."})
    exception = AvailabilityException(
        organization_id=practitioner.organization_id,
        practitioner=practitioner,
        location=location,
        kind=kind,
        starts_at=start,
        ends_at=end,
        reason=(reason or "").strip()[:200],
    )
    exception.full_clean(exclude=["organization"])
    with transaction.atomic():
        exception.save()
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=exception,
            detail={"kind": kind, "starts_at": start.isoformat(), "ends_at": end.isoformat()},
        )
    return exception


def remove_availability_exception(*, actor: User, exception: AvailabilityException) -> None:
    """Withdraw time off or extra hours (the practitioner's own account, or whoever manages
    practitioners). Appointments booked meanwhile are not touched; the audit entry keeps
    what was removed."""
    practitioner = exception.practitioner
    own = practitioner.user_id is not None and practitioner.user_id == actor.pk
    require(actor, Capability.PRACTITIONERS_OWN_HOURS if own else Capability.PRACTITIONERS_MANAGE)
    require_same_organization(actor, exception)
    with transaction.atomic():
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=exception,
            detail={
                "removed": True,
                "kind": exception.kind,
                "practitioner": str(practitioner.public_id),
                "starts_at": exception.starts_at.isoformat(),
                "ends_at": exception.ends_at.isoformat(),
                "location": str(exception.location.public_id) if exception.location else "",
                "reason": exception.reason,
            },
        )
        exception.delete()


MAX_CLOSED_REASON = 120


def add_closed_day(
    *, actor: User, day: dt.date, reason: str, location: Location | None = None
) -> ClosedDay:
    """Close a location (every location of the organization when ``location`` is None) on
    a local day, e.g. Thanksgiving: no slot is offered that day and booking is refused as
    outside working hours is (staff may book anyway with a reason). Appointments already
    booked that day are kept (the calendar shows them) and must be moved by hand. A past
    day is accepted and changes nothing. Owners only (``schedule.configure``)."""
    require(actor, Capability.SCHEDULE_CONFIGURE)
    require_same_organization(actor, location)
    errors: dict[str, str] = {}
    text = " ".join((reason or "").split())
    if not text:
        errors["reason"] = "Say why the clinic is closed (e.g. Thanksgiving)."
    elif len(text) > MAX_CLOSED_REASON:
        errors["reason"] = f"Keep the reason to {MAX_CLOSED_REASON} characters."
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        errors["date"] = "Give the day as a date (YYYY-MM-DD)."
    elif location is not None and not location.active:
        errors["location"] = "This location is no longer active."
    if not errors:
        same = ClosedDay.objects.filter(organization_id=tenant_id(actor), date=day)
        if same.filter(location__isnull=True).exists():
            errors["date"] = f"Every location is already closed on {day:%d %B %Y}."
        elif location is not None and same.filter(location=location).exists():
            errors["date"] = f"{location.name} is already closed on {day:%d %B %Y}."
    if errors:
        raise ValidationError(errors)
    closed = ClosedDay(organization_id=tenant_id(actor), location=location, date=day, reason=text)
    with transaction.atomic():
        closed.save()
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=closed,
            detail={
                "closed_day": day.isoformat(),
                "location": str(location.public_id) if location else "",
                "reason": text,
            },
        )
    return closed


def remove_closed_day(*, actor: User, closed_day: ClosedDay) -> None:
    """Open the day again (owners only); the audit entry keeps what was removed."""
    require(actor, Capability.SCHEDULE_CONFIGURE)
    require_same_organization(actor, closed_day)
    with transaction.atomic():
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=closed_day,
            detail={
                "removed": True,
                "closed_day": closed_day.date.isoformat(),
                "location": str(closed_day.location.public_id) if closed_day.location else "",
                "reason": closed_day.reason,
            },
        )
        closed_day.delete()


def set_room_features(*, actor: User, room: Room, features: Sequence[str]) -> list[str]:
    """Replace a room's features (slugs such as ``hydraulic_table``)."""
    require(actor, Capability.SCHEDULE_CONFIGURE)
    require_same_organization(actor, room)
    wanted = sorted({f.strip() for f in features if f.strip()})
    with transaction.atomic():
        RoomFeature.objects.filter(room=room).delete()
        for feature in wanted:
            row = RoomFeature(organization_id=room.organization_id, room=room, feature=feature)
            row.full_clean(exclude=["organization", "room"])
            row.save()
        record(actor=actor, action=Action.SETTINGS, obj=room, detail={"features": wanted})
    return wanted


# --- reads ----------------------------------------------------------------------------


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


# --- the starting set of types, and the waitlist offers' outcome ------------------------

DEFAULT_TYPES = Path(__file__).parent / "data" / "appointment_types.json"


def install_default_types(*, actor: User) -> list[AppointmentType]:
    """Add the starting set of appointment types (``data/appointment_types.json``) that
    the organization does not have yet (by code); returns the ones added."""
    require(actor, Capability.SCHEDULE_CONFIGURE)
    document = json.loads(DEFAULT_TYPES.read_text(encoding="utf-8"))
    have = set(
        AppointmentType.objects.filter(organization_id=tenant_id(actor)).values_list(
            "code", flat=True
        )
    )
    added = []
    with transaction.atomic():
        for fields in document["types"]:
            if fields["code"] not in have:
                added.append(create_appointment_type(actor=actor, **fields))
    return added


def accept_offer(
    *, actor: User, offer: WaitlistOffer, outside_hours_reason: str = "", override_reason: str = ""
) -> Appointment:
    """The waiting patient takes the offered slot: it is booked (every booking rule
    applies), the offer is accepted and the entry booked, all or nothing."""
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, offer)
    with transaction.atomic():
        current = WaitlistOffer.objects.select_for_update(of=("self",)).get(pk=offer.pk)
        if current.status != WaitlistOffer.Status.OPEN:
            raise NotAllowedNow(f"This offer is {current.get_status_display().lower()}.")
        entry = current.entry
        appointment = book_appointment(
            actor=actor,
            patient=entry.patient,
            practitioner=current.practitioner,
            location=entry.location,
            appointment_type=entry.appointment_type,
            start=current.start,
            room=current.room,
            outside_hours_reason=outside_hours_reason,
            override_reason=override_reason,
        )
        current.status = WaitlistOffer.Status.ACCEPTED
        current.save(update_fields=["status", "updated_at"])
        entry.status = WaitlistEntry.Status.BOOKED
        entry.save(update_fields=["status", "updated_at"])
    offer.refresh_from_db()
    return appointment


def decline_offer(*, actor: User, offer: WaitlistOffer) -> WaitlistOffer:
    """The patient does not take it: the offer is declined and the patient waits again."""
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, offer)
    with transaction.atomic():
        current = WaitlistOffer.objects.select_for_update(of=("self",)).get(pk=offer.pk)
        if current.status != WaitlistOffer.Status.OPEN:
            raise NotAllowedNow(f"This offer is {current.get_status_display().lower()}.")
        current.status = WaitlistOffer.Status.DECLINED
        current.save(update_fields=["status", "updated_at"])
        entry = current.entry
        entry.status = WaitlistEntry.Status.WAITING
        entry.save(update_fields=["status", "updated_at"])
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            patient_id=str(entry.patient.public_id),
            detail={"status": "declined", "entry": str(entry.public_id)},
        )
    offer.refresh_from_db()
    return current


def withdraw_from_waitlist(*, actor: User, entry: WaitlistEntry, reason: str = "") -> WaitlistEntry:
    """Take a patient off the waitlist (kept, status withdrawn)."""
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, entry)
    with transaction.atomic():
        entry.status = WaitlistEntry.Status.WITHDRAWN
        entry.save(update_fields=["status", "updated_at"])
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=entry,
            patient_id=str(entry.patient.public_id),
            detail={"status": "withdrawn", "reason": (reason or "").strip()[:300]},
        )
    return entry
