from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import Location, User
from palpa.care.evaluations.services import (
    add_diagnosis,
    add_pain_map_entry,
    add_palpation_finding,
    add_special_test,
    record_baseline_administration,
    record_rom,
    sign_evaluation,
    start_evaluation,
)
from palpa.care.models import Evaluation, Plan, TreatmentNote
from palpa.care.notes.services import add_technique, start_note
from palpa.care.plans.services import add_goal, create_plan
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient


@pytest.fixture
def draft(therapist: User, patient: Patient, location: Location) -> TreatmentNote:
    note = start_note(
        actor=therapist,
        patient=patient,
        location=location,
        visit_date=clinic_today(),
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


@pytest.fixture
def evaluation(therapist: User, patient: Patient, location: Location) -> Evaluation:
    """A draft evaluation of low back pain, with findings, ROM, an ODI and an NPRS baseline."""
    found = start_evaluation(
        actor=therapist,
        patient=patient,
        location=location,
        evaluated_on=clinic_today(),
        chief_complaint="Low back pain for 3 months, worse after sitting.",
        history="Desk work; no trauma. GP referral for massage therapy.",
        posture="Anterior pelvic tilt.",
    )
    add_pain_map_entry(
        actor=therapist,
        evaluation=found,
        region="low_back",
        intensity=6,
        quality="aching",
    )
    add_palpation_finding(
        actor=therapist,
        evaluation=found,
        region="gluteal",
        side="left",
        tone="hypertonic",
        tenderness=2,
        trigger_points=True,
        trigger_point_count=2,
        texture="Ropy, warm.",
    )
    record_rom(
        actor=therapist,
        evaluation=found,
        joint="thoracolumbar_spine",
        motion="flexion",
        degrees=60,
        instrument="inclinometer",
    )
    add_special_test(actor=therapist, evaluation=found, name="Slump test", result="negative")
    add_diagnosis(actor=therapist, evaluation=found, code="M54.50")
    record_baseline_administration(
        actor=therapist,
        evaluation=found,
        instrument="ODI",
        answers=[2, 3, 1, 2, 2, 2, 1, 2, 3, 2],
    )
    record_baseline_administration(
        actor=therapist, evaluation=found, instrument="NPRS", answers=[6]
    )
    return found


@pytest.fixture(autouse=True)
def _screened_patient(request: pytest.FixtureRequest) -> None:
    """Signing a note needs a safety screening: the shared patient has a PROCEED one today
    (test_screening_enforcement.py uses patients of its own to test the rules)."""
    if "patient" not in request.fixturenames:
        return
    from palpa.screening.services import record_screening

    patient = request.getfixturevalue("patient")
    record_screening(actor=request.getfixturevalue("owner"), patient=patient, facts={})


@pytest.fixture
def signed_evaluation(therapist: User, evaluation: Evaluation) -> Evaluation:
    return sign_evaluation(actor=therapist, evaluation=evaluation)


@pytest.fixture
def plan(therapist: User, signed_evaluation: Evaluation) -> Plan:
    """A draft plan: 2 x 6 weeks, an ODI goal (primary, meaningful change), an NPRS goal."""
    drafted = create_plan(
        actor=therapist,
        evaluation=signed_evaluation,
        frequency_per_week=2,
        duration_weeks=6,
        techniques=["myofascial_release", "trigger_point"],
        precautions="Avoid prone position longer than 20 minutes.",
        home_care=[
            {
                "kind": "self_massage",
                "instructions": "Ball on the left glute against a wall.",
                "tool": "massage_ball",
                "frequency": "Once a day, 2 minutes",
            }
        ],
    )
    due = signed_evaluation.evaluated_on + dt.timedelta(weeks=6)
    add_goal(
        actor=therapist,
        plan=drafted,
        statement="Sit through a 1-hour meeting without low back pain stopping me.",
        measure_kind="instrument",
        instrument="ODI",
        target_kind="meaningful_change",
        due_on=due,
    )
    add_goal(
        actor=therapist,
        plan=drafted,
        statement="Pain at most 3 out of 10 on a work day.",
        measure_kind="instrument",
        instrument="NPRS",
        target_value=3,
        due_on=due,
    )
    return drafted
