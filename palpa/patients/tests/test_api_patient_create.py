"""POST /api/v1/patients: create a patient (owners, therapists and front desk)."""

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
    persona,
    without_csrf,
)
from palpa.patients.models import Patient

OPERATIONS = {("post", "/api/v1/patients")}

CREATE = {
    "owner": 201,
    "therapist": 201,
    "other_therapist": 201,
    "front_desk": 201,
    "biller": 403,
    "outsider": 201,  # in the outsider's own organization
    "anonymous": 401,
}

NEW = {"given_name": "Mara", "family_name": "Quinn", "date_of_birth": "1988-07-09"}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(CREATE))
def test_each_persona_may_or_may_not_create_a_patient(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, location: Location
) -> None:
    api = api_as(request, who, transport)
    before = Patient.objects.count()
    response = api.post("/patients", {**NEW, "phone": "(813) 555-0199"})
    assert response.status_code == status, response.content
    if status != 201:
        assert Patient.objects.count() == before
        return
    user = persona(request, who)
    assert user is not None
    created = Patient.objects.get(public_id=response.json()["id"])
    assert created.organization_id == user.organization_id
    assert response.json()["mrn"] == created.mrn
    assert created.phone == "(813) 555-0199"


def test_creating_a_patient_leaves_a_create_audit_entry(front_desk: User) -> None:
    response = api_for(front_desk, "token").post("/patients", NEW)
    assert response.status_code == 201
    entry = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, object_type="Patient")
    assert entry.actor == front_desk
    assert entry.patient_id == response.json()["id"]
    assert entry.via == "api"


def test_a_patient_can_be_placed_at_one_of_our_locations(owner: User, location: Location) -> None:
    response = api_for(owner, "token").post(
        "/patients", {**NEW, "primary_location": str(location.public_id)}
    )
    assert response.status_code == 201
    assert response.json()["primary_location"] == str(location.public_id)


def test_outsider_cannot_place_a_patient_at_our_location(
    outsider: User, location: Location, org: Organization
) -> None:
    api = api_for(outsider, "token")
    before = (Patient.objects.count(), AuditEvent.objects.count())
    response = api.post("/patients", {**NEW, "primary_location": str(location.public_id)})
    assert error_fields(response) == {"primary_location"}
    assert (Patient.objects.count(), AuditEvent.objects.count()) == before


def test_biller_is_refused_before_the_body_is_checked(biller: User, location: Location) -> None:
    response = api_for(biller, "token").post(
        "/patients", {**NEW, "primary_location": "00000000-0000-0000-0000-000000000000"}
    )
    assert response.status_code == 403


def _refused(owner: User, body: dict[str, Any]) -> set[str]:
    """Post ``body`` as the owner; assert nothing was saved or audited; return bad fields."""
    api = api_for(owner, "token")
    before = (Patient.objects.count(), AuditEvent.objects.count())
    response = api.post("/patients", body)
    assert (Patient.objects.count(), AuditEvent.objects.count()) == before
    return error_fields(response)


def test_a_malformed_phone_number_is_422_naming_phone(owner: User) -> None:
    assert _refused(owner, {**NEW, "phone": "call me"}) == {"phone"}


def test_a_date_of_birth_in_the_future_is_422_naming_date_of_birth(owner: User) -> None:
    assert _refused(owner, {**NEW, "date_of_birth": "2026-03-03"}) == {"date_of_birth"}


def test_a_date_of_birth_today_is_accepted(owner: User) -> None:
    response = api_for(owner, "token").post("/patients", {**NEW, "date_of_birth": "2026-03-02"})
    assert response.status_code == 201


def test_a_date_of_birth_before_1900_is_422_naming_date_of_birth(owner: User) -> None:
    assert _refused(owner, {**NEW, "date_of_birth": "1899-12-31"}) == {"date_of_birth"}


def test_an_unknown_field_is_422_naming_that_field(owner: User) -> None:
    assert _refused(owner, {**NEW, "ssn": "123-45-6789"}) == {"ssn"}


def test_a_field_set_only_by_the_system_is_422(owner: User) -> None:
    assert _refused(owner, {**NEW, "mrn": "P999999", "status": "deceased"}) == {"mrn", "status"}


def test_missing_and_malformed_fields_are_all_reported_at_once(owner: User) -> None:
    body = {"family_name": "", "date_of_birth": "not a date", "sex": "x", "colour": "red"}
    assert _refused(owner, body) == {
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "colour",
    }


def test_every_rule_broken_by_the_values_is_reported_in_one_response(owner: User) -> None:
    body = {
        **NEW,
        "date_of_birth": "2030-01-01",
        "phone": "12",
        "email": "rosa-at-example",
        "emergency_contact_phone": "none",
        "preferred_language": "English",
    }
    response_fields = _refused(owner, body)
    assert response_fields == {
        "date_of_birth",
        "phone",
        "email",
        "emergency_contact_phone",
        "preferred_language",
    }


def test_validation_messages_say_what_is_wrong(owner: User) -> None:
    api = api_for(owner, "token")
    response = api.post("/patients", {**NEW, "phone": "12", "date_of_birth": "2030-01-01"})
    messages = {item["loc"][-1]: item["msg"] for item in response.json()["detail"]}
    assert "phone number" in messages["phone"]
    assert "future" in messages["date_of_birth"]


def test_a_session_write_without_the_csrf_token_is_refused(owner: User) -> None:
    api = api_for(owner, "session")
    before = Patient.objects.count()
    refused = without_csrf(api).post("/patients", NEW)
    assert refused.status_code == 403
    assert Patient.objects.count() == before
    assert api.post("/patients", NEW).status_code == 201
    assert Patient.objects.count() == before + 1
