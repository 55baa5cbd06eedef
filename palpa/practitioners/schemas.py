from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, Field

from palpa.core.schemas import InputSchema, public_id
from palpa.practitioners.models import License


class LicenseIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: str = Field(min_length=2, max_length=10)
    license_type: str = Field(min_length=1, max_length=40)
    number: str = Field(min_length=1, max_length=40)
    issued_on: dt.date
    expires_on: dt.date


class LicenseOut(Schema):
    id: UUID = public_id()
    jurisdiction: str
    license_type: str
    number: str
    issued_on: dt.date
    expires_on: dt.date
    verification_status: str
    current: bool

    @staticmethod
    def resolve_current(lic: License) -> bool:
        """Current on today, the clinic's day."""
        return lic.is_current_on(timezone.localdate())


class PractitionerIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    credentials: str = Field("", max_length=100)
    npi: str = Field("", max_length=10)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)


class PractitionerPatch(InputSchema):
    model_config = ConfigDict(extra="forbid")

    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    credentials: str | None = Field(None, max_length=100)
    npi: str | None = Field(None, max_length=10)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=30)
    active: bool | None = None


class PractitionerOut(Schema):
    id: UUID = public_id()
    given_name: str
    family_name: str
    credentials: str
    npi: str
    email: str
    phone: str
    active: bool
    licenses: list[LicenseOut]


class LicenseCheckOut(Schema):
    allowed: bool
    reason: str
    jurisdiction: str
    on: dt.date
