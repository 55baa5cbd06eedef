"""POST a physician's clearance (multipart: form fields and the letter), download the
letter, and an owner's override with a written reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from palpa.accounts.models import User
from palpa.accounts.services import issue_token
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import (
    api_as,
    api_for,
    clinic_today,
    csrf_token,
    matrix,
    persona,
    verified_session,
)
from palpa.patients.models import Patient
from palpa.referrals.models import Physician
from palpa.screening.models import Clearance, Screening
from palpa.screening.services import record_clearance, record_screening
from palpa.screening.tests.support import PDF, facts_clearance, facts_stop_neck, letter

OPERATIONS = {
    ("post", "/api/v1/screenings/{screening_id}/clearances"),
    ("get", "/api/v1/clearances/{clearance_id}/letter"),
    ("post", "/api/v1/screenings/{screening_id}/overrides"),
}

CLEAR = {
    "owner": 201,
    "therapist": 201,
    "other_therapist": 201,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}
LETTER = {**CLEAR, "owner": 200, "therapist": 200, "other_therapist": 200}
OVERRIDE = {**CLEAR, "therapist": 403, "other_therapist": 403}


def today() -> dt.date:
    return clinic_today()


@pytest.fixture
def screening(therapist: User, patient: Patient) -> Screening:
    return record_screening(actor=therapist, patient=patient, facts=facts_clearance(today()))


def _client(user: User | None) -> tuple[Client, dict[str, str]]:
    if user is None:
        return Client(), {}
    secret = issue_token(actor=user, name="tests").secret
    return Client(), {"Authorization": f"Bearer {secret}"}


def _form(physician: Physician, **extra: Any) -> dict[str, Any]:
    return {
        "physician": str(physician.public_id),
        "cleared_on": today().isoformat(),
        "scope": "Massage with light pressure; avoid the left calf.",
        "conditions": "Stop if the calf swells.",
        "letter": letter(),
        **extra,
    }


@pytest.mark.parametrize(("who", "status"), matrix(CLEAR))
def test_who_may_record_a_physicians_clearance(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    screening: Screening,
    physician: Physician,
) -> None:
    client, headers = _client(persona(request, who))
    response = client.post(
        f"/api/v1/screenings/{screening.public_id}/clearances",
        _form(physician),
        headers=headers,
    )
    assert response.status_code == status, response.content
    if status == 201:
        body = response.json()
        assert body["kind"] == "physician"
        assert body["rule_ids"] == ["dvt_known"]
        assert body["physician_name"] == "Laura Bennett, MD"
        assert body["letter"]["content_type"] == "application/pdf"
        assert body["letter"]["size"] == len(PDF)
    else:
        assert not Clearance.objects.exists()


def test_a_browser_session_sends_the_csrf_token_with_the_form(
    therapist: User, screening: Screening, physician: Physician
) -> None:
    client = verified_session(therapist)
    url = f"/api/v1/screenings/{screening.public_id}/clearances"
    assert client.post(url, _form(physician)).status_code == 403
    token = csrf_token(client)
    sent = client.post(url, _form(physician), headers={"X-CSRFToken": token})
    assert sent.status_code == 201


def test_a_clearance_without_a_letter_or_with_a_disguised_file_is_422(
    therapist: User, screening: Screening, physician: Physician
) -> None:
    client, headers = _client(therapist)
    url = f"/api/v1/screenings/{screening.public_id}/clearances"
    form = _form(physician)
    del form["letter"]
    missing = client.post(url, form, headers=headers)
    assert missing.status_code == 422
    assert "letter" in {str(i["loc"][-1]) for i in missing.json()["detail"]}
    disguised = client.post(
        url, _form(physician, letter=letter(b"<html>not a pdf</html>", "x.pdf")), headers=headers
    )
    assert disguised.status_code == 422
    assert [i["loc"] for i in disguised.json()["detail"]] == [["body", "letter"]]
    polyglot = letter(b"%PDF-1.7\n<html><script>alert(1)</script></html>", "x.pdf")
    refused = client.post(url, _form(physician, letter=polyglot), headers=headers)
    assert refused.status_code == 422
    assert (
        "The letter starts like a PDF but is not a valid PDF" in refused.json()["detail"][0]["msg"]
    )
    stranger = _form(physician)
    stranger["physician"] = "00000000-0000-0000-0000-000000000000"
    other = client.post(url, stranger, headers=headers)
    assert other.status_code == 422
    assert not Clearance.objects.exists()


def test_nothing_to_clear_is_409(therapist: User, patient: Patient, physician: Physician) -> None:
    plain = record_screening(actor=therapist, patient=patient, facts={})
    client, headers = _client(therapist)
    response = client.post(
        f"/api/v1/screenings/{plain.public_id}/clearances", _form(physician), headers=headers
    )
    assert response.status_code == 409


@pytest.mark.parametrize(("who", "status"), matrix(LETTER))
def test_who_may_download_the_letter(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    screening: Screening,
    physician: Physician,
) -> None:
    clearance = record_clearance(
        actor=therapist,
        screening=screening,
        physician=physician,
        cleared_on=today(),
        scope="Massage",
        letter=letter(),
    )
    client, headers = _client(persona(request, who))
    response = client.get(f"/api/v1/clearances/{clearance.public_id}/letter", headers=headers)
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
        assert "attachment" in response["Content-Disposition"]
        assert AuditEvent.objects.filter(action="read", object_type="Clearance").exists()


@pytest.mark.parametrize(("who", "status"), matrix(OVERRIDE))
def test_only_an_owner_may_override(
    request: pytest.FixtureRequest, who: str, status: int, screening: Screening
) -> None:
    response = api_as(request, who, "token").post(
        f"/screenings/{screening.public_id}/overrides",
        {"reason": "Dr Bennett cleared her by phone; letter to follow."},
    )
    assert response.status_code == status, response.content
    assert Clearance.objects.filter(kind="override").exists() == (status == 201)


def test_an_override_needs_a_full_reason_and_cannot_lift_a_stop(
    owner: User, therapist: User, patient: Patient, screening: Screening
) -> None:
    api = api_for(owner, "token")
    short = api.post(f"/screenings/{screening.public_id}/overrides", {"reason": "ok"})
    assert short.status_code == 422
    stop = record_screening(actor=therapist, patient=patient, facts=facts_stop_neck())
    refused = api.post(
        f"/screenings/{stop.public_id}/overrides",
        {"reason": "The patient insists on neck work today.", "rule_ids": ["neck_trauma"]},
    )
    assert refused.status_code == 422
    assert "cannot be overridden" in refused.json()["detail"][0]["msg"]
