from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import Location, User
from palpa.care.models import TreatmentNote
from palpa.care.services import add_technique, start_note
from palpa.patients.models import Patient


@pytest.fixture
def draft(therapist: User, patient: Patient, location: Location) -> TreatmentNote:
    note = start_note(
        actor=therapist,
        patient=patient,
        location=location,
        visit_date=dt.date.today(),
        pain_today=6,
        subjective="Low back stiff after a long drive; did the ball routine twice.",
        home_care_adherence="some",
    )
    add_technique(
        actor=therapist,
        note=note,
        technique="myofascial_release",
        region="low_back",
        minutes=20,
        pressure="moderate",
    )
    add_technique(
        actor=therapist,
        note=note,
        technique="trigger_point",
        region="gluteal",
        side="left",
        minutes=10,
        pressure="firm",
        tool="massage_ball",
    )
    return note
