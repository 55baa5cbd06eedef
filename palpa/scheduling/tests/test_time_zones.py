"""Times are stored in UTC and computed in the location's zone, also on the days the
clocks change in New York (spring forward 2026-03-08, fall back 2026-11-01)."""

from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import Location, User
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import hours, queries, services
from palpa.scheduling.models import AppointmentType
from palpa.scheduling.tests.support import NEW_YORK, at

SPRING = dt.date(2026, 3, 8)  # 02:00 EST -> 03:00 EDT
FALL = dt.date(2026, 11, 1)  # 02:00 EDT -> 01:00 EST
UTC = dt.UTC


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_day_hours_keep_their_wall_clock_times_across_the_change() -> None:
    pattern = [hours.WeeklyHours(d, dt.time(9), dt.time(17)) for d in range(7)]
    spring = hours.working_intervals(pattern, SPRING - dt.timedelta(days=1), SPRING, NEW_YORK)
    assert [(i.start, i.end) for i in spring] == [
        (_utc(2026, 3, 7, 14), _utc(2026, 3, 7, 22)),  # EST, UTC-5
        (_utc(2026, 3, 8, 13), _utc(2026, 3, 8, 21)),  # EDT, UTC-4
    ]
    fall = hours.working_intervals(pattern, FALL - dt.timedelta(days=1), FALL, NEW_YORK)
    assert [(i.start, i.end) for i in fall] == [
        (_utc(2026, 10, 31, 13), _utc(2026, 10, 31, 21)),
        (_utc(2026, 11, 1, 14), _utc(2026, 11, 1, 22)),
    ]


def test_hours_spanning_the_change_are_an_hour_shorter_or_longer() -> None:
    night = [hours.WeeklyHours(6, dt.time(0), dt.time(6))]  # Sundays 00:00-06:00
    (spring,) = hours.working_intervals(night, SPRING, SPRING, NEW_YORK)
    (fall,) = hours.working_intervals(night, FALL, FALL, NEW_YORK)
    assert spring.end - spring.start == dt.timedelta(hours=5)
    assert fall.end - fall.start == dt.timedelta(hours=7)
    assert hours.day_bounds(SPRING, NEW_YORK).end - hours.day_bounds(SPRING, NEW_YORK).start == (
        dt.timedelta(hours=23)
    )
    assert hours.day_bounds(FALL, NEW_YORK).end - hours.day_bounds(FALL, NEW_YORK).start == (
        dt.timedelta(hours=25)
    )


def test_a_missing_local_time_reads_with_the_offset_before_the_change() -> None:
    assert hours.to_utc(SPRING, dt.time(2, 30), NEW_YORK) == _utc(2026, 3, 8, 7, 30)
    assert hours.to_utc(FALL, dt.time(1, 30), NEW_YORK) == _utc(2026, 11, 1, 5, 30)  # first 01:30


@pytest.fixture
def sundays(owner: User, practitioner: Practitioner, location: Location) -> None:
    services.set_weekly_hours(
        actor=owner,
        practitioner=practitioner,
        location=location,
        rows=[
            services.HoursRow(6, dt.time(0), dt.time(6)),
            services.HoursRow(6, dt.time(9), dt.time(17)),
        ],
    )


@pytest.mark.usefixtures("sundays")
def test_slots_on_the_change_days_start_at_local_opening_time(
    location: Location, treatment: AppointmentType
) -> None:
    for day, opening in ((SPRING, _utc(2026, 3, 8, 13)), (FALL, _utc(2026, 11, 1, 14))):
        slots = queries.available_slots(
            location=location, appointment_type=treatment, first_day=day, days=1
        )
        day_slots = [s.start for s in slots if s.start >= at(day, "08:00")]
        assert day_slots[0] == opening
        assert day_slots[-1] == at(day, "16:00")
        night = [s for s in slots if s.start < at(day, "08:00")]
        assert night[-1].end <= at(day, "06:00")


@pytest.mark.usefixtures("sundays")
def test_an_appointment_across_the_fall_back_lasts_its_real_duration(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment_30: AppointmentType,
    treatment: AppointmentType,
) -> None:
    first_half_past_one = _utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    a = services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment_30,
        start=first_half_past_one,
    )
    assert a.end - a.start == dt.timedelta(minutes=30)
    b = services.book_appointment(  # 01:00 EST, the second 01:00 of the night
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=_utc(2026, 11, 1, 6, 0),
    )
    local_start = b.start.astimezone(NEW_YORK)
    assert (local_start.hour, local_start.minute, local_start.utcoffset()) == (
        1,
        0,
        dt.timedelta(hours=-5),
    )
    assert b.end.astimezone(NEW_YORK).hour == 2
    with pytest.raises(services.SlotTaken):  # 01:45 EDT overlaps the first appointment
        services.book_appointment(
            actor=front_desk,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=treatment_30,
            start=_utc(2026, 11, 1, 5, 45),
        )


@pytest.mark.usefixtures("sundays")
def test_an_appointment_across_the_spring_forward_ends_an_hour_later_on_the_clock(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    a = services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(SPRING, "01:30"),  # EST
    )
    assert a.end - a.start == dt.timedelta(hours=1)
    assert a.end.astimezone(NEW_YORK).time() == dt.time(3, 30)  # EDT
    with pytest.raises(services.OutsideHours):  # 05:30 + 60 min runs past 06:00
        services.book_appointment(
            actor=front_desk,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=treatment,
            start=at(SPRING, "05:30"),
        )
