"""A practitioner's page (/practitioners/{id}/): read by every role of ours; licenses
added there by owners only; 404 for another organization."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.practitioners.models import License, Practitioner

OPEN = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 404,
    "anonymous": 302,
}
ADD_LICENSE = {
    "owner": 302,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
GEORGIA = {
    "jurisdiction": "GA",
    "license_type": "LMT",
    "number": "MT004321",
    "issued_on": "2025-06-01",
    "expires_on": "2027-05-31",
}


def _page(practitioner: Practitioner) -> str:
    return f"/practitioners/{practitioner.public_id}/"


@pytest.mark.parametrize(("who", "status"), matrix(OPEN))
def test_each_persona_may_or_may_not_open_a_practitioners_page(
    request: pytest.FixtureRequest, who: str, status: int, practitioner: Practitioner
) -> None:
    response = web_client(request, who).get(_page(practitioner))
    assert_answer(response, who, status)
    body = response.content.decode()
    assert ("Tess Therapist" in body) == (status == 200)
    assert ("Add a license" in body) == (who == "owner")


@pytest.mark.parametrize(("who", "status"), matrix(ADD_LICENSE))
def test_each_persona_may_or_may_not_add_a_license_on_the_page(
    request: pytest.FixtureRequest, who: str, status: int, practitioner: Practitioner
) -> None:
    response = web_client(request, who).post(_page(practitioner), GEORGIA)
    assert_answer(response, who, status)
    added = License.objects.filter(practitioner=practitioner, jurisdiction="GA")
    assert added.exists() == (who == "owner")


def test_a_license_expiring_before_issue_is_shown_on_expires_on(
    request: pytest.FixtureRequest, owner: User, practitioner: Practitioner
) -> None:
    response = web_client(request, "owner").post(
        _page(practitioner), {**GEORGIA, "expires_on": "2025-01-01"}
    )
    assert response.status_code == 200
    assert "expires_on" in response.context["form"].errors
    assert not License.objects.filter(jurisdiction="GA").exists()
