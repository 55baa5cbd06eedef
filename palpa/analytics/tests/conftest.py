"""A patient's course of result-based care for low back pain, recorded through the
services as the product records it, with the domain events run as after a real commit
(so the episode table is built the way it is in production).

The clock stands still at ``core.tests.support.NOW`` (Monday 2 March 2026, 15:00 in Tampa).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest

from palpa.accounts.models import Location, User
from palpa.care.models import Evaluation, Plan, TreatmentNote
from palpa.care.plans import services as plan_services
from palpa.core.tests.support import TODAY, frozen_clock
from palpa.patients.models import Patient
from tests.builders import (
    ODI_BASELINE,
    PAIN_AT_MOST_3,
    SITTING,
    Technique,
    signed_evaluation,
    signed_note,
    signed_plan,
)

EVALUATED = TODAY - dt.timedelta(days=21)  # Monday 9 February 2026
VISITS = [TODAY - dt.timedelta(days=d) for d in (18, 14, 11)]
REASSESSED = TODAY - dt.timedelta(days=7)
ONSET = EVALUATED - dt.timedelta(weeks=14)  # chronic: more than 12 weeks before

LOW_BACK = [
    Technique("myofascial_release", "low_back", 25, "moderate"),
    Technique("trigger_point", "gluteal", 10, "firm", side="left"),
]
HEALTH_HISTORY: dict[str, Any] = {
    "conditions": [
        {"code": "hypertension", "status": "current"},
        {"code": "osteoporosis", "status": "past"},
    ],
}

Commit = Callable[[], AbstractContextManager[Any]]


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Any) -> Commit:
    """``with commit():`` runs the block's on-commit handlers, as after a real commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@dataclass
class Course:
    patient: Patient
    evaluation: Evaluation
    plan: Plan
    notes: list[TreatmentNote]
    therapist: User
    location: Location


def visit(course: Course, on: dt.date, techniques: list[Technique] = LOW_BACK) -> TreatmentNote:
    from palpa.screening.services import confirm_no_change

    confirm_no_change(actor=course.therapist, patient=course.patient, on=on)
    note = signed_note(
        therapist=course.therapist,
        patient=course.patient,
        location=course.location,
        plan=course.plan,
        on=on,
        techniques=techniques,
    )
    course.notes.append(note)
    return note


def reassess(course: Course, answers: list[int], on: dt.date = REASSESSED) -> None:
    plan_services.record_reassessment(
        actor=course.therapist,
        plan=course.plan,
        instrument="ODI",
        answers=answers,
        administered_on=on,
    )


def start_course(
    *,
    owner: User,
    therapist: User,
    patient: Patient,
    location: Location,
    commit: Commit,
    visits: list[dt.date] = VISITS,
) -> Course:
    """Screened, evaluated (ODI and NPRS baselines, onset 14 weeks before), planned 2x a
    week for 3 weeks with ODI as the primary goal, and treated on ``visits``."""
    from palpa.care.evaluations import services as evaluation_services
    from palpa.screening.services import record_screening

    with commit():
        record_screening(
            actor=owner,
            patient=patient,
            facts={"as_of": (EVALUATED - dt.timedelta(days=1)).isoformat(), **HEALTH_HISTORY},
        )

        def onset(evaluation: Evaluation) -> None:
            evaluation_services.update_evaluation(
                actor=therapist, evaluation=evaluation, changes={"onset_on": ONSET}
            )

        evaluation = signed_evaluation(
            therapist=therapist,
            patient=patient,
            location=location,
            evaluated_on=EVALUATED,
            baselines={"ODI": ODI_BASELINE, "NPRS": [7]},
            findings=onset,
        )
        plan = signed_plan(
            therapist=therapist,
            evaluation=evaluation,
            per_week=2,
            weeks=3,
            techniques=["myofascial_release", "trigger_point"],
            goals=[SITTING, PAIN_AT_MOST_3],
            due_on=EVALUATED + dt.timedelta(weeks=3),
        )
    course = Course(patient, evaluation, plan, [], therapist, location)
    for on in visits:
        with commit():
            visit(course, on)
    return course


@pytest.fixture
def course(
    owner: User, therapist: User, patient: Patient, location: Location, commit: Commit
) -> Course:
    return start_course(
        owner=owner, therapist=therapist, patient=patient, location=location, commit=commit
    )
