"""Recurring courses (preview, then all or nothing) and online self-booking rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.referrals.services import ReferralRefused
from palpa.referrals.tests.support import make_physician, make_referral
from palpa.scheduling import services
from palpa.scheduling.models import Appointment, AppointmentType
from palpa.scheduling.tests.support import NEXT_MONDAY, at

pytestmark = pytest.mark.usefixtures("hours", "room")
TUE_THU_10 = [services.CourseTime(1, dt.time(10)), services.CourseTime(3, dt.time(10))]
REASON = "The physician extended the course by phone; the letter follows."


def _course(
    actor: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    kind: AppointmentType,
    weeks: int = 5,
    **kw: Any,
) -> list[Appointment]:
    return services.book_course(
        actor=actor,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        first_day=NEXT_MONDAY,
        weeks=weeks,
        times=TUE_THU_10,
        **kw,
    )


def test_a_course_books_n_per_week_for_w_weeks_in_one_series(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    booked = _course(front_desk, patient, practitioner, location, treatment)
    assert len(booked) == 10
    assert len({a.series for a in booked}) == 1
    assert booked[0].start == at(NEXT_MONDAY + dt.timedelta(days=1), "10:00")
    assert booked[-1].start == at(NEXT_MONDAY + dt.timedelta(days=31), "10:00")
    assert AuditEvent.objects.filter(object_type="Appointment", action="create").count() == 10


def test_the_preview_lists_every_conflict_and_saves_nothing(
    front_desk: User,
    owner: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    blocker = services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(NEXT_MONDAY + dt.timedelta(days=8), "10:30"),
    )
    services.add_availability_exception(
        actor=owner,
        practitioner=practitioner,
        starts_at=at(NEXT_MONDAY + dt.timedelta(days=17), "00:00"),
        ends_at=at(NEXT_MONDAY + dt.timedelta(days=18), "00:00"),
        reason="Conference",
    )
    preview = services.preview_course(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        first_day=NEXT_MONDAY,
        weeks=4,
        times=TUE_THU_10,
    )
    assert len(preview.candidates) == 8
    conflicts = {c.start: c.problems for c in preview.conflicts}
    assert set(conflicts) == {
        at(NEXT_MONDAY + dt.timedelta(days=8), "10:00"),
        at(NEXT_MONDAY + dt.timedelta(days=17), "10:00"),
    }
    assert "already booked" in conflicts[at(NEXT_MONDAY + dt.timedelta(days=8), "10:00")][0]
    assert "outside working hours" in conflicts[at(NEXT_MONDAY + dt.timedelta(days=17), "10:00")][0]
    assert Appointment.objects.count() == 1
    with pytest.raises(services.CourseConflicts) as refused:
        _course(front_desk, patient, practitioner, location, treatment, weeks=4)
    assert refused.value.code == "course_conflicts"
    assert len(refused.value.preview.conflicts) == 2
    assert list(Appointment.objects.all()) == [blocker]


def test_ten_visits_against_six_authorized_need_an_owners_override(
    front_desk: User,
    owner: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    make_referral(
        front_desk,
        patient,
        make_physician(owner),
        visits=6,
        expires_on=NEXT_MONDAY + dt.timedelta(days=90),
    )
    preview = services.preview_course(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        first_day=NEXT_MONDAY,
        weeks=5,
        times=TUE_THU_10,
    )
    assert preview.conflicts == []
    assert "10 visits are planned" in preview.problems[0]
    with pytest.raises(services.CourseConflicts):
        _course(front_desk, patient, practitioner, location, treatment)
    assert not Appointment.objects.exists()
    booked = _course(owner, patient, practitioner, location, treatment, override_reason=REASON)
    assert len(booked) == 10
    assert all(a.referral_override is not None for a in booked)


def test_already_booked_visits_count_against_the_referral(
    front_desk: User,
    owner: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    make_referral(
        front_desk,
        patient,
        make_physician(owner),
        visits=6,
        expires_on=NEXT_MONDAY + dt.timedelta(days=90),
    )
    _course(front_desk, patient, practitioner, location, treatment, weeks=2)  # 4 booked
    with pytest.raises(services.CourseConflicts, match="8 visits are planned"):
        services.book_course(
            actor=front_desk,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=treatment,
            first_day=NEXT_MONDAY + dt.timedelta(days=14),
            weeks=2,
            times=TUE_THU_10,
        )

    def single(day: int) -> Appointment:
        return services.book_appointment(
            actor=front_desk,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=treatment,
            start=at(NEXT_MONDAY + dt.timedelta(days=day), "14:00"),
        )

    single(21)
    single(22)  # the 5th and 6th fit
    with pytest.raises(ReferralRefused, match="7 visits are planned"):
        single(23)
    assert Appointment.objects.count() == 6


def test_course_input_is_checked(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.preview_course(
            actor=front_desk,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=treatment,
            first_day=NEXT_MONDAY,
            weeks=0,
            times=[],
        )
    assert set(refused.value.message_dict) == {"weeks", "times"}


def test_online_booking_needs_an_online_type_notice_and_working_hours(
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    spa: AppointmentType,
) -> None:
    def online(kind: AppointmentType, start: dt.datetime) -> Appointment:
        return services.book_online_appointment(
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=kind,
            start=start,
        )

    with pytest.raises(ValidationError) as not_online:
        online(treatment, at(NEXT_MONDAY, "10:00"))
    assert set(not_online.value.message_dict) == {"appointment_type"}
    with pytest.raises(ValidationError) as too_soon:
        online(spa, at(dt.date(2026, 3, 2), "16:00"))  # one hour from the frozen now
    assert set(too_soon.value.message_dict) == {"start"}
    with pytest.raises(services.OutsideHours):
        online(spa, at(NEXT_MONDAY, "16:30"))
    booked = online(spa, at(NEXT_MONDAY, "10:00"))
    assert (booked.source, booked.booked_by) == ("online", None)
    entry = AuditEvent.objects.get(object_id=str(booked.public_id))
    assert entry.actor_label == "online booking"


def test_each_conflict_gets_the_nearest_free_times_same_day_first(
    front_desk: User,
    owner: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(NEXT_MONDAY + dt.timedelta(days=8), "10:30"),
    )
    services.add_availability_exception(
        actor=owner,
        practitioner=practitioner,
        starts_at=at(NEXT_MONDAY + dt.timedelta(days=17), "00:00"),
        ends_at=at(NEXT_MONDAY + dt.timedelta(days=18), "00:00"),
        reason="Conference",
    )
    preview = services.preview_course(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        first_day=NEXT_MONDAY,
        weeks=4,
        times=TUE_THU_10,
    )
    found = {c.start: c.alternatives for c in preview.conflicts}
    tuesday = NEXT_MONDAY + dt.timedelta(days=8)
    # The 10:30 booking keeps the therapist busy until 11:45 (60 minutes and a buffer
    # of 15); a 60-minute visit with its buffer fits from 09:15 at the latest before it.
    assert found[at(tuesday, "10:00")] == [
        at(tuesday, "09:15"),
        at(tuesday, "09:00"),
        at(tuesday, "11:45"),
    ]
    # The conference day is off: the same time on the nearest working days, then closest.
    thursday = NEXT_MONDAY + dt.timedelta(days=17)
    assert found[at(thursday, "10:00")] == [
        at(thursday - dt.timedelta(days=1), "10:00"),
        at(thursday + dt.timedelta(days=1), "10:00"),
        at(thursday - dt.timedelta(days=1), "09:45"),
    ]
    booked = _course(
        front_desk,
        patient,
        practitioner,
        location,
        treatment,
        weeks=4,
        replace={start: alternatives[0] for start, alternatives in found.items()},
    )
    assert len(booked) == 8
    assert {a.start for a in booked} >= {
        at(tuesday, "09:15"),
        at(thursday - dt.timedelta(days=1), "10:00"),
    }
