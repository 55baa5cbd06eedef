"""The practitioner list (/practitioners/): every role of ours; never another organization's."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import STAFF, assert_answer, matrix, web_client
from palpa.practitioners.models import Practitioner

LIST = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 200,  # their own, without ours
    "anonymous": 302,
}


@pytest.mark.parametrize(("who", "status"), matrix(LIST))
def test_each_persona_may_or_may_not_open_the_practitioner_list(
    request: pytest.FixtureRequest, who: str, status: int, practitioner: Practitioner
) -> None:
    response = web_client(request, who).get("/practitioners/")
    assert_answer(response, who, status)
    assert ("Tess Therapist" in response.content.decode()) == (who in STAFF)


@pytest.mark.parametrize(("who", "shown"), [("owner", True), ("therapist", False)])
def test_the_add_button_shows_only_to_owners(
    request: pytest.FixtureRequest, who: str, shown: bool, practitioner: Practitioner
) -> None:
    body = web_client(request, who).get("/practitioners/").content.decode()
    assert ('href="/practitioners/new/"' in body) == shown


def test_the_list_says_who_may_practise_today_at_each_location(
    request: pytest.FixtureRequest, front_desk: User, practitioner: Practitioner
) -> None:
    body = web_client(request, "front_desk").get("/practitioners/").content.decode()
    assert "Bayside Clinic: yes" in body
