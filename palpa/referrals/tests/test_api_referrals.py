"""A patient's referrals over the API: record (multipart, with the prescription), read
(audited), cancel, and the owner's override."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from palpa.accounts.models import User
from palpa.accounts.services import issue_token
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import TODAY, api_as, api_for, error_fields, matrix, persona
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral, ReferralOverride
from palpa.referrals.tests.support import PDF, upload

OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/referrals"),
    ("post", "/api/v1/patients/{patient_id}/referrals"),
    ("get", "/api/v1/referrals/{referral_id}"),
    ("post", "/api/v1/referrals/{referral_id}/cancel"),
    ("post", "/api/v1/patients/{patient_id}/referral-overrides"),
}

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}
CREATE = {**READ, "owner": 201, "therapist": 201, "other_therapist": 201, "front_desk": 201}
OVERRIDE = {**CREATE, "therapist": 403, "other_therapist": 403, "front_desk": 403}
EDITORS = ("owner", "therapist", "other_therapist", "front_desk")
REASON = "The physician authorized more visits by phone; the letter follows."


def _multipart(user: User | None, url: str, form: dict[str, Any]) -> Any:
    headers = {}
    if user is not None:
        headers["Authorization"] = f"Bearer {issue_token(actor=user, name='tests').secret}"
    return Client().post(url, form, headers=headers)


def _form(physician: Physician, **changes: Any) -> dict[str, Any]:
    return {
        "physician": str(physician.public_id),
        "diagnoses": ["M54.50", "M62.830"],
        "requested_service": "Medical massage",
        "frequency": "2x/week x 6 weeks",
        "visits_authorized": "12",
        "starts_on": TODAY.isoformat(),
        "expires_on": (TODAY + dt.timedelta(days=60)).isoformat(),
        "prescription": upload(),
        **changes,
    }


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_list_a_patients_referrals(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, referral: Referral
) -> None:
    response = api_as(request, who, "token").get(f"/patients/{patient.public_id}/referrals")
    assert response.status_code == status, response.content
    reads = AuditEvent.objects.filter(action="read", object_type="Referral")
    assert reads.exists() == (status == 200)
    if status == 200:
        (found,) = response.json()
        assert found["countdown"] == {
            "visits_authorized": 12,
            "visits_used": 0,
            "visits_left": 12,
            "days_left": 60,
            "status": "active",
            "warning": None,
        }
        assert found["prescription"]["content_type"] == "application/pdf"


@pytest.mark.parametrize(("who", "status"), matrix(CREATE))
def test_each_persona_may_or_may_not_record_a_referral(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, physician: Physician
) -> None:
    url = f"/api/v1/patients/{patient.public_id}/referrals"
    response = _multipart(persona(request, who), url, _form(physician))
    assert response.status_code == status, response.content
    assert Referral.objects.exists() == (status == 201)
    if status == 201:
        body = response.json()
        assert body["diagnoses"] == ["M54.50", "M62.830"]
        assert body["prescription"]["size"] == len(PDF)


def test_a_referral_may_come_without_the_prescription_for_now(
    front_desk: User, patient: Patient, physician: Physician
) -> None:
    form = _form(physician)
    del form["prescription"]
    url = f"/api/v1/patients/{patient.public_id}/referrals"
    response = _multipart(front_desk, url, form)
    assert response.status_code == 201, response.content
    assert response.json()["prescription"] is None


def test_a_disguised_file_and_a_bad_code_are_422_naming_each_field(
    front_desk: User, patient: Patient, physician: Physician
) -> None:
    url = f"/api/v1/patients/{patient.public_id}/referrals"
    form = _form(physician, diagnoses=["M54.5"], prescription=upload(b"<html>", "rx.pdf"))
    response = _multipart(front_desk, url, form)
    assert error_fields(response) == {"diagnoses", "prescription"}
    assert not Referral.objects.exists()


def test_a_pdf_that_is_html_after_its_header_is_422_and_nothing_is_kept(
    front_desk: User, patient: Patient, physician: Physician
) -> None:
    polyglot = b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>"
    url = f"/api/v1/patients/{patient.public_id}/referrals"
    response = _multipart(front_desk, url, _form(physician, prescription=upload(polyglot)))
    assert error_fields(response) == {"prescription"}
    assert "is not a valid PDF" in response.json()["detail"][0]["msg"]
    assert not Referral.objects.exists()


def test_a_physician_of_another_directory_is_422(
    front_desk: User, patient: Patient, outsider_referral: Referral
) -> None:
    url = f"/api/v1/patients/{patient.public_id}/referrals"
    response = _multipart(front_desk, url, _form(outsider_referral.physician))
    assert error_fields(response) == {"physician"}


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_read_a_referral(
    request: pytest.FixtureRequest, who: str, status: int, referral: Referral
) -> None:
    response = api_as(request, who, "token").get(f"/referrals/{referral.public_id}")
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["physician_name"] == "Laura Bennett, MD"


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_cancel_a_referral(
    request: pytest.FixtureRequest, who: str, status: int, referral: Referral
) -> None:
    response = api_as(request, who, "session" if who != "anonymous" else "token").post(
        f"/referrals/{referral.public_id}/cancel", {"reason": "Withdrawn by the physician."}
    )
    assert response.status_code == status, response.content
    assert (Referral.objects.get(pk=referral.pk).status == "cancelled") == (status == 200)
    if status == 200:
        assert response.json()["status"] == "cancelled"


def test_cancelling_twice_is_409(front_desk: User, referral: Referral) -> None:
    api = api_for(front_desk, "token")
    url = f"/referrals/{referral.public_id}/cancel"
    assert api.post(url, {"reason": "Withdrawn."}).status_code == 200
    again = api.post(url, {"reason": "Withdrawn."})
    assert again.status_code == 409
    assert again.json() == {"detail": "This referral is already cancelled.", "code": "referral"}


@pytest.mark.parametrize(("who", "status"), matrix(OVERRIDE))
def test_only_an_owner_may_override_the_referral(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, referral: Referral
) -> None:
    response = api_as(request, who, "token").post(
        f"/patients/{patient.public_id}/referral-overrides",
        {"reason": REASON, "visits_planned": 16},
    )
    assert response.status_code == status, response.content
    assert ReferralOverride.objects.exists() == (status == 201)
    if status == 201:
        assert response.json()["referral"] == str(referral.public_id)


def test_an_override_reason_too_short_is_422(
    owner: User, patient: Patient, referral: Referral
) -> None:
    response = api_for(owner, "token").post(
        f"/patients/{patient.public_id}/referral-overrides", {"reason": "because"}
    )
    assert error_fields(response) == {"reason"}


def test_overriding_a_patient_without_a_referral_is_409(owner: User, patient: Patient) -> None:
    response = api_for(owner, "token").post(
        f"/patients/{patient.public_id}/referral-overrides", {"reason": REASON}
    )
    assert response.status_code == 409
