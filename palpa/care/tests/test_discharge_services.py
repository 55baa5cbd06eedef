"""Discharge: a reason, each goal's computed outcome, signed; the plan completes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.care.models import Discharge, Plan, SignedRecordChanged
from palpa.care.plans import services as plan_services
from palpa.core.tests.support import clinic_today

TODAY = clinic_today()


@pytest.fixture
def active(therapist: User, plan: Plan) -> Plan:
    return plan_services.sign_plan(actor=therapist, plan=plan)


def test_discharge_records_each_goals_outcome_and_completes_the_plan(
    therapist: User, active: Plan
) -> None:
    plan_services.record_reassessment(
        actor=therapist, plan=active, instrument="ODI", answers=[1] * 10
    )  # 40 -> 20
    discharge = plan_services.discharge_plan(
        actor=therapist,
        plan=active,
        reason="plateau",
        summary="ODI goal met; pain unchanged at 6 despite 6 weeks.",
    )
    active.refresh_from_db()
    assert active.status == Plan.Status.COMPLETED
    assert "Plateau" in active.status_reason
    odi, nprs = discharge.goal_outcomes
    assert (odi["measure"], odi["status"], odi["meaningful"], odi["primary"]) == (
        "ODI",
        "achieved",
        True,
        True,
    )
    assert {t["kind"] for t in odi["thresholds"]} == {"MCID", "MDC", "relative MCID"}
    assert odi["decided_by"] == "absolute"
    assert odi["decided_by_label"].startswith("absolute threshold")
    assert nprs["status"] == "no_change"  # not measured again since the baseline
    assert discharge.signed_by == therapist
    assert len(discharge.content_hash) == 64
    assert AuditEvent.objects.filter(
        object_id=str(active.public_id), detail__discharge=str(discharge.public_id)
    ).exists()


def test_goals_met_is_refused_while_a_goal_is_open(therapist: User, active: Plan) -> None:
    with pytest.raises(ValidationError) as caught:
        plan_services.discharge_plan(actor=therapist, plan=active, reason="goals_met")
    assert "Not every goal is achieved (ODI, NPRS)" in caught.value.message_dict["reason"][0]
    plan_services.record_reassessment(
        actor=therapist, plan=active, instrument="ODI", answers=[1] * 10
    )
    plan_services.record_reassessment(actor=therapist, plan=active, instrument="NPRS", answers=[2])
    discharge = plan_services.discharge_plan(actor=therapist, plan=active, reason="goals_met")
    assert {o["status"] for o in discharge.goal_outcomes} == {"achieved"}


def test_a_referral_out_or_other_reason_must_be_said(therapist: User, active: Plan) -> None:
    with pytest.raises(ValidationError) as caught:
        plan_services.discharge_plan(actor=therapist, plan=active, reason="referred_out")
    assert "to whom and why" in caught.value.message_dict["reason_detail"][0]
    with pytest.raises(ValidationError) as caught:
        plan_services.discharge_plan(
            actor=therapist,
            plan=active,
            reason="bored",
            discharged_on=TODAY + dt.timedelta(days=1),
        )
    assert set(caught.value.message_dict) == {"reason", "discharged_on"}


def test_only_an_active_plan_is_discharged_and_only_once(therapist: User, plan: Plan) -> None:
    with pytest.raises(plan_services.PlanRefused, match="sign it first"):
        plan_services.discharge_plan(actor=therapist, plan=plan, reason="patient_choice")
    plan_services.sign_plan(actor=therapist, plan=plan)
    plan_services.discharge_plan(actor=therapist, plan=plan, reason="patient_choice")
    with pytest.raises(plan_services.PlanRefused, match="discharged already"):
        plan_services.discharge_plan(actor=therapist, plan=plan, reason="patient_choice")
    with pytest.raises(plan_services.PlanRefused, match="Only the active version"):
        plan_services.revise_plan(actor=therapist, plan=plan)


def test_a_drafted_revision_blocks_discharge_until_it_is_signed_or_discarded(
    therapist: User, active: Plan
) -> None:
    draft = plan_services.revise_plan(actor=therapist, plan=active)
    with pytest.raises(plan_services.PlanRefused, match="Version 2 of this plan is drafted"):
        plan_services.discharge_plan(actor=therapist, plan=active, reason="patient_choice")
    plan_services.mark_plan_entered_in_error(
        actor=therapist, plan=draft, reason="Not needed after all."
    )
    third = plan_services.revise_plan(actor=therapist, plan=active)  # a new draft is allowed
    assert third.version == 3
    plan_services.mark_plan_entered_in_error(actor=therapist, plan=third, reason="Changed my mind.")
    discharge = plan_services.discharge_plan(actor=therapist, plan=active, reason="patient_choice")
    assert discharge.plan == active


def test_a_superseded_version_points_to_the_newest(therapist: User, active: Plan) -> None:
    second = plan_services.revise_plan(actor=therapist, plan=active)
    plan_services.sign_plan(actor=therapist, plan=second)
    with pytest.raises(plan_services.PlanRefused, match="newest signed version"):
        plan_services.discharge_plan(actor=therapist, plan=active, reason="plateau")
    plan_services.discharge_plan(actor=therapist, plan=second, reason="plateau")
    with pytest.raises(plan_services.PlanRefused):
        plan_services.mark_plan_entered_in_error(actor=therapist, plan=second, reason="x")


def test_a_signed_discharge_never_changes(therapist: User, active: Plan) -> None:
    discharge = plan_services.discharge_plan(actor=therapist, plan=active, reason="patient_choice")
    discharge.summary = "rewritten"
    with pytest.raises(SignedRecordChanged):
        discharge.save()
    assert Discharge.objects.get(pk=discharge.pk).summary == ""


@pytest.mark.parametrize("persona", ["front_desk", "biller", "owner"])
def test_only_a_practitioner_discharges(
    request: pytest.FixtureRequest, persona: str, active: Plan
) -> None:
    with pytest.raises(PermissionDenied):
        plan_services.discharge_plan(
            actor=request.getfixturevalue(persona), plan=active, reason="patient_choice"
        )
    assert not Discharge.objects.exists()


def test_another_therapist_of_the_clinic_may_discharge(other_therapist: User, active: Plan) -> None:
    discharge = plan_services.discharge_plan(
        actor=other_therapist, plan=active, reason="patient_choice"
    )
    assert discharge.practitioner.user == other_therapist
