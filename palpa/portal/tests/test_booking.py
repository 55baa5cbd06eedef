"""Booking and changing a time in the portal: the clinic's online booking (its types,
free times, notice and rules) with the signed-in patient's own record, nothing typed.
A visit the referral does not cover becomes the request to book that staff see; a STOP
screening, a time taken meanwhile or a change too late is refused in the patient's
words; another patient's appointment is not found; every booking and move is audited
with the patient acting.

The clock stands at Monday 2 March 2026, 15:00 in Tampa; the patient's next visit is
Monday 9 March at 10:00 with Tess Therapist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.patients.models import Patient
from palpa.patients.services import add_guardian, create_patient
from palpa.portal import services
from palpa.portal.tests.support import Course, sign_in
from palpa.portal.tests.test_hostile_input import HOSTILE
from palpa.practitioners.models import Practitioner
from palpa.referrals.tests.support import make_physician, make_referral
from palpa.scheduling import online, patient_messages, sms
from palpa.scheduling.models import (
    Appointment,
    AppointmentType,
    OnlineBookingNotice,
    OnlineBookingSettings,
)
from palpa.scheduling.services import book_appointment
from palpa.scheduling.tests.booking_support import run_worker
from palpa.scheduling.tests.support import at, weekday_hours
from palpa.screening.services import record_screening
from palpa.screening.tests.support import facts_stop_whole_body

TUESDAY_NEXT = dt.date(2026, 3, 10)  # after the change to daylight time (EDT)


@pytest.fixture(autouse=True)
def _messages(settings: Any) -> Iterator[None]:
    settings.PALPA_SMS_BACKEND = "palpa.scheduling.sms.MemoryBackend"
    settings.PALPA_SITE_URL = "https://palpa.example"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def kind(course: Course) -> AppointmentType:
    """The type of the patient's next visit, offered online."""
    AppointmentType.objects.filter(pk=course.upcoming.appointment_type_id).update(
        online_bookable=True
    )
    return AppointmentType.objects.get(pk=course.upcoming.appointment_type_id)


@pytest.fixture
def config(owner: User, location: Location, kind: AppointmentType) -> OnlineBookingSettings:
    Location.objects.filter(pk=location.pk).update(phone="(813) 555-0100")
    return online.update_online_settings(
        actor=owner,
        location=Location.objects.get(pk=location.pk),
        changes={
            "enabled": True,
            "days_ahead": 30,
            "min_notice_hours": 24,
            "cancel_notice_hours": 24,
            "new_patients": "closed",
            "notify_email": "frontdesk@bayside.example",
            "welcome": "",
        },
        appointment_types=[kind],
    )


@pytest.fixture
def portal(course: Course, config: OnlineBookingSettings) -> Client:
    client = Client()
    assert sign_in(client, "rosa@example.com").status_code == 302
    mail.outbox.clear()
    return client


@pytest.fixture
def tess(therapist: User) -> Practitioner:
    return Practitioner.objects.get(user=therapist)


def _book(client: Client, kind: AppointmentType, who: Practitioner, start: dt.datetime) -> Any:
    return client.post(
        "/my/book/",
        {
            "type": str(kind.public_id),
            "practitioner": str(who.public_id),
            "start": start.isoformat(),
        },
        follow=True,
    )


def _portal_entries(patient: Patient, what: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(patient_id=str(patient.public_id), detail__portal=what).exclude(
            action="read"
        )
    )


def _local(moment: dt.datetime, location: Location) -> str:
    date, time, zone = patient_messages.local_text(moment, location)
    return f"{date} at {time} ({zone})"


# --- booking ---------------------------------------------------------------------------------


def test_home_links_to_booking_and_changing_in_the_portal(
    portal: Client, course: Course, location: Location
) -> None:
    page = portal.get("/my/").content.decode()
    assert 'href="/my/book/"' in page
    assert f"/book/{location.public_id}/" not in page  # not the public page: nothing to type
    assert f'href="/my/appointments/{course.upcoming.public_id}/move/"' in page


def test_the_book_page_offers_the_clinics_types_and_free_times_at_local_time(
    portal: Client, kind: AppointmentType, tess: Practitioner
) -> None:
    page = portal.get("/my/book/", {"type": str(kind.public_id), "day": "2026-03-10"})
    text = page.content.decode()
    assert page.status_code == 200
    assert kind.name in text
    assert "Free times on Tuesday, March 10" in text
    assert "10:00 AM" in text
    assert "Tess Therapist" in text
    assert "(EDT)" in text  # the clinic's time after the change to daylight time
    for typed in ("date_of_birth", 'name="contact"', 'name="email"'):
        assert typed not in text  # the patient is known: nothing to type
    chosen = portal.get(
        "/my/book/",
        {
            "type": str(kind.public_id),
            "day": "2026-03-10",
            "practitioner": str(tess.public_id),
            "start": at(TUESDAY_NEXT, "10:00").isoformat(),
        },
    ).content.decode()
    assert "Book Tuesday, March 10, 2026 at 10:00 AM (EDT)" in chosen


def test_a_patient_books_a_free_time_with_their_own_record(
    portal: Client,
    course: Course,
    kind: AppointmentType,
    tess: Practitioner,
    django_capture_on_commit_callbacks: Any,
) -> None:
    start = at(TUESDAY_NEXT, "10:00")
    with django_capture_on_commit_callbacks(execute=True):
        page = _book(portal, kind, tess, start).content.decode()
    assert f"You are booked: {kind.name} with Tess Therapist on" in page
    assert _local(start, course.upcoming.location) in page
    booked = Appointment.objects.get(patient=course.patient, start=start)
    assert (booked.status, booked.source, booked.practitioner) == ("booked", "online", tess)
    assert OnlineBookingNotice.objects.filter(kind="booked", appointment=booked).exists()
    [entry] = _portal_entries(course.patient, "book")
    assert (entry.actor_id, entry.actor_label) == (None, services.PATIENT_LABEL)
    assert entry.object_id == str(booked.public_id)
    run_worker()
    assert any(str(m.subject).startswith("Booked:") for m in mail.outbox)
    assert "Tuesday, March 10, 2026 at 10:00 AM" in portal.get("/my/").content.decode()


def test_a_referral_patient_books_within_the_visits_left(
    portal: Client,
    course: Course,
    owner: User,
    front_desk: User,
    kind: AppointmentType,
    tess: Practitioner,
) -> None:
    make_referral(front_desk, course.patient, make_physician(owner), visits=8)
    page = _book(portal, kind, tess, at(TUESDAY_NEXT, "10:00")).content.decode()
    assert "You are booked" in page
    assert Appointment.objects.filter(patient=course.patient, status="booked").count() == 2


def test_a_visit_beyond_the_referral_becomes_the_request_staff_see(
    portal: Client,
    course: Course,
    owner: User,
    front_desk: User,
    kind: AppointmentType,
    tess: Practitioner,
) -> None:
    make_referral(front_desk, course.patient, make_physician(owner), visits=1)
    page = _book(portal, kind, tess, at(TUESDAY_NEXT, "10:00")).content.decode()
    assert "Request sent: not booked yet" in page
    assert "the clinic needs to check your referral" in page
    for staff_only in ("Bennett", "of 1", "override", "visits are planned", "referral from"):
        assert staff_only not in page
    assert Appointment.objects.filter(patient=course.patient, status="booked").count() == 1
    notice = OnlineBookingNotice.objects.get(kind="referral")
    assert (notice.patient, notice.wanted_start) == (course.patient, at(TUESDAY_NEXT, "10:00"))
    assert "Bennett" in notice.message  # the reason is for staff
    [entry] = _portal_entries(course.patient, "request to book")
    assert (entry.actor_label, entry.object_id) == (services.PATIENT_LABEL, str(notice.public_id))


def test_a_patient_whose_screening_says_stop_is_refused_in_their_words(
    portal: Client, course: Course, therapist: User, kind: AppointmentType, tess: Practitioner
) -> None:
    record_screening(actor=therapist, patient=course.patient, facts=facts_stop_whole_body())
    page = _book(portal, kind, tess, at(TUESDAY_NEXT, "10:00")).content.decode()
    assert "This visit cannot be booked online" in page
    assert "Please call (813) 555-0100" in page
    for staff_only in ("STOP", "screening says", "clearance"):
        assert staff_only not in page
    assert not Appointment.objects.filter(patient=course.patient, start=at(TUESDAY_NEXT, "10:00"))
    assert not _portal_entries(course.patient, "book")


def test_a_time_not_offered_is_refused_and_the_choice_is_kept(
    portal: Client, kind: AppointmentType, tess: Practitioner
) -> None:
    too_soon = at(dt.date(2026, 3, 3), "9:00")  # inside the clinic's 24 hours' notice
    response = portal.post(
        "/my/book/",
        {"type": str(kind.public_id), "practitioner": str(tess.public_id), "start": too_soon},
    )
    assert response.status_code == 302
    assert f"type={kind.public_id}" in response["Location"]
    page = portal.get(response["Location"]).content.decode()
    assert "That time is no longer free" in page
    assert not Appointment.objects.filter(start=too_soon).exists()


def test_the_book_page_says_to_call_when_online_booking_is_closed(
    portal: Client, config: OnlineBookingSettings
) -> None:
    OnlineBookingSettings.objects.filter(pk=config.pk).update(enabled=False)
    page = portal.get("/my/book/").content.decode()
    assert "Online booking is not open" in page
    assert "(813) 555-0100" in page


# --- changing the time -----------------------------------------------------------------------


def test_a_patient_changes_the_time_with_the_same_therapist(
    portal: Client, course: Course, tess: Practitioner, django_capture_on_commit_callbacks: Any
) -> None:
    page = portal.get(f"/my/appointments/{course.upcoming.public_id}/move/?day=2026-03-10")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Monday, March 9, 2026 at 10:00 AM (EDT)" in text  # now booked
    assert "Free times on Tuesday, March 10" in text
    new_start = at(TUESDAY_NEXT, "14:00")
    with django_capture_on_commit_callbacks(execute=True):
        moved = portal.post(
            f"/my/appointments/{course.upcoming.public_id}/move/",
            {"practitioner": str(tess.public_id), "start": new_start.isoformat()},
            follow=True,
        ).content.decode()
    assert "Your appointment is moved to Tuesday, March 10, 2026 at 2:00 PM (EDT)" in moved
    course.upcoming.refresh_from_db()
    assert course.upcoming.status == Appointment.Status.CANCELLED
    new = Appointment.objects.get(patient=course.patient, status="booked")
    assert (new.start, new.practitioner, new.appointment_type_id) == (
        new_start,
        tess,
        course.upcoming.appointment_type_id,
    )
    assert OnlineBookingNotice.objects.filter(kind="moved", appointment=new).exists()
    [entry] = _portal_entries(course.patient, "move")
    assert (entry.actor_id, entry.actor_label) == (None, services.PATIENT_LABEL)
    run_worker()
    assert any(str(m.subject).startswith("Moved:") for m in mail.outbox)


def test_another_therapists_time_is_not_offered_for_a_change(
    portal: Client, course: Course, other_therapist: User, owner: User, location: Location
) -> None:
    other = Practitioner.objects.get(user=other_therapist)
    weekday_hours(owner, other, location)
    text = portal.get(
        f"/my/appointments/{course.upcoming.public_id}/move/?day=2026-03-10"
    ).content.decode()
    assert f"{other.given_name} {other.family_name}" not in text
    refused = portal.post(
        f"/my/appointments/{course.upcoming.public_id}/move/",
        {"practitioner": str(other.public_id), "start": at(TUESDAY_NEXT, "11:00").isoformat()},
        follow=True,
    ).content.decode()
    assert "Choose a time from the list." in refused
    course.upcoming.refresh_from_db()
    assert course.upcoming.status == Appointment.Status.BOOKED


def test_another_therapists_time_is_offered_when_the_clinic_allows_it(
    portal: Client,
    course: Course,
    other_therapist: User,
    owner: User,
    location: Location,
    config: OnlineBookingSettings,
) -> None:
    OnlineBookingSettings.objects.filter(pk=config.pk).update(move_any_therapist=True)
    other = Practitioner.objects.get(user=other_therapist)
    weekday_hours(owner, other, location)
    url = f"/my/appointments/{course.upcoming.public_id}/move/"
    assert (
        f"{other.given_name} {other.family_name}"
        in portal.get(f"{url}?day=2026-03-10").content.decode()
    )
    start = at(TUESDAY_NEXT, "11:00")
    portal.post(url, {"practitioner": str(other.public_id), "start": start.isoformat()})
    moved = Appointment.objects.get(patient=course.patient, status="booked")
    assert (moved.practitioner, moved.start) == (other, start)


def test_a_change_too_late_is_refused_with_the_clinics_phone(
    portal: Client, course: Course, tess: Practitioner
) -> None:
    Appointment.objects.filter(pk=course.upcoming.pk).update(
        start=dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC),
        end=dt.datetime(2026, 3, 3, 16, 0, tzinfo=dt.UTC),
    )
    url = f"/my/appointments/{course.upcoming.public_id}/move/"
    text = portal.get(url).content.decode()
    assert "Online changes close 24 hours before the appointment. Please call (813) 555-0100." in (
        text
    )
    assert "Free times" not in text
    answer = portal.post(
        url,
        {"practitioner": str(tess.public_id), "start": at(TUESDAY_NEXT, "14:00").isoformat()},
        follow=True,
    ).content.decode()
    assert "Online changes close 24 hours before the appointment" in answer
    course.upcoming.refresh_from_db()
    assert course.upcoming.status == Appointment.Status.BOOKED
    assert not _portal_entries(course.patient, "move")


def test_another_patients_appointment_is_not_found(
    portal: Client, course: Course, owner: User, location: Location, tess: Practitioner
) -> None:
    sister = create_patient(
        actor=owner,
        given_name="Marta",
        family_name="Delgado",
        date_of_birth=dt.date(1975, 6, 1),
        email="marta@example.com",
        primary_location=location,
    )
    theirs = book_appointment(
        actor=owner,
        patient=sister,
        practitioner=tess,
        location=location,
        appointment_type=course.upcoming.appointment_type,
        start=course.upcoming.start + dt.timedelta(hours=3),
    )
    url = f"/my/appointments/{theirs.public_id}/move/"
    assert portal.get(url).status_code == 404
    data = {"practitioner": str(tess.public_id), "start": at(TUESDAY_NEXT, "14:00").isoformat()}
    assert portal.post(url, data).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Appointment.Status.BOOKED


def test_signed_out_visitors_are_sent_to_sign_in(course: Course) -> None:
    client = Client()
    for url in ("/my/book/", f"/my/appointments/{course.upcoming.public_id}/move/"):
        assert client.get(url)["Location"] == "/my/sign-in/"
        assert client.post(url, {})["Location"] == "/my/sign-in/"
    assert Appointment.objects.filter(status="booked").count() == 1


def test_too_many_bookings_sent_are_slowed_down(
    portal: Client, settings: Any, kind: AppointmentType, tess: Practitioner
) -> None:
    settings.PALPA_PORTAL_BOOKING_LIMIT = 2
    data = {"type": str(kind.public_id), "practitioner": str(tess.public_id), "start": "x"}
    assert [portal.post("/my/book/", data).status_code for _ in range(3)] == [302, 302, 429]
    assert portal.get("/my/book/").status_code == 200  # browsing still works


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_give_no_server_error_and_book_nothing(
    portal: Client, course: Course, kind: AppointmentType, value: str
) -> None:
    move = f"/my/appointments/{course.upcoming.public_id}/move/"
    for name in ("type", "day", "practitioner", "start"):
        assert portal.get("/my/book/", {"type": str(kind.public_id), name: value}).status_code in (
            200,
            400,
        )
        assert portal.get(move, {name: value}).status_code in (200, 400)
    fields = {"type": value, "practitioner": value, "start": value, "day": value}
    assert portal.post("/my/book/", fields).status_code in (302, 400)
    assert portal.post("/my/book/", {**fields, "type": str(kind.public_id)}).status_code in (
        302,
        400,
    )
    assert portal.post(move, fields).status_code in (302, 400)
    assert Appointment.objects.filter(patient=course.patient, status="booked").count() == 1


def test_a_guardian_books_for_a_child_and_the_entry_names_the_guardian(
    course: Course,
    owner: User,
    location: Location,
    config: OnlineBookingSettings,
    tess: Practitioner,
) -> None:
    leo = create_patient(
        actor=owner,
        given_name="Leo",
        family_name="Delgado",
        date_of_birth=dt.date(2016, 5, 1),
        primary_location=location,
    )
    marta = add_guardian(
        actor=owner, patient=leo, name="Marta Delgado", relationship="mother", email="m@example.com"
    )
    kind = AppointmentType.objects.get(pk=course.upcoming.appointment_type_id)
    slot = services.chosen_slot(
        config,
        appointment_type=kind,
        practitioner=str(tess.public_id),
        start=at(TUESDAY_NEXT, "11:00").isoformat(),
    )
    with services.acting_as(marta):
        booked = services.book_appointment(
            patient=leo, config=config, appointment_type=kind, slot=slot
        )
    assert booked.appointment is not None
    assert booked.appointment.patient == leo
    [entry] = _portal_entries(leo, "book")
    assert entry.actor_label == "Marta Delgado (mother, portal, acting for the patient)"
    assert entry.detail["guardian"] == str(marta.public_id)
