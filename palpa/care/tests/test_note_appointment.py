"""A treatment note documents its booked visit: start it from the appointment, and
signing it marks the appointment fulfilled."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.care.models import TreatmentNote
from palpa.care.notes import services as note_services
from palpa.core.tests.support import frozen_clock
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services as scheduling
from palpa.scheduling.models import Appointment
from palpa.scheduling.tests.support import MONDAY, at, make_type, weekday_hours
from palpa.screening.services import record_screening

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()  # Monday 2 March 2026, 15:00 in Tampa


@pytest.fixture
def visit(
    owner: User, front_desk: User, practitioner: Practitioner, patient: Patient, location: Location
) -> Appointment:
    """The patient's 14:00 treatment today; they have arrived (screened today)."""
    record_screening(actor=owner, patient=patient, facts={})
    weekday_hours(owner, practitioner, location)
    booked = scheduling.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=make_type(owner, "treatment-45", "treatment", 45, needs_room=False),
        start=at(MONDAY, "14:00"),
    )
    return scheduling.mark_arrived(actor=front_desk, appointment=booked)


def _note_for(
    therapist: User, patient: Patient, location: Location, visit: Appointment
) -> TreatmentNote:
    return note_services.start_note(
        actor=therapist, patient=patient, location=location, visit_date=MONDAY, appointment=visit
    )


def test_signing_the_note_marks_its_appointment_fulfilled(
    therapist: User, patient: Patient, location: Location, visit: Appointment
) -> None:
    note = _note_for(therapist, patient, location, visit)
    assert note.appointment == visit
    note_services.add_technique(
        actor=therapist,
        note=note,
        technique="swedish",
        region="neck",
        minutes=30,
        pressure="moderate",
    )
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.ARRIVED  # a draft documents nothing yet
    note_services.sign_note(actor=therapist, note=note)
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.FULFILLED


def test_one_appointment_is_documented_by_one_note(
    therapist: User, patient: Patient, location: Location, visit: Appointment
) -> None:
    _note_for(therapist, patient, location, visit)
    with pytest.raises(ValidationError) as refused:
        _note_for(therapist, patient, location, visit)
    assert refused.value.message_dict["appointment"] == [
        "Another treatment note already documents this appointment."
    ]


def test_another_patients_or_a_cancelled_appointment_is_refused(
    therapist: User,
    front_desk: User,
    owner: User,
    patient: Patient,
    location: Location,
    visit: Appointment,
) -> None:
    other = create_patient(
        actor=owner, given_name="Ruth", family_name="Ames", date_of_birth="1961-04-02"
    )
    with pytest.raises(ValidationError) as refused:
        note_services.start_note(
            actor=therapist, patient=other, location=location, visit_date=MONDAY, appointment=visit
        )
    assert refused.value.message_dict["appointment"] == ["This appointment is another patient's."]
    scheduling.cancel_appointment(actor=front_desk, appointment=visit, reason="Felt unwell")
    visit.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        _note_for(therapist, patient, location, visit)
    assert refused.value.message_dict["appointment"] == ["This appointment is cancelled."]
    assert not TreatmentNote.objects.filter(appointment=visit).exists()


def test_the_chart_offers_to_start_the_note_for_todays_visit(
    client_for: Callable[[User], Client], therapist: User, patient: Patient, visit: Appointment
) -> None:
    client = client_for(therapist)
    chart = client.get(f"/patients/{patient.public_id}/")
    link = f"/care/patients/{patient.public_id}/notes/new/?appointment={visit.public_id}"
    assert link in chart.content.decode()
    page = client.get(link)
    assert page.status_code == 200
    assert "signing the note marks it fulfilled" in page.content.decode()
    made = client.post(
        link,
        {
            "location": str(visit.location_id),
            "visit_date": "2026-03-02",
            "appointment": str(visit.public_id),
        },
    )
    assert made.status_code == 302
    note = TreatmentNote.objects.get(patient=patient)
    assert note.appointment == visit
    # Documented now: the chart no longer offers it.
    assert link not in client.get(f"/patients/{patient.public_id}/").content.decode()


def test_front_desk_sees_no_start_note_link_and_an_outsider_no_appointment(
    client_for: Callable[[User], Client],
    front_desk: User,
    outsider: User,
    patient: Patient,
    visit: Appointment,
) -> None:
    chart = client_for(front_desk).get(f"/patients/{patient.public_id}/").content.decode()
    assert str(visit.public_id) not in chart
    client = client_for(outsider)
    link = f"/care/patients/{patient.public_id}/notes/new/?appointment={visit.public_id}"
    assert client.get(link).status_code in (403, 404)


def test_an_unknown_appointment_id_is_not_found(
    client_for: Callable[[User], Client], therapist: User, patient: Patient, visit: Appointment
) -> None:
    client = client_for(therapist)
    base = f"/care/patients/{patient.public_id}/notes/new/"
    assert client.get(base + "?appointment=00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get(base + "?appointment=not-a-uuid").status_code == 404
