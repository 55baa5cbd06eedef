"""GET and POST /api/v1/patients/{id}/consents: consents read by every role of ours,
recorded by owners, therapists and front desk."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import (
    TODAY,
    TRANSPORTS,
    api_as,
    api_for,
    error_fields,
    frozen_clock,
    matrix,
    persona,
    without_csrf,
)
from palpa.patients.models import Consent, Patient
from palpa.patients.services import record_consent

OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/consents"),
    ("post", "/api/v1/patients/{patient_id}/consents"),
}

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 404,
    "anonymous": 401,
}
RECORD = {
    "owner": 201,
    "therapist": 201,
    "other_therapist": 201,
    "front_desk": 201,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}

CONSENT = {"kind": "treatment", "version": "2026-01", "given_on": "2026-03-02"}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.fixture
def consent(owner: User, patient: Patient) -> Consent:
    return record_consent(
        actor=owner,
        patient=patient,
        kind="privacy_notice",
        version="3",
        given_on=TODAY,
        granted=True,
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_read_a_patients_consents(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    transport: str,
    patient: Patient,
    consent: Consent,
) -> None:
    response = api_as(request, who, transport).get(f"/patients/{patient.public_id}/consents")
    assert response.status_code == status
    if status == 200:
        assert [c["id"] for c in response.json()] == [str(consent.public_id)]
    else:
        assert str(consent.public_id) not in response.content.decode()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(RECORD))
def test_each_persona_may_or_may_not_record_a_consent(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, patient: Patient
) -> None:
    api = api_as(request, who, transport)
    response = api.post(f"/patients/{patient.public_id}/consents", CONSENT)
    assert response.status_code == status, response.content
    assert Consent.objects.filter(patient=patient).count() == (1 if status == 201 else 0)
    if status == 201:
        stored = Consent.objects.get(patient=patient)
        assert stored.recorded_by == persona(request, who)
        assert response.json()["id"] == str(stored.public_id)


def test_reading_consents_leaves_a_read_audit_entry(
    biller: User, patient: Patient, consent: Consent
) -> None:
    api_for(biller, "token").get(f"/patients/{patient.public_id}/consents")
    entry = AuditEvent.objects.get(action=AuditEvent.Action.READ, actor=biller)
    assert entry.patient_id == str(patient.public_id)
    assert entry.detail == {"view": "consents"}


def test_recording_a_consent_leaves_a_create_audit_entry(
    front_desk: User, patient: Patient
) -> None:
    response = api_for(front_desk, "token").post(f"/patients/{patient.public_id}/consents", CONSENT)
    entry = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, object_type="Consent")
    assert entry.actor == front_desk
    assert entry.patient_id == str(patient.public_id)
    assert entry.object_id == response.json()["id"]


def test_bad_consent_fields_are_all_reported_and_nothing_is_saved(
    owner: User, patient: Patient
) -> None:
    api = api_for(owner, "token")
    before = AuditEvent.objects.count()
    response = api.post(
        f"/patients/{patient.public_id}/consents",
        {"kind": "marketing", "version": "", "given_on": "yesterday"},
    )
    assert error_fields(response) == {"kind", "version", "given_on"}
    assert not Consent.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_session_write_without_the_csrf_token_is_refused(
    therapist: User, patient: Patient
) -> None:
    api = api_for(therapist, "session")
    path = f"/patients/{patient.public_id}/consents"
    assert without_csrf(api).post(path, CONSENT).status_code == 403
    assert not Consent.objects.exists()
    assert api.post(path, CONSENT).status_code == 201
    assert Consent.objects.count() == 1
