"""The demo clinic's result-based care: evaluations, plans, goals, re-assessments along
realistic trajectories, and one discharge, all computed by the care code itself."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from conftest import verified_client
from palpa.accounts.models import Organization, User
from palpa.care import queries
from palpa.care.models import Discharge, Evaluation, Plan, RomMeasurement, TreatmentNote
from palpa.care.plans import services as plan_services
from palpa.demo.tests.support import DEMO_TODAY
from palpa.outcomes.library import get_instrument
from palpa.outcomes.models import InstrumentAdministration
from palpa.patients.models import Patient
from palpa.screening.queries import screening_status

TODAY = DEMO_TODAY


@pytest.fixture
def org(demo: Organization) -> Organization:
    return demo


@pytest.fixture
def maya(org: Organization) -> User:
    return User.objects.get(email="therapist@harbor.example")


def _treated(org: Organization) -> list[Patient]:
    return list(
        Patient.objects.filter(organization=org, treatment_notes__isnull=False)
        .distinct()
        .order_by("mrn")
    )


def _plan(patient: Patient) -> Plan:
    return Plan.objects.exclude(status=Plan.Status.ENTERED_IN_ERROR).get(patient=patient)


def _progress(maya: User, org: Organization) -> dict[Patient, plan_services.PlanProgress]:
    return {p: plan_services.plan_progress(actor=maya, plan=_plan(p)) for p in _treated(org)}


def test_every_treated_patient_has_a_signed_evaluation_before_the_first_note(
    org: Organization,
) -> None:
    treated = _treated(org)
    assert len(treated) == 18
    for patient in treated:
        evaluation = Evaluation.objects.get(patient=patient)
        assert evaluation.status == Evaluation.Status.SIGNED
        assert evaluation.chief_complaint
        assert evaluation.history
        assert evaluation.pain_map.exists()
        assert evaluation.palpation.exists()
        assert evaluation.special_tests.exists()
        assert evaluation.diagnoses.filter(rank=1).exists()
        baselines = {
            link.administration.instrument for link in evaluation.administration_links.all()
        }
        assert "NPRS" in baselines
        assert baselines & {"ODI", "RMDQ", "NDI", "QUICKDASH", "LEFS"}, patient
        first_visit = patient.treatment_notes.order_by("visit_date")[0].visit_date
        assert evaluation.evaluated_on < first_visit
    measured = Evaluation.objects.filter(organization=org, rom_measurements__isnull=False)
    assert measured.distinct().count() >= 10
    assert all(
        m.norm_degrees is not None and m.norm_source
        for e in measured
        for m in e.rom_measurements.all()
    )


def test_every_treated_patient_has_a_signed_plan_with_measurable_goals(
    org: Organization,
) -> None:
    for patient in _treated(org):
        plan = _plan(patient)
        assert plan.status in (Plan.Status.ACTIVE, Plan.Status.COMPLETED)
        assert plan.signed_at is not None
        assert plan.techniques
        assert plan.home_care.exists()
        assert plan.reassess_every_visits
        goals = list(plan.goals.all())
        assert 1 <= len(goals) <= 3
        assert sum(g.is_primary for g in goals) == 1
        for goal in goals:
            assert goal.statement
            assert goal.baseline_on == plan.evaluation.evaluated_on
            assert plan.starts_on < goal.due_on
    lymphedema = Patient.objects.filter(
        organization=org, evaluations__diagnoses__code="I97.2"
    ).first()
    assert lymphedema is not None
    assert "MODIFY" in _plan(lymphedema).precautions
    cleared = [p for p in _treated(org) if screening_status(p).clearances]
    assert cleared
    assert "Cleared by" in _plan(cleared[0]).precautions


def test_signed_notes_follow_the_plan_and_log_techniques_with_tools(org: Organization) -> None:
    tools: set[str] = set()
    for patient in _treated(org):
        plan = _plan(patient)
        notes = TreatmentNote.objects.filter(patient=patient, status=TreatmentNote.Status.SIGNED)
        assert 2 <= notes.count() <= 12, patient
        plan_ends = plan.starts_on + dt.timedelta(weeks=plan.duration_weeks)
        for note in notes:
            assert note.plan_of_care_id == plan.pk
            assert plan.starts_on < note.visit_date <= plan_ends
            assert note.pain_today is not None
            techniques = list(note.techniques.all())
            assert techniques
            assert {t.technique for t in techniques} <= set(plan.techniques)
            tools |= {t.tool for t in techniques}
            assert all(t.minutes and t.pressure for t in techniques)
    assert {"massage_ball", "foam_roller"} <= tools
    latest = TreatmentNote.objects.filter(organization=org).order_by("-visit_date")[0]
    assert TODAY - dt.timedelta(days=3) <= latest.visit_date < TODAY


def test_reassessments_fall_on_the_plans_schedule(org: Organization) -> None:
    reassessed = 0
    for patient in _treated(org):
        plan = _plan(patient)
        dates = sorted(
            set(
                InstrumentAdministration.objects.filter(
                    patient=patient, context=InstrumentAdministration.Context.REASSESSMENT
                ).values_list("administered_on", flat=True)
            )
        )
        notes = TreatmentNote.objects.filter(patient=patient).exclude(
            status=TreatmentNote.Status.ENTERED_IN_ERROR
        )
        for on in dates:
            reassessed += 1
            visits = notes.filter(visit_date__lte=on).count()
            assert visits % (plan.reassess_every_visits or 0) == 0, (patient, on)
            assert notes.filter(visit_date=on).exists()
        rom_dates = set(
            RomMeasurement.objects.filter(plan=plan).values_list("measured_on", flat=True)
        )
        assert rom_dates <= set(dates)
    assert reassessed >= 15


def test_goal_statuses_include_achieved_on_track_and_at_risk(org: Organization, maya: User) -> None:
    statuses = {
        result.status for report in _progress(maya, org).values() for _goal, result in report.goals
    }
    assert {"achieved", "on_track"} <= statuses
    assert statuses & {"at_risk", "not_achieved"}


def test_the_at_risk_patient_is_worse_beyond_measurement_error_and_no_goal_is_achieved_by_noise(
    org: Organization, maya: User
) -> None:
    reports = _progress(maya, org)
    worse = [
        patient
        for patient, report in reports.items()
        if any(
            g.is_primary and r.status == "at_risk" and r.detected == "worse"
            for g, r in report.goals
        )
    ]
    assert len(worse) == 1
    for report in reports.values():
        for _goal, result in report.goals:
            if result.status == "achieved":
                assert result.detected == "better"
            if result.detected == "none":
                assert result.status in ("no_change", "at_risk", "not_achieved")


def test_several_patients_respond_meaningfully_and_reach_a_goal(
    org: Organization, maya: User
) -> None:
    responders = [
        patient
        for patient, report in _progress(maya, org).items()
        if any(g.is_primary and r.meaningful for g, r in report.goals)
        and any(r.status == "achieved" for _g, r in report.goals)
    ]
    assert len(responders) >= 3


def test_exactly_one_patient_is_discharged_with_goals_met(org: Organization) -> None:
    discharge = Discharge.objects.get(organization=org)
    assert discharge.reason == Discharge.Reason.GOALS_MET
    assert discharge.summary
    assert discharge.plan.status == Plan.Status.COMPLETED
    assert discharge.goal_outcomes
    assert all(outcome["status"] == "achieved" for outcome in discharge.goal_outcomes)
    last_visit = discharge.patient.treatment_notes.order_by("-visit_date")[0].visit_date
    assert discharge.discharged_on >= last_visit


def test_one_patient_raises_the_non_responder_alert_on_the_chart(
    org: Organization, maya: User
) -> None:
    alerted = [p for p, report in _progress(maya, org).items() if report.non_responder.alert]
    assert len(alerted) == 1
    report = plan_services.plan_progress(actor=maya, plan=_plan(alerted[0]))
    assert report.signed_notes >= 6
    assert report.goals[0][1].measurements >= 1  # measured again, and no meaningful change

    chart = verified_client(maya).get(reverse("patients:detail", args=[alerted[0].public_id]))
    assert chart.status_code == 200
    assert "Non-responder:" in chart.content.decode()


def _plateaued(report: plan_services.PlanProgress) -> bool:
    """A plateau: the primary instrument improved at the first re-assessment, then each of
    the last re-assessments moved by less than its MCID, and the goal is not achieved."""
    goal, result = next((g, r) for g, r in report.goals if g.is_primary)
    if goal.measure_kind != "instrument":
        return False
    mcid = get_instrument(goal.instrument).change_defaults.mcid
    assert mcid is not None
    values = [goal.baseline_value, *(p.value for p in queries.goal_series(goal))]
    if len(values) < 4:
        return False
    sign = 1 if get_instrument(goal.instrument).higher_is_better else -1
    early = sign * (values[1] - values[0])
    late = [abs(b - a) for a, b in zip(values[-3:-1], values[-2:], strict=True)]
    return (
        early > 0 and all(change < mcid.value for change in late) and (result.status != "achieved")
    )


def test_one_patient_shows_a_plateau(org: Organization, maya: User) -> None:
    plateaued = [p for p, report in _progress(maya, org).items() if _plateaued(report)]
    assert len(plateaued) == 1
    report = plan_services.plan_progress(actor=maya, plan=_plan(plateaued[0]))
    assert not report.non_responder.alert  # it did change meaningfully, early on


def test_no_patient_under_stop_or_awaiting_clearance_is_treated(org: Organization) -> None:
    patients = Patient.objects.filter(organization=org).order_by("mrn")
    held = [p for p in patients if screening_status(p).effective_decision in ("STOP", "CLEARANCE")]
    assert len(held) >= 3
    for patient in held:
        assert not TreatmentNote.objects.filter(patient=patient).exists(), patient
        assert not Evaluation.objects.filter(patient=patient).exists(), patient
    for note in TreatmentNote.objects.filter(organization=org, status="signed"):
        assert screening_status(note.patient, on=note.visit_date).sign_refusal == ""
