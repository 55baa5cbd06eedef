"""Scores the patient sends through a link count in goal progress like the clinic's own."""

from __future__ import annotations

import datetime as dt

from palpa.accounts.models import Location, User
from palpa.care.evaluations import services as evaluation_services
from palpa.care.plans import services as plan_services
from palpa.care.queries import patient_administrations
from palpa.core.tests.support import clinic_today
from palpa.outcomes.services import create_instrument_link, submit_instrument_link
from palpa.patients.models import Patient


def test_a_psfs_goal_and_an_nprs_goal_follow_the_patients_link_answers(
    therapist: User, patient: Patient, location: Location
) -> None:
    today = clinic_today()
    evaluation = evaluation_services.start_evaluation(
        actor=therapist,
        patient=patient,
        location=location,
        evaluated_on=today - dt.timedelta(days=21),
        chief_complaint="Neck pain.",
    )
    evaluation_services.add_diagnosis(actor=therapist, evaluation=evaluation, code="M54.2")
    evaluation_services.record_baseline_administration(
        actor=therapist,
        evaluation=evaluation,
        instrument="PSFS",
        answers=[3, 2],
        item_labels=["Check blind spot driving", "Read in bed"],
    )
    evaluation_services.record_baseline_administration(
        actor=therapist, evaluation=evaluation, instrument="NPRS", answers=[7]
    )
    evaluation_services.sign_evaluation(actor=therapist, evaluation=evaluation)
    plan = plan_services.create_plan(
        actor=therapist, evaluation=evaluation, frequency_per_week=1, duration_weeks=8
    )
    plan_services.add_goal(
        actor=therapist,
        plan=plan,
        statement="Turn my head to check the blind spot.",
        measure_kind="psfs_activity",
        psfs_index=1,
        target_kind="meaningful_change",
        due_on=plan.ends_on,
    )
    plan_services.add_goal(
        actor=therapist,
        plan=plan,
        statement="Less neck pain.",
        measure_kind="instrument",
        instrument="NPRS",
        target_kind="meaningful_change",
        due_on=plan.ends_on,
    )
    plan_services.sign_plan(actor=therapist, plan=plan)

    link, token = create_instrument_link(
        actor=therapist, patient=patient, instruments=["PSFS", "NPRS"]
    )
    assert link.psfs_activities == ["Check blind spot driving", "Read in bed"]
    submit_instrument_link(token=token, answers={"PSFS": [6, 4], "NPRS": [3]})

    report = plan_services.plan_progress(actor=therapist, plan=plan)
    results = {goal.measure_kind: result for goal, result in report.goals}
    assert results["psfs_activity"].latest == 6
    assert results["psfs_activity"].status == "achieved"
    assert results["instrument"].latest == 3
    assert results["instrument"].meaningful is True
    sources = {a.source for a in patient_administrations(therapist, patient)}
    assert sources == {"clinic", "patient_link"}
