"""The clinic's closed days and holidays: set by the owner on a page, honoured by the
slot finder (staff, online, portal, waitlist), by booking (refused as outside working
hours, unless staff give a reason) and marked on the calendar grid."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import Location, Room, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import TODAY, assert_answer, matrix, web_client
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import grid, hours, queries, services
from palpa.scheduling.models import AppointmentType, ClosedDay, WaitlistOffer
from palpa.scheduling.tests.support import MONDAY, NEW_YORK, NEXT_MONDAY, at
from tests.builders import clinic_location

pytestmark = pytest.mark.usefixtures("hours")

THURSDAY = NEXT_MONDAY + dt.timedelta(days=3)
FRIDAY = THURSDAY + dt.timedelta(days=1)
URL = "/schedule/setup/closed-days/"

PAGE = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,  # their own organization's page
    "anonymous": 302,
}


def _close(owner: User, day: dt.date = THURSDAY, location: Location | None = None) -> ClosedDay:
    return services.add_closed_day(actor=owner, day=day, reason="Thanksgiving", location=location)


# --- the services ----------------------------------------------------------------------


def test_the_owner_closes_a_day_and_opens_it_again_each_audited(
    owner: User, location: Location
) -> None:
    closed = _close(owner, location=location)
    added = AuditEvent.objects.get(object_type="ClosedDay", object_id=str(closed.public_id))
    assert added.detail["closed_day"] == THURSDAY.isoformat()
    assert added.detail["reason"] == "Thanksgiving"
    services.remove_closed_day(actor=owner, closed_day=closed)
    assert not ClosedDay.objects.exists()
    entries = AuditEvent.objects.filter(object_type="ClosedDay", object_id=str(closed.public_id))
    assert [e.detail.get("removed", False) for e in entries.order_by("pk")] == [False, True]


@pytest.mark.parametrize("who", ["front_desk", "therapist", "biller"])
def test_only_the_owner_closes_or_opens_a_day(
    request: pytest.FixtureRequest, who: str, owner: User
) -> None:
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        _close(actor)
    closed = _close(owner)
    with pytest.raises(PermissionDenied):
        services.remove_closed_day(actor=actor, closed_day=closed)
    assert ClosedDay.objects.count() == 1


def test_another_organization_touches_neither_our_locations_nor_our_closed_days(
    outsider: User, owner: User, location: Location
) -> None:
    with pytest.raises(PermissionDenied):
        _close(outsider, location=location)
    ours = _close(owner)
    with pytest.raises(PermissionDenied):
        services.remove_closed_day(actor=outsider, closed_day=ours)
    assert list(queries.closed_days_for(outsider)) == []
    assert ClosedDay.objects.count() == 1


def test_bad_input_names_the_field(owner: User, location: Location) -> None:
    with pytest.raises(ValidationError) as blank:
        services.add_closed_day(actor=owner, day=THURSDAY, reason="  ")
    assert set(blank.value.message_dict) == {"reason"}
    _close(owner)
    with pytest.raises(ValidationError) as twice:
        _close(owner, location=location)  # every location is closed that day already
    assert set(twice.value.message_dict) == {"date"}
    assert "already closed" in twice.value.message_dict["date"][0]


# --- the slot finder and booking ----------------------------------------------------------


def _days_with_slots(location: Location, treatment: object) -> set[dt.date]:
    found = queries.available_slots(
        location=location,
        appointment_type=treatment,  # type: ignore[arg-type]
        first_day=NEXT_MONDAY,
        days=5,
    )
    return {hours.local_day(s.start, NEW_YORK) for s in found}


@pytest.mark.usefixtures("room")
def test_no_slot_is_offered_on_a_closed_day_in_the_location_s_own_days(
    owner: User, practitioner: Practitioner, location: Location, treatment: object
) -> None:
    # Hours until 21:00 in New York run past midnight UTC: the closed Thursday takes
    # its evening (Friday in UTC) too, and Friday morning is open.
    services.set_weekly_hours(
        actor=owner,
        practitioner=practitioner,
        location=location,
        rows=[services.HoursRow(d, dt.time(9), dt.time(21)) for d in range(5)],
    )
    elsewhere = clinic_location(location.organization, "Harbour Clinic")
    _close(owner, day=NEXT_MONDAY, location=elsewhere)  # another location's day: no effect
    _close(owner, location=location)
    days = _days_with_slots(location, treatment)
    assert THURSDAY not in days
    assert {NEXT_MONDAY, FRIDAY} <= days
    friday = [
        s.start
        for s in queries.available_slots(
            location=location,
            appointment_type=treatment,  # type: ignore[arg-type]
            first_day=THURSDAY,
            days=2,
        )
    ]
    assert min(friday) == at(FRIDAY, "09:00")
    assert max(friday).astimezone(NEW_YORK).date() == FRIDAY


@pytest.mark.usefixtures("room")
def test_a_day_closed_at_every_location_is_closed_here_too(
    owner: User, location: Location, treatment: object
) -> None:
    _close(owner, day=FRIDAY)
    assert FRIDAY not in _days_with_slots(location, treatment)
    assert THURSDAY in _days_with_slots(location, treatment)
    assert queries.closed_days_at(location, THURSDAY, FRIDAY) == {FRIDAY: "Thanksgiving"}


def test_a_closed_day_is_not_counted_as_working_or_open_time(
    owner: User, practitioner: Practitioner, location: Location
) -> None:
    def minutes() -> tuple[int, int]:
        by_who, open_at = queries.working_minutes(
            owner, first=NEXT_MONDAY, last=FRIDAY, location=None
        )
        return by_who[practitioner.pk], open_at[location.pk]

    assert minutes() == (5 * 480, 5 * 480)
    _close(owner)  # every location
    assert minutes() == (4 * 480, 4 * 480)


@pytest.mark.usefixtures("room")
def test_booking_on_a_closed_day_is_refused_naming_the_day_unless_staff_give_a_reason(
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: object,
) -> None:
    _close(owner, location=location)
    args = {
        "actor": front_desk,
        "patient": patient,
        "practitioner": practitioner,
        "location": location,
        "appointment_type": treatment,
        "start": at(THURSDAY, "10:00"),
    }
    with pytest.raises(services.OutsideHours) as refused:
        services.book_appointment(**args)  # type: ignore[arg-type]
    assert "closed on Thursday 12 March 2026 (Thanksgiving)" in str(refused.value)
    assert "giving a reason" in str(refused.value)
    booked = services.book_appointment(
        **args,  # type: ignore[arg-type]
        outside_hours_reason="The patient's only day this month",
    )
    assert booked.outside_hours_reason == "The patient's only day this month"


@pytest.mark.usefixtures("room")
def test_a_patient_cannot_book_a_closed_day_online(
    owner: User, patient: Patient, practitioner: Practitioner, location: Location, spa: object
) -> None:
    _close(owner, location=location)
    with pytest.raises(services.OutsideHours, match="Thanksgiving"):
        services.book_online_appointment(
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=spa,  # type: ignore[arg-type]
            start=at(THURSDAY, "10:00"),
        )


@pytest.mark.usefixtures("room")
def test_the_staff_booking_page_names_the_closed_day_and_books_it_with_a_reason(
    request: pytest.FixtureRequest,
    owner: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    _close(owner, location=location)
    client = web_client(request, "front_desk")
    form = {
        "patient": patient.mrn,
        "location": str(location.public_id),
        "appointment_type": str(treatment.public_id),
        "practitioner": str(practitioner.public_id),
        "date": THURSDAY.isoformat(),
        "time": "10:00",
    }
    body = client.post("/schedule/new/", form).content.decode()
    assert "closed on Thursday 12 March 2026 (Thanksgiving)" in body
    form["outside_hours_reason"] = "The patient's only day this month"
    assert client.post("/schedule/new/", form).status_code == 302


@pytest.mark.usefixtures("room")
def test_a_time_freed_on_a_closed_day_is_not_offered_to_the_waitlist(
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    booked = services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(THURSDAY, "10:00"),
    )
    waiting = create_patient(
        actor=owner,
        given_name="Li",
        family_name="Wu",
        date_of_birth=dt.date(1990, 1, 1),
        primary_location=location,
    )
    services.add_to_waitlist(
        actor=front_desk, patient=waiting, location=location, appointment_type=treatment
    )
    _close(owner, location=location)  # closed after the booking: the patient is moved away
    services.cancel_appointment(actor=front_desk, appointment=booked, reason="Clinic closed")
    assert not WaitlistOffer.objects.exists()


# --- the calendar grid ----------------------------------------------------------------


def test_the_week_and_day_grids_mark_the_closed_day_with_its_reason(
    owner: User, front_desk: User, location: Location, room: Room
) -> None:
    _close(owner, location=location)
    week = grid.build(front_desk, span=grid.WEEK, day=NEXT_MONDAY, location=location, today=MONDAY)
    assert [c.closed for c in week.columns][:5] == ["", "", "", "Closed: Thanksgiving", ""]
    assert not any(c.open for c in week.columns[3].cells)
    day = grid.build(front_desk, span=grid.DAY, day=THURSDAY, location=location)
    assert {c.closed for c in day.columns} <= {"Closed: Thanksgiving"}
    by_room = grid.build(
        front_desk, span=grid.DAY, day=THURSDAY, location=location, group=grid.BY_ROOM
    )
    assert [c.closed for c in by_room.columns] == ["Closed: Thanksgiving"]
    assert day.closed == "Closed: Thanksgiving"


def test_the_day_view_of_a_closed_day_with_nothing_booked_says_why(
    request: pytest.FixtureRequest, owner: User, location: Location
) -> None:
    _close(owner, location=location)
    url = f"/schedule/?view=day&date={THURSDAY.isoformat()}&location={location.public_id}"
    page = web_client(request, "front_desk").get(url).content.decode()
    assert "Closed: Thanksgiving. Nothing is booked." in page


# --- the page --------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), matrix(PAGE))
def test_each_persona_may_or_may_not_open_the_closed_days_page(
    request: pytest.FixtureRequest, who: str, status: int, owner: User
) -> None:
    assert_answer(web_client(request, who).get(URL), who, status)


def test_the_owner_adds_a_closed_day_on_the_page_and_removes_it(
    request: pytest.FixtureRequest, owner: User, location: Location
) -> None:
    client = web_client(request, "owner")
    added = client.post(
        URL,
        {"form": "add", "date": "2026-11-26", "reason": "Thanksgiving", "location": ""},
        follow=True,
    )
    assert "Every location: closed on Thursday 26 November 2026 (Thanksgiving)." in (
        added.content.decode()
    )
    page = client.get(URL).content.decode()
    assert "Thu 26 Nov 2026" in page
    assert "Every location" in page
    closed = ClosedDay.objects.get()
    removed = client.post(URL, {"form": "remove", "closed_day": str(closed.public_id)})
    assert removed.status_code == 302
    assert not ClosedDay.objects.exists()


def test_bad_input_on_the_page_names_the_field_and_saves_nothing(
    request: pytest.FixtureRequest, owner: User, location: Location
) -> None:
    client = web_client(request, "owner")
    response = client.post(URL, {"form": "add", "date": "26/11/2026", "reason": ""})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Day: Give the day as a date" in text
    assert "Reason: Say why the clinic is closed" in text
    assert not ClosedDay.objects.exists()


def test_a_past_day_is_accepted_but_the_page_says_it_changes_nothing(
    request: pytest.FixtureRequest, owner: User
) -> None:
    client = web_client(request, "owner")
    past = TODAY - dt.timedelta(days=3)
    response = client.post(
        URL, {"form": "add", "date": past.isoformat(), "reason": "Storm"}, follow=True
    )
    assert "That day has passed, so it changes nothing." in response.content.decode()
    assert "No closed days ahead." in response.content.decode()


def test_an_outsider_cannot_remove_our_closed_day(
    request: pytest.FixtureRequest, owner: User, outsider: User
) -> None:
    closed = _close(owner)
    response = web_client(request, "outsider").post(
        URL, {"form": "remove", "closed_day": str(closed.public_id)}, follow=True
    )
    assert "not found" in response.content.decode()
    assert ClosedDay.objects.filter(pk=closed.pk).exists()
