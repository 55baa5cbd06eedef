"""New care beyond the referral (visits or expiry) needs an owner's override with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.care.models import Plan
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral, ReferralOverride
from palpa.referrals.services import (
    ReferralRefused,
    cancel_referral,
    override_authorization,
    require_authorization,
)
from palpa.referrals.tests.support import make_referral, screen, sign_notes

REASON = "The physician authorized 4 more visits by phone; the letter follows."


@pytest.fixture
def draft_plan(therapist: User, patient: Patient, location: Location) -> Plan:
    """A signed evaluation and a draft plan of 2 visits a week for 6 weeks (12 visits)."""
    from palpa.care.evaluations.services import (
        add_diagnosis,
        record_baseline_administration,
        sign_evaluation,
        start_evaluation,
    )
    from palpa.care.plans.services import add_goal, create_plan

    evaluation = start_evaluation(
        actor=therapist,
        patient=patient,
        location=location,
        evaluated_on=TODAY,
        chief_complaint="Low back pain for 3 months.",
    )
    add_diagnosis(actor=therapist, evaluation=evaluation, code="M54.50")
    record_baseline_administration(
        actor=therapist, evaluation=evaluation, instrument="NPRS", answers=[6]
    )
    sign_evaluation(actor=therapist, evaluation=evaluation)
    plan = create_plan(
        actor=therapist, evaluation=evaluation, frequency_per_week=2, duration_weeks=6
    )
    add_goal(
        actor=therapist,
        plan=plan,
        statement="Pain at most 3 out of 10 on a work day.",
        measure_kind="instrument",
        instrument="NPRS",
        target_value=3,
        due_on=TODAY + dt.timedelta(weeks=6),
    )
    return plan


def _sign(therapist: User, plan: Plan) -> Plan:
    from palpa.care.plans.services import sign_plan

    return sign_plan(actor=therapist, plan=plan)


def test_a_plan_within_the_referral_is_signed(
    therapist: User, front_desk: User, patient: Patient, physician: Physician, draft_plan: Plan
) -> None:
    make_referral(front_desk, patient, physician, visits=12)
    assert _sign(therapist, draft_plan).status == Plan.Status.ACTIVE


def test_a_patient_without_any_referral_needs_none(therapist: User, draft_plan: Plan) -> None:
    assert _sign(therapist, draft_plan).status == Plan.Status.ACTIVE


def test_a_plan_beyond_the_visits_left_is_refused_naming_the_numbers(
    therapist: User, front_desk: User, patient: Patient, physician: Physician, draft_plan: Plan
) -> None:
    make_referral(front_desk, patient, physician, visits=8)
    with pytest.raises(ReferralRefused) as refused:
        _sign(therapist, draft_plan)
    assert str(refused.value) == (
        "12 visits are planned but the referral from Laura Bennett, MD has 8 of 8 left. "
        "An owner may override this with a written reason, or record a new referral."
    )
    assert Plan.objects.get(pk=draft_plan.pk).status == Plan.Status.DRAFT


def test_a_plan_past_the_expiry_is_refused(
    therapist: User, front_desk: User, patient: Patient, physician: Physician, draft_plan: Plan
) -> None:
    make_referral(front_desk, patient, physician, expires_on=TODAY + dt.timedelta(days=30))
    with pytest.raises(ReferralRefused, match="past the referral's expiry on 2026-04-01"):
        _sign(therapist, draft_plan)


def test_after_the_referral_is_used_up_new_care_is_refused(
    owner: User,
    therapist: User,
    front_desk: User,
    patient: Patient,
    location: Location,
    physician: Physician,
) -> None:
    screen(owner, patient)
    make_referral(front_desk, patient, physician, visits=2)
    sign_notes(therapist, patient, location, [TODAY - dt.timedelta(days=2), TODAY])
    with pytest.raises(ReferralRefused, match="No referral is in effect on 2026-03-02") as refused:
        require_authorization(actor=therapist, patient=patient, visits_planned=1, ends_on=None)
    assert "is exhausted (2 of 2 visits used" in str(refused.value)


def test_after_the_referral_is_cancelled_new_care_is_refused(
    therapist: User, front_desk: User, patient: Patient, referral: Referral
) -> None:
    cancel_referral(actor=front_desk, referral=referral, reason="Withdrawn by the physician.")
    with pytest.raises(ReferralRefused, match="is cancelled"):
        require_authorization(actor=therapist, patient=patient, visits_planned=1, ends_on=None)


def test_the_owners_override_with_a_reason_lets_the_plan_be_signed_and_is_audited(
    owner: User,
    therapist: User,
    front_desk: User,
    patient: Patient,
    physician: Physician,
    draft_plan: Plan,
) -> None:
    referral = make_referral(front_desk, patient, physician, visits=8)
    override = override_authorization(
        actor=owner, patient=patient, reason=REASON, visits_planned=12
    )
    assert _sign(therapist, draft_plan).status == Plan.Status.ACTIVE
    assert (override.referral, override.granted_by, override.reason) == (referral, owner, REASON)
    entry = AuditEvent.objects.get(object_type="ReferralOverride")
    assert entry.actor == owner
    assert entry.patient_id == str(patient.public_id)
    assert entry.detail["reason"] == REASON
    assert entry.detail["visits_planned"] == 12


def test_an_override_covers_only_as_many_visits_as_it_says(
    owner: User, therapist: User, front_desk: User, patient: Patient, physician: Physician
) -> None:
    make_referral(front_desk, patient, physician, visits=8)
    override_authorization(actor=owner, patient=patient, reason=REASON, visits_planned=10)
    assert require_authorization(actor=therapist, patient=patient, visits_planned=10, ends_on=None)
    with pytest.raises(ReferralRefused):
        require_authorization(actor=therapist, patient=patient, visits_planned=11, ends_on=None)


def test_an_owner_may_give_the_reason_with_the_request_itself(
    owner: User, front_desk: User, patient: Patient, physician: Physician
) -> None:
    make_referral(front_desk, patient, physician, visits=8)
    granted = require_authorization(
        actor=owner, patient=patient, visits_planned=12, ends_on=None, override_reason=REASON
    )
    assert granted is not None
    assert ReferralOverride.objects.get().reason == REASON


@pytest.mark.parametrize("who", ["therapist", "front_desk"])
def test_no_one_but_an_owner_may_override(
    request: pytest.FixtureRequest,
    who: str,
    front_desk: User,
    patient: Patient,
    physician: Physician,
) -> None:
    make_referral(front_desk, patient, physician, visits=8)
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        require_authorization(
            actor=user, patient=patient, visits_planned=12, ends_on=None, override_reason=REASON
        )
    with pytest.raises(PermissionDenied):
        override_authorization(actor=user, patient=patient, reason=REASON)
    assert not ReferralOverride.objects.exists()
    assert not AuditEvent.objects.filter(object_type="ReferralOverride").exists()


def test_an_override_needs_a_reason_written_in_full(
    owner: User, front_desk: User, patient: Patient, physician: Physician
) -> None:
    make_referral(front_desk, patient, physician, visits=8)
    with pytest.raises(ValidationError) as invalid:
        override_authorization(actor=owner, patient=patient, reason="ok")
    assert invalid.value.message_dict == {
        "reason": ["Write the reason in full (at least 20 characters)."]
    }
    assert not ReferralOverride.objects.exists()


def test_there_is_nothing_to_override_without_a_referral(owner: User, patient: Patient) -> None:
    with pytest.raises(ReferralRefused, match="no referral"):
        override_authorization(actor=owner, patient=patient, reason=REASON)
