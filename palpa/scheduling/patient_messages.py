"""Messages to patients about their appointments: who can be reached how, what a message
says, and the link in it to cancel or move the appointment.

Every message says plainly what is booked, with whom, where (the location's address) and
when (in the location's time zone), and how to cancel. The channels and the consent
rules are the patient message ledger's (``palpa.patients.messages``): booking notices
(booked, moved, cancelled) are recorded and sent through it; reminders keep their own
rows (``AppointmentReminder``) and use the same rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from palpa.accounts.models import Location, User
from palpa.core import sms
from palpa.patients import messages as ledger
from palpa.patients.models import MessageKind, PatientMessage
from palpa.scheduling import hours
from palpa.scheduling.models import Appointment, AppointmentLink, OnlineBookingSettings

EMAIL = ledger.EMAIL
SMS = ledger.SMS
TOKEN_BYTES = 32
DEFAULT_CANCEL_NOTICE_HOURS = 24
SENDER_LABEL = "patient messages"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


site_url = ledger.site_url


contact = ledger.contact
channels = ledger.channels
mask = ledger.mask


def cancel_notice_hours(location: Location) -> int:
    found = (
        OnlineBookingSettings.objects.filter(location=location)
        .values_list("cancel_notice_hours", flat=True)
        .first()
    )
    return DEFAULT_CANCEL_NOTICE_HOURS if found is None else int(found)


def change_deadline(appointment: Appointment) -> dt.datetime:
    """Until when the patient may cancel or move the appointment online."""
    return appointment.start - dt.timedelta(hours=cancel_notice_hours(appointment.location))


def address_line(location: Location) -> str:
    parts = [location.address_line1, location.address_line2, location.city]
    region = " ".join(p for p in (location.region, location.postal_code) if p)
    return ", ".join([p for p in parts if p] + ([region] if region else []))


def local_text(moment: dt.datetime, location: Location) -> tuple[str, str, str]:
    """(date, time, zone abbreviation) of an instant at the location, e.g.
    ("Tuesday, March 3, 2026", "9:00 AM", "EST")."""
    local = moment.astimezone(hours.zone(location.time_zone))
    date = f"{local:%A}, {local:%B} {local.day}, {local.year}"
    hour = local.hour % 12 or 12
    time = f"{hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"
    return date, time, local.tzname() or location.time_zone


def create_link(appointment: Appointment) -> str:
    """A new link for the patient to see, cancel or move the appointment; returns the
    absolute URL (the token exists only in it; its hash is stored)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    AppointmentLink.objects.create(
        organization_id=appointment.organization_id,
        appointment=appointment,
        token_hash=token_hash(token),
        expires_at=appointment.start,
    )
    return site_url() + reverse("online:manage", args=[token])


def revoke_links(appointment: Appointment) -> int:
    return AppointmentLink.objects.filter(appointment=appointment, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def values(appointment: Appointment, manage_link: str) -> dict[str, str]:
    """The placeholders' values for one appointment (``palpa.scheduling.wording``)."""
    location = appointment.location
    patient = appointment.patient
    date, time, zone = local_text(appointment.start, location)
    until_date, until_time, _ = local_text(change_deadline(appointment), location)
    practitioner = appointment.practitioner
    return {
        "first_name": patient.preferred_name or patient.given_name,
        "clinic": location.organization.name,
        "what": appointment.appointment_type.name,
        "therapist": f"{practitioner.given_name} {practitioner.family_name}",
        "date": date,
        "time": time,
        "time_zone": zone,
        "location": location.name,
        "address": address_line(location),
        "location_phone": location.phone or "the clinic",
        "manage_link": manage_link,
        "change_until": f"{until_date} at {until_time}",
        "portal": ledger.portal_url(),
    }


@dataclass(frozen=True)
class Outgoing:
    channel: str
    to: str
    subject: str
    body: str


def deliver(message: Outgoing, *, reference: str = "") -> None:
    """Hand one message to the email backend or the SMS backend (raises on failure)."""
    if message.channel == EMAIL:
        EmailMessage(subject=message.subject, body=message.body, to=[message.to]).send()
    else:
        sms.send_sms(message.to, message.body, reference=reference)


# --- notices outside the reminder schedule (booked, moved, cancelled) -----------------

NOTICE_KINDS = {
    "booked": MessageKind.BOOKING_CONFIRMED,
    "moved": MessageKind.BOOKING_MOVED,
    "cancelled": MessageKind.BOOKING_CANCELLED,
}


def notice_message(
    appointment: Appointment,
    kind: str,
    *,
    actor: User | None = None,
    resend_of: PatientMessage | None = None,
) -> list[PatientMessage]:
    """Record and queue the notice in the patient message ledger: the channels, the
    clinic's wording and the sending are the ledger's; the link (to cancel or move) is
    made here, fresh each time."""
    message_kind = NOTICE_KINDS[kind]
    with transaction.atomic():
        link = create_link(appointment) if kind != "cancelled" else ""
        return ledger.send_message(
            actor=actor,
            patient=appointment.patient,
            kind=message_kind,
            values=values(appointment, link),
            link=link,
            about=f"appointment:{appointment.public_id}",
            resend_of=resend_of,
        )


@task()
def send_notice(appointment_id: int, kind: str) -> list[str]:
    """Tell the patient their appointment was booked, moved or cancelled, on the channels
    the ledger chooses; returns the channels queued. A booked or moved notice is sent
    only while the appointment is still booked and ahead (a stale task sends nothing).
    A Django task, run by ``palpa db_worker``."""
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice {kind!r}")
    appointment = Appointment.objects.select_related(
        "location__organization", "patient__organization", "practitioner", "appointment_type"
    ).get(pk=appointment_id)
    now = timezone.now()
    if appointment.start <= now:
        return []
    if kind != "cancelled" and appointment.status != Appointment.Status.BOOKED:
        return []
    rows = notice_message(appointment, kind)
    return [r.channel for r in rows if r.status == PatientMessage.Status.QUEUED]


def resend_notice(actor: User, message: PatientMessage) -> list[PatientMessage]:
    """Send a booked or moved notice again with a fresh link (the ledger's resend)."""
    what, public_id = ledger.parse_about(message.about)
    appointment = (
        Appointment.objects.select_related(
            "location__organization", "patient__organization", "practitioner", "appointment_type"
        )
        .filter(organization_id=message.organization_id, public_id=public_id)
        .first()
        if what == "appointment" and public_id
        else None
    )
    if appointment is None:
        raise ValidationError({"message": "The appointment of this message was not found."})
    if appointment.status != Appointment.Status.BOOKED or appointment.start <= timezone.now():
        raise ValidationError(
            {"message": "The appointment is no longer booked and ahead: nothing to confirm."}
        )
    kind = "moved" if message.kind == MessageKind.BOOKING_MOVED else "booked"
    return notice_message(appointment, kind, actor=actor, resend_of=message)
