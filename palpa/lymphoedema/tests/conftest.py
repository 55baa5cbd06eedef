from __future__ import annotations

from collections.abc import Iterator

import pytest

from palpa.accounts.models import Location, User
from palpa.care.models import TreatmentNote
from palpa.care.notes import services as note_services
from palpa.core.tests.support import clinic_today, frozen_clock
from palpa.patients.models import Patient
from palpa.screening.services import record_screening


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.fixture
def screened(owner: User, patient: Patient) -> None:
    record_screening(actor=owner, patient=patient, facts={})


@pytest.fixture
def mld_note(therapist: User, patient: Patient, location: Location) -> TreatmentNote:
    note = note_services.start_note(
        actor=therapist, patient=patient, location=location, visit_date=clinic_today()
    )
    note_services.add_technique(
        actor=therapist,
        note=note,
        technique="manual_lymphatic_drainage",
        region="upper_arm",
        side="left",
        minutes=45,
        pressure="light",
    )
    return note
