"""Who may add and change locations and rooms (/accounts/settings/locations/...)."""

from __future__ import annotations

import pytest

from palpa.accounts.models import Location, Room
from palpa.core.tests.support import assert_answer, matrix, web_client

EDIT_OURS = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
OPEN_NEW = {**EDIT_OURS, "outsider": 200}
ADD_ROOM = {**EDIT_OURS, "owner": 302}
LOCATION = {
    "name": "Bayside Clinic",
    "kind": "clinic",
    "address_line1": "2 Harbour St",
    "city": "Tampa",
    "region": "FL",
    "postal_code": "33602",
    "time_zone": "America/New_York",
    "active": "on",
}


def _edit(location: Location) -> str:
    return f"/accounts/settings/locations/{location.public_id}/"


@pytest.mark.parametrize(("who", "status"), matrix(OPEN_NEW))
def test_each_persona_may_or_may_not_open_the_new_location_form(
    request: pytest.FixtureRequest, who: str, status: int, location: Location
) -> None:
    response = web_client(request, who).get("/accounts/settings/locations/new/")
    assert_answer(response, who, status)


@pytest.mark.parametrize(("who", "status"), matrix(EDIT_OURS))
def test_each_persona_may_or_may_not_open_our_location(
    request: pytest.FixtureRequest, who: str, status: int, location: Location
) -> None:
    response = web_client(request, who).get(_edit(location))
    assert_answer(response, who, status)
    assert ("1 Test Way" in response.content.decode()) == (status == 200)


@pytest.mark.parametrize(("who", "status"), matrix(EDIT_OURS))
def test_each_persona_may_or_may_not_change_our_location(
    request: pytest.FixtureRequest, who: str, status: int, location: Location
) -> None:
    response = web_client(request, who).post(_edit(location), LOCATION)
    expected = 302 if who == "owner" else status
    assert_answer(response, who, expected)
    stored = Location.objects.get(pk=location.pk)
    assert stored.address_line1 == ("2 Harbour St" if who == "owner" else "1 Test Way")


@pytest.mark.parametrize(("who", "status"), matrix(ADD_ROOM))
def test_each_persona_may_or_may_not_add_a_room_to_our_location(
    request: pytest.FixtureRequest, who: str, status: int, location: Location
) -> None:
    response = web_client(request, who).post(
        f"{_edit(location)}rooms/", {"room-name": "Room 1", "room-equipment": "table"}
    )
    assert_answer(response, who, status)
    assert Room.objects.filter(location=location).exists() == (who == "owner")
