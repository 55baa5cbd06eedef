from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from django.db.models import prefetch_related_objects
from ninja import Schema
from pydantic import ConfigDict, Field

from palpa.care.models import Discharge, Evaluation, Plan, TreatmentNote
from palpa.core.schemas import InputSchema, Text, public_id, public_id_or_none, shown
from palpa.outcomes.models import InstrumentAdministration

Adherence = Literal["", "none", "some", "most", "all"]


class NoteIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    location: UUID
    visit_date: dt.date
    plan_of_care: UUID | None = None
    appointment: UUID | None = Field(
        None, description="The booked visit this note documents; signing marks it fulfilled."
    )
    pain_today: int | None = Field(None, ge=0, le=10)
    subjective: Text = ""
    home_care_adherence: Adherence = ""
    objective: Text = ""
    assessment: Text = ""
    plan: Text = ""


class NotePatch(InputSchema):
    model_config = ConfigDict(extra="forbid")

    pain_today: int | None = Field(None, ge=0, le=10)
    subjective: Text | None = None
    home_care_adherence: Adherence | None = None
    objective: Text | None = None
    assessment: Text | None = None
    plan: Text | None = None


class TechniqueIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    technique: str = Field(max_length=40)
    region: str = Field(max_length=40)
    side: Literal["", "left", "right", "bilateral"] = ""
    minutes: int
    pressure: str = Field(max_length=10)
    tool: str = Field("none", max_length=20)


def _signer(record: Any) -> str | None:
    """Who signed a signed record (``None`` while it is a draft)."""
    return str(record.signed_by) if record.signed_by else None


class TechniqueOut(Schema):
    id: UUID = public_id()
    technique: str
    region: str
    side: str
    minutes: int
    pressure: str
    tool: str


class AddendumIn(InputSchema):
    text: Text = Field(min_length=1, max_length=5000)


class AddendumOut(Schema):
    id: UUID = public_id()
    text: str
    signed_by: str
    signed_at: dt.datetime

    resolve_signed_by = shown("signed_by")


class NoteOut(Schema):
    id: UUID = public_id()
    patient: UUID = public_id("patient")
    practitioner: UUID = public_id("practitioner")
    location: UUID = public_id("location")
    visit_date: dt.date
    plan_of_care: UUID | None
    appointment: UUID | None = None
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

    resolve_plan_of_care = public_id_or_none("plan_of_care")
    resolve_appointment = public_id_or_none("appointment")
    resolve_signed_by = staticmethod(_signer)

    @staticmethod
    def resolve_total_minutes(note: TreatmentNote) -> int:
        prefetch_related_objects([note], "techniques")  # one read for the sum and the list
        return sum(t.minutes for t in note.techniques.all())


class InErrorIn(InputSchema):
    reason: str = Field(min_length=1, max_length=300)


# ---------------------------------------------------------------------------------------
# Result-based care: evaluations, instrument administrations, plans, goals, discharge

Side = Literal["", "left", "right", "bilateral"]
RomSide = Literal["left", "right", "midline"]
Answer = bool | int | float | str | None


class EvaluationIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    location: UUID
    evaluated_on: dt.date
    chief_complaint: Text = Field("", max_length=5000)
    history: Text = Field("", max_length=20000)
    posture: Text = Field("", max_length=5000)
    onset_on: dt.date | None = Field(None, description="When the complaint began, if known")


class EvaluationPatch(InputSchema):
    model_config = ConfigDict(extra="forbid")

    chief_complaint: Text | None = Field(None, max_length=5000)
    history: Text | None = Field(None, max_length=20000)
    posture: Text | None = Field(None, max_length=5000)
    onset_on: dt.date | None = Field(None, description="When the complaint began; null clears it")


class PainIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    region: str = Field(max_length=40)
    side: Side = ""
    intensity: int
    quality: str = Field(max_length=12)
    note: str = Field("", max_length=300)


class PainOut(Schema):
    id: UUID = public_id()
    region: str
    side: str
    intensity: int
    quality: str
    note: str


class PalpationIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    region: str = Field(max_length=40)
    side: Side = ""
    tone: str = Field(max_length=12)
    tenderness: int
    trigger_points: bool = False
    trigger_point_count: int | None = None
    texture: str = Field("", max_length=300)


class PalpationOut(Schema):
    id: UUID = public_id()
    region: str
    side: str
    tone: str
    tenderness: int
    trigger_points: bool
    trigger_point_count: int | None
    texture: str


class RomIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    joint: str = Field(max_length=40)
    motion: str = Field(max_length=40)
    side: RomSide = "midline"
    degrees: int
    mode: str = Field("active", max_length=10)
    instrument: str = Field(max_length=12)
    position: str = Field("", max_length=120)


class ReassessmentRomIn(RomIn):
    measured_on: dt.date | None = None


class RomOut(Schema):
    id: UUID = public_id()
    joint: str
    motion: str
    side: str
    degrees: int
    mode: str
    instrument: str
    position: str
    norm_degrees: int | None
    norm_source: str
    norm_tag: str
    norms_version: str
    measured_on: dt.date
    rater: UUID = public_id("rater")
    status: str


class SpecialTestIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=80)
    side: Side = ""
    result: str = Field(max_length=10)
    note: str = Field("", max_length=300)


class SpecialTestOut(Schema):
    id: UUID = public_id()
    name: str
    side: str
    result: str
    note: str


class DiagnosisIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=12)
    rank: int | None = Field(None, ge=1)


class DiagnosisOut(Schema):
    id: UUID = public_id()
    code: str
    label: str
    rank: int
    codeset_version: str


class BaselineIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    instrument: str = Field(max_length=40)
    answers: list[Answer] = Field(max_length=100)
    item_labels: list[str] = Field(default_factory=list, max_length=20)


class AdministrationIn(BaselineIn):
    administered_on: dt.date
    context: Literal["baseline", "reassessment", "visit", "discharge"] = "visit"


class ReassessmentIn(BaselineIn):
    administered_on: dt.date | None = None


class AdministrationOut(Schema):
    id: UUID = public_id()
    patient: UUID = public_id("patient")
    instrument: str
    instrument_version: str
    library_version: str
    answers: list[int | None]
    item_labels: list[str]
    score: float
    percent: float | None
    unit: str
    band: str
    items_answered: int
    items_total: int
    calculation: str
    source: str = Field(description="clinic, or patient_link when the patient filled it by link")
    administered_on: dt.date
    context: str
    entered_by: str
    status: str
    status_reason: str

    resolve_entered_by = shown("entered_by")

    @staticmethod
    def resolve_item_labels(a: InstrumentAdministration) -> list[str]:
        return list(a.item_labels or [])


class EvaluationOut(Schema):
    id: UUID = public_id()
    patient: UUID = public_id("patient")
    practitioner: UUID = public_id("practitioner")
    location: UUID = public_id("location")
    evaluated_on: dt.date
    onset_on: dt.date | None
    chief_complaint: str
    history: str
    posture: str
    status: str
    status_reason: str
    signed_at: dt.datetime | None
    signed_by: str | None
    content_hash: str
    regions_version: str
    codeset_version: str
    pain_map: list[PainOut]
    palpation: list[PalpationOut]
    rom: list[RomOut] = Field(validation_alias="rom_measurements")
    special_tests: list[SpecialTestOut]
    diagnoses: list[DiagnosisOut]
    baselines: list[AdministrationOut]
    addenda: list[AddendumOut]

    resolve_signed_by = staticmethod(_signer)

    @staticmethod
    def resolve_baselines(e: Evaluation) -> list[InstrumentAdministration]:
        return [link.administration for link in e.administration_links.all()]


class SeventhOut(Schema):
    character: str
    label: str


class Icd10HitOut(Schema):
    code: str
    label: str
    group: str
    tag: str
    seventh_character_required: bool
    seventh_characters: list[SeventhOut]
    not_billable: bool
    note: str


class HomeCareIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=16)
    instructions: Text = Field(max_length=500)
    tool: str = Field("none", max_length=20)
    frequency: str = Field(max_length=120)


class HomeCareOut(Schema):
    id: UUID = public_id()
    kind: str
    instructions: str
    tool: str
    frequency: str


class PlanIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    evaluation: UUID
    starts_on: dt.date | None = None
    frequency_per_week: int
    duration_weeks: int
    techniques: list[str] = Field(default_factory=list, max_length=30)
    precautions: Text = Field("", max_length=5000)
    reassess_every_visits: int | None = 6
    reassess_every_days: int | None = None
    diagnoses: list[str] | None = Field(None, max_length=12)
    home_care: list[HomeCareIn] = Field(default_factory=list, max_length=30)


class PlanPatch(InputSchema):
    model_config = ConfigDict(extra="forbid")

    starts_on: dt.date | None = None
    frequency_per_week: int | None = None
    duration_weeks: int | None = None
    techniques: list[str] | None = Field(None, max_length=30)
    precautions: Text | None = Field(None, max_length=5000)
    reassess_every_visits: int | None = None
    reassess_every_days: int | None = None
    diagnoses: list[str] | None = Field(None, max_length=12)
    home_care: list[HomeCareIn] | None = Field(None, max_length=30)


class GoalIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    statement: Text = Field(max_length=500)
    measure_kind: Literal["instrument", "psfs_activity", "rom"]
    instrument: str = Field("", max_length=40)
    rom_joint: str = Field("", max_length=40)
    rom_motion: str = Field("", max_length=40)
    rom_side: RomSide = "midline"
    psfs_index: int | None = None
    target_kind: Literal["value", "meaningful_change"] = "value"
    target_value: float | None = None
    due_on: dt.date
    primary: bool = False
    rom_local_mdc: float | None = None


class GoalOut(Schema):
    id: UUID = public_id()
    statement: str
    measure_kind: str
    measure: str = Field(validation_alias="measure_label")
    instrument: str
    rom_joint: str
    rom_motion: str
    rom_side: str
    psfs_index: int | None
    psfs_activity: str
    baseline_value: float
    baseline_on: dt.date
    target_kind: str
    target_value: float
    target_basis: str
    due_on: dt.date
    is_primary: bool
    rom_local_mdc: float | None


class DischargeIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["goals_met", "plateau", "referred_out", "patient_choice", "other"]
    reason_detail: str = Field("", max_length=300)
    summary: Text = Field("", max_length=20000)
    discharged_on: dt.date | None = None


class ThresholdOut(Schema):
    kind: str
    value: float
    source: str
    met: bool


class GoalOutcomeOut(Schema):
    goal: UUID
    statement: str
    measure: str
    primary: bool
    baseline: float
    baseline_on: dt.date
    latest: float
    latest_on: dt.date
    target: float
    target_basis: str
    due_on: dt.date
    status: str
    status_label: str
    meaningful: bool | None
    decided_by: str | None = Field(
        None,
        description="Which threshold made the change meaningful: absolute (points), relative "
        "(percent of the baseline, Ostelo 2008) or local_mdc (ROM); null when it is not "
        "(or for discharges recorded before Palpa stored it)",
    )
    detected: str | None = Field(
        None, description="better, worse or none (inside measurement error)"
    )
    noise_band: float | None = None
    noise_basis: str = ""
    explanation: str
    thresholds: list[ThresholdOut]
    reason: str


class DischargeOut(Schema):
    id: UUID = public_id()
    plan: UUID = public_id("plan")
    discharged_on: dt.date
    reason: str
    reason_detail: str
    summary: str
    goal_outcomes: list[GoalOutcomeOut]
    practitioner: UUID = public_id("practitioner")
    signed_by: str
    signed_at: dt.datetime
    content_hash: str

    resolve_signed_by = shown("signed_by")


class PlanOut(Schema):
    id: UUID = public_id()
    patient: UUID = public_id("patient")
    evaluation: UUID = public_id("evaluation")
    practitioner: UUID = public_id("practitioner")
    location: UUID = public_id("location")
    lineage: UUID
    version: int
    supersedes: UUID | None
    status: str
    status_reason: str
    starts_on: dt.date
    ends_on: dt.date
    frequency_per_week: int
    duration_weeks: int
    planned_visits: int
    techniques: list[str]
    precautions: str
    reassess_every_visits: int | None
    reassess_every_days: int | None
    diagnoses: list[DiagnosisOut]
    goals: list[GoalOut]
    home_care: list[HomeCareOut]
    signed_at: dt.datetime | None
    signed_by: str | None
    content_hash: str
    discharge: DischargeOut | None

    resolve_supersedes = public_id_or_none("supersedes")
    resolve_signed_by = staticmethod(_signer)

    @staticmethod
    def resolve_discharge(p: Plan) -> Discharge | None:
        found = Discharge.objects.filter(plan=p).select_related("practitioner", "signed_by")
        return found.first()


class AppliedThresholdOut(Schema):
    kind: str
    value: float
    unit: str
    source: str
    citation: str
    met: bool


class GoalProgressOut(Schema):
    goal: UUID
    statement: str
    measure: str
    primary: bool
    status: str
    status_label: str
    reason: str
    baseline: float
    baseline_on: dt.date
    latest: float
    latest_on: dt.date
    measurements: int
    target: float
    target_kind: str
    due_on: dt.date
    improvement: float
    required: float
    expected: float
    meaningful: bool | None
    decided_by: Literal["absolute", "relative", "local_mdc"] | None = Field(
        description="Which threshold made the change meaningful: absolute (MCID and MDC in "
        "points), relative (percent of the baseline, Ostelo 2008) or local_mdc (ROM); null "
        "when the change is not meaningful"
    )
    detected: Literal["better", "worse", "none"] = Field(
        description="The change from baseline judged against measurement error: better or "
        "worse beyond the noise band, or none (no detectable change)"
    )
    noise_band: float | None = Field(
        description="The size a change must reach to count (the MDC; without one, the MCID)"
    )
    noise_basis: str
    meaningful_explanation: str
    thresholds: list[AppliedThresholdOut]
    thresholds_reason: str
    notes: list[str]


class NonResponderOut(Schema):
    alert: bool
    decided: bool
    signed_notes: int
    after_notes: int
    reason: str
    suggestion: str


class PlanProgressOut(Schema):
    plan: UUID
    version: int
    status: str
    as_of: dt.date
    signed_notes: int
    goals: list[GoalProgressOut]
    non_responder: NonResponderOut
    reassessment_due: bool
    reassessment_reason: str
