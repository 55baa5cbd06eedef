from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, Field

from palpa.core.schemas import InputSchema, Text, TextInputSchema, public_id, shown
from palpa.referrals import services
from palpa.referrals.countdown import Countdown
from palpa.referrals.models import Referral

Delivery = Literal["secure_email", "fax", "mail"]
Status = Literal["active", "exhausted", "expired", "cancelled"]


class PhysicianIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    credentials: str = Field("", max_length=60)
    npi: str = Field(max_length=10, description="10 digits; the check digit is verified")
    practice: str = Field("", max_length=200)
    address: Text = Field("", max_length=300)
    phone: str = Field("", max_length=30)
    fax: str = Field("", max_length=30)
    secure_email: str = Field("", max_length=254)
    preferred_delivery: Delivery = "fax"


class PhysicianPatch(InputSchema):
    model_config = ConfigDict(extra="forbid")

    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    credentials: str | None = Field(None, max_length=60)
    npi: str | None = Field(None, max_length=10)
    practice: str | None = Field(None, max_length=200)
    address: Text | None = Field(None, max_length=300)
    phone: str | None = Field(None, max_length=30)
    fax: str | None = Field(None, max_length=30)
    secure_email: str | None = Field(None, max_length=254)
    preferred_delivery: Delivery | None = None
    active: bool | None = Field(None, description="false takes the physician out of new use")


class PhysicianOut(Schema):
    id: UUID = public_id()
    given_name: str
    family_name: str
    credentials: str
    npi: str
    practice: str
    address: str
    phone: str
    fax: str
    secure_email: str
    preferred_delivery: Delivery
    active: bool


class ReferralIn(TextInputSchema):
    """Form fields, sent with the optional scanned prescription (multipart/form-data)."""

    physician: UUID = Field(description="A physician of the organization's directory")
    diagnoses: list[str] = Field(description="ICD-10-CM codes from the subset (repeat the field)")
    requested_service: str = Field(min_length=1, max_length=200)
    frequency: str = Field("", max_length=100)
    visits_authorized: int = Field(ge=1, le=500)
    starts_on: dt.date
    expires_on: dt.date
    precautions: Text = Field("", max_length=4000)


class PrescriptionOut(Schema):
    # Read from the referral's own prescription_* fields.

    name: str = Field(validation_alias="prescription_name")
    content_type: str = Field(validation_alias="prescription_content_type")
    size: int = Field(validation_alias="prescription_size")
    sha256: str = Field(validation_alias="prescription_sha256")


class CountdownOut(Schema):
    visits_authorized: int
    visits_used: int
    visits_left: int
    days_left: int
    status: Status
    warning: str | None


def countdown_today(referral: Referral) -> Countdown:
    """The referral's countdown on today (the clinic's day), worked out once per record
    read: its status and its countdown come from the same count of visits."""
    cached: Countdown | None = referral.__dict__.get("_countdown_today")
    if cached is None:
        cached = services.countdown(referral, timezone.localdate())
        referral.__dict__["_countdown_today"] = cached
    return cached


class ReferralOut(Schema):
    id: UUID = public_id()
    patient: UUID = public_id("patient")
    physician: UUID = public_id("physician")
    physician_name: str
    diagnoses: list[str]
    requested_service: str
    frequency: str
    visits_authorized: int
    starts_on: dt.date
    expires_on: dt.date
    precautions: str
    prescription: PrescriptionOut | None
    status: Status
    cancelled_reason: str
    countdown: CountdownOut
    recorded_by: str
    recorded_at: dt.datetime = Field(validation_alias="created_at")

    resolve_physician_name = shown("physician")
    resolve_recorded_by = shown("recorded_by")

    @staticmethod
    def resolve_prescription(r: Referral) -> Referral | None:
        return r if r.prescription else None

    @staticmethod
    def resolve_status(r: Referral) -> str:
        return countdown_today(r).status

    @staticmethod
    def resolve_countdown(r: Referral) -> Countdown:
        return countdown_today(r)


class ReferralCancelIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=2000)


class ReferralOverrideIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(max_length=2000, description="At least 20 characters")
    visits_planned: int | None = Field(None, ge=1, le=500)
    ends_on: dt.date | None = None


class OverrideOut(Schema):
    id: UUID = public_id()
    patient: UUID = public_id("patient")
    referral: UUID = public_id("referral")
    reason: str
    visits_planned: int | None
    ends_on: dt.date | None
    granted_by: str
    granted_at: dt.datetime = Field(validation_alias="created_at")

    resolve_granted_by = shown("granted_by")
