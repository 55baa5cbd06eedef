"""The schedule's settings: appointment types (and the starting set), weekly hours,
time off, closed days and room features (the setup pages, ``scheduling:types``,
``scheduling:hours`` and the like)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from palpa.accounts.models import Location, Room, User
from palpa.accounts.permissions import Capability, require, tenant_id
from palpa.audit.services import Action, record
from palpa.core.tenancy import require_same_organization
from palpa.practitioners.models import Practitioner
from palpa.scheduling.models import (
    AppointmentType,
    AvailabilityException,
    ClosedDay,
    RoomFeature,
    WorkingHours,
)
from palpa.scheduling.services._common import _utc

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


DEFAULT_TYPES = Path(__file__).parent.parent / "data" / "appointment_types.json"


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
