"""Messages to patients about their appointments: who can be reached how, what a message
says, and the link in it to cancel or move the appointment.

Every message says plainly what is booked, with whom, where (the location's address) and
when (in the location's time zone), and how to cancel. Channels:

- email, to the patient's address on file, unless their latest "contact by email"
  consent is withdrawn;
- text message (SMS), to the phone on file, only when their latest "contact by text
  message" consent is granted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from palpa.accounts.models import Location
from palpa.audit.services import Action, record
from palpa.patients.models import Consent, Patient
from palpa.scheduling import hours, sms, wording
from palpa.scheduling.models import Appointment, AppointmentLink, OnlineBookingSettings

EMAIL = "email"
SMS = "sms"
TOKEN_BYTES = 32
DEFAULT_CANCEL_NOTICE_HOURS = 24
SENDER_LABEL = "patient messages"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def site_url() -> str:
    """The absolute address patients' links start with (``PALPA_SITE_URL``)."""
    return str(getattr(settings, "PALPA_SITE_URL", "") or "http://localhost:8000").rstrip("/")


def _latest_consent(patient: Patient, kind: str) -> bool | None:
    row = (
        Consent.objects.filter(patient=patient, kind=kind)
        .order_by("-given_on", "-created_at", "-pk")
        .values_list("granted", flat=True)
        .first()
    )
    return row


def contact(patient: Patient, channel: str) -> str:
    """The address or number a message on ``channel`` goes to; empty when the patient
    cannot be reached that way."""
    if channel == EMAIL:
        if not patient.email or _latest_consent(patient, Consent.Kind.EMAIL) is False:
            return ""
        return patient.email
    if channel == SMS:
        if not patient.phone or _latest_consent(patient, Consent.Kind.SMS) is not True:
            return ""
        try:
            return sms.normalize_number(patient.phone)
        except ValueError:
            return ""
    raise ValueError(f"unknown channel {channel!r}")


def channels(patient: Patient) -> list[str]:
    return [c for c in (EMAIL, SMS) if contact(patient, c)]


def mask(address: str) -> str:
    """An address shown back to the patient without giving it away: r***@example.com,
    ***-0101."""
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    digits = "".join(ch for ch in address if ch.isdigit())
    return f"***-{digits[-4:]}" if len(digits) >= 4 else "***"


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

NOTICE_SUBJECTS = {
    "booked": "Booked: {what} on {date} at {time}",
    "moved": "Moved: your {what} is now on {date} at {time}",
    "cancelled": "Cancelled: {what} on {date} at {time}",
}
NOTICE_EMAIL = {
    "booked": wording.DEFAULT_EMAIL_BODY.replace(
        "This is a reminder of your appointment at {clinic}.",
        "Your appointment at {clinic} is booked.",
    ),
    "moved": wording.DEFAULT_EMAIL_BODY.replace(
        "This is a reminder of your appointment at {clinic}.",
        "Your appointment at {clinic} has been moved. The new time is:",
    ),
    "cancelled": """Hello {first_name},

Your appointment at {clinic} is cancelled:

What:  {what} with {therapist}
When:  {date} at {time} ({time_zone})
Where: {location}, {address}

Nothing more to do. To book again, call us at {location_phone}.

{clinic}
""",
}
NOTICE_SMS = {
    "booked": "{clinic}: booked {what} on {date} at {time} ({time_zone}), {location}, "
    "{address}. To cancel or change: {manage_link}",
    "moved": "{clinic}: your {what} is MOVED to {date} at {time} ({time_zone}), {location}, "
    "{address}. To cancel or change: {manage_link}",
    "cancelled": "{clinic}: your {what} on {date} at {time} ({time_zone}) is cancelled. "
    "To book again call {location_phone}.",
}


@task()
def send_notice(appointment_id: int, kind: str) -> list[str]:
    """Tell the patient their appointment was booked, moved or cancelled, on every channel
    they can be reached by; returns the channels used. A booked or moved notice is sent
    only while the appointment is still booked and ahead (a stale task sends nothing).
    A Django task, run by ``palpa db_worker``."""
    if kind not in NOTICE_SUBJECTS:
        raise ValueError(f"unknown notice {kind!r}")
    appointment = Appointment.objects.select_related(
        "location__organization", "patient", "practitioner", "appointment_type"
    ).get(pk=appointment_id)
    now = timezone.now()
    if appointment.start <= now:
        return []
    if kind != "cancelled" and appointment.status != Appointment.Status.BOOKED:
        return []
    used: list[str] = []
    for channel in channels(appointment.patient):
        with transaction.atomic():
            link = create_link(appointment) if kind != "cancelled" else ""
        filled = values(appointment, link)
        body_text = NOTICE_EMAIL[kind] if channel == EMAIL else NOTICE_SMS[kind]
        deliver(
            Outgoing(
                channel=channel,
                to=contact(appointment.patient, channel),
                subject=wording.render(NOTICE_SUBJECTS[kind], filled),
                body=wording.render(body_text, filled),
            ),
            reference=f"{kind}:{appointment.public_id}",
        )
        used.append(channel)
    if used:
        record(
            actor=None,
            action=Action.EXPORT,
            organization=appointment.location.organization,
            obj=appointment,
            patient_id=str(appointment.patient.public_id),
            detail={"message": kind, "channels": used},
            actor_label=SENDER_LABEL,
        )
    return used
