"""GET and POST /api/v1/patients/{id}/allergies: clinical, owners and therapists only."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import (
    TRANSPORTS,
    api_as,
    api_for,
    error_fields,
    matrix,
    persona,
    without_csrf,
)
from palpa.patients.models import Allergy, Patient
from palpa.patients.services import add_allergy

OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/allergies"),
    ("post", "/api/v1/patients/{patient_id}/allergies"),
}

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}
RECORD = {
    "owner": 201,
    "therapist": 201,
    "other_therapist": 201,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}

LATEX = {"substance": "latex", "reaction": "hives", "severity": "moderate"}


@pytest.fixture
def allergy(therapist: User, patient: Patient) -> Allergy:
    return add_allergy(actor=therapist, patient=patient, substance="arnica oil", severity="severe")


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_read_a_patients_allergies(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    transport: str,
    patient: Patient,
    allergy: Allergy,
) -> None:
    response = api_as(request, who, transport).get(f"/patients/{patient.public_id}/allergies")
    assert response.status_code == status
    if status == 200:
        assert [a["substance"] for a in response.json()] == ["arnica oil"]
    else:
        assert "arnica" not in response.content.decode()


def test_front_desk_cannot_read_allergies(
    front_desk: User, patient: Patient, allergy: Allergy
) -> None:
    response = api_for(front_desk, "token").get(f"/patients/{patient.public_id}/allergies")
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role may not read clinical records (clinical.read)."}


def test_a_refused_allergy_read_leaves_no_read_entry(
    biller: User, patient: Patient, allergy: Allergy
) -> None:
    api_for(biller, "token").get(f"/patients/{patient.public_id}/allergies")
    assert not AuditEvent.objects.filter(actor=biller, action=AuditEvent.Action.READ).exists()


def test_reading_allergies_leaves_a_read_audit_entry(
    other_therapist: User, patient: Patient, allergy: Allergy
) -> None:
    api_for(other_therapist, "token").get(f"/patients/{patient.public_id}/allergies")
    entry = AuditEvent.objects.get(action=AuditEvent.Action.READ, actor=other_therapist)
    assert entry.patient_id == str(patient.public_id)
    assert entry.detail == {"view": "allergies"}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(RECORD))
def test_each_persona_may_or_may_not_record_an_allergy(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, patient: Patient
) -> None:
    response = api_as(request, who, transport).post(
        f"/patients/{patient.public_id}/allergies", LATEX
    )
    assert response.status_code == status, response.content
    assert Allergy.objects.filter(patient=patient).count() == (1 if status == 201 else 0)
    if status == 201:
        created = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, object_type="Allergy")
        assert created.actor == persona(request, who)
        assert created.patient_id == str(patient.public_id)
        assert created.object_id == response.json()["id"]


def test_bad_allergy_fields_are_all_reported_and_nothing_is_saved(
    owner: User, patient: Patient
) -> None:
    api = api_for(owner, "token")
    before = AuditEvent.objects.count()
    response = api.post(
        f"/patients/{patient.public_id}/allergies",
        {"substance": "", "severity": "deadly", "reaction": "r" * 201},
    )
    assert error_fields(response) == {"substance", "severity", "reaction"}
    assert not Allergy.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_session_write_without_the_csrf_token_is_refused(owner: User, patient: Patient) -> None:
    api = api_for(owner, "session")
    path = f"/patients/{patient.public_id}/allergies"
    assert without_csrf(api).post(path, LATEX).status_code == 403
    assert not Allergy.objects.exists()
    assert api.post(path, LATEX).status_code == 201
    assert Allergy.objects.count() == 1
