from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from palpa.core.schemas import InputSchema, LocalTime, Text, public_id
from palpa.patients.models import Patient
from palpa.scheduling.models import AppointmentType, WaitlistEntry

Status = Literal["booked", "arrived", "fulfilled", "cancelled", "noshow", "entered-in-error"]
Kind = Literal["evaluation", "treatment", "reassessment", "spa"]


class AppointmentTypeOut(Schema):
    id: UUID = public_id()
    code: str
    name: str
    kind: Kind
    duration_minutes: int
    buffer_minutes: int
    required_features: list[str]
    needs_room: bool
    online_bookable: bool
    counts_as_visit: bool
    practitioners: list[UUID] = Field(description="Who may perform it; empty: everyone")

    @staticmethod
    def resolve_required_features(t: AppointmentType) -> list[str]:
        return list(t.required_features or [])

    @staticmethod
    def resolve_practitioners(t: AppointmentType) -> list[UUID]:
        return [p.public_id for p in t.practitioners.all()]


class Named(Schema):
    id: UUID
    name: str


def named(obj: Any, name: str) -> dict[str, Any] | None:
    """A record as a ``Named``: its id and the name shown for it (``None`` for none)."""
    if obj is None:
        return None
    return {"id": obj.public_id, "name": name}


def patient_name(p: Patient) -> str:
    return f"{p.given_name} {p.family_name}"


class TypeRef(Schema):
    id: UUID = public_id()
    code: str
    name: str
    kind: Kind


class ScheduleFlagOut(Schema):
    code: str
    label: str
    severity: str


class AppointmentOut(Schema):
    id: UUID
    status: Status
    start: dt.datetime
    end: dt.datetime
    busy_until: dt.datetime = Field(description="end plus the type's buffer")
    local_start: dt.datetime = Field(description="start in the location's time zone")
    time_zone: str
    location: Named
    practitioner: Named
    room: Named | None
    patient: Named
    appointment_type: TypeRef
    source: Literal["staff", "online"]
    series: UUID | None
    notes: str
    screening_decision: str | None = Field(
        description="The screening decision when booked; null for roles that may not see "
        "screening decisions (capability screening.read_decision)"
    )
    outside_hours_reason: str
    referral_override: UUID | None
    cancel_reason: str
    flags: list[ScheduleFlagOut]


class BookIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    patient: UUID
    practitioner: UUID
    location: UUID
    appointment_type: UUID
    start: dt.datetime = Field(description="With its UTC offset, e.g. 2026-03-09T14:00:00Z")
    room: UUID | None = Field(None, description="Empty: the first free suitable room")
    outside_hours_reason: str = Field("", max_length=300)
    override_reason: Text = Field(
        "", max_length=2000, description="An owner's reason to book beyond the referral"
    )
    notes: Text = Field("", max_length=500)


class RescheduleIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    start: dt.datetime
    practitioner: UUID | None = None
    room: UUID | None = None
    outside_hours_reason: str = Field("", max_length=300)
    override_reason: Text = Field("", max_length=2000)


class AppointmentCancelIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=300)
    offer_to_waitlist: bool = True


class SlotOut(Schema):
    start: dt.datetime
    end: dt.datetime
    local_start: dt.datetime
    practitioner: Named
    room: Named | None


class CourseTimeIn(InputSchema):
    weekday: int = Field(ge=0, le=6, description="0 Monday … 6 Sunday")
    time: LocalTime = Field(description="Local wall-clock time at the location")


class CourseIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    patient: UUID
    practitioner: UUID
    location: UUID
    appointment_type: UUID
    first_day: dt.date
    weeks: int = Field(ge=1, le=52)
    times: list[CourseTimeIn] = Field(min_length=1, max_length=7)
    room: UUID | None = None
    outside_hours_reason: str = Field("", max_length=300)
    override_reason: Text = Field("", max_length=2000)
    notes: Text = Field("", max_length=500)


class CandidateOut(Schema):
    start: dt.datetime
    end: dt.datetime
    local_start: dt.datetime
    room: Named | None
    ok: bool
    problems: list[str]


class CoursePreviewOut(Schema):
    ok: bool
    candidates: list[CandidateOut]
    problems: list[str] = Field(description="For the course as a whole, e.g. the referral")


class WaitlistIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    patient: UUID
    location: UUID
    appointment_type: UUID
    practitioner: UUID | None = None
    earliest_date: dt.date | None = None
    latest_date: dt.date | None = None
    weekdays: list[int] = Field(default_factory=list, description="0 Monday … 6 Sunday")
    window_start: LocalTime | None = None
    window_end: LocalTime | None = None
    notes: Text = Field("", max_length=300)


class OfferOut(Schema):
    id: UUID = public_id()
    start: dt.datetime
    end: dt.datetime
    status: str


class WaitlistOut(Schema):
    id: UUID = public_id()
    status: Literal["waiting", "offered", "booked", "withdrawn"]
    patient: Named
    location: Named
    appointment_type: TypeRef
    practitioner: Named | None
    earliest_date: dt.date | None
    latest_date: dt.date | None
    weekdays: list[int]
    window_start: LocalTime | None
    window_end: LocalTime | None
    notes: str
    added_at: dt.datetime = Field(validation_alias="created_at")
    offers: list[OfferOut]

    @staticmethod
    def resolve_patient(e: WaitlistEntry) -> dict[str, Any] | None:
        return named(e.patient, patient_name(e.patient))

    @staticmethod
    def resolve_location(e: WaitlistEntry) -> dict[str, Any] | None:
        return named(e.location, e.location.name)

    @staticmethod
    def resolve_practitioner(e: WaitlistEntry) -> dict[str, Any] | None:
        p = e.practitioner
        return named(p, p.display_name) if p is not None else None

    @staticmethod
    def resolve_weekdays(e: WaitlistEntry) -> list[int]:
        return list(e.weekdays or [])
