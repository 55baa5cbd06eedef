"""Types, hours, time off and room features (who may set them), the flag registry, and
the slot query that feeds the pure finder from the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import Location, Room, User
from palpa.patients.models import Patient
from palpa.practitioners.models import License, Practitioner
from palpa.scheduling import flags, queries, services
from palpa.scheduling.models import AppointmentType, WorkingHours
from palpa.scheduling.tests.support import NEXT_MONDAY, WEEKDAYS_9_TO_5, at, make_room, make_type


def test_only_an_owner_defines_appointment_types(front_desk: User, therapist: User) -> None:
    for who in (front_desk, therapist):
        with pytest.raises(PermissionDenied):
            make_type(who, "t-45", "treatment", 45)
    assert not AppointmentType.objects.exists()


def test_a_type_with_a_bad_duration_or_kind_names_the_field(owner: User) -> None:
    with pytest.raises(ValidationError) as refused:
        make_type(owner, "odd", "treatment", 2)
    assert set(refused.value.message_dict) == {"duration_minutes"}
    with pytest.raises(ValidationError) as unknown:
        services.create_appointment_type(
            actor=owner, code="x", name="X", kind="treatment", duration_minutes=30, colour="red"
        )
    assert set(unknown.value.message_dict) == {"colour"}


def test_a_therapist_sets_their_own_hours_but_not_anothers(
    therapist: User,
    front_desk: User,
    practitioner: Practitioner,
    other_practitioner: Practitioner,
    location: Location,
) -> None:
    services.set_weekly_hours(
        actor=therapist, practitioner=practitioner, location=location, rows=WEEKDAYS_9_TO_5
    )
    assert WorkingHours.objects.filter(practitioner=practitioner).count() == 5
    with pytest.raises(PermissionDenied):
        services.set_weekly_hours(
            actor=therapist,
            practitioner=other_practitioner,
            location=location,
            rows=WEEKDAYS_9_TO_5,
        )
    with pytest.raises(PermissionDenied):
        services.add_availability_exception(
            actor=front_desk,
            practitioner=practitioner,
            starts_at=at(NEXT_MONDAY, "09:00"),
            ends_at=at(NEXT_MONDAY, "12:00"),
        )
    with pytest.raises(ValidationError) as backwards:
        services.set_weekly_hours(
            actor=therapist,
            practitioner=practitioner,
            location=location,
            rows=[services.HoursRow(0, dt.time(17), dt.time(9))],
        )
    assert set(backwards.value.message_dict) == {"end"}


@pytest.mark.usefixtures("hours")
def test_time_off_cuts_the_working_intervals(
    owner: User, practitioner: Practitioner, location: Location
) -> None:
    services.add_availability_exception(
        actor=owner,
        practitioner=practitioner,
        starts_at=at(NEXT_MONDAY, "12:00"),
        ends_at=at(NEXT_MONDAY, "13:30"),
        reason="Lunch with the team",
    )
    intervals = queries.working_intervals(practitioner, location, NEXT_MONDAY, NEXT_MONDAY)
    assert [(i.start, i.end) for i in intervals] == [
        (at(NEXT_MONDAY, "09:00"), at(NEXT_MONDAY, "12:00")),
        (at(NEXT_MONDAY, "13:30"), at(NEXT_MONDAY, "17:00")),
    ]


@pytest.mark.usefixtures("hours", "other_hours")
def test_the_slot_query_covers_every_licensed_practitioner_and_a_free_room(
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    other_practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    room: Room,
) -> None:
    services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(NEXT_MONDAY, "10:00"),
    )
    slots = queries.available_slots(
        location=location, appointment_type=treatment, first_day=NEXT_MONDAY, days=1
    )
    at_ten = [s for s in slots if s.start == at(NEXT_MONDAY, "10:00")]
    assert at_ten == []  # the only room is taken at 10:00, so nobody can take it
    at_noon = {s.practitioner for s in slots if s.start == at(NEXT_MONDAY, "12:00")}
    assert at_noon == {practitioner, other_practitioner}
    assert all(s.room == room for s in slots)
    make_room(location, "Room 2")
    slots = queries.available_slots(
        location=location, appointment_type=treatment, first_day=NEXT_MONDAY, days=1
    )
    assert {s.practitioner for s in slots if s.start == at(NEXT_MONDAY, "10:00")} == {
        other_practitioner
    }
    License.objects.filter(practitioner=other_practitioner).update(
        expires_on=NEXT_MONDAY - dt.timedelta(days=1)
    )
    slots = queries.available_slots(
        location=location, appointment_type=treatment, first_day=NEXT_MONDAY, days=1
    )
    assert {s.practitioner for s in slots} == {practitioner}


@pytest.mark.usefixtures("hours", "room")
def test_minimum_notice_and_the_horizon_trim_the_slots(
    location: Location, treatment: AppointmentType
) -> None:
    monday = dt.date(2026, 3, 2)  # today; the clock stands at 15:00
    slots = queries.available_slots(
        location=location,
        appointment_type=treatment,
        first_day=monday,
        days=1,
        min_notice=dt.timedelta(minutes=30),
    )
    assert [s.start for s in slots] == [
        at(monday, "15:30"),
        at(monday, "15:45"),
        at(monday, "16:00"),
    ]
    capped = queries.available_slots(
        location=location,
        appointment_type=treatment,
        first_day=monday,
        days=7,
        horizon=at(monday, "17:00"),
    )
    assert capped[-1].start == at(monday, "16:00")


def test_apps_above_add_flags_through_the_registry(patient: Patient) -> None:
    def unpaid(p: Patient) -> list[flags.Flag]:
        return [flags.Flag("unpaid_balance", "Unpaid balance $40.00")] if p == patient else []

    flags.register(unpaid)
    try:
        assert [f.code for f in flags.flags_for(patient)] == ["unpaid_balance"]
    finally:
        flags.unregister(unpaid)
    assert flags.flags_for(patient) == []
