"""GET /api/v1/patients/{id}: read one patient's demographics (every role of ours)."""

from __future__ import annotations

import uuid

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import TRANSPORTS, api_as, api_for, matrix, persona
from palpa.patients.models import Patient

OPERATIONS = {("get", "/api/v1/patients/{patient_id}")}

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_read_our_patient(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, patient: Patient
) -> None:
    response = api_as(request, who, transport).get(f"/patients/{patient.public_id}")
    assert response.status_code == status
    if status == 200:
        assert response.json()["id"] == str(patient.public_id)
        assert response.json()["family_name"] == "Delgado"
    else:
        assert "Delgado" not in response.content.decode()


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_reading_a_patient_leaves_a_read_audit_entry_naming_reader_and_patient(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    api = api_as(request, who, "token")
    api.get(f"/patients/{patient.public_id}")
    reads = AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, patient_id=str(patient.public_id)
    )
    if status != 200:
        assert not reads.exists()
        return
    entry = reads.get()
    assert entry.actor == persona(request, who)
    assert entry.via == "api"
    assert entry.detail == {"view": "api"}


def test_outsider_reads_their_own_patient(outsider: User, outsider_patient: Patient) -> None:
    response = api_for(outsider, "token").get(f"/patients/{outsider_patient.public_id}")
    assert response.status_code == 200


def test_an_unknown_patient_id_is_404(owner: User) -> None:
    response = api_for(owner, "token").get(f"/patients/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_malformed_patient_id_is_422_naming_patient_id(owner: User) -> None:
    response = api_for(owner, "token").get("/patients/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "patient_id"
