"""PATCH /api/v1/patients/{id}: change demographics (owners, therapists, front desk)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from palpa.accounts.models import Location, Organization, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import (
    TRANSPORTS,
    api_as,
    api_for,
    error_fields,
    frozen_clock,
    matrix,
    without_csrf,
)
from palpa.patients.models import Patient
from palpa.patients.services import set_patient_status

OPERATIONS = {("patch", "/api/v1/patients/{patient_id}")}

PATCH = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


def _stored(patient: Patient) -> Patient:
    return Patient.objects.get(pk=patient.pk)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(PATCH))
def test_each_persona_may_or_may_not_change_a_patient(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, patient: Patient
) -> None:
    api = api_as(request, who, transport)
    response = api.patch(f"/patients/{patient.public_id}", {"phone": "+1 727 555 0188"})
    assert response.status_code == status, response.content
    expected_phone = "+1 727 555 0188" if status == 200 else "+1 813 555 0101"
    assert _stored(patient).phone == expected_phone
    if status == 200:
        assert response.json()["phone"] == "+1 727 555 0188"


def test_changing_a_patient_leaves_an_update_audit_entry_with_the_change(
    front_desk: User, patient: Patient
) -> None:
    api = api_for(front_desk, "token")
    api.patch(f"/patients/{patient.public_id}", {"phone": "+1 727 555 0188", "city": "Tampa"})
    entry = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, actor=front_desk)
    assert entry.patient_id == str(patient.public_id)
    assert entry.via == "api"
    assert entry.detail["changed"]["phone"] == {"from": "+1 813 555 0101", "to": "+1 727 555 0188"}


def test_only_the_fields_sent_are_changed(owner: User, patient: Patient) -> None:
    api_for(owner, "token").patch(f"/patients/{patient.public_id}", {"preferred_name": "Ro"})
    stored = _stored(patient)
    assert (stored.preferred_name, stored.phone, stored.email) == (
        "Ro",
        "+1 813 555 0101",
        "rosa@example.com",
    )


def _refused(owner: User, patient: Patient, body: dict[str, Any]) -> set[str]:
    """PATCH as the owner; assert the stored row and the audit log are untouched."""
    api = api_for(owner, "token")
    before = (_stored(patient).updated_at, AuditEvent.objects.count())
    response = api.patch(f"/patients/{patient.public_id}", body)
    assert (_stored(patient).updated_at, AuditEvent.objects.count()) == before
    return error_fields(response)


def test_bad_values_are_all_reported_and_nothing_is_saved(owner: User, patient: Patient) -> None:
    body = {"phone": "x", "date_of_birth": "2026-12-01", "email": "nope", "family_name": "Moreno"}
    assert _refused(owner, patient, body) == {"phone", "date_of_birth", "email"}
    assert _stored(patient).family_name == "Delgado"


def test_a_date_of_birth_in_the_future_is_422_naming_date_of_birth(
    owner: User, patient: Patient
) -> None:
    assert _refused(owner, patient, {"date_of_birth": "2026-03-03"}) == {"date_of_birth"}


def test_a_required_field_cannot_be_set_to_null(owner: User, patient: Patient) -> None:
    assert _refused(owner, patient, {"given_name": None, "date_of_birth": None}) == {
        "given_name",
        "date_of_birth",
    }


def test_an_unknown_field_is_422_naming_that_field(owner: User, patient: Patient) -> None:
    assert _refused(owner, patient, {"phone": "+1 727 555 0188", "mrn": "P000009"}) == {"mrn"}


def test_a_location_of_another_organization_is_422_naming_primary_location(
    owner: User, patient: Patient, outsider: User, other_org: Organization
) -> None:
    theirs = Location.objects.get(organization=other_org)
    assert _refused(owner, patient, {"primary_location": str(theirs.public_id)}) == {
        "primary_location"
    }


def test_a_record_entered_in_error_cannot_be_changed(owner: User, patient: Patient) -> None:
    set_patient_status(
        actor=owner, patient=patient, status=Patient.Status.ENTERED_IN_ERROR, reason="duplicate"
    )
    response = api_for(owner, "token").patch(f"/patients/{patient.public_id}", {"city": "Miami"})
    assert response.status_code == 422
    assert "entered in error" in response.json()["detail"][0]["msg"]
    assert _stored(patient).city == ""


def test_biller_is_refused_before_the_body_is_checked(biller: User, patient: Patient) -> None:
    response = api_for(biller, "token").patch(f"/patients/{patient.public_id}", {"phone": None})
    assert response.status_code == 403


def test_a_session_write_without_the_csrf_token_is_refused(
    therapist: User, patient: Patient
) -> None:
    api = api_for(therapist, "session")
    refused = without_csrf(api).patch(f"/patients/{patient.public_id}", {"city": "Miami"})
    assert refused.status_code == 403
    assert _stored(patient).city == ""
    accepted = api.patch(f"/patients/{patient.public_id}", {"city": "Miami"})
    assert accepted.status_code == 200
    assert _stored(patient).city == "Miami"
