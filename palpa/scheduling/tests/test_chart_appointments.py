"""The patient's chart lists what is coming up (in the location's time, soonest first,
nothing past or cancelled), and the appointment page offers to start the visit's note.

The clock stands at Monday 2 March 2026, 15:00 in Tampa.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from palpa.accounts.models import Location, User
from palpa.care.notes.services import start_note
from palpa.core.tests.support import web_client
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services
from palpa.scheduling.models import Appointment, AppointmentType
from palpa.scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("hours")


def _book(
    actor: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    kind: AppointmentType,
    start: dt.datetime,
) -> Appointment:
    return services.book_appointment(
        actor=actor,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=start,
    )


def test_the_chart_lists_upcoming_appointments_in_local_time(
    request: pytest.FixtureRequest,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    later = _book(
        front_desk, patient, practitioner, location, treatment, at(dt.date(2026, 3, 12), "14:00")
    )
    sooner = _book(
        front_desk, patient, practitioner, location, treatment, at(dt.date(2026, 3, 10), "10:00")
    )
    dropped = _book(
        front_desk, patient, practitioner, location, treatment, at(dt.date(2026, 3, 11), "09:00")
    )
    services.cancel_appointment(actor=front_desk, appointment=dropped, reason="Patient is away.")
    page = web_client(request, "front_desk").get(f"/patients/{patient.public_id}/")
    text = page.content.decode()
    assert "Upcoming appointments" in text
    first = text.index("Tuesday, March 10, 2026, 10:00 AM EDT")
    second = text.index("Thursday, March 12, 2026, 2:00 PM EDT")
    assert first < second
    assert f"/schedule/appointments/{sooner.public_id}/" in text
    assert f"/schedule/appointments/{later.public_id}/" in text
    assert "March 11, 2026" not in text  # cancelled
    assert f"/schedule/new/?patient_id={patient.public_id}" in text


def test_the_chart_says_when_nothing_is_booked_and_the_biller_cannot_book(
    request: pytest.FixtureRequest, patient: Patient
) -> None:
    text = web_client(request, "biller").get(f"/patients/{patient.public_id}/").content.decode()
    assert "Upcoming appointments" in text
    assert "Nothing booked." in text
    assert "Book an appointment" not in text


def test_an_outsider_sees_neither_the_chart_nor_its_appointments(
    request: pytest.FixtureRequest,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    _book(front_desk, patient, practitioner, location, treatment, at(dt.date(2026, 3, 10), "10:00"))
    response = web_client(request, "outsider").get(f"/patients/{patient.public_id}/")
    assert response.status_code in (403, 404)
    assert b"March 10, 2026" not in response.content


def test_the_appointment_page_offers_the_therapist_to_start_the_note(
    request: pytest.FixtureRequest,
    front_desk: User,
    therapist: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    visit = _book(
        front_desk, patient, practitioner, location, treatment, at(dt.date(2026, 3, 10), "10:00")
    )
    path = f"/schedule/appointments/{visit.public_id}/"
    start = f"/care/patients/{patient.public_id}/notes/new/?appointment={visit.public_id}"
    assert "Start note" not in web_client(request, "therapist").get(path).content.decode()
    with time_machine.travel(at(dt.date(2026, 3, 10), "09:50"), tick=False):  # the visit's day
        page = web_client(request, "therapist").get(path).content.decode()
        assert "Start note" in page
        assert start in page
        form = web_client(request, "therapist").get(start).content.decode()
        assert 'value="2026-03-10"' in form  # the visit's local day
        assert "Start note" not in web_client(request, "front_desk").get(path).content.decode()
        note = start_note(
            actor=therapist,
            patient=patient,
            appointment=visit,
            location=location,
            visit_date=dt.date(2026, 3, 10),
        )
        again = web_client(request, "therapist").get(path).content.decode()
    assert "Continue note" in again
    assert f"/care/notes/{note.public_id}/" in again
    assert "Start note" not in again
