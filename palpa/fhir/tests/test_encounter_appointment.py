"""Encounter.appointment points to the booked visit the treatment note documents."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from palpa.accounts.models import Location, User
from palpa.care.notes import services as note_services
from palpa.fhir.tests.conftest import on
from palpa.fhir.tests.support import body, validated
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services as scheduling
from palpa.scheduling.tests.support import at, make_type, weekday_hours
from palpa.screening.services import record_screening

DAY = dt.date(2026, 6, 15)


def test_a_documented_visits_encounter_names_its_appointment(
    fhir: Client,
    owner: User,
    therapist: User,
    front_desk: User,
    practitioner: Practitioner,
    patient: Patient,
    location: Location,
) -> None:
    with on(dt.datetime(2026, 6, 15, 18, 0, tzinfo=dt.UTC)):  # Monday, 14:00 in Tampa
        record_screening(actor=owner, patient=patient, facts={})
        weekday_hours(owner, practitioner, location)
        visit = scheduling.book_appointment(
            actor=front_desk,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=make_type(owner, "treatment-45", "treatment", 45, needs_room=False),
            start=at(DAY, "09:00"),
        )
        note = note_services.start_note(
            actor=therapist, patient=patient, location=location, visit_date=DAY, appointment=visit
        )
        note_services.add_technique(
            actor=therapist,
            note=note,
            technique="swedish",
            region="neck",
            minutes=30,
            pressure="light",
        )
        note_services.sign_note(actor=therapist, note=note)

    encounter = validated(body(fhir.get(f"/fhir/R4/Encounter/{note.public_id}")))
    assert encounter["appointment"] == [{"reference": f"Appointment/{visit.public_id}"}]
    appointment = validated(body(fhir.get(f"/fhir/R4/Appointment/{visit.public_id}")))
    assert appointment["status"] == "fulfilled"
