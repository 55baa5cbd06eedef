from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import Field

from palpa.core.schemas import InputSchema, Text, public_id, public_id_or_none, shown
from palpa.reports import queries
from palpa.reports.models import Report


class ReportIn(InputSchema):
    kind: str = Field(description="progress or discharge")


class ReportPatch(InputSchema):
    assessment: Text | None = None
    recommendation: str | None = Field(
        default=None, description="continue, modify, discharge or refer_back"
    )
    recommendation_detail: Text | None = None


class CorrectionIn(InputSchema):
    reason: Text


class DeliveryIn(InputSchema):
    email: str = Field(
        default="", description="Empty: the physician's secure email from the directory."
    )


class DeliveryOut(Schema):
    id: UUID = public_id()
    channel: str
    recipient: str
    sent_at: dt.datetime | None
    expires_at: dt.datetime | None
    opened_at: dt.datetime | None


class ReportOut(Schema):
    id: UUID = public_id()
    patient: UUID = public_id("patient")
    plan: UUID = public_id("plan")
    kind: str
    version: int
    supersedes: UUID | None
    correction_reason: str
    period_start: dt.date
    period_end: dt.date
    practitioner: str
    physician: str | None
    assessment: str
    recommendation: str
    recommendation_detail: str
    status: str
    delivery_status: str = Field(description="draft, signed, sent, opened, superseded, ...")
    signed_at: dt.datetime | None
    content_hash: str = Field(description="SHA-256 of the signed PDF's bytes")
    pdf_size: int

    resolve_supersedes = public_id_or_none("supersedes")
    resolve_practitioner = shown("practitioner")

    @staticmethod
    def resolve_physician(report: Report) -> str | None:
        return str(report.physician) if report.physician else None

    @staticmethod
    def resolve_delivery_status(report: Report) -> str:
        return queries.delivery_status(report)


class ReportContentOut(ReportOut):
    content: dict[str, Any] = Field(
        description="What the report shows: the signed snapshot, or a draft built now."
    )


class ReportPolicyIn(InputSchema):
    every_visits: int | None
    every_days: int | None
    link_days: int


class ReportPolicyOut(Schema):
    every_visits: int | None
    every_days: int | None
    link_days: int
