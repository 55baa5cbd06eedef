"""The API tokens page (/accounts/tokens/): each staff member sees and revokes their own;
an owner may revoke any token of the organization."""

from __future__ import annotations

import pytest

from palpa.accounts.models import ApiToken, User
from palpa.accounts.services import IssuedToken, issue_token
from palpa.core.tests.support import PERSONAS, assert_answer, matrix, persona, web_client

OPEN = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 200,
    "anonymous": 302,
}
REVOKE_THERAPISTS = {
    "owner": 302,
    "therapist": 302,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}


@pytest.fixture
def therapists_token(therapist: User) -> IssuedToken:
    return issue_token(actor=therapist, name="therapist's phone")


@pytest.mark.parametrize(("who", "status"), matrix(OPEN))
def test_each_persona_may_or_may_not_open_the_tokens_page(
    request: pytest.FixtureRequest, who: str, status: int, therapists_token: IssuedToken
) -> None:
    response = web_client(request, who).get("/accounts/tokens/")
    assert_answer(response, who, status)
    body = response.content.decode()
    assert ("therapist&#x27;s phone" in body) == (who == "therapist")
    assert therapists_token.secret not in body


@pytest.mark.parametrize("who", [p for p in PERSONAS if p != "anonymous"])
def test_each_staff_member_issues_a_token_for_themself(
    request: pytest.FixtureRequest, who: str
) -> None:
    response = web_client(request, who).post("/accounts/tokens/", {"name": "script"})
    assert response.status_code == 200
    token = ApiToken.objects.get(name="script")
    assert token.user == persona(request, who)
    assert response.context["new_secret"].startswith(token.prefix)


def test_anonymous_visitor_cannot_issue_a_token(request: pytest.FixtureRequest, db: None) -> None:
    response = web_client(request, "anonymous").post("/accounts/tokens/", {"name": "script"})
    assert_answer(response, "anonymous", 302)
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(("who", "status"), matrix(REVOKE_THERAPISTS))
def test_each_persona_may_or_may_not_revoke_the_therapists_token(
    request: pytest.FixtureRequest, who: str, status: int, therapists_token: IssuedToken
) -> None:
    token = therapists_token.token
    response = web_client(request, who).post(f"/accounts/tokens/{token.public_id}/revoke/")
    assert_answer(response, who, status)
    revoked = ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert revoked == (who in ("owner", "therapist"))
