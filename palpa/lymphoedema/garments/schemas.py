from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from palpa.core.schemas import InputSchema

Circumferences = list[float]


class GarmentPrescriptionIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    location: UUID
    prescribed_on: dt.date | None = Field(None, description="Default: the clinic's today.")
    limb: Literal["arm", "leg"]
    side: Literal["left", "right", "both"]
    garment_type: str = Field(max_length=40, description="A code of data/garments.json.")
    knit: Literal["flat", "circular"]
    standard: str = Field(max_length=20, description="The named standard, e.g. RAL-GZG.")
    compression_class: str = Field(max_length=10, description="The class in that standard.")
    measurement: UUID | None = Field(
        None, description="A signed tape limb measurement of the patient the garment is made from."
    )
    landmark: str = Field("", max_length=60)
    interval_cm: float | None = None
    left_circumferences_cm: Circumferences = Field(default_factory=list, max_length=50)
    right_circumferences_cm: Circumferences = Field(default_factory=list, max_length=50)
    product: str = Field("", max_length=200, description="Manufacturer and product name.")
    quantity: int = 1
    notes: str = Field("", max_length=500)
    sign: bool = Field(False, description="Sign at once (nothing is saved if signing fails).")


class FittingIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    fitted_on: dt.date | None = Field(None, description="Default: the clinic's today.")
    note: str = Field("", max_length=300)


class FittingOut(Schema):
    fitted_on: dt.date
    interval_months: int
    replacement_due_on: dt.date
    note: str


class GarmentPrescriptionOut(Schema):
    id: UUID
    patient: UUID
    practitioner: UUID
    location: UUID
    prescribed_on: dt.date
    limb: str
    side: str
    garment_type: str
    knit: str
    standard: str
    compression_class: str
    compression: str
    measurement: UUID | None
    landmark: str
    interval_cm: float | None
    left_circumferences_cm: list[float]
    right_circumferences_cm: list[float]
    product: str
    quantity: int
    notes: str
    data_version: str
    status: str
    status_reason: str
    signed_at: dt.datetime | None
    content_hash: str
    fitting: FittingOut | None
    replacement: str = Field(description='"", "due" (within 30 days) or "overdue".')
