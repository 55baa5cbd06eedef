"""GET /api/v1/tokens: each staff member lists their own API tokens, never the secrets."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.accounts.services import issue_token
from palpa.core.tests.support import PERSONAS, TRANSPORTS, api_as, api_for

OPERATIONS = {("get", "/api/v1/tokens")}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("who", [p for p in PERSONAS if p != "anonymous"])
def test_every_staff_member_lists_only_their_own_tokens(
    request: pytest.FixtureRequest, who: str, transport: str, owner: User, therapist: User
) -> None:
    issue_token(actor=owner, name="owner's nightly export")
    issue_token(actor=therapist, name="therapist's phone")
    response = api_as(request, who, transport).get("/tokens")
    assert response.status_code == 200
    names = {t["name"] for t in response.json()}
    assert ("owner's nightly export" in names) == (who == "owner")
    assert ("therapist's phone" in names) == (who == "therapist")
    assert names <= {"owner's nightly export", "therapist's phone", "tests"}


def test_listed_tokens_show_the_prefix_but_never_the_secret_or_hash(owner: User) -> None:
    issued = issue_token(actor=owner, name="reporting")
    listed = api_for(owner, "session").get("/tokens")
    body = listed.content.decode()
    assert issued.secret not in body
    assert issued.token.token_hash not in body
    row = next(t for t in listed.json() if t["name"] == "reporting")
    assert row["prefix"] == issued.secret[:12]
    assert "token" not in row
    assert "token_hash" not in row


def test_anonymous_caller_cannot_list_tokens(db: None) -> None:
    assert api_for(None, "token").get("/tokens").status_code == 401
