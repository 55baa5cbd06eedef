"""The patient's link in a confirmation or reminder: see the appointment, cancel it or
move it within the clinic's notice; nothing else about the patient is shown, and a link
stops working when the appointment is cancelled, moved by the patient, or has begun.

The clock stands at Monday 2 March 2026, 15:00 in Tampa.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.referrals.tests.support import make_physician, make_referral
from palpa.scheduling import online, patient_messages, services, sms
from palpa.scheduling.models import (
    Appointment,
    AppointmentType,
    OnlineBookingNotice,
    OnlineBookingSettings,
)
from palpa.scheduling.tests.booking_support import run_worker
from palpa.scheduling.tests.support import at, make_type

TUESDAY_NEXT = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _messages(settings: Any) -> Iterator[None]:
    settings.PALPA_SMS_BACKEND = "palpa.scheduling.sms.MemoryBackend"
    settings.PALPA_SITE_URL = "https://palpa.example"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def online_type(owner: User) -> AppointmentType:
    return make_type(owner, "treatment-online", "treatment", 60, online_bookable=True)


@pytest.fixture
def config(
    owner: User, location: Location, online_type: AppointmentType, hours: None
) -> OnlineBookingSettings:
    return online.update_online_settings(
        actor=owner,
        location=location,
        changes={"enabled": True, "cancel_notice_hours": 24, "new_patients": "book"},
        appointment_types=[online_type],
    )


@pytest.fixture
def appointment(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    config: OnlineBookingSettings,
    online_type: AppointmentType,
) -> Appointment:
    return services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=config.location,
        appointment_type=online_type,
        start=at(TUESDAY_NEXT, "10:00"),
    )


@pytest.fixture
def link_path(appointment: Appointment) -> str:
    url = patient_messages.create_link(appointment)
    return url.removeprefix("https://palpa.example")


def test_the_link_shows_what_where_and_when_and_nothing_more(
    link_path: str, patient: Patient
) -> None:
    page = Client().get(link_path)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Treatment 60 min with Tess Therapist" in text
    assert "Tuesday, March 10, 2026 at 10:00 AM (EDT)" in text
    assert "Bayside Clinic, 1 Test Way, Tampa, FL 33602" in text
    assert "until Monday, March 9, 2026 at 10:00 AM" in text
    for private in (patient.family_name, patient.mrn, "1971", patient.phone, patient.email):
        assert private not in text


def test_the_patient_cancels_within_the_notice_and_staff_are_told(
    django_capture_on_commit_callbacks: Any, link_path: str, appointment: Appointment
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        page = Client().post(link_path, {"reason": "Feeling better"})
    assert "Your appointment is cancelled" in page.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancel_reason == "Feeling better"
    assert OnlineBookingNotice.objects.get(appointment=appointment).kind == "cancelled"
    assert Client().get(link_path).status_code == 404  # the link stops with the appointment


def test_after_the_notice_closes_the_link_says_to_call_and_cancels_nothing(
    link_path: str, appointment: Appointment
) -> None:
    late = appointment.start - dt.timedelta(hours=23)
    with time_machine.travel(late, tick=False):
        page = Client().get(link_path)
        assert "Online changes are closed" in page.content.decode()
        refused = Client().post(link_path, {"reason": "x"})
    assert refused.status_code == 409
    assert "close 24 hours before" in refused.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_a_link_no_longer_works_once_the_appointment_has_begun(
    link_path: str, appointment: Appointment
) -> None:
    with time_machine.travel(appointment.start, tick=False):
        assert Client().get(link_path).status_code == 404


def test_an_unknown_or_altered_token_shows_the_same_page(link_path: str) -> None:
    assert Client().get(link_path[:-3] + "xx/").status_code == 404
    assert Client().get("/book/manage/" + "a" * 200 + "/").status_code == 404


def test_the_patient_moves_the_appointment_to_another_free_time(
    django_capture_on_commit_callbacks: Any,
    link_path: str,
    appointment: Appointment,
    practitioner: Practitioner,
) -> None:
    page = Client().get(link_path + "move/")
    assert "Choose a new time" in page.content.decode()
    new_start = at(dt.date(2026, 3, 11), "14:00")
    with django_capture_on_commit_callbacks(execute=True):
        moved = Client().post(
            link_path + "move/",
            {"practitioner": str(practitioner.public_id), "start": new_start.isoformat()},
        )
    assert "Your appointment is moved" in moved.content.decode()
    assert "Wednesday, March 11, 2026 at 2:00 PM (EDT)" in moved.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    new = Appointment.objects.get(status="booked")
    assert (new.start, new.source) == (new_start, "online")
    assert OnlineBookingNotice.objects.get(appointment=new).kind == "moved"
    run_worker()
    subjects = [str(m.subject) for m in mail.outbox if m.to == ["rosa@example.com"]]
    assert subjects == [
        "Moved: your Treatment 60 min is now on Wednesday, March 11, 2026 at 2:00 PM"
    ]
    assert Client().get(link_path).status_code == 404  # the old link stops
    new_link = re.search(r"https://palpa\.example(/book/manage/[^\s]+/)", str(mail.outbox[-1].body))
    assert new_link
    assert Client().get(new_link.group(1)).status_code == 200


def test_moving_to_a_time_not_offered_changes_nothing(
    link_path: str, appointment: Appointment, practitioner: Practitioner
) -> None:
    page = Client().post(
        link_path + "move/",
        {
            "practitioner": str(practitioner.public_id),
            "start": at(dt.date(2026, 3, 11), "20:00").isoformat(),
        },
    )
    assert page.status_code == 409
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_a_move_past_the_referral_asks_the_patient_to_call_and_names_no_one(
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    config: OnlineBookingSettings,
    online_type: AppointmentType,
) -> None:
    make_referral(front_desk, patient, make_physician(owner), visits=8, expires_on=TUESDAY_NEXT)
    booked = services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=config.location,
        appointment_type=online_type,
        start=at(TUESDAY_NEXT, "10:00"),
    )
    path = patient_messages.create_link(booked).removeprefix("https://palpa.example")
    page = Client().post(
        path + "move/",
        {
            "practitioner": str(practitioner.public_id),
            "start": at(dt.date(2026, 3, 11), "14:00").isoformat(),
        },
    )
    text = page.content.decode()
    assert page.status_code == 409
    assert "the clinic needs to check your referral first" in text
    for staff_only in ("Bennett", "expiry", "override"):
        assert staff_only not in text
    booked.refresh_from_db()
    assert booked.status == "booked"  # nothing changed
