"""Recurring courses: a series of appointments previewed (conflicts and the nearest free
alternatives) and then booked all or nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from palpa.accounts.models import Location, Room, User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action
from palpa.core import events
from palpa.core.errors import Refused
from palpa.core.tenancy import require_same_organization
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import alternatives, hours, queries
from palpa.scheduling.events import (
    AppointmentBooked,
)
from palpa.scheduling.models import (
    Appointment,
    AppointmentType,
)
from palpa.scheduling.services._common import (
    Status,
    _audit,
    _check_free,
    _check_hours,
    _check_license,
    _check_parties,
    _check_referral,
    _check_screening,
    _choose_room,
    _Request,
    _save,
    _utc,
)
from palpa.scheduling.slots import Interval

MAX_COURSE_APPOINTMENTS = 60


class CourseConflicts(Refused):
    code = "course_conflicts"

    def __init__(self, preview: CoursePreview) -> None:
        lines = [f"{c.start.isoformat()}: {'; '.join(c.problems)}" for c in preview.conflicts]
        lines += preview.problems
        super().__init__(
            "The course was not booked; nothing was saved. Conflicts: " + " | ".join(lines)
        )
        self.preview = preview


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
