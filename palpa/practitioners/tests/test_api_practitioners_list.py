"""GET /api/v1/practitioners: every role of ours lists our practitioners, no one else's."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import STAFF, TRANSPORTS, api_as, api_for
from palpa.practitioners.models import Practitioner

OPERATIONS = {("get", "/api/v1/practitioners")}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("who", STAFF)
def test_every_staff_role_lists_our_practitioners(
    request: pytest.FixtureRequest, who: str, transport: str, practitioner: Practitioner
) -> None:
    response = api_as(request, who, transport).get("/practitioners")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()}
    ours = Practitioner.objects.filter(organization=practitioner.organization)
    assert ids == {str(p.public_id) for p in ours}
    assert str(practitioner.public_id) in ids


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_outsider_lists_none_of_our_practitioners(
    outsider: User, practitioner: Practitioner, transport: str
) -> None:
    response = api_for(outsider, transport).get("/practitioners")
    assert response.status_code == 200
    assert response.json() == []


def test_anonymous_caller_cannot_list_practitioners(practitioner: Practitioner) -> None:
    response = api_for(None, "token").get("/practitioners")
    assert response.status_code == 401
    assert "Therapist" not in response.content.decode()


def test_listed_practitioners_carry_their_licenses(owner: User, practitioner: Practitioner) -> None:
    row = next(
        r
        for r in api_for(owner, "token").get("/practitioners").json()
        if r["id"] == str(practitioner.public_id)
    )
    assert [(lic["jurisdiction"], lic["license_type"]) for lic in row["licenses"]] == [
        ("FL", "LMT")
    ]
    assert row["licenses"][0]["current"] is True
