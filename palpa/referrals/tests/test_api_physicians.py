"""/api/v1/physicians: every staff role reads the directory; owners, therapists and the
front desk add and change it (deactivating, never deleting)."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.npi import make_npi
from palpa.core.tests.support import TRANSPORTS, api_as, api_for, error_fields, matrix
from palpa.referrals.models import Physician

OPERATIONS = {
    ("get", "/api/v1/physicians"),
    ("post", "/api/v1/physicians"),
    ("get", "/api/v1/physicians/{physician_id}"),
    ("patch", "/api/v1/physicians/{physician_id}"),
}

LIST = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 200,  # their own directory
    "anonymous": 401,
}
CREATE = {**LIST, "owner": 201, "therapist": 201, "other_therapist": 201, "front_desk": 201}
CREATE = {**CREATE, "biller": 403, "outsider": 201}
READ = {**LIST, "outsider": 404}
PATCH = {**READ, "biller": 403}
EDITORS = ("owner", "therapist", "other_therapist", "front_desk")


def _body(**changes: str) -> dict[str, str]:
    return {
        "given_name": "Ann",
        "family_name": "Lee",
        "credentials": "DO",
        "npi": make_npi("111222333"),
        "fax": "+1 813 555 0100",
        "preferred_delivery": "fax",
        **changes,
    }


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(LIST))
def test_each_persona_may_or_may_not_list_physicians(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, physician: Physician
) -> None:
    response = api_as(request, who, transport).get("/physicians")
    assert response.status_code == status, response.content
    if status == 200:
        names = [p["family_name"] for p in response.json()]
        assert names == ([] if who == "outsider" else ["Bennett"])


def test_inactive_physicians_are_listed_only_when_asked(owner: User, physician: Physician) -> None:
    api = api_for(owner, "token")
    api.patch(f"/physicians/{physician.public_id}", {"active": False})
    assert api.get("/physicians").json() == []
    assert [p["active"] for p in api.get("/physicians", {"include_inactive": "true"}).json()] == [
        False
    ]


@pytest.mark.parametrize(("who", "status"), matrix(CREATE))
def test_each_persona_may_or_may_not_add_a_physician(
    request: pytest.FixtureRequest, who: str, status: int, db: None
) -> None:
    response = api_as(request, who, "token").post("/physicians", _body())
    assert response.status_code == status, response.content
    assert Physician.objects.exists() == (status == 201)
    if status == 201:
        assert response.json()["npi"] == make_npi("111222333")


def test_a_wrong_npi_is_422_saying_the_check_digit_is_wrong(owner: User) -> None:
    good = make_npi("111222333")
    wrong = good[:9] + str((int(good[9]) + 1) % 10)
    response = api_for(owner, "token").post("/physicians", _body(npi=wrong))
    assert error_fields(response) == {"npi"}
    assert response.json()["detail"][0]["msg"] == (
        "This NPI's check digit is wrong: please re-check the number."
    )
    assert not Physician.objects.exists()


def test_bad_values_are_all_named_at_once(owner: User) -> None:
    response = api_for(owner, "token").post(
        "/physicians", _body(npi="12345", secure_email="not-an-email")
    )
    assert error_fields(response) == {"npi", "secure_email"}


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_read_a_physician(
    request: pytest.FixtureRequest, who: str, status: int, physician: Physician
) -> None:
    response = api_as(request, who, "token").get(f"/physicians/{physician.public_id}")
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["practice"] == "Bayshore Orthopedics"


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(PATCH))
def test_each_persona_may_or_may_not_change_or_deactivate_a_physician(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, physician: Physician
) -> None:
    response = api_as(request, who, transport).patch(
        f"/physicians/{physician.public_id}", {"active": False, "fax": "+1 813 555 0999"}
    )
    assert response.status_code == status, response.content
    stored = Physician.objects.get(pk=physician.pk)
    assert (stored.active, stored.fax == "+1 813 555 0999") == (
        (False, True) if who in EDITORS else (True, False)
    )
    updates = AuditEvent.objects.filter(object_type="Physician", action="update")
    assert updates.exists() == (who in EDITORS)


def test_null_and_unknown_fields_are_422(owner: User, physician: Physician) -> None:
    api = api_for(owner, "token")
    assert error_fields(api.patch(f"/physicians/{physician.public_id}", {"npi": None})) == {"npi"}
    assert error_fields(api.patch(f"/physicians/{physician.public_id}", {"id": "x"})) == {"id"}
