"""DELETE /api/v1/tokens/{id}: revoke your own token; an owner may revoke any of theirs."""

from __future__ import annotations

import pytest
from django.test import Client

from palpa.accounts.models import ApiToken, User
from palpa.accounts.services import IssuedToken, issue_token
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import (
    PERSONAS,
    TRANSPORTS,
    api_as,
    api_for,
    matrix,
    persona,
    without_csrf,
)

OPERATIONS = {("delete", "/api/v1/tokens/{token_id}")}

# Revoking the therapist's token.
REVOKE_THERAPISTS = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}


@pytest.fixture
def therapists_token(therapist: User) -> IssuedToken:
    return issue_token(actor=therapist, name="therapist's phone")


def _revoked(token: ApiToken) -> bool:
    return ApiToken.objects.get(pk=token.pk).revoked_at is not None


def _works(secret: str) -> bool:
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    return client.get("/api/v1/tokens").status_code == 200


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(REVOKE_THERAPISTS))
def test_each_persona_may_or_may_not_revoke_the_therapists_token(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    transport: str,
    therapists_token: IssuedToken,
) -> None:
    api = api_as(request, who, transport)
    response = api.delete(f"/tokens/{therapists_token.token.public_id}")
    assert response.status_code == status
    assert _revoked(therapists_token.token) == (status == 200)
    assert _works(therapists_token.secret) == (status != 200)
    revocations = AuditEvent.objects.filter(action=AuditEvent.Action.TOKEN, detail__event="revoked")
    if status == 200:
        assert revocations.get().actor == persona(request, who)
        assert response.json()["revoked_at"] is not None
    else:
        assert not revocations.exists()


@pytest.mark.parametrize("who", [p for p in PERSONAS if p != "anonymous"])
def test_every_staff_member_may_revoke_their_own_token(
    request: pytest.FixtureRequest, who: str
) -> None:
    user = persona(request, who)
    assert user is not None
    own = issue_token(actor=user, name="own")
    response = api_for(user, "session").delete(f"/tokens/{own.token.public_id}")
    assert response.status_code == 200
    assert not _works(own.secret)


def test_a_token_can_revoke_itself(front_desk: User) -> None:
    own = issue_token(actor=front_desk, name="self")
    client = Client(headers={"Authorization": f"Bearer {own.secret}"})
    assert client.delete(f"/api/v1/tokens/{own.token.public_id}").status_code == 200
    assert client.get("/api/v1/tokens").status_code == 401


def test_a_session_write_without_the_csrf_token_is_refused(
    therapist: User, therapists_token: IssuedToken
) -> None:
    api = api_for(therapist, "session")
    path = f"/tokens/{therapists_token.token.public_id}"
    assert without_csrf(api).delete(path).status_code == 403
    assert not _revoked(therapists_token.token)
    assert api.delete(path).status_code == 200
    assert _revoked(therapists_token.token)
