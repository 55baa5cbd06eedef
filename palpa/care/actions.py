"""Care's action on an appointment's page: start the visit's treatment note, or open the
one already started."""

from __future__ import annotations

import zoneinfo
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability
from palpa.care import queries
from palpa.care.models import TreatmentNote
from palpa.scheduling.actions import Link
from palpa.scheduling.models import Appointment

DOCUMENTABLE = (Appointment.Status.BOOKED, Appointment.Status.ARRIVED, Appointment.Status.FULFILLED)


def note_for_appointment(user: User, appointment: Appointment) -> Link | None:
    """ "Open note" when the visit has a note the member may read; "Start note" for a
    booked or arrived visit when the member writes notes; nothing otherwise."""
    if appointment.status not in DOCUMENTABLE:
        return None
    note = (
        queries.notes_for(user)
        .filter(appointment=appointment)
        .exclude(status=TreatmentNote.Status.ENTERED_IN_ERROR)
        .order_by("-created_at")
        .first()
    )
    if note is not None:
        label = "Open note" if note.status == TreatmentNote.Status.SIGNED else "Continue note"
        return Link(label, reverse("care:note", args=[note.public_id]))
    if appointment.status == Appointment.Status.FULFILLED:
        return None
    if not has_capability(user, Capability.CLINICAL_AUTHOR):
        return None
    zone = zoneinfo.ZoneInfo(appointment.location.time_zone)
    if appointment.start.astimezone(zone).date() > timezone.localtime(timezone=zone).date():
        return None  # a note is written for a visit that has taken place (or is under way)
    query = urlencode({"appointment": appointment.public_id})
    return Link(
        "Start note", reverse("care:note_new", args=[appointment.patient.public_id]) + "?" + query
    )
