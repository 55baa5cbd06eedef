from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from palpa.core.schemas import InputSchema, public_id, public_id_or_none

Sex = Literal["female", "male", "other", "unknown"]


class PatientBase(InputSchema):
    model_config = ConfigDict(extra="forbid")

    preferred_name: str = Field("", max_length=100)
    sex: Sex = "unknown"
    pronouns: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    address_line1: str = Field("", max_length=200)
    address_line2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    region: str = Field("", max_length=10)
    postal_code: str = Field("", max_length=20)
    preferred_language: str = Field("en", max_length=20)
    preferred_channel: Literal["", "email", "sms"] = ""
    emergency_contact_name: str = Field("", max_length=200)
    emergency_contact_relationship: str = Field("", max_length=60)
    emergency_contact_phone: str = Field("", max_length=30)
    primary_location: UUID | None = None


class PatientIn(PatientBase):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: dt.date


class PatientPatch(InputSchema):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    date_of_birth: dt.date | None = None
    preferred_name: str | None = Field(None, max_length=100)
    sex: Sex | None = None
    pronouns: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=30)
    address_line1: str | None = Field(None, max_length=200)
    address_line2: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=10)
    postal_code: str | None = Field(None, max_length=20)
    preferred_language: str | None = Field(None, max_length=20)
    preferred_channel: Literal["", "email", "sms"] | None = None
    emergency_contact_name: str | None = Field(None, max_length=200)
    emergency_contact_relationship: str | None = Field(None, max_length=60)
    emergency_contact_phone: str | None = Field(None, max_length=30)
    primary_location: UUID | None = None


class PatientOut(Schema):
    id: UUID = public_id()
    mrn: str
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: dt.date
    sex: str
    pronouns: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    preferred_language: str
    preferred_channel: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    status: str
    status_reason: str
    primary_location: UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime

    resolve_primary_location = public_id_or_none("primary_location")


class PatientPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[PatientOut]


class StatusIn(InputSchema):
    status: Literal["active", "inactive", "deceased", "entered-in-error"]
    reason: str = Field("", max_length=300)


class ConsentIn(InputSchema):
    kind: Literal["treatment", "privacy_notice", "contact_email", "contact_sms", "contact_phone"]
    version: str = Field(min_length=1, max_length=20)
    given_on: dt.date
    granted: bool = True


class ConsentOut(Schema):
    id: UUID = public_id()
    kind: str
    version: str
    given_on: dt.date
    granted: bool


class AllergyIn(InputSchema):
    substance: str = Field(min_length=1, max_length=120)
    reaction: str = Field("", max_length=200)
    severity: Literal["mild", "moderate", "severe"] = "mild"


class AllergyOut(Schema):
    id: UUID = public_id()
    substance: str
    reaction: str
    severity: str
    status: str
