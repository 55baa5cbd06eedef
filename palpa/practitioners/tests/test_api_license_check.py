"""GET /api/v1/practitioners/{id}/license-check: may they practise here on that day?"""

from __future__ import annotations

from collections.abc import Iterator

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
)
from palpa.practitioners.models import Practitioner

OPERATIONS = {("get", "/api/v1/practitioners/{practitioner_id}/license-check")}

CHECK = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 404,
    "anonymous": 401,
}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


def _path(practitioner: Practitioner) -> str:
    return f"/practitioners/{practitioner.public_id}/license-check"


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(CHECK))
def test_each_persona_may_or_may_not_check_a_license(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    transport: str,
    practitioner: Practitioner,
) -> None:
    response = api_as(request, who, transport).get(_path(practitioner), {"jurisdiction": "fl"})
    assert response.status_code == status
    if status == 200:
        assert response.json()["allowed"] is True
        assert response.json()["jurisdiction"] == "FL"
        assert response.json()["on"] == "2026-03-02"
    else:
        assert "license" not in response.content.decode().lower()


def test_the_answer_depends_on_jurisdiction_and_day(
    owner: User, practitioner: Practitioner
) -> None:
    api = api_for(owner, "token")
    texas = api.get(_path(practitioner), {"jurisdiction": "TX"}).json()
    assert texas["allowed"] is False
    assert "no license for TX" in texas["reason"]
    later = api.get(_path(practitioner), {"jurisdiction": "FL", "on": "2027-03-03"}).json()
    assert later["allowed"] is False
    assert "expired on 2027-03-02" in later["reason"]


def test_a_license_check_is_audited(front_desk: User, practitioner: Practitioner) -> None:
    api_for(front_desk, "token").get(_path(practitioner), {"jurisdiction": "FL"})
    entry = AuditEvent.objects.get(action=AuditEvent.Action.LICENSE_CHECK)
    assert entry.actor == front_desk
    assert entry.object_id == str(practitioner.public_id)
    assert entry.detail == {"jurisdiction": "FL", "on": "2026-03-02", "allowed": True}


def test_missing_jurisdiction_and_a_bad_day_are_422_naming_both(
    owner: User, practitioner: Practitioner
) -> None:
    response = api_for(owner, "token").get(_path(practitioner), {"on": "tomorrow"})
    assert error_fields(response) == {"jurisdiction", "on"}
