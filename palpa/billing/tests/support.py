"""Building blocks for the billing tests: signed notes (with their on-commit capture),
signed plans of care with diagnoses, payers with fees."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.test import TestCase

from palpa.accounts.models import Location, User
from palpa.billing import services
from palpa.billing.models import Charge, Coverage, Payer
from palpa.care.evaluations.services import (
    add_diagnosis,
    record_baseline_administration,
    sign_evaluation,
    start_evaluation,
)
from palpa.care.models import Plan, TreatmentNote
from palpa.care.notes.services import add_technique, sign_note, start_note
from palpa.care.plans.services import add_goal, create_plan, sign_plan
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient
from palpa.scheduling.models import Appointment

VALID_NPI = "1234567893"  # the check-digit example of the NPI standard
FEES = {"97140": "30.00", "97124": "25.00", "97112": "32.00", "97110": "31.00", "97010": "5.00"}


def run_on_commit() -> object:
    """Run the on-commit handlers (charge capture) of the block, as after a real commit."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def sign_visit(
    therapist: User,
    patient: Patient,
    location: Location,
    techniques: Sequence[tuple[str, int]] = (("myofascial_release", 20), ("swedish", 10)),
    *,
    plan: Plan | None = None,
    visit_date: dt.date = TODAY,
    appointment: Appointment | None = None,
) -> TreatmentNote:
    """A note with the given (technique, minutes), signed; its capture has run."""
    note = start_note(
        actor=therapist,
        patient=patient,
        location=location,
        visit_date=visit_date,
        plan_of_care=plan,
        appointment=appointment,
        assessment="Tolerated well.",
    )
    for technique, minutes in techniques:
        add_technique(
            actor=therapist,
            note=note,
            technique=technique,
            region="low_back",
            minutes=minutes,
            pressure="moderate",
        )
    with run_on_commit():  # type: ignore[attr-defined]
        sign_note(actor=therapist, note=note)
    return note


def signed_plan(therapist: User, patient: Patient, location: Location, codes: list[str]) -> Plan:
    evaluation = start_evaluation(
        actor=therapist,
        patient=patient,
        location=location,
        evaluated_on=TODAY,
        chief_complaint="Low back and neck pain.",
    )
    for code in codes:
        add_diagnosis(actor=therapist, evaluation=evaluation, code=code)
    record_baseline_administration(
        actor=therapist, evaluation=evaluation, instrument="NPRS", answers=[6]
    )
    sign_evaluation(actor=therapist, evaluation=evaluation)
    plan = create_plan(
        actor=therapist, evaluation=evaluation, frequency_per_week=1, duration_weeks=4
    )
    add_goal(
        actor=therapist,
        plan=plan,
        statement="Pain at most 3 out of 10.",
        measure_kind="instrument",
        instrument="NPRS",
        target_value=3,
        due_on=TODAY + dt.timedelta(weeks=4),
    )
    return sign_plan(actor=therapist, plan=plan)


def make_payer(owner: User, name: str = "Gulf Coast Health", **kwargs: object) -> Payer:
    payer = services.add_payer(actor=owner, name=name, modifiers=["GP"], **kwargs)  # type: ignore[arg-type]
    for code, price in FEES.items():
        services.set_fee(actor=owner, payer=payer, code=code, unit_price=price)
    return payer


def insure(owner: User, patient: Patient, payer: Payer) -> Coverage:
    return services.add_coverage(
        actor=owner,
        patient=patient,
        kind="insurance",
        payer=payer,
        member_id="XGC123456",
        group_number="G-778",
        subscriber_name=patient.full_name,
        starts_on=TODAY - dt.timedelta(days=30),
    )


def charge_of(note: TreatmentNote) -> Charge:
    return Charge.objects.get(note=note)
