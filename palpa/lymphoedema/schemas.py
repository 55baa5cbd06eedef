from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from palpa.core.schemas import InputSchema

Circumferences = list[float]


class LimbMeasurementIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    location: UUID
    measured_on: dt.date
    region: Literal["arm", "leg"]
    affected_side: Literal["left", "right", "both"]
    method: Literal["tape", "water_displacement", "perometer", "3d_scan"] = "tape"
    landmark: str = Field("", max_length=60, description="Tape: the distal landmark, e.g. wrist.")
    interval_cm: float | None = Field(None, description="Tape: cm between the points.")
    left_circumferences_cm: Circumferences = Field(
        default_factory=list, max_length=50, description="Tape: cm, distal to proximal."
    )
    right_circumferences_cm: Circumferences = Field(default_factory=list, max_length=50)
    left_volume_ml: float | None = Field(None, description="Direct methods: the volume in mL.")
    right_volume_ml: float | None = None
    isl_stage: Literal["", "0", "I", "II", "III"] = Field(
        "", description="ISL stage of the affected limb, empty when not staged."
    )
    stemmer_sign: Literal["", "positive", "negative"] = ""
    pitting: Literal["", "present", "absent"] = ""
    skin: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Skin finding codes (see docs/lymphoedema.md).",
    )
    skin_note: str = Field("", max_length=300)
    heaviness: int | None = Field(None, description="The patient's own rating, 0-10.")
    tightness: int | None = Field(None, description="The patient's own rating, 0-10.")


class FigureOut(Schema):
    value: float
    unit: str
    formula: str
    source: str
    source_short: str
    tag: str
    evidence: str


class FiguresOut(Schema):
    left_volume: FigureOut
    right_volume: FigureOut
    excess_volume: FigureOut | None
    excess_percent: FigureOut | None
    change_in_excess_percent: FigureOut | None
    left_change_percent: FigureOut | None
    right_change_percent: FigureOut | None
    relative_volume_change: FigureOut | None
    excess_change_since: dt.date | None
    first_sitting: bool
    not_compared: str


class LimbMeasurementOut(Schema):
    id: UUID
    patient: UUID
    practitioner: UUID
    location: UUID
    measured_on: dt.date
    region: str
    affected_side: str
    method: str
    landmark: str
    interval_cm: float | None
    left_circumferences_cm: list[float]
    right_circumferences_cm: list[float]
    left_volume_ml: float | None
    right_volume_ml: float | None
    rules_version: str
    isl_stage: str
    stemmer_sign: str
    pitting: str
    skin: list[str]
    skin_note: str
    heaviness: int | None
    tightness: int | None
    status: str
    status_reason: str
    signed_at: dt.datetime | None
    signed_by: str | None
    content_hash: str
    figures: FiguresOut | None


class LimbMeasurementPatch(InputSchema):
    """A draft's changes: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    measured_on: dt.date | None = None
    region: Literal["arm", "leg"] | None = None
    affected_side: Literal["left", "right", "both"] | None = None
    method: Literal["tape", "water_displacement", "perometer", "3d_scan"] | None = None
    landmark: str | None = Field(None, max_length=60)
    interval_cm: float | None = None
    left_circumferences_cm: Circumferences | None = Field(None, max_length=50)
    right_circumferences_cm: Circumferences | None = Field(None, max_length=50)
    left_volume_ml: float | None = None
    right_volume_ml: float | None = None
    isl_stage: Literal["", "0", "I", "II", "III"] | None = None
    stemmer_sign: Literal["", "positive", "negative"] | None = None
    pitting: Literal["", "present", "absent"] | None = None
    skin: list[str] | None = Field(None, max_length=20)
    skin_note: str | None = Field(None, max_length=300)
    heaviness: int | None = None
    tightness: int | None = None
