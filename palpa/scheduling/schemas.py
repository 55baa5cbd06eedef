from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from palpa.core.schemas import InputSchema, LocalTime, Text

Status = Literal["booked", "arrived", "fulfilled", "cancelled", "noshow", "entered-in-error"]
Kind = Literal["evaluation", "treatment", "reassessment", "spa"]


class AppointmentTypeOut(Schema):
    id: UUID
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


class Named(Schema):
    id: UUID
    name: str


class TypeRef(Schema):
    id: UUID
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
    id: UUID
    start: dt.datetime
    end: dt.datetime
    status: str


class WaitlistOut(Schema):
    id: UUID
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
    added_at: dt.datetime
    offers: list[OfferOut]
