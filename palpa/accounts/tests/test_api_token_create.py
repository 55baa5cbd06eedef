"""POST /api/v1/tokens: any staff member issues a token for themself; shown once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from palpa.accounts.models import ApiToken, User, hash_token
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import (
    NOW,
    TRANSPORTS,
    api_as,
    api_for,
    error_fields,
    frozen_clock,
    matrix,
    persona,
    without_csrf,
)

OPERATIONS = {("post", "/api/v1/tokens")}

ISSUE = {
    "owner": 201,
    "therapist": 201,
    "other_therapist": 201,
    "front_desk": 201,
    "biller": 201,
    "outsider": 201,
    "anonymous": 401,
}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(ISSUE))
def test_each_persona_may_or_may_not_issue_a_token(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, db: None
) -> None:
    response = api_as(request, who, transport).post("/tokens", {"name": "reporting script"})
    assert response.status_code == status
    issued = ApiToken.objects.filter(name="reporting script")
    if status != 201:
        assert not issued.exists()
        return
    token = issued.get()
    user = persona(request, who)
    assert token.user == user
    assert user is not None
    assert token.organization_id == user.organization_id


def test_the_secret_is_shown_once_and_stored_only_as_its_hash(therapist: User) -> None:
    response = api_for(therapist, "token").post("/tokens", {"name": "phone"})
    secret = response.json()["token"]
    assert secret.startswith("palpa_")
    token = ApiToken.objects.get(public_id=response.json()["id"])
    assert token.token_hash == hash_token(secret)
    assert secret not in token.token_hash
    assert token.prefix == secret[:12]
    entry = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN, object_id=str(token.public_id))
    assert entry.actor == therapist
    assert secret not in str(entry.detail)


def test_a_new_token_works_until_its_expiry(owner: User) -> None:
    expiry = (NOW + dt.timedelta(hours=1)).isoformat()
    response = api_for(owner, "token").post("/tokens", {"name": "short", "expires_at": expiry})
    assert response.status_code == 201
    assert response.json()["expires_at"] == "2026-03-02T21:00:00Z"


def _refused(owner: User, body: dict[str, Any]) -> set[str]:
    api = api_for(owner, "token")
    before = (ApiToken.objects.count(), AuditEvent.objects.count())
    response = api.post("/tokens", body)
    assert (ApiToken.objects.count(), AuditEvent.objects.count()) == before
    return error_fields(response)


def test_a_token_needs_a_name(owner: User) -> None:
    assert _refused(owner, {"name": ""}) == {"name"}
    assert _refused(owner, {}) == {"name"}


def test_a_token_cannot_be_issued_already_expired(owner: User) -> None:
    past = (NOW - dt.timedelta(seconds=1)).isoformat()
    assert _refused(owner, {"name": "late", "expires_at": past}) == {"expires_at"}


def test_an_expiry_without_a_time_zone_is_422_naming_expires_at(owner: User) -> None:
    assert _refused(owner, {"name": "naive", "expires_at": "2027-01-01T00:00:00"}) == {"expires_at"}


def test_an_unknown_field_is_422_rather_than_a_token_that_never_expires(owner: User) -> None:
    assert _refused(owner, {"name": "typo", "expires": "2027-01-01T00:00:00Z"}) == {"expires"}


def test_a_blank_name_and_a_past_expiry_are_reported_together(owner: User) -> None:
    body = {"name": "   ", "expires_at": "2020-01-01T00:00:00Z"}
    assert _refused(owner, body) == {"name", "expires_at"}


def test_a_session_write_without_the_csrf_token_is_refused(biller: User) -> None:
    api = api_for(biller, "session")
    assert without_csrf(api).post("/tokens", {"name": "forged"}).status_code == 403
    assert not ApiToken.objects.filter(name="forged").exists()
    assert api.post("/tokens", {"name": "mine"}).status_code == 201
