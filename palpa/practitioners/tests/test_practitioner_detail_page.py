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


@pytest.fixture
def unlinked(owner: User) -> Practitioner:
    from palpa.practitioners.services import create_practitioner

    return create_practitioner(actor=owner, given_name="Nia", family_name="Hart")


@pytest.mark.parametrize(("who", "status"), matrix(ADD_LICENSE))
def test_each_persona_may_or_may_not_link_a_practitioner_to_a_sign_in_account(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    unlinked: Practitioner,
    front_desk: User,
) -> None:
    url = f"/practitioners/{unlinked.public_id}/login/"
    response = web_client(request, who).post(url, {"user": str(front_desk.pk)})
    assert_answer(response, who, status)
    unlinked.refresh_from_db()
    assert (unlinked.user_id == front_desk.pk) == (who == "owner")


def test_the_owner_links_an_existing_practitioner_and_the_page_says_so(
    request: pytest.FixtureRequest, unlinked: Practitioner, front_desk: User
) -> None:
    client = web_client(request, "owner")
    assert "Link account" in client.get(_page(unlinked)).content.decode()
    client.post(f"/practitioners/{unlinked.public_id}/login/", {"user": str(front_desk.pk)})
    page = client.get(_page(unlinked)).content.decode()
    assert "Fran Desk (desk@bayside.example)" in page
    assert "Link account" not in page  # linked: nothing more to link


def test_another_organizations_account_cannot_be_linked(
    request: pytest.FixtureRequest, unlinked: Practitioner, outsider: User
) -> None:
    response = web_client(request, "owner").post(
        f"/practitioners/{unlinked.public_id}/login/", {"user": str(outsider.pk)}, follow=True
    )
    assert "Sign-in account: choose one of the listed staff accounts." in response.content.decode()
    unlinked.refresh_from_db()
    assert unlinked.user_id is None
