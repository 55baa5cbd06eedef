"""The slot query reads the database a fixed number of times however many practitioners
and days it covers, and finds exactly what the former per-practitioner, per-day
computation found (kept below as the reference); busy times are bounded on both sides."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from palpa.accounts.models import Location, Organization, Room, User
from palpa.patients.models import Patient
from palpa.practitioners.models import License, Practitioner
from palpa.practitioners.services import add_license, check_license, create_practitioner
from palpa.scheduling import hours, queries, services
from palpa.scheduling.models import (
    MAX_BUFFER_MINUTES,
    MAX_BUSY_SPAN,
    MAX_DURATION_MINUTES,
    Appointment,
    AppointmentType,
    AvailabilityException,
    WorkingHours,
)
from palpa.scheduling.slots import Interval, Slot, find_slots, subtract
from palpa.scheduling.tests.support import (
    NEXT_MONDAY,
    WEEKDAYS_9_TO_5,
    at,
    make_room,
    make_type,
    weekday_hours,
)

# Every query ``available_slots`` makes: the location's closed days, the working hours,
# the exceptions, whether the type names practitioners, the eligible practitioners, their
# licenses, the rooms, the rooms' features, the rooms' busy times, the practitioners'
# busy times.
MOST_QUERIES = 10


def _colleague(owner: User, location: Location, name: str, *, region: str = "FL") -> Practitioner:
    given, family = name.split(" ", 1)
    who = create_practitioner(actor=owner, given_name=given, family_name=family, credentials="LMT")
    add_license(
        actor=owner,
        practitioner=who,
        jurisdiction=region,
        license_type="LMT",
        number=f"MA{abs(hash(name)) % 100000:05d}",
        issued_on=NEXT_MONDAY - dt.timedelta(days=400),
        expires_on=NEXT_MONDAY + dt.timedelta(days=400),
    )
    return who


def _previous_working(
    practitioner: Practitioner, location: Location, first: dt.date, last: dt.date
) -> list[Interval]:
    """``working_intervals`` as it was: two queries per practitioner."""
    tz = hours.zone(location.time_zone)
    pattern = [
        hours.WeeklyHours(r.weekday, r.start_time, r.end_time, r.valid_from, r.valid_until)
        for r in WorkingHours.objects.filter(practitioner=practitioner, location=location)
    ]
    span = Interval(hours.day_bounds(first, tz).start, hours.day_bounds(last, tz).end)
    weekly = hours.working_intervals(pattern, first, last, tz)
    exceptions = [
        e
        for e in AvailabilityException.objects.filter(
            practitioner=practitioner, starts_at__lt=span.end, ends_at__gt=span.start
        )
        if e.location_id in (None, location.pk)
    ]
    extra = [
        Interval(max(e.starts_at, span.start), min(e.ends_at, span.end))
        for e in exceptions
        if e.kind == AvailabilityException.Kind.EXTRA_HOURS
    ]
    off = [Interval(e.starts_at, e.ends_at) for e in exceptions if e.kind == "time_off"]
    return subtract([*weekly, *extra], off)


def _previous_busy(start: dt.datetime, end: dt.datetime, **who: object) -> list[Interval]:
    """Busy times as they were read: bounded above only."""
    found = Appointment.objects.filter(
        status__in=Appointment.ACTIVE, start__lt=end, busy_until__gt=start, **who
    )
    return [Interval(s, b) for s, b in found.values_list("start", "busy_until")]


def _previous_slots(
    *,
    location: Location,
    appointment_type: AppointmentType,
    first_day: dt.date,
    days: int,
    practitioner: Practitioner | None = None,
    min_notice: dt.timedelta = dt.timedelta(0),
    horizon: dt.datetime | None = None,
) -> list[tuple[int, int | None, dt.datetime, dt.datetime]]:
    """The former ``available_slots``: licenses, hours and busy times per practitioner
    (and the license per day)."""
    tz = hours.zone(location.time_zone)
    last_day = first_day + dt.timedelta(days=days - 1)
    span = Interval(hours.day_bounds(first_day, tz).start, hours.day_bounds(last_day, tz).end)
    not_before = max(span.start, timezone.now() + min_notice)
    practitioners = (
        [practitioner]
        if practitioner is not None
        else list(queries.eligible_practitioners(appointment_type, location.organization_id))
    )
    rooms = (
        queries.suitable_rooms(location, appointment_type) if appointment_type.needs_room else []
    )
    room_busy = {r.pk: _previous_busy(span.start, span.end, room=r) for r in rooms}
    needs_room = (
        appointment_type.needs_room and Room.objects.filter(location=location, active=True).exists()
    )
    found: list[tuple[Practitioner, Slot]] = []
    for who in practitioners:
        licensed = [
            day
            for day in hours.days(first_day, last_day)
            if check_license(who, jurisdiction=location.jurisdiction, on=day).allowed
        ]
        working = [
            w
            for w in _previous_working(who, location, first_day, last_day)
            if hours.local_day(w.start, tz) in licensed
        ]
        for s in find_slots(
            working=working,
            busy=_previous_busy(span.start, span.end, practitioner=who),
            duration=appointment_type.duration,
            buffer=appointment_type.buffer,
            not_before=not_before,
            horizon=min(horizon, span.end) if horizon is not None else span.end,
            rooms=room_busy if needs_room else None,
        ):
            found.append((who, s))
    found.sort(key=lambda f: (f[1].start, f[0].family_name, f[0].pk))
    return [
        (who.pk, s.room if isinstance(s.room, int) else None, s.start, s.end) for who, s in found
    ]


def _now(slots: list[queries.OpenSlot]) -> list[tuple[int, int | None, dt.datetime, dt.datetime]]:
    return [(s.practitioner.pk, s.room.pk if s.room else None, s.start, s.end) for s in slots]


@pytest.fixture
def busy_week(
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    other_practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> dict[str, object]:
    """A week at the Bayside Clinic with most of what the slot query must respect."""
    room_1 = make_room(location, "Room 1", ["hydraulic_table"])
    room_2 = make_room(location, "Room 2")
    elsewhere = Location.objects.create(
        organization=location.organization,
        name="Downtown",
        address_line1="2 Test Way",
        city="Tampa",
        region="FL",
        postal_code="33602",
        time_zone="America/New_York",
    )
    for who in (practitioner, other_practitioner):
        weekday_hours(owner, who, location)
    # Ana works Wednesday mornings from Wednesday on, and late on Sunday night (extra hours
    # across midnight into the week), where an appointment already runs past midnight.
    ana = _colleague(owner, location, "Ana Early")
    services.set_weekly_hours(
        actor=owner,
        practitioner=ana,
        location=location,
        rows=[services.HoursRow(2, dt.time(8), dt.time(12), valid_from=NEXT_MONDAY)],
    )
    sunday = NEXT_MONDAY - dt.timedelta(days=1)
    services.add_availability_exception(
        actor=owner,
        practitioner=ana,
        location=location,
        kind="extra_hours",
        starts_at=at(sunday, "22:00"),
        ends_at=at(NEXT_MONDAY, "02:00"),
    )
    services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=ana,
        location=location,
        appointment_type=treatment,
        start=at(sunday, "23:30"),
        room=room_2,
    )
    # Eve has no weekly hours, only extra hours on Saturday, with an hour off in them
    # (time off without a location applies everywhere).
    eve = _colleague(owner, location, "Eve Extra")
    saturday = NEXT_MONDAY - dt.timedelta(days=2)
    services.add_availability_exception(
        actor=owner,
        practitioner=eve,
        location=location,
        kind="extra_hours",
        starts_at=at(saturday, "10:00"),
        ends_at=at(saturday, "14:00"),
    )
    services.add_availability_exception(
        actor=owner,
        practitioner=eve,
        starts_at=at(saturday, "11:30"),
        ends_at=at(saturday, "12:30"),
    )
    # Bo holds a Georgia license only; Cy works only downtown; Di has left.
    bo = _colleague(owner, location, "Bo Georgia", region="GA")
    weekday_hours(owner, bo, location)
    cy = _colleague(owner, location, "Cy Downtown")
    weekday_hours(owner, cy, elsewhere)
    di = _colleague(owner, location, "Di Former")
    weekday_hours(owner, di, location)
    Practitioner.objects.filter(pk=di.pk).update(active=False)
    # Theo's license lapses after Tuesday.
    License.objects.filter(practitioner=other_practitioner).update(
        expires_on=NEXT_MONDAY + dt.timedelta(days=1)
    )
    tuesday, wednesday, thursday, friday = (
        NEXT_MONDAY + dt.timedelta(days=n) for n in (1, 2, 3, 4)
    )
    for who, start, room in [
        (practitioner, at(NEXT_MONDAY, "10:00"), room_1),
        (practitioner, at(tuesday, "13:00"), room_2),
        (other_practitioner, at(NEXT_MONDAY, "10:00"), room_2),
        (practitioner, at(wednesday, "10:00"), room_1),
    ]:
        services.book_appointment(
            actor=front_desk,
            patient=patient,
            practitioner=who,
            location=location,
            appointment_type=treatment,
            start=start,
            room=room,
        )
    cancelled = Appointment.objects.get(practitioner=practitioner, start=at(wednesday, "10:00"))
    services.cancel_appointment(
        actor=front_desk, appointment=cancelled, reason="Patient ill", offer_to_waitlist=False
    )
    # Tess has Thursday afternoon off everywhere, and an appointment downtown on Friday.
    services.add_availability_exception(
        actor=owner,
        practitioner=practitioner,
        starts_at=at(thursday, "12:00"),
        ends_at=at(thursday, "15:00"),
    )
    services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=elsewhere,
        appointment_type=treatment,
        start=at(friday, "14:00"),
        outside_hours_reason="Covering downtown",
    )
    return {"ana": ana, "eve": eve, "room_1": room_1, "room_2": room_2}


def test_the_slot_query_finds_what_the_per_practitioner_computation_found(
    owner: User,
    busy_week: dict[str, object],
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    table = make_type(owner, "table-60", "treatment", 60, required_features=["hydraulic_table"])
    no_room = make_type(owner, "house-call", "treatment", 45, needs_room=False)
    ana = busy_week["ana"]
    assert isinstance(ana, Practitioner)
    cases: list[dict[str, object]] = [
        {"appointment_type": treatment, "first_day": NEXT_MONDAY - dt.timedelta(days=2)},
        {"appointment_type": treatment, "first_day": NEXT_MONDAY},
        {"appointment_type": table, "first_day": NEXT_MONDAY},
        {"appointment_type": no_room, "first_day": NEXT_MONDAY},
        {"appointment_type": treatment, "first_day": NEXT_MONDAY, "practitioner": practitioner},
        {"appointment_type": treatment, "first_day": NEXT_MONDAY, "practitioner": ana},
        {
            "appointment_type": treatment,
            "first_day": NEXT_MONDAY,
            "min_notice": dt.timedelta(days=8, hours=3),
            "horizon": at(NEXT_MONDAY + dt.timedelta(days=3), "12:00"),
        },
    ]
    for case in cases:
        expected = _previous_slots(location=location, days=7, **case)  # type: ignore[arg-type]
        found = queries.available_slots(location=location, days=7, **case)  # type: ignore[arg-type]
        assert _now(found) == expected, case
    eve = busy_week["eve"]
    saturday = NEXT_MONDAY - dt.timedelta(days=2)
    weekend = queries.available_slots(
        location=location, appointment_type=treatment, first_day=saturday, days=1
    )
    assert [s.start for s in weekend if s.practitioner == eve] == [
        at(saturday, "10:00"),
        at(saturday, "10:15"),
        at(saturday, "10:30"),
        at(saturday, "12:30"),
        at(saturday, "12:45"),
        at(saturday, "13:00"),
    ]
    week = queries.available_slots(
        location=location, appointment_type=treatment, first_day=NEXT_MONDAY, days=7
    )
    who = {s.practitioner.family_name for s in week}
    assert who == {"Therapist", "Other", "Early"}  # not Georgia, Downtown or Former
    # Ana's Sunday appointment runs to 00:30 (00:45 with its buffer): the week's first
    # free start is 00:45, though the appointment began before the week did.
    ana_monday = [
        s.start for s in week if s.practitioner == ana and s.start < at(NEXT_MONDAY, "09:00")
    ]
    assert ana_monday == [at(NEXT_MONDAY, "00:45"), at(NEXT_MONDAY, "01:00")]
    # Theo's license lapses after Tuesday; Tess is off on Thursday afternoon.
    assert max(s.start for s in week if s.practitioner.family_name == "Other") < at(
        NEXT_MONDAY + dt.timedelta(days=2), "00:00"
    )
    thursday = NEXT_MONDAY + dt.timedelta(days=3)
    tess_thursday = {s.start for s in week if s.practitioner == practitioner}
    assert at(thursday, "11:00") in tess_thursday
    assert not any(at(thursday, "11:15") <= t < at(thursday, "15:00") for t in tess_thursday)


@pytest.mark.usefixtures("room")
@pytest.mark.parametrize("colleagues", [1, 6])
def test_the_slot_query_makes_a_fixed_number_of_queries(
    colleagues: int,
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    django_assert_max_num_queries: Any,
) -> None:
    make_room(location, "Room 2", ["hydraulic_table"])
    table = make_type(owner, "table-60", "treatment", 60, required_features=["hydraulic_table"])
    team = [practitioner]
    for n in range(colleagues):
        who = _colleague(owner, location, f"Colleague N{n}")
        weekday_hours(owner, who, location)
        services.add_availability_exception(
            actor=owner,
            practitioner=who,
            starts_at=at(NEXT_MONDAY, "12:00"),
            ends_at=at(NEXT_MONDAY, "13:00"),
        )
        team.append(who)
    services.set_weekly_hours(
        actor=owner, practitioner=practitioner, location=location, rows=WEEKDAYS_9_TO_5
    )
    for n, who in enumerate(team):
        services.book_appointment(
            actor=front_desk,
            patient=patient,
            practitioner=who,
            location=location,
            appointment_type=treatment,
            start=at(NEXT_MONDAY + dt.timedelta(days=n % 5), "09:00"),
        )
    for kind in (treatment, table):
        with django_assert_max_num_queries(MOST_QUERIES):
            slots = queries.available_slots(
                location=location, appointment_type=kind, first_day=NEXT_MONDAY, days=7
            )
        assert {s.practitioner for s in slots} == set(team)


@pytest.mark.usefixtures("hours", "room")
def test_busy_times_reach_back_as_far_as_the_longest_appointment(
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
) -> None:
    longest = make_type(
        owner,
        "day-course",
        "treatment",
        MAX_DURATION_MINUTES,
        buffer_minutes=MAX_BUFFER_MINUTES,
    )
    booked = services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=longest,
        start=at(NEXT_MONDAY, "09:00"),
    )
    assert booked.busy_until - booked.start == MAX_BUSY_SPAN
    last_minute = booked.busy_until - dt.timedelta(minutes=1)
    for who in ({"practitioner": practitioner}, {"room": booked.room}):
        assert queries.busy_intervals(
            start=last_minute,
            end=last_minute + dt.timedelta(hours=1),
            **who,
        ) == [Interval(booked.start, booked.busy_until)]
        assert (
            queries.busy_intervals(
                start=booked.busy_until,
                end=booked.busy_until + dt.timedelta(hours=1),
                **who,
            )
            == []
        )


def test_the_database_refuses_a_type_longer_than_the_busy_time_bound(org: Organization) -> None:
    for too_long in (
        {"duration_minutes": MAX_DURATION_MINUTES + 1, "buffer_minutes": 0},
        {"duration_minutes": 60, "buffer_minutes": MAX_BUFFER_MINUTES + 1},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            AppointmentType.objects.create(
                organization=org,
                code="too-long",
                name="Too long",
                kind="treatment",
                **too_long,
            )
