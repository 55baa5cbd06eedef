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
