"""POST /api/v1/patients/{id}/status: inactive, deceased, entered in error (never deleted)."""

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

OPERATIONS = {("post", "/api/v1/patients/{patient_id}/status")}

STATUS = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}

INACTIVE = {"status": "inactive", "reason": "moved to Orlando"}


def _status(patient: Patient) -> str:
    return Patient.objects.values_list("status", flat=True).get(pk=patient.pk)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(STATUS))
def test_each_persona_may_or_may_not_set_a_patients_status(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, patient: Patient
) -> None:
    response = api_as(request, who, transport).post(
        f"/patients/{patient.public_id}/status", INACTIVE
    )
    assert response.status_code == status
    assert _status(patient) == ("inactive" if status == 200 else "active")
    updates = AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, patient_id=str(patient.public_id)
    )
    if status == 200:
        entry = updates.get()
        assert entry.actor == persona(request, who)
        assert entry.detail["status"] == {"from": "active", "to": "inactive"}
        assert entry.detail["reason"] == "moved to Orlando"
    else:
        assert not updates.exists()


def test_a_status_change_needs_a_reason(owner: User, patient: Patient) -> None:
    api = api_for(owner, "token")
    before = AuditEvent.objects.count()
    response = api.post(f"/patients/{patient.public_id}/status", {"status": "deceased"})
    assert error_fields(response) == {"reason"}
    assert _status(patient) == "active"
    assert AuditEvent.objects.count() == before


def test_an_unknown_status_and_an_overlong_reason_are_both_reported(
    owner: User, patient: Patient
) -> None:
    api = api_for(owner, "token")
    response = api.post(
        f"/patients/{patient.public_id}/status", {"status": "deleted", "reason": "x" * 301}
    )
    assert error_fields(response) == {"status", "reason"}
    assert _status(patient) == "active"


def test_a_patient_can_be_made_active_again_without_a_reason(owner: User, patient: Patient) -> None:
    api = api_for(owner, "token")
    api.post(f"/patients/{patient.public_id}/status", INACTIVE)
    response = api.post(f"/patients/{patient.public_id}/status", {"status": "active"})
    assert response.status_code == 200
    assert _status(patient) == "active"


def test_a_session_write_without_the_csrf_token_is_refused(
    front_desk: User, patient: Patient
) -> None:
    api = api_for(front_desk, "session")
    path = f"/patients/{patient.public_id}/status"
    assert without_csrf(api).post(path, INACTIVE).status_code == 403
    assert _status(patient) == "active"
    assert api.post(path, INACTIVE).status_code == 200
    assert _status(patient) == "inactive"
