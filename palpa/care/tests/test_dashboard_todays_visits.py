"""The therapist's dashboard lists their own appointments of the clinic's today (local
times), each with "Start note" (or the note that documents it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.care import queries
from palpa.care.notes.services import start_note
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services as scheduling
from palpa.scheduling.models import Appointment, AppointmentType
from palpa.scheduling.tests.support import MONDAY, at, make_type, weekday_hours
from palpa.screening.services import record_screening

pytestmark = pytest.mark.django_db

MORNING = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)  # 07:00 in Tampa, Monday
EVENING = dt.datetime(2026, 3, 3, 2, 30, tzinfo=dt.UTC)  # 21:30 in Tampa, Monday; UTC: Tuesday
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def booked(
    owner: User,
    front_desk: User,
    therapist: User,
    other_therapist: User,
    patient: Patient,
    location: Location,
) -> dict[str, Appointment]:
    """Booked on Monday morning: the therapist's 09:00 and 14:00 today and 09:00
    tomorrow, and the other therapist's 11:00 today."""
    mine = Practitioner.objects.get(user=therapist)
    theirs = Practitioner.objects.get(user=other_therapist)
    with time_machine.travel(MORNING, tick=False):
        record_screening(actor=owner, patient=patient, facts={})
        kind: AppointmentType = make_type(owner, "treatment-45", "treatment", 45, needs_room=False)
        for who in (mine, theirs):
            weekday_hours(owner, who, location)

        def book(who: Practitioner, day: dt.date, hhmm: str) -> Appointment:
            return scheduling.book_appointment(
                actor=front_desk,
                patient=patient,
                practitioner=who,
                location=location,
                appointment_type=kind,
                start=at(day, hhmm),
            )

        return {
            "nine": book(mine, MONDAY, "09:00"),
            "two": book(mine, MONDAY, "14:00"),
            "tomorrow": book(mine, TUESDAY, "09:00"),
            "theirs": book(theirs, MONDAY, "11:00"),
        }


def test_the_therapist_sees_their_own_appointments_of_the_clinics_today(
    therapist: User, booked: dict[str, Appointment]
) -> None:
    with time_machine.travel(EVENING, tick=False):
        found = queries.todays_visits(therapist)
    assert found is not None
    # Monday in Tampa, though the UTC date is already Tuesday: not tomorrow's 09:00
    assert [a.pk for a, _ in found] == [booked["nine"].pk, booked["two"].pk]
    assert [note for _, note in found] == [None, None]


def test_the_dashboard_shows_local_times_and_start_note_links(
    client_for: Callable[[User], Client],
    therapist: User,
    front_desk: User,
    patient: Patient,
    location: Location,
    booked: dict[str, Appointment],
) -> None:
    with time_machine.travel(EVENING, tick=False):
        nine = booked["nine"]
        scheduling.mark_arrived(actor=front_desk, appointment=nine)
        note = start_note(
            actor=therapist, patient=patient, location=location, visit_date=MONDAY, appointment=nine
        )
        html = client_for(therapist).get("/").content.decode()
    section = html.split('id="todays-visits"')[1].split("</section>")[0]
    assert "9:00 AM" in section
    assert "2:00 PM" in section
    assert "14:00" not in section
    assert "19:00" not in section
    assert "11:00 AM" not in section  # the other therapist's
    start_two = f"/patients/{patient.public_id}/notes/new/?appointment={booked['two'].public_id}"
    assert start_two in section.replace("&amp;", "&")
    assert f"/notes/{note.public_id}/" in section  # the 09:00 has its draft: continue it
    assert f"appointment={nine.public_id}" not in section
    entry = AuditEvent.objects.filter(detail__view="dashboard: today's appointments").latest("seq")
    assert entry.actor_id == therapist.pk
    assert entry.detail["patients"] == [str(patient.public_id)]


def test_a_therapist_with_no_appointments_today_is_told_so(
    client_for: Callable[[User], Client], therapist: User
) -> None:
    html = client_for(therapist).get("/").content.decode()
    assert "No appointments booked with you today." in html


@pytest.mark.parametrize("persona", ["front_desk", "biller", "outsider"])
def test_others_get_no_todays_appointments_panel(
    client_for: Callable[[User], Client],
    persona: str,
    request: pytest.FixtureRequest,
    booked: dict[str, Appointment],
) -> None:
    user = request.getfixturevalue(persona)
    assert queries.todays_visits(user) is None
    with time_machine.travel(EVENING, tick=False):
        html = client_for(user).get("/").content.decode()
    assert 'id="todays-visits"' not in html
