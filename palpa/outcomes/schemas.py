from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from palpa.core.schemas import InputSchema, public_id, shown
from palpa.outcomes.models import InstrumentLink

Context = Literal["baseline", "reassessment", "visit", "discharge"]
LinkState = Literal["pending", "used", "expired", "revoked"]


class InstrumentLinkIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    instruments: list[str] = Field(
        description="Instrument ids (e.g. NPRS, PSFS, GROC). Only instruments whose item text "
        "Palpa may show can be sent; others are refused with 422 naming the instrument.",
        max_length=20,
    )
    context: Context = Field("reassessment", description="What the scores are recorded as")


class InstrumentLinkOut(Schema):
    id: UUID = public_id()
    patient: UUID = public_id("patient")
    instruments: list[str]
    psfs_activities: list[str] = Field(
        description="PSFS activities on file that the patient is asked to rate again"
    )
    context: str
    state: LinkState
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime
    used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revoked_by: str | None
    revoke_reason: str
    administrations: list[UUID] = Field(
        description="The administrations recorded from the patient's answers"
    )

    resolve_created_by = shown("created_by")

    @staticmethod
    def resolve_state(link: InstrumentLink) -> str:
        return link.state.value

    @staticmethod
    def resolve_revoked_by(link: InstrumentLink) -> str | None:
        return str(link.revoked_by) if link.revoked_by else None

    @staticmethod
    def resolve_administrations(link: InstrumentLink) -> list[UUID]:
        return [a.public_id for a in link.administrations.all()]


class InstrumentLinkCreatedOut(InstrumentLinkOut):
    url: str = Field(description="The one-time link to give the patient (shown only now)")


class RevokeIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=200)
