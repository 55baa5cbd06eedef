"""The patient chart's "Appointments" section: what is coming up, in local time."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from palpa.accounts.models import User
from palpa.patients.chart import Section
from palpa.patients.models import Patient
from palpa.scheduling import patient_messages, queries
from palpa.scheduling.models import Appointment

UPCOMING = 10


def upcoming(user: User, patient: Patient) -> Mapping[str, object] | None:
    """The patient's next appointments (booked, or arrived and not yet over), soonest
    first, each in its location's time zone; None for roles that do not see the
    schedule."""
    if not queries.may_see_schedule(user):
        return None
    found = (
        queries.appointments_for(
            user,
            patient=patient,
            start=timezone.now(),
            statuses=[Appointment.Status.BOOKED, Appointment.Status.ARRIVED],
        )
        .select_related(None)
        .select_related("practitioner", "room", "appointment_type", "location")[: UPCOMING + 1]
    )
    rows = []
    for appointment in found:
        date, time, zone = patient_messages.local_text(appointment.start, appointment.location)
        rows.append(
            {
                "url": reverse("scheduling:appointment", args=[appointment.public_id]),
                "when": f"{date}, {time} {zone}",
                "what": appointment.appointment_type.name,
                "who": appointment.practitioner.display_name,
                "where": appointment.location.name
                + (f" / {appointment.room.name}" if appointment.room else ""),
                "status": appointment.get_status_display(),
            }
        )
    book_url = ""
    if queries.may_book(user) and patient.status == Patient.Status.ACTIVE:
        book_url = reverse("scheduling:book") + "?" + urlencode({"patient_id": patient.public_id})
    return {"rows": rows[:UPCOMING], "more": len(rows) > UPCOMING, "book_url": book_url}


SECTION = Section(
    name="appointments",
    order=10,
    template="scheduling/_chart_appointments.html",
    context=upcoming,
)
