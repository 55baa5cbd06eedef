"""Events the care app publishes (see docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass

from palpa.core.events import Event


@dataclass(frozen=True)
class TreatmentNoteSigned(Event):
    note_id: int
    organization_id: int
    patient_id: int


@dataclass(frozen=True)
class TreatmentNoteEnteredInError(Event):
    """A signed note was marked entered-in-error (billing voids its charges)."""

    note_id: int
    organization_id: int
    patient_id: int
    actor_id: int


@dataclass(frozen=True)
class EvaluationSigned(Event):
    """An evaluation was signed: it opens an episode of care (analytics)."""

    evaluation_id: int
    organization_id: int
    patient_id: int


@dataclass(frozen=True)
class EvaluationEnteredInError(Event):
    evaluation_id: int
    organization_id: int
    patient_id: int


@dataclass(frozen=True)
class PlanSigned(Event):
    """A plan of care (a first version or a revision) was signed."""

    plan_id: int
    evaluation_id: int
    organization_id: int
    patient_id: int


@dataclass(frozen=True)
class PlanEnteredInError(Event):
    plan_id: int
    evaluation_id: int
    organization_id: int
    patient_id: int


@dataclass(frozen=True)
class PlanDischarged(Event):
    """A plan of care was discharged (its signed discharge written; the plan completed)."""

    plan_id: int
    evaluation_id: int
    organization_id: int
    patient_id: int
