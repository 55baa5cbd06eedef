"""DELETE /api/v1/patients/{id}: marks the record entered in error; the row is kept."""

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
from palpa.patients.models import Patient

OPERATIONS = {("delete", "/api/v1/patients/{patient_id}")}

DELETE = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}

REASON = {"reason": "duplicate of P000007"}


def _status(patient: Patient) -> str:
    return Patient.objects.values_list("status", flat=True).get(pk=patient.pk)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(DELETE))
def test_each_persona_may_or_may_not_mark_a_patient_entered_in_error(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, patient: Patient
) -> None:
    response = api_as(request, who, transport).delete(f"/patients/{patient.public_id}", REASON)
    assert response.status_code == status
    assert Patient.objects.filter(pk=patient.pk).exists()
    assert _status(patient) == ("entered-in-error" if status == 200 else "active")
    marks = AuditEvent.objects.filter(
        action=AuditEvent.Action.DELETE, patient_id=str(patient.public_id)
    )
    if status == 200:
        assert response.json()["status"] == "entered-in-error"
        entry = marks.get()
        assert entry.actor == persona(request, who)
        assert entry.detail["reason"] == "duplicate of P000007"
    else:
        assert not marks.exists()


def test_the_record_is_kept_readable_by_id_but_left_out_of_searches(
    owner: User, patient: Patient
) -> None:
    api = api_for(owner, "token")
    count = Patient.objects.count()
    api.delete(f"/patients/{patient.public_id}", REASON)
    assert Patient.objects.count() == count
    read = api.get(f"/patients/{patient.public_id}")
    assert read.status_code == 200
    assert read.json()["status"] == "entered-in-error"
    assert read.json()["status_reason"] == "duplicate of P000007"
    assert api.get("/patients").json()["count"] == 0


def test_marking_in_error_needs_a_reason(owner: User, patient: Patient) -> None:
    api = api_for(owner, "token")
    before = AuditEvent.objects.count()
    response = api.delete(f"/patients/{patient.public_id}")
    assert error_fields(response) == {"reason"}
    assert _status(patient) == "active"
    assert AuditEvent.objects.count() == before


def test_a_session_write_without_the_csrf_token_is_refused(owner: User, patient: Patient) -> None:
    api = api_for(owner, "session")
    path = f"/patients/{patient.public_id}"
    assert without_csrf(api).delete(path, REASON).status_code == 403
    assert _status(patient) == "active"
    assert api.delete(path, REASON).status_code == 200
    assert _status(patient) == "entered-in-error"
