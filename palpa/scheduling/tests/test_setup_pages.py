"""The schedule's set-up pages: appointment types, weekly hours, time off and extra
hours, room features (owners; a therapist keeps their own hours)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from palpa.accounts.models import Location, Room, User
from palpa.accounts.services import add_room
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.practitioners.models import Practitioner
from palpa.scheduling.models import (
    AppointmentType,
    AvailabilityException,
    RoomFeature,
    WorkingHours,
)

CONFIGURE = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,  # their own organization's page
    "anonymous": 302,
}
ON_OUR_RECORD = {**CONFIGURE, "outsider": 404}
OWN_HOURS = {**ON_OUR_RECORD, "therapist": 200}  # the practitioner's own account

TYPE = {
    "name": "Lymph drainage 75 min",
    "code": "mld-75",
    "kind": "treatment",
    "duration_minutes": "75",
    "buffer_minutes": "15",
    "required_features": "hydraulic_table",
    "needs_room": "on",
    "counts_as_visit": "on",
    "active": "on",
}


@pytest.fixture
def room(owner: User, location: Location) -> Room:
    return add_room(actor=owner, location=location, name="Room 1")


@pytest.fixture
def kind(owner: User) -> AppointmentType:
    from palpa.scheduling.services import create_appointment_type

    return create_appointment_type(
        actor=owner,
        code="treatment-60",
        name="Treatment 60 min",
        kind="treatment",
        duration_minutes=60,
    )


@pytest.mark.parametrize(("who", "status"), matrix(CONFIGURE))
@pytest.mark.parametrize("url", ["/schedule/setup/types/", "/schedule/setup/rooms/"])
def test_each_persona_may_or_may_not_open_the_schedule_set_up_pages(
    request: pytest.FixtureRequest, who: str, status: int, url: str, owner: User
) -> None:
    assert_answer(web_client(request, who).get(url), who, status)


@pytest.mark.parametrize(("who", "status"), matrix(ON_OUR_RECORD))
def test_each_persona_may_or_may_not_change_our_appointment_type(
    request: pytest.FixtureRequest, who: str, status: int, kind: AppointmentType
) -> None:
    url = f"/schedule/setup/types/{kind.public_id}/"
    response = web_client(request, who).post(url, {**TYPE, "code": "treatment-60"})
    assert_answer(response, who, 302 if who == "owner" else status)
    kind.refresh_from_db()
    assert (kind.duration_minutes == 75) == (who == "owner")


@pytest.mark.parametrize(("who", "status"), matrix(ON_OUR_RECORD))
def test_each_persona_may_or_may_not_set_our_rooms_features(
    request: pytest.FixtureRequest, who: str, status: int, room: Room
) -> None:
    url = f"/schedule/setup/rooms/{room.public_id}/"
    response = web_client(request, who).post(url, {"features": "hot stones"})
    assert_answer(response, who, 302 if who == "owner" else status)
    assert RoomFeature.objects.filter(room=room).exists() == (who == "owner")


@pytest.mark.parametrize(("who", "status"), matrix(OWN_HOURS))
def test_each_persona_may_or_may_not_open_the_therapists_hours(
    request: pytest.FixtureRequest, who: str, status: int, practitioner: Practitioner
) -> None:
    response = web_client(request, who).get(f"/schedule/setup/hours/{practitioner.public_id}/")
    assert_answer(response, who, status)


def test_the_owner_adds_an_appointment_type_with_its_room_features(owner: User) -> None:
    client = web_client_for(owner)
    response = client.post("/schedule/setup/types/", TYPE)
    assert response.status_code == 302
    kind = AppointmentType.objects.get(code="mld-75")
    assert (kind.duration_minutes, kind.required_features) == (75, ["hydraulic_table"])
    assert AuditEvent.objects.filter(action="create", object_type="AppointmentType").exists()


def test_a_type_too_short_is_refused_naming_the_field(owner: User) -> None:
    response = web_client_for(owner).post(
        "/schedule/setup/types/", {**TYPE, "duration_minutes": "2"}
    )
    assert response.status_code == 200
    assert "Length (minutes)" in response.content.decode()
    assert "greater than or equal to 5" in response.content.decode()
    assert not AppointmentType.objects.exists()


def test_a_feature_with_odd_characters_is_refused(owner: User) -> None:
    response = web_client_for(owner).post(
        "/schedule/setup/types/", {**TYPE, "required_features": "table!"}
    )
    assert "use letters, digits, - and _ only" in response.content.decode()
    assert not AppointmentType.objects.exists()


def test_the_starting_set_of_types_is_added_once(owner: User) -> None:
    client = web_client_for(owner)
    client.post("/schedule/setup/types/starting-set/")
    count = AppointmentType.objects.count()
    assert count == 8
    client.post("/schedule/setup/types/starting-set/")
    assert AppointmentType.objects.count() == count


def test_a_therapist_sets_their_own_weekly_hours_with_a_split_day(
    therapist: User, practitioner: Practitioner, location: Location
) -> None:
    response = web_client_for(therapist).post(
        f"/schedule/setup/hours/{practitioner.public_id}/",
        {
            "form": "hours",
            "hours-d0_start": "09:00",
            "hours-d0_end": "12:00",
            "hours-d0_start2": "13:00",
            "hours-d0_end2": "17:00",
            "hours-d2_start": "10:00",
            "hours-d2_end": "18:00",
        },
    )
    assert response.status_code == 302
    rows = sorted(
        (h.weekday, h.start_time, h.end_time)
        for h in WorkingHours.objects.filter(practitioner=practitioner, location=location)
    )
    assert rows == [
        (0, dt.time(9), dt.time(12)),
        (0, dt.time(13), dt.time(17)),
        (2, dt.time(10), dt.time(18)),
    ]
    page = web_client_for(therapist).get(f"/schedule/setup/hours/{practitioner.public_id}/")
    assert 'value="13:00"' in page.content.decode()


def test_hours_with_one_end_only_are_refused_naming_the_day(
    owner: User, practitioner: Practitioner
) -> None:
    response = web_client_for(owner).post(
        f"/schedule/setup/hours/{practitioner.public_id}/",
        {"form": "hours", "hours-d1_start": "09:00"},
    )
    assert response.status_code == 200
    assert "Tuesday: give both the start and the end" in response.content.decode()
    assert not WorkingHours.objects.exists()


def test_time_off_is_read_in_the_clinics_local_time(
    owner: User, practitioner: Practitioner, location: Location
) -> None:
    response = web_client_for(owner).post(
        f"/schedule/setup/hours/{practitioner.public_id}/",
        {
            "form": "exception",
            "off-kind": "time_off",
            "off-location": "",
            "off-starts_at": "2026-07-01T09:00",
            "off-ends_at": "2026-07-01T13:00",
            "off-reason": "Course",
        },
    )
    assert response.status_code == 302
    off = AvailabilityException.objects.get()
    assert off.starts_at == dt.datetime(2026, 7, 1, 13, 0, tzinfo=dt.UTC)  # 09:00 EDT


def test_extra_hours_without_a_location_are_refused_naming_the_field(
    owner: User, practitioner: Practitioner
) -> None:
    response = web_client_for(owner).post(
        f"/schedule/setup/hours/{practitioner.public_id}/",
        {
            "form": "exception",
            "off-kind": "extra_hours",
            "off-starts_at": "2026-07-01T09:00",
            "off-ends_at": "2026-07-01T13:00",
        },
    )
    assert response.status_code == 200
    assert "Extra hours are worked at a location" in response.content.decode()
    assert not AvailabilityException.objects.exists()


def test_the_owner_sets_a_rooms_features(owner: User, room: Room) -> None:
    web_client_for(owner).post(
        f"/schedule/setup/rooms/{room.public_id}/", {"features": "hydraulic_table, hot stones"}
    )
    assert sorted(RoomFeature.objects.values_list("feature", flat=True)) == [
        "hot_stones",
        "hydraulic_table",
    ]


def web_client_for(user: User) -> Client:
    from conftest import verified_client

    return verified_client(user)


def _off(owner: User, practitioner: Practitioner, **fields: object) -> AvailabilityException:
    from palpa.scheduling.services import add_availability_exception

    return add_availability_exception(
        actor=owner,
        practitioner=practitioner,
        starts_at=dt.datetime(2026, 7, 1, 13, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 7, 1, 17, 0, tzinfo=dt.UTC),
        **fields,  # type: ignore[arg-type]
    )


def _remove(client: Client, practitioner: Practitioner, off: AvailabilityException) -> object:
    return client.post(
        f"/schedule/setup/hours/{practitioner.public_id}/",
        {"form": "remove", "exception": str(off.public_id)},
        follow=True,
    )


def test_the_therapist_removes_their_own_time_off_and_the_owner_extra_hours(
    owner: User, therapist: User, practitioner: Practitioner, location: Location
) -> None:
    off = _off(owner, practitioner, reason="Course")
    extra = _off(owner, practitioner, kind="extra_hours", location=location)
    mine = web_client_for(therapist)
    page = mine.get(f"/schedule/setup/hours/{practitioner.public_id}/").content.decode()
    assert str(off.public_id) in page
    response = _remove(mine, practitioner, off)
    assert "Time off removed." in response.content.decode()  # type: ignore[attr-defined]
    assert list(AvailabilityException.objects.all()) == [extra]
    entry = AuditEvent.objects.filter(object_id=str(off.public_id)).latest("seq")
    assert entry.detail["removed"] is True
    assert entry.detail["reason"] == "Course"
    response = _remove(web_client_for(owner), practitioner, extra)
    assert "Extra hours removed." in response.content.decode()  # type: ignore[attr-defined]
    assert not AvailabilityException.objects.exists()
    again = _remove(mine, practitioner, off)
    assert "not found (removed already?)" in again.content.decode()  # type: ignore[attr-defined]


def test_another_therapist_or_organization_cannot_remove_time_off(
    owner: User,
    other_therapist: User,
    outsider: User,
    practitioner: Practitioner,
) -> None:
    off = _off(owner, practitioner)
    response = _remove(web_client_for(other_therapist), practitioner, off)
    assert response.status_code == 403  # type: ignore[attr-defined]
    response = _remove(web_client_for(outsider), practitioner, off)
    assert response.status_code == 404  # type: ignore[attr-defined]
    assert AvailabilityException.objects.get() == off
