"""The edit page (/patients/{id}/edit/): owners, therapists and front desk change
demographics; the biller may not; another organization gets 404."""

from __future__ import annotations

from typing import Any

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import assert_answer, matrix, persona, web_client
from palpa.patients.models import Patient

OPEN = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
SAVE = {
    "owner": 302,
    "therapist": 302,
    "other_therapist": 302,
    "front_desk": 302,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}


def _form(**changes: Any) -> dict[str, Any]:
    return {
        "given_name": "Rosa",
        "family_name": "Delgado",
        "date_of_birth": "1971-03-14",
        "sex": "unknown",
        "preferred_language": "en",
        "email": "rosa@example.com",
        "phone": "+1 813 555 0101",
        **changes,
    }


def _edit(patient: Patient) -> str:
    return f"/patients/{patient.public_id}/edit/"


def _stored(patient: Patient) -> Patient:
    return Patient.objects.get(pk=patient.pk)


@pytest.mark.parametrize(("who", "status"), matrix(OPEN))
def test_each_persona_may_or_may_not_open_the_edit_page(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).get(_edit(patient))
    assert_answer(response, who, status)
    assert ("rosa@example.com" in response.content.decode()) == (status == 200)


@pytest.mark.parametrize(("who", "status"), matrix(SAVE))
def test_each_persona_may_or_may_not_change_demographics(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).post(_edit(patient), _form(phone="(727) 555-0188"))
    assert_answer(response, who, status)
    changed = status == 302 and who != "anonymous"
    assert _stored(patient).phone == ("(727) 555-0188" if changed else "+1 813 555 0101")
    updates = AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, patient_id=str(patient.public_id)
    )
    if changed:
        assert response["Location"] == f"/patients/{patient.public_id}/"
        assert updates.get().actor == persona(request, who)
    else:
        assert not updates.exists()


def test_the_biller_cannot_edit_demographics(
    request: pytest.FixtureRequest, biller: User, patient: Patient
) -> None:
    client = web_client(request, "biller")
    assert client.get(_edit(patient)).status_code == 403
    assert client.post(_edit(patient), _form(family_name="Changed")).status_code == 403
    assert _stored(patient).family_name == "Delgado"


def test_every_bad_field_is_shown_at_once_and_nothing_is_saved(
    request: pytest.FixtureRequest, front_desk: User, patient: Patient
) -> None:
    before = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).count()
    response = web_client(request, "front_desk").post(
        _edit(patient), _form(phone="12", email="nope", date_of_birth="2999-01-01", city="X")
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"phone", "email", "date_of_birth"}
    stored = _stored(patient)
    assert (stored.phone, stored.city) == ("+1 813 555 0101", "")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).count() == before
