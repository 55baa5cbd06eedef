"""The calendar's time grid: rows over the working hours, shading, closed days, the day
the clocks change, appointments placed by start and length, booking links on empty
times, and moving an appointment on the calendar (the same rules as the move form)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from palpa.accounts.models import Location, Room, User
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import grid, layout, services
from palpa.scheduling.models import Appointment, AppointmentType
from palpa.scheduling.slots import Interval
from palpa.scheduling.tests.support import MONDAY, NEW_YORK, NEXT_MONDAY, at

pytestmark = pytest.mark.usefixtures("hours")

SPRING = dt.date(2026, 3, 8)  # 02:00 EST becomes 03:00 EDT in New York
FALL = dt.date(2026, 11, 1)  # 02:00 EDT becomes 01:00 EST

MOVE = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}


@pytest.fixture
def booked(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    room: Room,
) -> Appointment:
    return services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(NEXT_MONDAY, "10:00"),
    )


# --- the pure layout ---------------------------------------------------------------------


def test_on_the_spring_change_the_missing_hour_is_marked_and_no_time_is_doubled() -> None:
    rows = layout.rows_for([(SPRING, Interval(at(SPRING, "01:00"), at(SPRING, "04:00")))], NEW_YORK)
    assert (rows.first, rows.end) == (60, 240)
    cells = layout.cells(
        SPRING, rows, NEW_YORK, [Interval(at(SPRING, "00:00"), at(SPRING, "23:00"))]
    )
    assert [c.time for c in cells if not c.exists] == ["02:00", "02:15", "02:30", "02:45"]
    real = [layout.at_minute(SPRING, c.minute, NEW_YORK) for c in cells if c.exists]
    assert len(real) == len(set(real)) == 8  # 01:00-01:45 and 03:00-03:45, each once
    assert real[4] - real[3] == dt.timedelta(minutes=15)  # 01:45 EST to 03:00 EDT


def test_on_the_fall_change_the_repeated_hour_is_one_row_each_quarter() -> None:
    rows = layout.rows_for([(FALL, Interval(at(FALL, "00:00"), at(FALL, "03:00")))], NEW_YORK)
    labels = [layout.label(m) for m in rows.minutes()]
    assert labels == sorted(set(labels))
    assert len(labels) == 12
    assert all(c.exists for c in layout.cells(FALL, rows, NEW_YORK, []))


def test_appointments_take_the_rows_of_their_time_and_share_lanes_when_they_overlap() -> None:
    rows = layout.Rows(9 * 60, 17 * 60, 15)
    placed = layout.place([(600, 660), (630, 675), (720, 750), (600, 615)], rows)
    assert [(p.row, p.span) for p in placed] == [(6, 4), (8, 3), (14, 2), (6, 1)]
    # 10:00-10:15 ends before 10:30 starts: they share the second lane beside 10:00-11:00.
    assert [p.lanes for p in placed] == [2, 2, 1, 2]
    assert [p.lane for p in placed] == [0, 1, 0, 1]


# --- the calendar's data -------------------------------------------------------------------


def test_the_week_grid_spans_the_working_hours_shades_the_rest_and_marks_closed_days(
    owner: User,
    front_desk: User,
    booked: Appointment,
    location: Location,
    practitioner: Practitioner,
) -> None:
    services.add_availability_exception(
        actor=owner,
        practitioner=practitioner,
        starts_at=at(NEXT_MONDAY + dt.timedelta(days=3), "00:00"),
        ends_at=at(NEXT_MONDAY + dt.timedelta(days=4), "00:00"),
        reason="Clinic holiday",
    )
    cal = grid.build(front_desk, span=grid.WEEK, day=NEXT_MONDAY, location=location, today=MONDAY)
    assert (layout.label(cal.rows.first), layout.label(cal.rows.end)) == ("09:00", "17:00")
    monday, thursday, saturday = cal.columns[0], cal.columns[3], cal.columns[5]
    (block,) = monday.blocks
    assert (block.place.row, block.place.span) == (6, 4)  # 10:00 to 11:00
    assert [c.time for c in monday.cells][:4] == ["09:00", "09:15", "09:30", "09:45"]
    assert "10:00" not in [c.time for c in monday.cells]  # the appointment is there
    assert all(c.open for c in monday.cells)
    assert thursday.closed == "Closed: Clinic holiday"
    assert saturday.closed == "Closed"
    assert not any(c.open for c in saturday.cells)


def test_the_day_grid_has_a_column_per_practitioner_or_per_room(
    front_desk: User,
    booked: Appointment,
    location: Location,
    practitioner: Practitioner,
    other_practitioner: Practitioner,
    other_hours: None,
    room: Room,
) -> None:
    by_who = grid.build(front_desk, span=grid.DAY, day=NEXT_MONDAY, location=location)
    assert [c.practitioner for c in by_who.columns] == sorted(
        [practitioner, other_practitioner], key=lambda p: p.display_name
    )
    by_room = grid.build(
        front_desk, span=grid.DAY, day=NEXT_MONDAY, location=location, group=grid.BY_ROOM
    )
    assert [(c.title, len(c.blocks)) for c in by_room.columns] == [("Room 1", 1)]


def test_the_week_grid_on_the_spring_change_keeps_nine_to_five_on_the_wall_clock(
    front_desk: User, location: Location, practitioner: Practitioner, treatment: AppointmentType
) -> None:
    # Sunday 8 March: nobody works; Monday 9 March after the change still 09:00-17:00.
    cal = grid.build(front_desk, span=grid.WEEK, day=MONDAY, location=location, today=MONDAY)
    assert (layout.label(cal.rows.first), layout.label(cal.rows.end)) == ("09:00", "17:00")
    sunday = cal.columns[6]
    assert sunday.day == SPRING
    assert sunday.closed == "Closed"
    assert all(c.exists for c in sunday.cells)  # 09:00-17:00 lies outside the gap


# --- the page ------------------------------------------------------------------------------


def test_each_empty_time_links_to_the_booking_form_prefilled(
    request: pytest.FixtureRequest,
    booked: Appointment,
    location: Location,
    practitioner: Practitioner,
) -> None:
    body = (
        web_client(request, "front_desk")
        .get(f"/schedule/?view=day&date={NEXT_MONDAY}&location={location.public_id}")
        .content.decode()
    )
    link = (
        f"/schedule/new/?location={location.public_id}&amp;date=2026-03-09&amp;time=11:15"
        f"&amp;practitioner={practitioner.public_id}"
    )
    assert link in body
    assert "Book Mon 09 Mar 11:15 with Tess Therapist" in body
    assert f'data-move="/schedule/appointments/{booked.public_id}/calendar-move/"' in body


def test_the_biller_sees_the_grid_without_booking_or_moving(
    request: pytest.FixtureRequest, booked: Appointment, location: Location
) -> None:
    body = (
        web_client(request, "biller")
        .get(f"/schedule/?view=day&date={NEXT_MONDAY}&location={location.public_id}")
        .content.decode()
    )
    assert "Rosa Delgado" in body
    assert "/schedule/new/?" not in body
    assert "data-move=" not in body


def _move(client: Any, a: Appointment, location: Location, **data: str) -> Any:
    query = f"?view=day&date={NEXT_MONDAY}&location={location.public_id}"
    return client.post(
        f"/schedule/appointments/{a.public_id}/calendar-move/{query}", data, HTTP_HX_REQUEST="true"
    )


@pytest.mark.parametrize(("who", "status"), matrix(MOVE))
def test_each_persona_may_or_may_not_move_on_the_calendar(
    request: pytest.FixtureRequest, who: str, status: int, booked: Appointment, location: Location
) -> None:
    response = _move(
        web_client(request, who), booked, location, to_date=str(NEXT_MONDAY), to_time="14:00"
    )
    assert_answer(response, who, status)
    booked.refresh_from_db()
    assert (booked.start == at(NEXT_MONDAY, "14:00")) == (status == 200)
    if status == 200:
        assert (
            "Moved Rosa Delgado to Mon 09 Mar 14:00 with Tess Therapist"
            in response.content.decode()
        )


def test_a_move_onto_a_taken_time_is_refused_with_the_reason_and_nothing_moves(
    request: pytest.FixtureRequest,
    front_desk: User,
    booked: Appointment,
    location: Location,
    practitioner: Practitioner,
    treatment: AppointmentType,
) -> None:
    other = services.book_appointment(
        actor=front_desk,
        patient=booked.patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(NEXT_MONDAY, "13:00"),
    )
    response = _move(
        web_client(request, "front_desk"),
        booked,
        location,
        to_date=str(NEXT_MONDAY),
        to_time="13:30",
    )
    assert response.status_code == 200  # htmx swaps in the calendar with the reason
    body = response.content.decode()
    assert "Not moved:" in body
    assert "already booked" in body
    assert "stays where it was" in body
    booked.refresh_from_db()
    other.refresh_from_db()
    assert (booked.start, other.start) == (at(NEXT_MONDAY, "10:00"), at(NEXT_MONDAY, "13:00"))


def test_a_move_outside_working_hours_or_with_a_bad_time_is_refused_naming_the_rule(
    request: pytest.FixtureRequest, booked: Appointment, location: Location
) -> None:
    client = web_client(request, "front_desk")
    outside = _move(client, booked, location, to_date=str(NEXT_MONDAY), to_time="18:00")
    assert outside.status_code == 200
    assert "outside working hours" in outside.content.decode()
    bad = _move(client, booked, location, to_date="2026-02-30", to_time="25:00")
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "New date:" in body
    assert "New start time (local):" in body
    booked.refresh_from_db()
    assert booked.start == at(NEXT_MONDAY, "10:00")


def test_without_htmx_a_move_goes_back_to_the_calendar_with_the_outcome(
    request: pytest.FixtureRequest, booked: Appointment, location: Location
) -> None:
    client = web_client(request, "front_desk")
    query = f"?view=day&date={NEXT_MONDAY}&location={location.public_id}"
    response = client.post(
        f"/schedule/appointments/{booked.public_id}/calendar-move/{query}",
        {"to_date": str(NEXT_MONDAY), "to_time": "15:00"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/schedule/{query}"
    page = client.get(response["Location"]).content.decode()
    assert "Moved Rosa Delgado to Mon 09 Mar 15:00" in page
