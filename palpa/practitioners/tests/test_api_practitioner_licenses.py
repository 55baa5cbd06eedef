"""POST /api/v1/practitioners/{id}/licenses: owners record a practitioner's licenses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from palpa.accounts.models import User
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
from palpa.practitioners.models import License, Practitioner

OPERATIONS = {("post", "/api/v1/practitioners/{practitioner_id}/licenses")}

ADD = {
    "owner": 201,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}

GEORGIA = {
    "jurisdiction": "ga",
    "license_type": "LMT",
    "number": "MT004321",
    "issued_on": "2025-06-01",
    "expires_on": "2027-05-31",
}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(ADD))
def test_each_persona_may_or_may_not_add_a_license(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    transport: str,
    practitioner: Practitioner,
) -> None:
    api = api_as(request, who, transport)
    response = api.post(f"/practitioners/{practitioner.public_id}/licenses", GEORGIA)
    assert response.status_code == status, response.content
    added = License.objects.filter(practitioner=practitioner, jurisdiction="GA")
    if status != 201:
        assert not added.exists()
        return
    assert response.json()["jurisdiction"] == "GA"
    assert response.json()["current"] is True
    assert response.json()["verification_status"] == "unverified"
    entry = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATE, object_id=str(added.get().public_id)
    )
    assert entry.actor == persona(request, who)
    assert entry.object_type == "License"


def _refused(owner: User, practitioner: Practitioner, body: dict[str, Any]) -> set[str]:
    api = api_for(owner, "token")
    before = (License.objects.count(), AuditEvent.objects.count())
    response = api.post(f"/practitioners/{practitioner.public_id}/licenses", body)
    assert (License.objects.count(), AuditEvent.objects.count()) == before
    return error_fields(response)


def test_a_license_expiring_before_it_was_issued_is_422_naming_expires_on(
    owner: User, practitioner: Practitioner
) -> None:
    body = {**GEORGIA, "issued_on": "2026-01-01", "expires_on": "2025-12-31"}
    assert _refused(owner, practitioner, body) == {"expires_on"}


def test_missing_and_unknown_license_fields_are_all_reported(
    owner: User, practitioner: Practitioner
) -> None:
    body = {"jurisdiction": "G", "issued_on": "someday", "board": "GA board"}
    assert _refused(owner, practitioner, body) == {
        "jurisdiction",
        "license_type",
        "number",
        "issued_on",
        "expires_on",
        "board",
    }


def test_the_same_license_number_cannot_be_recorded_twice(
    owner: User, practitioner: Practitioner
) -> None:
    api = api_for(owner, "token")
    assert api.post(f"/practitioners/{practitioner.public_id}/licenses", GEORGIA).status_code == 201
    assert _refused(owner, practitioner, GEORGIA)


def test_a_session_write_without_the_csrf_token_is_refused(
    owner: User, practitioner: Practitioner
) -> None:
    api = api_for(owner, "session")
    path = f"/practitioners/{practitioner.public_id}/licenses"
    assert without_csrf(api).post(path, GEORGIA).status_code == 403
    assert not License.objects.filter(jurisdiction="GA").exists()
    assert api.post(path, GEORGIA).status_code == 201
    assert License.objects.filter(jurisdiction="GA").exists()
