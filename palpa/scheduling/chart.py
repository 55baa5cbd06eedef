"""The patient chart's "Appointments" section (what is coming up, in local time) and the
appointment reminders listed among the chart's messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from palpa.accounts.models import User
from palpa.patients.chart import Section
from palpa.patients.messages import mask
from palpa.patients.models import Patient
from palpa.scheduling import patient_messages, queries
from palpa.scheduling.models import Appointment, AppointmentReminder

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


def _lead(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def reminder_rows(user: User, patient: Patient, limit: int) -> Sequence[Mapping[str, Any]]:
    """The patient's appointment reminders as rows of the chart's "Messages" list: which
    appointment (local time), how, to whom (masked), when, and what became of it. They
    are sent once each by the worker, so they have no Resend."""
    rows = []
    for reminder in queries.reminders_for(user, patient=patient)[:limit]:
        date, time, zone = patient_messages.local_text(
            reminder.appointment_start, reminder.appointment.location
        )
        rows.append(
            {
                "public_id": None,
                "kind": f"Appointment reminder, {_lead(reminder.lead_minutes)} before",
                "channel": reminder.get_channel_display(),
                "to": mask(reminder.sent_to) if reminder.sent_to else "—",
                "status": reminder.status,
                "status_label": "Due"
                if reminder.status == AppointmentReminder.Status.PLANNED
                else reminder.get_status_display(),
                "attempts": 1,
                "error": reminder.note,
                "created_at": reminder.created_at,
                "sent_at": reminder.sent_at,
                "due_at": reminder.due_at,
                "next_attempt_at": None,
                "subject": "",
                "about": f"for the appointment on {date}, {time} {zone}",
                "resendable": False,
            }
        )
    return rows
