"""Instrument links over the API: create (the URL once), list (no tokens), revoke."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import TRANSPORTS, api_as, api_for, error_fields, matrix
from palpa.outcomes.models import InstrumentLink
from palpa.outcomes.services import (
    create_instrument_link,
    find_instrument_link,
    submit_instrument_link,
)
from palpa.patients.models import Patient

OPERATIONS = {
    ("post", "/api/v1/patients/{patient_id}/instrument-links"),
    ("get", "/api/v1/patients/{patient_id}/instrument-links"),
    ("post", "/api/v1/instrument-links/{link_id}/revoke"),
}

CREATE = {
    "owner": 201,
    "therapist": 201,
    "other_therapist": 201,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}
READ = {**CREATE, "owner": 200, "therapist": 200, "other_therapist": 200}


def links(patient: Patient) -> str:
    return f"/patients/{patient.public_id}/instrument-links"


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(CREATE))
def test_who_may_create_an_instrument_link(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, patient: Patient
) -> None:
    response = api_as(request, who, transport).post(
        links(patient), {"instruments": ["NPRS", "PSFS"]}
    )
    assert response.status_code == status, response.content
    if status == 201:
        body = response.json()
        token = body["url"].rstrip("/").rsplit("/", 1)[-1]
        assert body["url"].startswith("http://testserver/before-visit/")
        assert body["instruments"] == ["NPRS", "PSFS"]
        assert body["state"] == "pending"
        assert body["context"] == "reassessment"
        link = InstrumentLink.objects.get(public_id=body["id"])
        assert find_instrument_link(token) == link
        assert token not in str(AuditEvent.objects.values())
    else:
        assert not InstrumentLink.objects.exists()


def test_a_licensed_instrument_without_text_gets_422_naming_it(
    therapist: User, patient: Patient
) -> None:
    response = api_for(therapist, "token").post(links(patient), {"instruments": ["NDI"]})
    assert error_fields(response) == {"instruments"}
    [item] = response.json()["detail"]
    assert item["msg"].startswith("NDI (Neck Disability Index) cannot be sent by link")
    assert not InstrumentLink.objects.exists()


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_who_may_list_a_patients_links_without_tokens(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, patient: Patient
) -> None:
    used, token = create_instrument_link(actor=therapist, patient=patient, instruments=["NPRS"])
    [administration] = submit_instrument_link(token=token, answers={"NPRS": [2]})
    create_instrument_link(actor=therapist, patient=patient, instruments=["GROC"])
    response = api_as(request, who, "token").get(links(patient))
    assert response.status_code == status, response.content
    read = AuditEvent.objects.filter(action="read", detail__view="instrument links")
    assert read.exists() == (status == 200)
    if status == 200:
        newest, oldest = response.json()
        assert newest["state"] == "pending"
        assert newest["instruments"] == ["GROC"]
        assert oldest["state"] == "used"
        assert oldest["administrations"] == [str(administration.public_id)]
        assert "url" not in newest
        assert used.token_hash not in response.content.decode()
        assert token not in response.content.decode()


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_who_may_revoke_a_link(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, patient: Patient
) -> None:
    link, token = create_instrument_link(actor=therapist, patient=patient, instruments=["NPRS"])
    response = api_as(request, who, "token").post(
        f"/instrument-links/{link.public_id}/revoke", {"reason": "Wrong patient's phone."}
    )
    assert response.status_code == status, response.content
    assert (find_instrument_link(token) is None) == (status == 200)
    if status == 200:
        assert response.json()["state"] == "revoked"
        assert response.json()["revoke_reason"] == "Wrong patient's phone."


def test_revoking_a_used_link_is_409(therapist: User, patient: Patient) -> None:
    link, token = create_instrument_link(actor=therapist, patient=patient, instruments=["NPRS"])
    submit_instrument_link(token=token, answers={"NPRS": [2]})
    response = api_for(therapist, "token").post(f"/instrument-links/{link.public_id}/revoke", {})
    assert response.status_code == 409
    assert response.json()["code"] == "refused"
