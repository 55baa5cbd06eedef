"""POST /api/v1/practitioners: owners add practitioners to their own organization."""

from __future__ import annotations

from typing import Any

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
from palpa.practitioners.models import Practitioner

OPERATIONS = {("post", "/api/v1/practitioners")}

CREATE = {
    "owner": 201,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 201,  # in the outsider's own organization
    "anonymous": 401,
}

VALID_NPI = "1234567893"
NEW = {"given_name": "Nia", "family_name": "Hart", "credentials": "LMT", "npi": VALID_NPI}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(CREATE))
def test_each_persona_may_or_may_not_add_a_practitioner(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, owner: User
) -> None:
    api = api_as(request, who, transport)
    response = api.post("/practitioners", NEW)
    assert response.status_code == status, response.content
    created = Practitioner.objects.filter(npi=VALID_NPI)
    if status != 201:
        assert not created.exists()
        return
    user = persona(request, who)
    assert user is not None
    assert created.get().organization_id == user.organization_id
    assert response.json()["id"] == str(created.get().public_id)
    entry = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATE, object_type="Practitioner", object_id=response.json()["id"]
    )
    assert entry.actor == user


def _refused(owner: User, body: dict[str, Any]) -> set[str]:
    api = api_for(owner, "token")
    before = (Practitioner.objects.count(), AuditEvent.objects.count())
    response = api.post("/practitioners", body)
    assert (Practitioner.objects.count(), AuditEvent.objects.count()) == before
    return error_fields(response)


def test_a_wrong_npi_check_digit_is_422_naming_npi(owner: User) -> None:
    api = api_for(owner, "token")
    response = api.post("/practitioners", {**NEW, "npi": "1234567890"})
    assert error_fields(response) == {"npi"}
    assert "check digit" in response.json()["detail"][0]["msg"]
    assert not Practitioner.objects.filter(family_name="Hart").exists()


@pytest.mark.parametrize("npi", ["12345", "3234567893", "12345678ab", "12345678901"])
def test_an_npi_that_is_not_ten_digits_starting_with_1_or_2_is_422_naming_npi(
    owner: User, npi: str
) -> None:
    assert _refused(owner, {**NEW, "npi": npi}) == {"npi"}


def test_an_unknown_field_is_422_naming_that_field(owner: User) -> None:
    assert _refused(owner, {**NEW, "license_number": "MA1"}) == {"license_number"}


def test_every_bad_field_is_reported_in_one_response(owner: User) -> None:
    assert _refused(owner, {**NEW, "npi": "1234567890", "email": "nia-at-example"}) == {
        "npi",
        "email",
    }
    assert _refused(owner, {"given_name": "", "active": True}) == {
        "given_name",
        "family_name",
        "active",
    }


def test_a_session_write_without_the_csrf_token_is_refused(owner: User) -> None:
    api = api_for(owner, "session")
    assert without_csrf(api).post("/practitioners", NEW).status_code == 403
    assert not Practitioner.objects.filter(npi=VALID_NPI).exists()
    assert api.post("/practitioners", NEW).status_code == 201
    assert Practitioner.objects.filter(npi=VALID_NPI).exists()
