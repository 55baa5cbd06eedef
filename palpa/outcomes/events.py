"""Events the outcomes app publishes (see docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass

from palpa.core.events import Event


@dataclass(frozen=True)
class InstrumentAdministered(Event):
    """An instrument was scored and recorded for a patient (at the clinic or by the
    patient through a link); analytics updates the patient's episode of care."""

    administration_id: int
    organization_id: int
    patient_id: int


@dataclass(frozen=True)
class AdministrationEnteredInError(Event):
    """A recorded administration was marked entered in error: it no longer counts."""

    administration_id: int
    organization_id: int
    patient_id: int
