"""A patient in a course of result-based care under a physician's referral, ready to be
reported on: evaluated, planned, treated in 4 signed notes and re-assessed once.

The clock stands still (``core.tests.support.NOW``); report emails are sent at once (the
immediate task backend) into Django's test outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from palpa.accounts.models import Location, User
from palpa.care.models import Plan, TreatmentNote
from palpa.care.plans import services as plan_services
from palpa.core.npi import make_npi
from palpa.core.tests.support import TODAY, frozen_clock
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral
from palpa.referrals.services import add_physician, record_referral
from palpa.reports.models import Report
from tests.builders import (
    ODI_BASELINE,
    PAIN_AT_MOST_3,
    SITTING,
    Technique,
    signed_evaluation,
    signed_note,
    signed_plan,
)

EVALUATED = TODAY - dt.timedelta(days=21)
VISITS = [TODAY - dt.timedelta(days=d) for d in (18, 14, 11, 7)]
REASSESSED = TODAY - dt.timedelta(days=7)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@dataclass
class Course:
    patient: Patient
    physician: Physician
    referral: Referral
    plan: Plan
    notes: list[TreatmentNote]


def make_physician(owner: User, npi9: str = "123456789") -> Physician:
    return add_physician(
        actor=owner,
        given_name="Helen",
        family_name="Park",
        credentials="MD",
        npi=make_npi(npi9),
        practice="Bayside Family Medicine",
        fax="+1 813 555 0199",
        secure_email="dr.park@bayside-fm.example",
    )


LOW_BACK = [
    Technique("myofascial_release", "low_back", 25, "moderate"),
    Technique("trigger_point", "gluteal", 10, "firm", side="left"),
]


def note(therapist: User, patient: Patient, location: Location, plan: Plan, on: dt.date) -> Any:
    from palpa.screening.services import confirm_no_change

    confirm_no_change(actor=therapist, patient=patient, on=on)
    return signed_note(
        therapist=therapist,
        patient=patient,
        location=location,
        plan=plan,
        on=on,
        techniques=LOW_BACK,
        subjective="Low back stiff in the morning.",
        assessment="Tone reduced in the left gluteals after treatment.",
    )


def treat(
    *,
    owner: User,
    therapist: User,
    patient: Patient,
    location: Location,
    physician: Physician,
    visits: list[dt.date] = VISITS,
    authorized: int = 6,
) -> Course:
    from palpa.screening.services import record_screening

    record_screening(
        actor=owner,
        patient=patient,
        facts={"as_of": (EVALUATED - dt.timedelta(days=1)).isoformat()},
    )
    referral = record_referral(
        actor=owner,
        patient=patient,
        physician=physician,
        diagnoses=["M54.50"],
        requested_service="Medical massage for low back pain",
        frequency="2x a week for 3 weeks",
        visits_authorized=authorized,
        starts_on=EVALUATED - dt.timedelta(days=4),
        expires_on=TODAY + dt.timedelta(days=60),
    )
    evaluation = signed_evaluation(
        therapist=therapist,
        patient=patient,
        location=location,
        evaluated_on=EVALUATED,
        baselines={"ODI": ODI_BASELINE, "NPRS": [7]},
    )
    plan = signed_plan(
        therapist=therapist,
        evaluation=evaluation,
        per_week=2,
        weeks=3,
        techniques=["myofascial_release", "trigger_point"],
        precautions="Avoid prone position longer than 20 minutes.",
        goals=[SITTING, PAIN_AT_MOST_3],
        due_on=EVALUATED + dt.timedelta(weeks=3),
    )
    notes = [note(therapist, patient, location, plan, on) for on in visits]
    if visits[0] <= REASSESSED:
        plan_services.record_reassessment(
            actor=therapist,
            plan=plan,
            instrument="ODI",
            answers=[1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            administered_on=REASSESSED,
        )
        plan_services.record_reassessment(
            actor=therapist, plan=plan, instrument="NPRS", answers=[4], administered_on=REASSESSED
        )
    return Course(patient, physician, referral, plan, notes)


@pytest.fixture
def physician(owner: User) -> Physician:
    return make_physician(owner)


@pytest.fixture
def course(
    owner: User, therapist: User, patient: Patient, location: Location, physician: Physician
) -> Course:
    return treat(
        owner=owner, therapist=therapist, patient=patient, location=location, physician=physician
    )


@pytest.fixture
def outsider_course(outsider: User, outsider_patient: Patient) -> Course:
    """Another organization's patient with a signed report draft's prerequisites."""
    from palpa.practitioners.services import add_license, create_practitioner

    location = Location.objects.get(organization=outsider.organization)
    practitioner = create_practitioner(
        actor=outsider, user=outsider, given_name="Oscar", family_name="Outsider"
    )
    add_license(
        actor=outsider,
        practitioner=practitioner,
        jurisdiction="FL",
        license_type="LMT",
        number="MA99999",
        issued_on=TODAY - dt.timedelta(days=300),
        expires_on=TODAY + dt.timedelta(days=300),
    )
    outsider_patient.primary_location = location
    return treat(
        owner=outsider,
        therapist=outsider,
        patient=outsider_patient,
        location=location,
        physician=make_physician(outsider, "187654321"),
    )


def draft_report(therapist: User, patient: Patient, kind: str = "progress") -> Report:
    from palpa.reports.services import start_report, update_report

    report = start_report(actor=therapist, patient=patient, kind=kind)
    return update_report(
        actor=therapist,
        report=report,
        changes={
            "assessment": "ODI fell from 40 to 20: sitting tolerance is back to an hour.",
            "recommendation": "continue",
            "recommendation_detail": "",
        },
    )


@pytest.fixture
def draft(therapist: User, course: Course) -> Report:
    return draft_report(therapist, course.patient)


@pytest.fixture
def signed(therapist: User, draft: Report) -> Report:
    from palpa.reports.services import sign_report

    return sign_report(actor=therapist, report=draft)


@pytest.fixture
def outsider_signed(outsider: User, outsider_course: Course) -> Report:
    from palpa.reports.services import sign_report

    return sign_report(actor=outsider, report=draft_report(outsider, outsider_course.patient))
