"""The add-practitioner page (/practitioners/new/): owners only."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import assert_answer, matrix, persona, web_client
from palpa.practitioners.models import Practitioner

OPEN = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,  # adds to their own organization
    "anonymous": 302,
}
SAVE = {**OPEN, "owner": 302, "outsider": 302}
FORM = {"given_name": "Nia", "family_name": "Hart", "credentials": "LMT", "active": "on"}


@pytest.mark.parametrize(("who", "status"), matrix(OPEN))
def test_each_persona_may_or_may_not_open_the_add_practitioner_form(
    request: pytest.FixtureRequest, who: str, status: int, owner: User
) -> None:
    assert_answer(web_client(request, who).get("/practitioners/new/"), who, status)


@pytest.mark.parametrize(("who", "status"), matrix(SAVE))
def test_each_persona_may_or_may_not_add_a_practitioner(
    request: pytest.FixtureRequest, who: str, status: int, owner: User
) -> None:
    response = web_client(request, who).post("/practitioners/new/", FORM)
    assert_answer(response, who, status)
    added = Practitioner.objects.filter(family_name="Hart")
    if who in ("owner", "outsider"):
        user = persona(request, who)
        assert user is not None
        assert added.get().organization_id == user.organization_id
    else:
        assert not added.exists()


def test_a_wrong_npi_check_digit_is_shown_on_the_npi_field(
    request: pytest.FixtureRequest, owner: User
) -> None:
    response = web_client(request, "owner").post(
        "/practitioners/new/", {**FORM, "npi": "1234567890"}
    )
    assert response.status_code == 200
    assert "npi" in response.context["form"].errors
    assert not Practitioner.objects.filter(family_name="Hart").exists()


def test_a_new_practitioner_is_linked_to_a_staff_members_sign_in_account(
    request: pytest.FixtureRequest, owner: User, front_desk: User
) -> None:
    page = web_client(request, "owner").get("/practitioners/new/").content.decode()
    assert "Fran Desk (desk@bayside.example)" in page
    response = web_client(request, "owner").post(
        "/practitioners/new/", {**FORM, "user": str(front_desk.pk)}
    )
    assert response.status_code == 302
    assert Practitioner.objects.get(family_name="Hart").user == front_desk


def test_only_our_accounts_not_yet_linked_are_offered(
    request: pytest.FixtureRequest, owner: User, therapist: User, outsider: User
) -> None:
    page = web_client(request, "owner").get("/practitioners/new/").content.decode()
    assert "therapist@bayside.example" not in page  # already a practitioner
    assert "owner@elsewhere.example" not in page  # another organization's
    response = web_client(request, "owner").post(
        "/practitioners/new/", {**FORM, "user": str(outsider.pk)}
    )
    assert response.status_code == 200
    assert "user" in response.context["form"].errors
    assert not Practitioner.objects.filter(family_name="Hart").exists()


def test_the_service_refuses_another_organizations_account(owner: User, outsider: User) -> None:
    from django.core.exceptions import ValidationError

    from palpa.practitioners.services import create_practitioner

    with pytest.raises(ValidationError, match="another organization"):
        create_practitioner(actor=owner, user=outsider, given_name="Ivo", family_name="Foreign")
    assert not Practitioner.objects.filter(family_name="Foreign").exists()
