"""PATCH /api/v1/practitioners/{id}: owners change practitioners of their organization."""

from __future__ import annotations

from typing import Any

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import (
    TRANSPORTS,
    api_as,
    api_for,
    error_fields,
    matrix,
    persona,
    without_csrf,
)
from palpa.practitioners.models import Practitioner

OPERATIONS = {("patch", "/api/v1/practitioners/{practitioner_id}")}

PATCH = {
    "owner": 200,
    "therapist": 403,  # not even their own record
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}


def _stored(practitioner: Practitioner) -> Practitioner:
    return Practitioner.objects.get(pk=practitioner.pk)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(PATCH))
def test_each_persona_may_or_may_not_change_a_practitioner(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    transport: str,
    practitioner: Practitioner,
) -> None:
    api = api_as(request, who, transport)
    response = api.patch(f"/practitioners/{practitioner.public_id}", {"credentials": "LMT, CMLDT"})
    assert response.status_code == status, response.content
    assert _stored(practitioner).credentials == ("LMT, CMLDT" if status == 200 else "LMT")
    updates = AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, object_id=str(practitioner.public_id)
    )
    if status == 200:
        assert updates.get().actor == persona(request, who)
    else:
        assert not updates.exists()


def _refused(owner: User, practitioner: Practitioner, body: dict[str, Any]) -> set[str]:
    api = api_for(owner, "token")
    before = (_stored(practitioner).updated_at, AuditEvent.objects.count())
    response = api.patch(f"/practitioners/{practitioner.public_id}", body)
    assert (_stored(practitioner).updated_at, AuditEvent.objects.count()) == before
    return error_fields(response)


def test_a_wrong_npi_check_digit_is_422_naming_npi(owner: User, practitioner: Practitioner) -> None:
    assert _refused(owner, practitioner, {"npi": "1234567890", "credentials": "CMT"}) == {"npi"}
    assert _stored(practitioner).credentials == "LMT"


def test_a_valid_npi_is_saved(owner: User, practitioner: Practitioner) -> None:
    response = api_for(owner, "token").patch(
        f"/practitioners/{practitioner.public_id}", {"npi": "1987654328"}
    )
    assert response.status_code == 200
    assert _stored(practitioner).npi == "1987654328"


def test_null_and_unknown_fields_are_422_naming_each_field(
    owner: User, practitioner: Practitioner
) -> None:
    assert _refused(owner, practitioner, {"given_name": None, "active": None}) == {
        "given_name",
        "active",
    }
    assert _refused(owner, practitioner, {"user": 1}) == {"user"}


def test_every_bad_value_is_reported_in_one_response(
    owner: User, practitioner: Practitioner
) -> None:
    assert _refused(owner, practitioner, {"npi": "1234567890", "email": "tess-at-example"}) == {
        "npi",
        "email",
    }


def test_a_therapist_is_refused_before_the_body_is_checked(
    therapist: User, practitioner: Practitioner
) -> None:
    response = api_for(therapist, "token").patch(
        f"/practitioners/{practitioner.public_id}", {"npi": None}
    )
    assert response.status_code == 403


def test_a_session_write_without_the_csrf_token_is_refused(
    owner: User, practitioner: Practitioner
) -> None:
    api = api_for(owner, "session")
    path = f"/practitioners/{practitioner.public_id}"
    assert without_csrf(api).patch(path, {"active": False}).status_code == 403
    assert _stored(practitioner).active is True
    assert api.patch(path, {"active": False}).status_code == 200
    assert _stored(practitioner).active is False
