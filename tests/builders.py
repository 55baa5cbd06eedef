"""The test builders every suite shares: the fixed personas' clinic and a signed course of
result-based care, written through the services as the product writes them.

- Personas (conftest.py's fixtures, the permission walk's clinic, the API fuzz):
  ``organization``, ``clinic_location``, ``staff``, ``licensed_therapist``.
- A course of care for low back pain (the reports', FHIR and billing tests):
  ``signed_evaluation`` (baselines, diagnoses), ``signed_plan`` (goals on instruments),
  ``signed_note`` (techniques, signed). Each takes what its callers vary; the rest is the
  one story every suite tells: desk work, three months of low back pain, worse sitting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from palpa.accounts.models import Location, Organization, User
from palpa.accounts.services import create_staff
from palpa.care.evaluations import services as evaluation_services
from palpa.care.models import Evaluation, Plan, TreatmentNote
from palpa.care.notes import services as note_services
from palpa.care.plans import services as plan_services
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.practitioners.services import add_license, create_practitioner

PASSWORD = "correct-horse-battery-staple-42"
COMPLAINT = "Low back pain for 3 months, worse after sitting."
ODI_BASELINE = [2, 3, 1, 2, 2, 2, 1, 2, 3, 2]


# --- personas ----------------------------------------------------------------------------


def organization(name: str, slug: str) -> Organization:
    return Organization.objects.create(name=name, slug=slug)


def clinic_location(org: Organization, name: str, region: str = "FL") -> Location:
    return Location.objects.create(
        organization=org,
        name=name,
        kind=Location.Kind.CLINIC,
        address_line1="1 Test Way",
        city="Tampa",
        region=region,
        postal_code="33602",
        time_zone="America/New_York",
    )


def staff(org: Organization, email: str, role: str, name: str) -> User:
    return create_staff(organization=org, email=email, full_name=name, role=role, password=PASSWORD)


def licensed_therapist(org: Organization, owner: User, email: str, name: str) -> User:
    """A therapist with a Florida LMT license running a year either side of today."""
    user = staff(org, email, "therapist", name)
    given, family = name.split(" ", 1)
    practitioner = create_practitioner(
        actor=owner, user=user, given_name=given, family_name=family, credentials="LMT"
    )
    today = clinic_today()
    add_license(
        actor=owner,
        practitioner=practitioner,
        jurisdiction="FL",
        license_type="LMT",
        number=f"MA{abs(hash(email)) % 100000:05d}",
        issued_on=today - dt.timedelta(days=365),
        expires_on=today + dt.timedelta(days=365),
    )
    return user


# --- a signed course of care ---------------------------------------------------------------


def signed_evaluation(
    *,
    therapist: User,
    patient: Patient,
    location: Location,
    evaluated_on: dt.date,
    baselines: dict[str, list[int]],
    diagnoses: Sequence[str] = ("M54.50",),
    complaint: str = COMPLAINT,
    findings: Callable[[Evaluation], Any] | None = None,
) -> Evaluation:
    """An evaluation with its diagnoses and baseline scores (instrument -> answers), signed;
    ``findings(evaluation)`` adds what a caller examines besides (pain map, ROM)."""
    evaluation = evaluation_services.start_evaluation(
        actor=therapist,
        patient=patient,
        location=location,
        evaluated_on=evaluated_on,
        chief_complaint=complaint,
    )
    if findings is not None:
        findings(evaluation)
    for code in diagnoses:
        evaluation_services.add_diagnosis(actor=therapist, evaluation=evaluation, code=code)
    for instrument, answers in baselines.items():
        evaluation_services.record_baseline_administration(
            actor=therapist, evaluation=evaluation, instrument=instrument, answers=answers
        )
    return evaluation_services.sign_evaluation(actor=therapist, evaluation=evaluation)


@dataclass(frozen=True)
class Goal:
    """A goal on an instrument: a target value, or a meaningful change when None."""

    instrument: str
    statement: str
    target_value: int | None = None


SITTING = Goal("ODI", "Sit through a 1-hour meeting without low back pain stopping me.")
PAIN_AT_MOST_3 = Goal("NPRS", "Pain at most 3 out of 10 on a work day.", target_value=3)


def signed_plan(
    *,
    therapist: User,
    evaluation: Evaluation,
    per_week: int,
    weeks: int,
    techniques: list[str],
    goals: Sequence[Goal],
    due_on: dt.date,
    precautions: str = "",
) -> Plan:
    """A plan of care with its goals (all due on ``due_on``), signed."""
    plan = plan_services.create_plan(
        actor=therapist,
        evaluation=evaluation,
        frequency_per_week=per_week,
        duration_weeks=weeks,
        techniques=techniques,
        precautions=precautions,
    )
    for goal in goals:
        target: dict[str, Any] = (
            {"target_kind": "meaningful_change"}
            if goal.target_value is None
            else {"target_value": goal.target_value}
        )
        plan_services.add_goal(
            actor=therapist,
            plan=plan,
            statement=goal.statement,
            measure_kind="instrument",
            instrument=goal.instrument,
            due_on=due_on,
            **target,
        )
    return plan_services.sign_plan(actor=therapist, plan=plan)


@dataclass(frozen=True)
class Technique:
    technique: str
    region: str
    minutes: int
    pressure: str
    side: str = ""
    tool: str = ""


def signed_note(
    *,
    therapist: User,
    patient: Patient,
    location: Location,
    plan: Plan | None,
    on: dt.date,
    techniques: Sequence[Technique],
    pain_today: int = 5,
    subjective: str = "",
    assessment: str = "",
) -> TreatmentNote:
    """A treatment note of the visit on ``on`` with its techniques, signed (the patient's
    screening must allow it that day)."""
    soap: dict[str, Any] = {
        k: v for k, v in (("subjective", subjective), ("assessment", assessment)) if v
    }
    note = note_services.start_note(
        actor=therapist,
        patient=patient,
        location=location,
        visit_date=on,
        plan_of_care=plan,
        pain_today=pain_today,
        **soap,
    )
    for done in techniques:
        extra: dict[str, Any] = {k: v for k, v in (("side", done.side), ("tool", done.tool)) if v}
        note_services.add_technique(
            actor=therapist,
            note=note,
            technique=done.technique,
            region=done.region,
            minutes=done.minutes,
            pressure=done.pressure,
            **extra,
        )
    return note_services.sign_note(actor=therapist, note=note)
