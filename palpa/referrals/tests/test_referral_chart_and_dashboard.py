"""The referral section of the patient chart and the owner's dashboard list of referrals
running low or expiring."""

from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import TODAY, assert_answer, matrix, web_client
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral
from palpa.referrals.tests.support import make_referral

CHART = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 404,
    "anonymous": 302,
}
SEES_REFERRALS = ("owner", "therapist", "other_therapist", "front_desk")
WARNING = "Referral running out: 5 days left (expires 2026-03-07)."


@pytest.fixture
def expiring(front_desk: User, patient: Patient, physician: Physician) -> Referral:
    return make_referral(front_desk, patient, physician, expires_on=TODAY + dt.timedelta(days=5))


@pytest.mark.parametrize(("who", "status"), matrix(CHART))
def test_the_chart_shows_the_referral_and_its_warning_to_the_roles_that_see_referrals(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, expiring: Referral
) -> None:
    response = web_client(request, who).get(f"/patients/{patient.public_id}/")
    assert_answer(response, who, status)
    body = response.content.decode()
    shown = who in SEES_REFERRALS
    assert ('id="referrals-section"' in body) == shown
    assert (WARNING in body) == shown
    assert ("0 of 12 visits used" in body) == shown


def test_the_record_and_override_controls_follow_the_role(
    request: pytest.FixtureRequest, patient: Patient, expiring: Referral
) -> None:
    owner = web_client(request, "owner").get(f"/patients/{patient.public_id}/").content.decode()
    desk = web_client(request, "front_desk").get(f"/patients/{patient.public_id}/")
    assert "Override the referral (owner)" in owner
    assert "Override the referral (owner)" not in desk.content.decode()
    assert f"/referrals/patients/{patient.public_id}/new/" in desk.content.decode()


def test_a_lapsed_referral_says_no_referral_is_in_effect(
    request: pytest.FixtureRequest, front_desk: User, patient: Patient, physician: Physician
) -> None:
    make_referral(
        front_desk,
        patient,
        physician,
        starts_on=TODAY - dt.timedelta(days=40),
        expires_on=TODAY - dt.timedelta(days=1),
    )
    body = web_client(request, "therapist").get(f"/patients/{patient.public_id}/").content
    assert (
        "No referral is in effect. The referral expired on 2026-03-01: a new referral is "
        "needed. New care beyond it needs an owner's override."
    ) in body.decode()


def test_a_patient_without_referrals_says_so(
    request: pytest.FixtureRequest, patient: Patient
) -> None:
    body = web_client(request, "front_desk").get(f"/patients/{patient.public_id}/").content
    assert "No referral recorded." in body.decode()


@pytest.mark.parametrize(
    ("who", "shown"),
    [("owner", True), ("therapist", False), ("front_desk", False), ("biller", False)],
)
def test_the_owners_dashboard_lists_referrals_running_low(
    request: pytest.FixtureRequest, who: str, shown: bool, patient: Patient, expiring: Referral
) -> None:
    body = web_client(request, who).get("/").content.decode()
    assert ("Referrals running low or expiring" in body) == shown
    assert (f"Rosa Delgado</a> (Laura Bennett, MD): {WARNING}" in body) == shown


def test_the_dashboard_leaves_out_referrals_with_visits_and_days_to_spare(
    request: pytest.FixtureRequest, referral: Referral
) -> None:
    body = web_client(request, "owner").get("/").content.decode()
    assert "Referrals running low or expiring" not in body


def test_the_dashboard_leaves_out_a_lapsed_referral_once_a_new_one_is_in_effect(
    request: pytest.FixtureRequest, front_desk: User, patient: Patient, physician: Physician
) -> None:
    make_referral(
        front_desk,
        patient,
        physician,
        starts_on=TODAY - dt.timedelta(days=40),
        expires_on=TODAY - dt.timedelta(days=1),
    )
    client = web_client(request, "owner")
    assert "The referral expired on 2026-03-01" in client.get("/").content.decode()
    make_referral(front_desk, patient, physician)
    assert "Referrals running low or expiring" not in client.get("/").content.decode()


def test_an_outsider_never_sees_our_referrals_on_their_dashboard(
    request: pytest.FixtureRequest, expiring: Referral
) -> None:
    body = web_client(request, "outsider").get("/").content.decode()
    assert "Rosa Delgado" not in body
