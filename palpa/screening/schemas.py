from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from palpa.core.schemas import (
    InputSchema,
    Text,
    TextInputSchema,
    public_id,
    public_id_or_none,
    shown,
)
from palpa.screening.models import Clearance
from palpa.screening.queries import FindingState, ScreeningStatus

Decision = Literal["PROCEED", "MODIFY", "CLEARANCE", "STOP"]
Urgency = Literal["none", "referral", "urgent", "emergency"]


class IntakeLinkOut(Schema):
    id: UUID
    patient: UUID
    url: str = Field(description="The one-time link to give the patient (shown only now)")
    expires_at: dt.datetime


class ScreeningIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    facts: dict[str, Any] = Field(
        description=(
            "Intake facts as in docs/screening.md. as_of defaults to today, date_of_birth to "
            "the patient's. Errors name the field as facts.<path>."
        )
    )
    questionnaire_version: str = Field("", max_length=40)


class ScreeningOut(Schema):
    id: UUID = public_id()
    patient: UUID = public_id("patient")
    as_of: dt.date
    decision: Decision
    urgency: Urgency
    rule_set_version: str
    questionnaire_version: str
    source: Literal["patient_link", "staff"]
    screened_by: str | None
    screened_at: dt.datetime = Field(validation_alias="created_at")
    status: str
    facts: dict[str, Any]
    result: dict[str, Any] = Field(description="The engine's whole result (docs/screening.md)")

    @staticmethod
    def resolve_screened_by(s: Any) -> str | None:
        return str(s.screened_by) if s.screened_by else None


class SourceOut(Schema):
    """A publication a finding cites (the data file's internal note is not shown)."""

    citation: str
    evidence: str
    url: str = ""


class LetterOut(Schema):
    # Read from the clearance's own letter_* fields.
    name: str = Field(validation_alias="letter_name")
    content_type: str = Field(validation_alias="letter_content_type")
    size: int = Field(validation_alias="letter_size")
    sha256: str = Field(validation_alias="letter_sha256")


class ClearanceOut(Schema):
    id: UUID = public_id()
    screening: UUID = public_id("screening")
    kind: Literal["physician", "override"]
    rule_ids: list[str]
    physician: UUID | None
    physician_name: str
    cleared_on: dt.date
    valid_until: dt.date | None
    scope: str
    conditions: str
    reason: str
    letter: LetterOut | None
    recorded_by: str
    recorded_at: dt.datetime = Field(validation_alias="created_at")

    resolve_physician = public_id_or_none("physician")
    resolve_recorded_by = shown("recorded_by")

    @staticmethod
    def resolve_rule_ids(c: Clearance) -> list[str]:
        return sorted(c.covered)

    @staticmethod
    def resolve_physician_name(c: Clearance) -> str:
        return str(c.physician) if c.physician else ""

    @staticmethod
    def resolve_letter(c: Clearance) -> Clearance | None:
        return c if c.letter else None


class FindingOut(Schema):
    rule_id: str
    title: str
    decision: Decision
    urgency: Urgency
    restrictions: dict[str, list[str]]
    matched_facts: list[str]
    rationale: str
    explanation: str
    sources: list[SourceOut]
    cleared_by: UUID | None = Field(description="The clearance or override that clears it")


class StatusOut(Schema):
    """What the patient's screening allows on ``on``: the single source of the decision."""

    patient: UUID = public_id("patient")
    on: dt.date
    screening: ScreeningOut | None
    decision: Decision | None = Field(description="The screening's decision")
    effective_decision: Decision | None = Field(description="The decision with clearances counted")
    urgency: Urgency | None
    due: bool = Field(description="A full (re-)screen is needed")
    due_on: dt.date | None
    rescreen_days: int
    confirmed_for_visit: bool
    can_start: bool
    can_sign: bool
    start_refusal: str
    sign_refusal: str
    emergency: bool
    instruction: str
    restrictions: dict[str, list[str]]
    restriction_lines: list[str]
    findings: list[FindingOut]
    clearances: list[ClearanceOut]

    @staticmethod
    def resolve_can_start(status: ScreeningStatus) -> bool:
        return not status.start_refusal

    @staticmethod
    def resolve_can_sign(status: ScreeningStatus) -> bool:
        return not status.sign_refusal

    @staticmethod
    def resolve_findings(status: ScreeningStatus) -> list[dict[str, Any]]:
        return [_finding(f) for f in status.findings]


def _finding(f: FindingState) -> dict[str, Any]:
    """A finding as the engine stored it (older results may lack the later keys), with
    the clearance that clears it."""
    return {
        **{k: f.finding[k] for k in ("rule_id", "title", "decision", "urgency")},
        "restrictions": f.finding.get("restrictions", {}),
        "matched_facts": f.finding.get("matched_facts", []),
        "rationale": f.finding.get("rationale", ""),
        "explanation": f.finding.get("explanation", ""),
        "sources": f.finding.get("sources", []),
        "cleared_by": f.cleared_by.public_id if f.cleared_by else None,
    }


class ScreeningFlagOut(Schema):
    """For the front desk: whether the patient may be treated, without clinical detail."""

    patient: UUID = public_id("patient")
    on: dt.date
    decision: Decision | None = Field(
        description="The decision with clearances counted", validation_alias="effective_decision"
    )
    action: Literal[
        "screen", "rescreen", "emergency", "stop", "clearance", "confirm_at_visit", "none"
    ]
    treatment_allowed: bool
    due_on: dt.date | None


class StatusQuery(TextInputSchema):
    on: dt.date | None = Field(None, description="The day (default: today)")


class ConfirmationIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    on: dt.date | None = Field(None, description="The visit day (default: today)")


class ConfirmationOut(Schema):
    id: UUID = public_id()
    screening: UUID = public_id("screening")
    on: dt.date
    confirmed_by: str

    resolve_confirmed_by = shown("confirmed_by")


class ClearanceIn(TextInputSchema):
    """Form fields sent with the letter (multipart/form-data)."""

    physician: UUID = Field(description="A physician of the organization's directory")
    cleared_on: dt.date
    scope: Text = Field(min_length=1, max_length=2000)
    conditions: Text = Field("", max_length=2000)
    valid_until: dt.date | None = None
    rule_ids: list[str] = Field(
        default_factory=list,
        description="Findings it clears (repeat the field); default every CLEARANCE and STOP",
    )


class ScreeningOverrideIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=2000)
    rule_ids: list[str] = Field(default_factory=list)


class RuleSetSummary(Schema):
    version: str
    name: str
    reason: str
    created_by: str | None
    created_at: dt.datetime | None
    in_force: bool


class RuleSetList(Schema):
    in_force: str
    default_version: str
    versions: list[RuleSetSummary]


class RuleSetIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any] = Field(description="A whole rule set (schema in docs/screening.md)")
    reason: Text = Field(min_length=1, max_length=2000)


class RuleSetOut(RuleSetSummary):
    document: dict[str, Any]


class ScreeningPolicyIn(InputSchema):
    model_config = ConfigDict(extra="forbid")

    rescreen_days: int = Field(ge=7, le=365)
    intake_link_days: int = Field(ge=1, le=30)


class ScreeningPolicyOut(Schema):
    rescreen_days: int
    intake_link_days: int


BloodPressureSymptom = Literal[
    "chest_pain", "shortness_of_breath", "neurological_signs", "vision_change", "severe_headache"
]


class BloodPressureIn(InputSchema):
    """A blood pressure measured at the visit (docs/screening.md, "A blood pressure
    measured at the visit"). Plausible ranges and the day are checked by the service and
    named by field in a 422."""

    model_config = ConfigDict(extra="forbid")

    systolic: int = Field(description="mmHg, 50 to 300")
    diastolic: int = Field(description="mmHg, 20 to 200, below the systolic")
    measured_on: dt.date | None = Field(
        None, description="The day it was measured (default: today; not a future day)"
    )
    symptoms: list[BloodPressureSymptom] = Field(
        default_factory=list, description="Symptoms at the time of the reading", max_length=5
    )


class BloodPressureReading(Schema):
    systolic: int
    diastolic: int
    measured_on: dt.date
    symptoms: list[str]


class BloodPressureOut(Schema):
    patient: UUID
    on: dt.date
    screening: UUID | None = Field(description="The screening in force that holds the reading")
    reading: BloodPressureReading | None
    todays: bool = Field(description="The reading was measured on the day asked about")
    decision: str | None
    urgency: str | None
    findings: list[str] = Field(description="The blood-pressure rules that the reading fired")
