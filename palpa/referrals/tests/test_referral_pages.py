"""A patient's referral pages: record, read (audited), change, cancel, the prescription,
the owner's override and the warning settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import TODAY, assert_answer, matrix, web_client
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral, ReferralOverride, ReferralPolicy
from palpa.referrals.tests.support import PDF, upload

EDITORS = ("owner", "therapist", "other_therapist", "front_desk")
OPEN = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
WRITE = {**OPEN, "owner": 302, "therapist": 302, "other_therapist": 302, "front_desk": 302}
OVERRIDE = {**WRITE, "therapist": 403, "other_therapist": 403, "front_desk": 403}
POLICY = {**OPEN, "therapist": 403, "other_therapist": 403, "front_desk": 403, "outsider": 200}
REASON = "The physician authorized more visits by phone; the letter follows."


def _new_form(physician: Physician, **changes: Any) -> dict[str, Any]:
    return {
        "physician": str(physician.pk),
        "diagnoses": "M54.50, m62.830",
        "requested_service": "Medical massage",
        "frequency": "2x/week x 6 weeks",
        "visits_authorized": "12",
        "starts_on": TODAY.isoformat(),
        "expires_on": (TODAY + dt.timedelta(days=60)).isoformat(),
        "precautions": "",
        "prescription": upload(),
        **changes,
    }


@pytest.mark.parametrize(("who", "status"), matrix(OPEN))
def test_each_persona_may_or_may_not_open_the_new_referral_form(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    url = f"/referrals/patients/{patient.public_id}/new/"
    assert_answer(web_client(request, who).get(url), who, status)


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_each_persona_may_or_may_not_record_a_referral(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, physician: Physician
) -> None:
    url = f"/referrals/patients/{patient.public_id}/new/"
    response = web_client(request, who).post(url, _new_form(physician))
    assert_answer(response, who, status)
    assert Referral.objects.exists() == (who in EDITORS)


def test_a_prescription_of_the_wrong_type_is_refused_naming_the_field(
    request: pytest.FixtureRequest, front_desk: User, patient: Patient, physician: Physician
) -> None:
    url = f"/referrals/patients/{patient.public_id}/new/"
    form = _new_form(physician, prescription=upload(b"GIF89a...", "rx.pdf"))
    body = web_client(request, "front_desk").post(url, form).content.decode()
    assert (
        "Scanned prescription: The prescription must be a PDF, PNG or JPEG file "
        "(its content is checked)." in body
    )
    assert not Referral.objects.exists()


def test_a_prescription_too_large_is_refused_naming_the_limit(
    request: pytest.FixtureRequest,
    settings: Any,
    front_desk: User,
    patient: Patient,
    physician: Physician,
) -> None:
    settings.PALPA_PRESCRIPTION_MAX_BYTES = 1024 * 1024
    url = f"/referrals/patients/{patient.public_id}/new/"
    form = _new_form(physician, prescription=upload(PDF + b"0" * 1024 * 1024))
    body = web_client(request, "front_desk").post(url, form).content.decode()
    assert "The prescription is larger than 1 MB." in body
    assert not Referral.objects.exists()


@pytest.mark.parametrize(("who", "status"), matrix(OPEN))
def test_each_persona_may_or_may_not_open_a_referral_and_the_read_is_audited(
    request: pytest.FixtureRequest, who: str, status: int, referral: Referral
) -> None:
    response = web_client(request, who).get(f"/referrals/{referral.public_id}/")
    assert_answer(response, who, status)
    reads = AuditEvent.objects.filter(action="read", object_type="Referral")
    assert reads.exists() == (status == 200)
    if status == 200:
        assert "0 of 12 used, 12 left" in response.content.decode()


def test_the_referral_is_changed_when_the_physician_authorizes_more_visits(
    request: pytest.FixtureRequest, front_desk: User, referral: Referral, physician: Physician
) -> None:
    form = _new_form(physician, visits_authorized="16", prescription="")
    form["starts_on"] = referral.starts_on.isoformat()
    form["diagnoses"] = "M54.50"
    form["precautions"] = referral.precautions
    response = web_client(request, "front_desk").post(f"/referrals/{referral.public_id}/", form)
    assert response.status_code == 302
    assert Referral.objects.get(pk=referral.pk).visits_authorized == 16
    entry = AuditEvent.objects.get(object_type="Referral", action="update")
    assert entry.detail["changed"] == {"visits_authorized": ["12", "16"]}


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_each_persona_may_or_may_not_cancel_a_referral(
    request: pytest.FixtureRequest, who: str, status: int, referral: Referral
) -> None:
    response = web_client(request, who).post(
        f"/referrals/{referral.public_id}/cancel/", {"cancel-reason": "Withdrawn by Dr Bennett."}
    )
    assert_answer(response, who, status)
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.status == "cancelled") == (who in EDITORS)


def test_cancelling_needs_a_reason(request: pytest.FixtureRequest, referral: Referral) -> None:
    response = web_client(request, "front_desk").post(
        f"/referrals/{referral.public_id}/cancel/", {"cancel-reason": ""}
    )
    assert response.status_code == 422
    assert Referral.objects.get(pk=referral.pk).status == "active"


@pytest.mark.parametrize(("who", "status"), matrix(OPEN))
def test_each_persona_may_or_may_not_download_the_prescription(
    request: pytest.FixtureRequest, who: str, status: int, referral: Referral
) -> None:
    response = web_client(request, who).get(f"/referrals/{referral.public_id}/prescription/")
    assert_answer(response, who, status)
    if status == 200:
        assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
        assert response["Content-Type"] == "application/pdf"
        entry = AuditEvent.objects.get(action="read", object_type="Referral")
        assert entry.detail == {"prescription": "prescription.pdf"}


@pytest.mark.parametrize(("who", "status"), matrix(OVERRIDE))
def test_only_an_owner_may_override_the_referral(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, referral: Referral
) -> None:
    response = web_client(request, who).post(
        f"/referrals/patients/{patient.public_id}/override/",
        {"override-reason": REASON, "override-visits_planned": "4"},
    )
    assert_answer(response, who, status)
    assert ReferralOverride.objects.exists() == (who == "owner")
    if who == "owner":
        entry = AuditEvent.objects.get(object_type="ReferralOverride")
        assert entry.detail["reason"] == REASON


def test_an_override_without_a_full_reason_is_not_recorded(
    request: pytest.FixtureRequest, patient: Patient, referral: Referral
) -> None:
    client = web_client(request, "owner")
    response = client.post(
        f"/referrals/patients/{patient.public_id}/override/", {"override-reason": "because"}
    )
    assert response.status_code == 302
    assert not ReferralOverride.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Override not recorded: reason: Write the reason in full" in page


@pytest.mark.parametrize(("who", "status"), matrix(POLICY))
def test_only_owners_open_the_warning_settings(
    request: pytest.FixtureRequest, who: str, status: int
) -> None:
    assert_answer(web_client(request, who).get("/referrals/settings/"), who, status)


def test_the_owner_changes_the_warning_thresholds(
    request: pytest.FixtureRequest, owner: User
) -> None:
    client = web_client(request, "owner")
    response = client.post(
        "/referrals/settings/", {"warn_visits_left": "3", "warn_days_left": "10"}
    )
    assert response.status_code == 302
    policy = ReferralPolicy.objects.get()
    assert (policy.warn_visits_left, policy.warn_days_left) == (3, 10)
    bad = client.post("/referrals/settings/", {"warn_visits_left": "3", "warn_days_left": "400"})
    assert "Ensure this value is less than or equal to 90." in bad.content.decode()
    assert ReferralPolicy.objects.get().warn_days_left == 10
