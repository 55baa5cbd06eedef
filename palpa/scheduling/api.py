"""The schedule over the API: appointment types, free slots, appointments (book, move,
cancel, arrive, no-show), recurring courses and the waitlist.

Every staff role reads the schedule (billers too); owners, therapists and the front desk
change it; only owners override a referral. Reads that name patients are audited.
Rule refusals are 409 with a code (``slot_taken``, ``outside_hours``, ``screening_stop``,
``license``, ``referral``, ``appointment_status``, ``course_conflicts``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from pydantic import Field

from palpa.accounts.gates import api_requires
from palpa.accounts.models import Location, Room, User
from palpa.accounts.permissions import Capability
from palpa.core.api import ERRORS, RefusedOut, actor
from palpa.core.schemas import TextInputSchema
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for
from palpa.practitioners.models import Practitioner
from palpa.practitioners.queries import practitioners_for
from palpa.scheduling import flags, hours, queries, services
from palpa.scheduling.models import Appointment, AppointmentType, WaitlistEntry
from palpa.scheduling.schemas import (
    AppointmentCancelIn,
    AppointmentOut,
    AppointmentTypeOut,
    BookIn,
    CourseIn,
    CoursePreviewOut,
    RescheduleIn,
    SlotOut,
    WaitlistIn,
    WaitlistOut,
    named,
    patient_name,
)
from palpa.screening.queries import may_see_flag

router = Router()
WITH_REFUSAL: dict[int, Any] = {**ERRORS, 409: RefusedOut}
MAX_RANGE = dt.timedelta(days=62)


def appointment_out(
    a: Appointment, viewer: User, flag_cache: dict[int, list[dict[str, Any]]] | None = None
) -> dict[str, Any]:
    """The appointment as the API shows it to ``viewer``: the screening decision and the
    flags only where the viewer's role may see them (``screening.read_decision``;
    ``Flag.capability``). ``flag_cache`` (patient id -> flags) saves working out one
    patient's flags again for each of their appointments in a list."""
    tz = hours.zone(a.location.time_zone)
    active = a.status in (Appointment.Status.BOOKED, Appointment.Status.ARRIVED)
    cache = flag_cache if flag_cache is not None else {}
    if active and a.patient_id not in cache:
        cache[a.patient_id] = [
            {"code": f.code, "label": f.label, "severity": f.severity}
            for f in flags.flags_for(a.patient, viewer)
        ]
    return {
        "id": a.public_id,
        "status": a.status,
        "start": a.start,
        "end": a.end,
        "busy_until": a.busy_until,
        "local_start": a.start.astimezone(tz),
        "time_zone": a.location.time_zone,
        "location": named(a.location, a.location.name),
        "practitioner": named(a.practitioner, a.practitioner.display_name),
        "room": named(a.room, a.room.name) if a.room is not None else None,
        "patient": named(a.patient, patient_name(a.patient)),
        "appointment_type": a.appointment_type,
        "source": a.source,
        "series": a.series,
        "notes": a.notes,
        "screening_decision": a.screening_decision if may_see_flag(viewer) else None,
        "outside_hours_reason": a.outside_hours_reason,
        "referral_override": a.referral_override.public_id if a.referral_override else None,
        "cancel_reason": a.cancel_reason,
        "flags": cache[a.patient_id] if active else [],
    }


def _field[M: Model](found: QuerySet[M], public_id: UUID | None, name: str, what: str) -> M | None:
    """A record named in the body, from the actor's own records, else 422 on the field."""
    if public_id is None:
        return None
    obj = found.filter(public_id=public_id).first()
    if obj is None:
        raise ValidationError({name: f"No {what} of your organization has this id."})
    return obj


def _required[M: Model](found: QuerySet[M], public_id: UUID, name: str, what: str) -> M:
    obj = _field(found, public_id, name, what)
    assert obj is not None
    return obj


def _location(user: User, location_id: UUID) -> Location:
    return get_object_or_404(queries.locations_for(user), public_id=location_id)


def _appointment(user: User, appointment_id: UUID) -> Appointment:
    return get_object_or_404(queries.appointments_for(user), public_id=appointment_id)


def _parties(
    user: User, payload: BookIn | CourseIn
) -> tuple[Patient, Practitioner, Location, AppointmentType, Room | None]:
    return (
        _required(patients_for(user), payload.patient, "patient", "patient"),
        _required(practitioners_for(user), payload.practitioner, "practitioner", "practitioner"),
        _required(queries.locations_for(user), payload.location, "location", "location"),
        _required(
            queries.appointment_types_for(user),
            payload.appointment_type,
            "appointment_type",
            "appointment type",
        ),
        _field(queries.rooms_for(user), payload.room, "room", "room"),
    )


def _reread(user: User, a: Appointment) -> dict[str, Any]:
    return appointment_out(queries.appointments_for(user).get(pk=a.pk), user)


# --- appointment types and slots ------------------------------------------------------


@router.get(
    "/appointment-types",
    response={200: list[AppointmentTypeOut], **ERRORS},
    summary="The organization's appointment types",
)
@api_requires(Capability.SCHEDULE_READ)
def list_appointment_types(request: HttpRequest) -> QuerySet[AppointmentType]:
    user = actor(request)
    return queries.appointment_types_for(user).prefetch_related("practitioners")


class SlotQuery(TextInputSchema):
    appointment_type: UUID
    first_day: dt.date = Field(description="Local date at the location")
    days: int = Field(7, ge=1, le=31)
    practitioner: UUID | None = None


@router.get(
    "/locations/{location_id}/slots",
    response={200: list[SlotOut], **ERRORS},
    summary="Free slots for one appointment type at a location",
)
@api_requires(Capability.SCHEDULE_READ)
def search_slots(
    request: HttpRequest, location_id: UUID, filters: Query[SlotQuery]
) -> list[dict[str, Any]]:
    user = actor(request)
    location = _location(user, location_id)
    kind = _required(
        queries.appointment_types_for(user),
        filters.appointment_type,
        "appointment_type",
        "appointment type",
    )
    who = _field(practitioners_for(user), filters.practitioner, "practitioner", "practitioner")
    tz = hours.zone(location.time_zone)
    return [
        {
            "start": s.start,
            "end": s.end,
            "local_start": s.start.astimezone(tz),
            "practitioner": named(s.practitioner, s.practitioner.display_name),
            "room": named(s.room, s.room.name) if s.room is not None else None,
        }
        for s in queries.available_slots(
            location=location,
            appointment_type=kind,
            first_day=filters.first_day,
            days=filters.days,
            practitioner=who,
        )
    ]


# --- appointments ---------------------------------------------------------------------


class AppointmentQuery(TextInputSchema):
    location: UUID
    start: dt.datetime = Field(description="From (with offset); appointments overlapping count")
    end: dt.datetime = Field(description="To (with offset), at most 62 days after start")
    practitioner: UUID | None = None
    include_cancelled: bool = False


@router.get(
    "/appointments",
    response={200: list[AppointmentOut], **ERRORS},
    summary="Appointments at a location in a time range (audited)",
)
@api_requires(Capability.SCHEDULE_READ)
def list_appointments(
    request: HttpRequest, filters: Query[AppointmentQuery]
) -> list[dict[str, Any]]:
    user = actor(request)
    location = _location(user, filters.location)
    if filters.end <= filters.start or filters.end - filters.start > MAX_RANGE:
        raise ValidationError({"end": "The range ends after it starts and spans at most 62 days."})
    who = _field(practitioners_for(user), filters.practitioner, "practitioner", "practitioner")
    statuses = None if filters.include_cancelled else Appointment.ACTIVE
    found = list(
        queries.appointments_for(
            user,
            location=location,
            practitioner=who,
            start=filters.start,
            end=filters.end,
            statuses=statuses,
        ).select_related("referral_override")
    )
    services.audit_schedule_read(
        actor=user,
        what="Schedule",
        patient_ids=[str(a.patient.public_id) for a in found],
        detail={
            "location": str(location.public_id),
            "start": filters.start.isoformat(),
            "end": filters.end.isoformat(),
        },
    )
    cache: dict[int, list[dict[str, Any]]] = {}
    return [appointment_out(a, user, cache) for a in found]


@router.get(
    "/appointments/{appointment_id}",
    response={200: AppointmentOut, **ERRORS},
    summary="One appointment (audited)",
)
@api_requires(Capability.SCHEDULE_READ)
def get_appointment(request: HttpRequest, appointment_id: UUID) -> dict[str, Any]:
    user = actor(request)
    a = _appointment(user, appointment_id)
    services.audit_schedule_read(
        actor=user,
        what="Appointment",
        patient_ids=[str(a.patient.public_id)],
        detail={"appointment": str(a.public_id)},
    )
    return appointment_out(a, user)


@router.post(
    "/appointments",
    response={201: AppointmentOut, **WITH_REFUSAL},
    summary="Book an appointment",
)
@api_requires(Capability.SCHEDULE_BOOK)
def book_appointment(request: HttpRequest, payload: BookIn) -> Status[dict[str, Any]]:
    user = actor(request)
    patient, practitioner, location, kind, room = _parties(user, payload)
    a = services.book_appointment(
        actor=user,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=payload.start,
        room=room,
        outside_hours_reason=payload.outside_hours_reason,
        override_reason=payload.override_reason,
        notes=payload.notes,
    )
    return Status(201, _reread(user, a))


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response={200: AppointmentOut, **WITH_REFUSAL},
    summary="Move an appointment (time, and optionally practitioner or room)",
)
@api_requires(Capability.SCHEDULE_BOOK)
def reschedule_appointment(
    request: HttpRequest, appointment_id: UUID, payload: RescheduleIn
) -> dict[str, Any]:
    user = actor(request)
    a = _appointment(user, appointment_id)
    who = _field(practitioners_for(user), payload.practitioner, "practitioner", "practitioner")
    room = _field(queries.rooms_for(user), payload.room, "room", "room")
    services.reschedule_appointment(
        actor=user,
        appointment=a,
        start=payload.start,
        practitioner=who,
        room=room,
        outside_hours_reason=payload.outside_hours_reason,
        override_reason=payload.override_reason,
    )
    return _reread(user, a)


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, **WITH_REFUSAL},
    summary="Cancel an appointment (reason required; the slot goes to the waitlist)",
)
@api_requires(Capability.SCHEDULE_BOOK)
def cancel_appointment(
    request: HttpRequest, appointment_id: UUID, payload: AppointmentCancelIn
) -> dict[str, Any]:
    user = actor(request)
    a = _appointment(user, appointment_id)
    services.cancel_appointment(
        actor=user,
        appointment=a,
        reason=payload.reason,
        offer_to_waitlist=payload.offer_to_waitlist,
    )
    return _reread(user, a)


@router.post(
    "/appointments/{appointment_id}/arrive",
    response={200: AppointmentOut, **WITH_REFUSAL},
    summary="The patient has arrived",
)
@api_requires(Capability.SCHEDULE_BOOK)
def arrive(request: HttpRequest, appointment_id: UUID) -> dict[str, Any]:
    user = actor(request)
    a = _appointment(user, appointment_id)
    services.mark_arrived(actor=user, appointment=a)
    return _reread(user, a)


@router.post(
    "/appointments/{appointment_id}/no-show",
    response={200: AppointmentOut, **WITH_REFUSAL},
    summary="The patient did not come",
)
@api_requires(Capability.SCHEDULE_BOOK)
def no_show(request: HttpRequest, appointment_id: UUID) -> dict[str, Any]:
    user = actor(request)
    a = _appointment(user, appointment_id)
    services.mark_no_show(actor=user, appointment=a)
    return _reread(user, a)


# --- courses --------------------------------------------------------------------------


def _course_args(user: User, payload: CourseIn) -> dict[str, Any]:
    patient, practitioner, location, kind, room = _parties(user, payload)
    return {
        "actor": user,
        "patient": patient,
        "practitioner": practitioner,
        "location": location,
        "appointment_type": kind,
        "first_day": payload.first_day,
        "weeks": payload.weeks,
        "times": [services.CourseTime(t.weekday, t.time) for t in payload.times],
        "room": room,
        "outside_hours_reason": payload.outside_hours_reason,
    }


def _preview_out(preview: services.CoursePreview, tz_name: str) -> dict[str, Any]:
    tz = hours.zone(tz_name)
    return {
        "ok": preview.ok,
        "problems": preview.problems,
        "candidates": [
            {
                "start": c.start,
                "end": c.end,
                "local_start": c.start.astimezone(tz),
                "room": named(c.room, c.room.name) if c.room is not None else None,
                "ok": c.ok,
                "problems": c.problems,
            }
            for c in preview.candidates
        ],
    }


@router.post(
    "/appointment-courses/preview",
    response={200: CoursePreviewOut, **WITH_REFUSAL},
    summary="Preview a recurring course: every appointment and its conflicts; nothing saved",
)
@api_requires(Capability.SCHEDULE_BOOK)
def preview_course(request: HttpRequest, payload: CourseIn) -> dict[str, Any]:
    user = actor(request)
    args = _course_args(user, payload)
    preview = services.preview_course(**args)
    return _preview_out(preview, args["location"].time_zone)


@router.post(
    "/appointment-courses",
    response={201: list[AppointmentOut], **WITH_REFUSAL},
    summary="Book a recurring course, all or nothing",
)
@api_requires(Capability.SCHEDULE_BOOK)
def book_course(request: HttpRequest, payload: CourseIn) -> Status[list[dict[str, Any]]]:
    user = actor(request)
    booked = services.book_course(
        **_course_args(user, payload),
        override_reason=payload.override_reason,
        notes=payload.notes,
    )
    found = queries.appointments_for(user).filter(pk__in=[a.pk for a in booked])
    cache: dict[int, list[dict[str, Any]]] = {}
    return Status(201, [appointment_out(a, user, cache) for a in found])


# --- the waitlist ---------------------------------------------------------------------


@router.get(
    "/locations/{location_id}/waitlist",
    response={200: list[WaitlistOut], **ERRORS},
    summary="Patients waiting for a slot at a location (audited)",
)
@api_requires(Capability.SCHEDULE_READ)
def list_waitlist(request: HttpRequest, location_id: UUID) -> list[WaitlistEntry]:
    user = actor(request)
    location = _location(user, location_id)
    found = list(queries.waitlist_for(user, location=location).prefetch_related("offers"))
    services.audit_schedule_read(
        actor=user,
        what="Waitlist",
        patient_ids=[str(e.patient.public_id) for e in found],
        detail={"location": str(location.public_id)},
    )
    return found


@router.post(
    "/waitlist",
    response={201: WaitlistOut, **WITH_REFUSAL},
    summary="Put a patient on the waitlist",
)
@api_requires(Capability.SCHEDULE_BOOK)
def add_to_waitlist(request: HttpRequest, payload: WaitlistIn) -> Status[WaitlistEntry]:
    user = actor(request)
    entry = services.add_to_waitlist(
        actor=user,
        patient=_required(patients_for(user), payload.patient, "patient", "patient"),
        location=_required(queries.locations_for(user), payload.location, "location", "location"),
        appointment_type=_required(
            queries.appointment_types_for(user),
            payload.appointment_type,
            "appointment_type",
            "appointment type",
        ),
        practitioner=_field(
            practitioners_for(user), payload.practitioner, "practitioner", "practitioner"
        ),
        earliest_date=payload.earliest_date,
        latest_date=payload.latest_date,
        weekdays=payload.weekdays,
        window_start=payload.window_start,
        window_end=payload.window_end,
        notes=payload.notes,
    )
    return Status(201, queries.waitlist_for(user).get(pk=entry.pk))
