from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

Adherence = Literal["", "none", "some", "most", "all"]


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    location: UUID
    visit_date: dt.date
    pain_today: int | None = Field(None, ge=0, le=10)
    subjective: str = ""
    home_care_adherence: Adherence = ""
    objective: str = ""
    assessment: str = ""
    plan: str = ""


class NotePatch(Schema):
    model_config = ConfigDict(extra="forbid")

    pain_today: int | None = Field(None, ge=0, le=10)
    subjective: str | None = None
    home_care_adherence: Adherence | None = None
    objective: str | None = None
    assessment: str | None = None
    plan: str | None = None


class TechniqueIn(Schema):
    model_config = ConfigDict(extra="forbid")

    technique: str = Field(max_length=40)
    region: str = Field(max_length=40)
    side: Literal["", "left", "right", "bilateral"] = ""
    minutes: int
    pressure: str = Field(max_length=10)
    tool: str = Field("none", max_length=20)


class TechniqueOut(Schema):
    id: UUID
    technique: str
    region: str
    side: str
    minutes: int
    pressure: str
    tool: str


class AddendumIn(Schema):
    text: str = Field(min_length=1, max_length=5000)


class AddendumOut(Schema):
    id: UUID
    text: str
    signed_by: str
    signed_at: dt.datetime


class NoteOut(Schema):
    id: UUID
    patient: UUID
    practitioner: UUID
    location: UUID
    visit_date: dt.date
    pain_today: int | None
    subjective: str
    home_care_adherence: str
    objective: str
    assessment: str
    plan: str
    status: str
    signed_at: dt.datetime | None
    signed_by: str | None
    content_hash: str
    total_minutes: int
    techniques: list[TechniqueOut]
    addenda: list[AddendumOut]


class InErrorIn(Schema):
    reason: str = Field(min_length=1, max_length=300)
