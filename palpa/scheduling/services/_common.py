"""What every scheduling service shares: the refusals, the checks every booking passes
(parties, license, hours, screening, free practitioner and room, referral), saving
under the exclusion constraints, and the audit entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from palpa.accounts.models import Location, Room, User
from palpa.audit.services import record
from palpa.core.errors import Refused
from palpa.core.tenancy import require_same_organization
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import require_current_license
from palpa.referrals.models import ReferralOverride
from palpa.referrals.services import require_authorization
from palpa.scheduling import hours, queries
from palpa.scheduling.models import (
    PRACTITIONER_EXCLUSION,
    ROOM_EXCLUSION,
    Appointment,
    AppointmentType,
)
from palpa.scheduling.slots import Interval
from palpa.screening.queries import screening_status

MIN_REASON = 10


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
