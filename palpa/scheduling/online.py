"""Patients book for themselves: the online booking page's rules and writes.

- The owner opens the page per location (``OnlineBookingSettings``): which appointment
  types, how far ahead, the minimum notice, whether new patients book, send a request,
  or are not taken online, and until when patients may cancel or move.
- A patient on file proves who they are with a one-time link or a 6-digit code sent to
  the email or phone on file (hashed, expiring, at most ``CODE_ATTEMPTS`` tries,
  rate-limited per visitor and per code, audited). The page never says whether a
  patient was found.
- A new patient gives name, date of birth, phone or email and consent; in request-only
  mode nothing is booked and staff get a request.
- A patient whose referral does not cover the chosen visit (visits left, its dates, or
  no referral in effect) is not refused with the referral's details: the choice becomes
  a request to book that staff see with the reason, and the patient reads only that the
  clinic will confirm the time.
- Staff hear of every online booking, request, cancellation and move: a notice on the
  online booking page and an email to the location's address (or the owners).
- Each confirmation carries a link to cancel or move the appointment until
  ``cancel_notice_hours`` before it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, require, roles_with, tenant_id
from palpa.audit.services import Action, record
from palpa.core import ratelimit
from palpa.core.errors import Refused
from palpa.patients.models import Consent, Patient
from palpa.patients.services import register_patient_online
from palpa.referrals.services import ReferralRefused
from palpa.scheduling import hours, patient_messages, queries, services, sms
from palpa.scheduling.models import (
    Appointment,
    AppointmentLink,
    AppointmentType,
    BookingAccessCode,
    OnlineBookingNotice,
    OnlineBookingSettings,
)
from palpa.scheduling.reminders import MOVED_BY_PATIENT

log = logging.getLogger(__name__)
PATIENT_LABEL = "patient (online booking)"
CODE_MINUTES = 15
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 3
SESSION_MINUTES = 30
CONSENT_VERSION = "online-1"
Kind = OnlineBookingNotice.Kind


class TooLate(Refused):
    code = "online_change_too_late"


class SentToStaff(Exception):
    """The patient's choice needs staff (the referral does not cover it): nothing was
    booked; ``notice`` is the request staff see."""

    def __init__(self, notice: OnlineBookingNotice) -> None:
        super().__init__("The clinic will confirm this time.")
        self.notice = notice


PATIENT_REFERRAL_TEXT = (
    "This time cannot be booked online: the clinic needs to check your referral first. "
    "Please call the clinic to book."
)


# --- settings (owner) ------------------------------------------------------------------


def settings_for(location: Location) -> OnlineBookingSettings:
    """The location's settings, or unsaved defaults (closed) when none were made."""
    found = OnlineBookingSettings.objects.filter(location=location).first()
    return found or OnlineBookingSettings(
        organization_id=location.organization_id, location=location
    )


SETTING_FIELDS = (
    "enabled",
    "days_ahead",
    "min_notice_hours",
    "cancel_notice_hours",
    "move_any_therapist",
    "start_every_minutes",
    "new_patients",
    "notify_email",
    "welcome",
)


def update_online_settings(
    *,
    actor: User,
    location: Location,
    changes: dict[str, Any],
    appointment_types: Sequence[AppointmentType],
) -> OnlineBookingSettings:
    """Owner only. Only active, online-bookable types of the organization may be chosen."""
    require(actor, Capability.SCHEDULE_CONFIGURE)
    if location.organization_id != tenant_id(actor):
        raise ValidationError({"location": "Choose one of your organization's locations."})
    unknown = sorted(set(changes) - set(SETTING_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))
    errors: dict[str, list[str]] = {}
    for kind in appointment_types:
        if kind.organization_id != location.organization_id:
            errors.setdefault("appointment_types", []).append(
                "Choose your organization's appointment types."
            )
        elif not (kind.active and kind.online_bookable):
            errors.setdefault("appointment_types", []).append(
                f"{kind.name} is not marked bookable online (or is inactive); "
                "change the appointment type first."
            )
    config = settings_for(location)
    before = {f: getattr(config, f) for f in SETTING_FIELDS}
    for name, value in changes.items():
        setattr(config, name, value)
    try:
        config.full_clean(exclude=["organization", "location", "public_id"])
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if config.enabled and not appointment_types:
        errors.setdefault("appointment_types", []).append(
            "Choose at least one appointment type before opening online booking."
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        config.save()
        config.appointment_types.set(list(appointment_types))
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=config,
            detail={
                "location": str(location.public_id),
                "from": before,
                "to": {f: getattr(config, f) for f in SETTING_FIELDS},
                "types": [t.code for t in appointment_types],
            },
        )
    return config


# --- the public page: what may be booked ----------------------------------------------


def open_booking(location_public_id: uuid.UUID | str) -> OnlineBookingSettings | None:
    """The settings of an active location whose online booking is open; None otherwise
    (unknown, closed or inactive look the same)."""
    return (
        OnlineBookingSettings.objects.select_related("location__organization")
        .filter(location__public_id=location_public_id, location__active=True, enabled=True)
        .first()
    )


def offered_types(config: OnlineBookingSettings) -> QuerySet[AppointmentType]:
    return config.appointment_types.filter(active=True, online_bookable=True).order_by(
        "kind", "duration_minutes", "name"
    )


def _min_notice(config: OnlineBookingSettings) -> dt.timedelta:
    return max(dt.timedelta(hours=config.min_notice_hours), services.ONLINE_MIN_NOTICE)


def bookable_days(
    config: OnlineBookingSettings, now: dt.datetime | None = None
) -> tuple[dt.date, dt.date]:
    """The first and last local day a patient may book."""
    moment = now or timezone.now()
    tz = hours.zone(config.location.time_zone)
    first = hours.local_day(moment + _min_notice(config), tz)
    last = hours.local_day(moment + dt.timedelta(days=config.days_ahead), tz)
    return first, last


def offered_slots(
    config: OnlineBookingSettings,
    appointment_type: AppointmentType,
    first_day: dt.date,
    *,
    days: int = 7,
    now: dt.datetime | None = None,
) -> list[queries.OpenSlot]:
    """Free slots of the type over ``days`` days from ``first_day``, inside the page's
    notice and horizon; one slot per start time and practitioner."""
    moment = now or timezone.now()
    first, last = bookable_days(config, moment)
    start_day = max(first_day, first)
    if start_day > last:
        return []
    span = min(days, (last - start_day).days + 1)
    return queries.available_slots(
        location=config.location,
        appointment_type=appointment_type,
        first_day=start_day,
        days=span,
        now=moment,
        min_notice=_min_notice(config),
        horizon=moment + dt.timedelta(days=config.days_ahead),
        step=dt.timedelta(minutes=config.start_every_minutes),
    )


def _offered_type(config: OnlineBookingSettings, type_public_id: str) -> AppointmentType:
    try:
        return offered_types(config).get(public_id=type_public_id)
    except (AppointmentType.DoesNotExist, ValidationError, ValueError) as exc:
        raise ValidationError(
            {"appointment_type": "Choose one of the appointment types on this page."}
        ) from exc


def chosen_slot(
    config: OnlineBookingSettings,
    *,
    appointment_type: str,
    practitioner: str,
    start: str,
    now: dt.datetime | None = None,
) -> queries.OpenSlot:
    """The slot the patient chose, if it is still offered (``ValidationError`` naming the
    field otherwise, or ``SlotTaken`` when someone else took it)."""
    kind = _offered_type(config, appointment_type)
    try:
        moment = dt.datetime.fromisoformat(start)
    except ValueError as exc:
        raise ValidationError({"start": "Choose a time from the list."}) from exc
    if timezone.is_naive(moment):
        raise ValidationError({"start": "Choose a time from the list."})
    tz = hours.zone(config.location.time_zone)
    day = hours.local_day(moment, tz)
    for slot in offered_slots(config, kind, day, days=1, now=now):
        if slot.start == moment and str(slot.practitioner.public_id) == practitioner:
            return slot
    raise services.SlotTaken(
        "That time is no longer free: someone may have just booked it. Please choose another."
    )


# --- proving who the patient is ------------------------------------------------------


def _code_hash(code: str, salt: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _matching_patient(
    location: Location, contact: str, born: dt.date
) -> tuple[Patient, str] | None:
    """The one active patient of the organization with this date of birth whose email or
    phone on file is ``contact``, and the channel; None if none or several."""
    text = contact.strip()
    candidates = Patient.objects.filter(
        organization_id=location.organization_id,
        status=Patient.Status.ACTIVE,
        date_of_birth=born,
    )
    if "@" in text:
        found = list(candidates.filter(email__iexact=text)[:2])
        return (found[0], patient_messages.EMAIL) if len(found) == 1 else None
    digits = _digits(text)
    if len(digits) < 7:
        return None
    found = [p for p in candidates if p.phone and _digits(p.phone)[-10:] == digits[-10:]]
    return (found[0], patient_messages.SMS) if len(found) == 1 else None


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _window() -> int:
    return _setting("PALPA_ONLINE_BOOKING_RATE_WINDOW_MINUTES", 15)


def _key(text: str) -> str:
    """A short, stable stand-in for a session key or a contact in the rate table."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def allow_request(client_address: str, visitor: str) -> bool:
    """Count one request to the public booking pages; False once over a limit.

    Each visitor (the browser's booking session) has its own budget,
    ``PALPA_ONLINE_BOOKING_RATE_LIMIT`` requests (default 60) per
    ``PALPA_ONLINE_BOOKING_RATE_WINDOW_MINUTES`` (default 15), so patients who share an
    address (the clinic's Wi-Fi, a waiting-room tablet) do not use up each other's. The
    address as a whole has a far larger ceiling, ``PALPA_ONLINE_BOOKING_ADDRESS_LIMIT``
    (default 600), which bounds a client that drops its cookie to start afresh."""
    window = _window()
    per_visitor = ratelimit.allow(
        "online_booking",
        "s:" + _key(visitor),
        limit=_setting("PALPA_ONLINE_BOOKING_RATE_LIMIT", 60),
        window_minutes=window,
    )
    per_address = ratelimit.allow(
        "online_booking_address",
        client_address,
        limit=_setting("PALPA_ONLINE_BOOKING_ADDRESS_LIMIT", 600),
        window_minutes=window,
    )
    return per_visitor and per_address


def allow_code_request(client_address: str, visitor: str, contact: str) -> bool:
    """Stricter, for asking a code to be sent: ``PALPA_ONLINE_BOOKING_CODE_LIMIT``
    (default 5) per visitor and as many per contact typed (email or phone, however
    written), with a ceiling of ten times that per address. Codes reaching one patient
    are capped on top of this (``CODES_PER_HOUR``), and each code allows
    ``CODE_ATTEMPTS`` guesses."""
    window = _window()
    limit = _setting("PALPA_ONLINE_BOOKING_CODE_LIMIT", 5)
    typed = contact.strip().casefold()
    normal = typed if "@" in typed else _digits(typed)[-10:]
    checks = [
        ratelimit.allow(
            "online_booking_code", "s:" + _key(visitor), limit=limit, window_minutes=window
        ),
        ratelimit.allow(
            "online_booking_code", "c:" + _key(normal), limit=limit, window_minutes=window
        ),
        ratelimit.allow(
            "online_booking_code_address",
            client_address,
            limit=limit * 10,
            window_minutes=window,
        ),
    ]
    return all(checks)


@dataclass(frozen=True)
class Challenge:
    """What the verify page keeps: the code row's id, or a decoy when nobody matched
    (the page cannot tell the two apart)."""

    reference: str


def request_access(
    *, config: OnlineBookingSettings, contact: str, date_of_birth: dt.date
) -> Challenge:
    """Send a one-time link and code to the patient on file who matches, by the channel
    the patient typed (email or phone). The answer is the same whether or not someone
    matched. At most ``CODES_PER_HOUR`` codes per patient per hour."""
    location = config.location
    match = _matching_patient(location, contact, date_of_birth)
    decoy = Challenge(str(uuid.uuid4()))
    if match is None:
        return decoy
    patient, channel = match
    now = timezone.now()
    recent = BookingAccessCode.objects.filter(
        patient=patient, created_at__gte=now - dt.timedelta(hours=1)
    ).count()
    if recent >= CODES_PER_HOUR:
        return decoy
    token = secrets.token_urlsafe(patient_messages.TOKEN_BYTES)
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    with transaction.atomic():
        row = BookingAccessCode.objects.create(
            organization_id=patient.organization_id,
            location=location,
            patient=patient,
            channel=channel,
            token_hash=patient_messages.token_hash(token),
            code_hash=f"{salt}${_code_hash(code, salt)}",
            expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
        )
        record(
            actor=None,
            action=Action.CREATE,
            organization=location.organization,
            obj=row,
            patient_id=str(patient.public_id),
            detail={"channel": channel, "location": str(location.public_id)},
            actor_label=PATIENT_LABEL,
        )
    link = patient_messages.site_url() + reverse("online:link", args=[token])
    clinic = location.organization.name
    if channel == patient_messages.EMAIL:
        body = (
            f"Your code to book at {clinic} ({location.name}) is {code}.\n\n"
            f"Or open this link on the same device: {link}\n\n"
            f"The code and the link work once, for {CODE_MINUTES} minutes. "
            "If you did not ask for this, ignore this message."
        )
        EmailMessage(subject=f"Your booking code: {code}", body=body, to=[patient.email]).send()
    else:
        sms.send_sms(
            patient.phone,
            f"{clinic}: your booking code is {code} (valid {CODE_MINUTES} min). Or: {link}",
            reference=f"access:{row.public_id}",
        )
    return Challenge(str(row.public_id))


def _verified(row: BookingAccessCode) -> BookingAccessCode:
    row.used_at = timezone.now()
    row.save(update_fields=["used_at", "updated_at"])
    record(
        actor=None,
        action=Action.LOGIN,
        organization=row.location.organization,
        obj=row,
        patient_id=str(row.patient.public_id),
        detail={"channel": row.channel, "location": str(row.location.public_id)},
        actor_label=PATIENT_LABEL,
    )
    return row


def verify_code(*, challenge: str, code: str, location: Location) -> BookingAccessCode | None:
    """The code row if ``code`` is right for the challenge at this location (and unused,
    unexpired, under ``CODE_ATTEMPTS`` wrong tries); None otherwise."""
    entered = _digits(code)
    try:
        uuid.UUID(challenge)
    except (ValueError, TypeError):
        return None
    with transaction.atomic():
        row = (
            BookingAccessCode.objects.select_for_update()
            .filter(
                public_id=challenge,
                location=location,
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
                failed_attempts__lt=CODE_ATTEMPTS,
            )
            .first()
        )
        if row is None:
            return None
        salt, _, expected = row.code_hash.partition("$")
        if len(entered) != 6 or not hmac.compare_digest(_code_hash(entered, salt), expected):
            row.failed_attempts += 1
            row.save(update_fields=["failed_attempts", "updated_at"])
            return None
        row = BookingAccessCode.objects.select_related("patient", "location__organization").get(
            pk=row.pk
        )
        return _verified(row)


def verify_link(token: str) -> BookingAccessCode | None:
    if not token or len(token) > 100:
        return None
    with transaction.atomic():
        row = (
            BookingAccessCode.objects.select_for_update()
            .filter(
                token_hash=patient_messages.token_hash(token),
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
        if row is None:
            return None
        row = BookingAccessCode.objects.select_related("patient", "location__organization").get(
            pk=row.pk
        )
        return _verified(row)


# --- booking --------------------------------------------------------------------------


def _notify_staff(notice: OnlineBookingNotice) -> None:
    """Email the location's notify address (or those who set up online booking, the
    ``schedule.configure`` roles) after the commit."""
    config = settings_for(notice.location)
    if config.notify_email:
        recipients = [config.notify_email]
    else:
        recipients = list(
            User.objects.filter(
                organization_id=notice.organization_id,
                role__in=roles_with(Capability.SCHEDULE_CONFIGURE),
                is_active=True,
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    if not recipients:
        return
    where = notice.location.name
    when = ""
    moment = notice.appointment.start if notice.appointment else notice.wanted_start
    if moment is not None:
        date, time, zone = patient_messages.local_text(moment, notice.location)
        when = f" for {date} at {time} ({zone})"
    subject = f"{notice.get_kind_display()} at {where}{when}"
    body = (
        f"{notice.get_kind_display()} at {where}{when}.\n\n"
        "Open Palpa's online booking page to see it and mark it handled:\n"
        f"{patient_messages.site_url()}{reverse('online:notices')}\n"
    )
    # No patient details in the email: staff read them in Palpa.
    message = EmailMessage(subject=subject, body=body, to=recipients)
    transaction.on_commit(lambda: _send_quietly(message))


def _send_quietly(message: EmailMessage) -> None:
    """Staff email is a courtesy: the notice on the page is the record, so a mail
    server that is down must not break the patient's booking."""
    try:
        message.send()
    except Exception:
        log.exception("could not email staff about an online booking")


def _notice(
    config: OnlineBookingSettings,
    kind: str,
    *,
    appointment: Appointment | None = None,
    **fields: Any,
) -> OnlineBookingNotice:
    notice = OnlineBookingNotice.objects.create(
        organization_id=config.location.organization_id,
        location=config.location,
        kind=kind,
        appointment=appointment,
        patient=appointment.patient if appointment is not None else fields.pop("patient", None),
        appointment_type=appointment.appointment_type
        if appointment
        else fields.pop("appointment_type", None),
        **fields,
    )
    _notify_staff(notice)
    return notice


def _queue_patient_notice(appointment: Appointment, kind: str) -> None:
    transaction.on_commit(lambda: patient_messages.send_notice.enqueue(appointment.pk, kind))


def book_for_patient(
    *,
    config: OnlineBookingSettings,
    patient: Patient,
    slot: queries.OpenSlot,
    appointment_type: AppointmentType,
    notes: str = "",
) -> Appointment:
    """Book the chosen slot for a patient on file (identity proven) or just registered.

    Where the patient's referral does not cover the visit, nothing is booked: staff get
    a request to book with the reason and ``SentToStaff`` is raised."""
    if patient.organization_id != config.location.organization_id:
        raise ValidationError({"patient": "This page books for this clinic's patients only."})
    try:
        with transaction.atomic():
            appointment = services.book_online_appointment(
                patient=patient,
                practitioner=slot.practitioner,
                location=config.location,
                appointment_type=appointment_type,
                start=slot.start,
                notes=notes,
            )
            _notice(config, Kind.BOOKED, appointment=appointment)
            _queue_patient_notice(appointment, "booked")
    except ReferralRefused as exc:
        raise SentToStaff(
            _request_beyond_referral(config, patient, slot, appointment_type, str(exc))
        ) from exc
    return appointment


def _request_beyond_referral(
    config: OnlineBookingSettings,
    patient: Patient,
    slot: queries.OpenSlot,
    appointment_type: AppointmentType,
    reason: str,
) -> OnlineBookingNotice:
    """A request to book that staff see (with the referral's reason, for staff only)."""
    with transaction.atomic():
        notice = _notice(
            config,
            Kind.REFERRAL,
            patient=patient,
            appointment_type=appointment_type,
            wanted_start=slot.start,
            message=reason[:500],
        )
        record(
            actor=None,
            action=Action.CREATE,
            organization=config.location.organization,
            obj=notice,
            patient_id=str(patient.public_id),
            detail={"kind": Kind.REFERRAL, "type": appointment_type.code},
            actor_label=PATIENT_LABEL,
        )
    return notice


@dataclass(frozen=True)
class NewPatient:
    given_name: str
    family_name: str
    date_of_birth: dt.date
    email: str
    phone: str
    texts_allowed: bool


def book_new_patient(
    *,
    config: OnlineBookingSettings,
    person: NewPatient,
    slot: queries.OpenSlot,
    appointment_type: AppointmentType,
    notes: str = "",
) -> Appointment:
    """Register the new patient and book, in one transaction (nothing is kept if the slot
    was just taken)."""
    if config.new_patients != OnlineBookingSettings.NewPatients.BOOK:
        raise Refused("New patients cannot book online here.")
    consents = [Consent.Kind.PRIVACY_NOTICE]
    if person.email:
        consents.append(Consent.Kind.EMAIL)
    if person.texts_allowed and person.phone:
        consents.append(Consent.Kind.SMS)
    with transaction.atomic():
        patient = register_patient_online(
            organization=config.location.organization,
            location=config.location,
            fields={
                "given_name": person.given_name,
                "family_name": person.family_name,
                "date_of_birth": person.date_of_birth,
                "email": person.email,
                "phone": person.phone,
            },
            consents=consents,
            consent_version=CONSENT_VERSION,
            label=PATIENT_LABEL,
        )
        return book_for_patient(
            config=config,
            patient=patient,
            slot=slot,
            appointment_type=appointment_type,
            notes=notes,
        )


def request_as_new_patient(
    *,
    config: OnlineBookingSettings,
    person: NewPatient,
    appointment_type: AppointmentType,
    wanted_start: dt.datetime | None,
    message: str = "",
) -> OnlineBookingNotice:
    """Request-only mode: nothing is booked; staff get the request and call back."""
    if config.new_patients != OnlineBookingSettings.NewPatients.REQUEST:
        raise Refused("This page does not take requests from new patients.")
    with transaction.atomic():
        notice = _notice(
            config,
            Kind.REQUESTED,
            appointment_type=appointment_type,
            given_name=person.given_name.strip()[:100],
            family_name=person.family_name.strip()[:100],
            date_of_birth=person.date_of_birth,
            phone=person.phone.strip()[:30],
            email=person.email.strip(),
            wanted_start=wanted_start,
            message=message.strip()[:500],
        )
        record(
            actor=None,
            action=Action.CREATE,
            organization=config.location.organization,
            obj=notice,
            detail={"kind": Kind.REQUESTED, "type": appointment_type.code},
            actor_label=PATIENT_LABEL,
        )
    return notice


# --- the patient's link: see, cancel, move --------------------------------------------


def find_link(token: str) -> AppointmentLink | None:
    """The link for a token while it works (known, not revoked, before the appointment,
    which is still booked); None otherwise, whatever the reason."""
    if not token or len(token) > 100:
        return None
    return (
        AppointmentLink.objects.select_related(
            "appointment__location__organization",
            "appointment__patient",
            "appointment__practitioner",
            "appointment__appointment_type",
        )
        .filter(
            token_hash=patient_messages.token_hash(token),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            appointment__status=Appointment.Status.BOOKED,
        )
        .first()
    )


def audit_link_opened(link: AppointmentLink) -> None:
    record(
        actor=None,
        action=Action.READ,
        organization=link.appointment.location.organization,
        obj=link.appointment,
        patient_id=str(link.appointment.patient.public_id),
        detail={"view": "appointment link"},
        actor_label=PATIENT_LABEL,
    )


def may_change(appointment: Appointment, now: dt.datetime | None = None) -> bool:
    return (now or timezone.now()) < patient_messages.change_deadline(appointment)


def too_late(appointment: Appointment) -> TooLate:
    """The refusal once online changes have closed: the clinic's notice and phone."""
    phone = appointment.location.phone or "the clinic"
    hours_before = patient_messages.cancel_notice_hours(appointment.location)
    return TooLate(
        f"Online changes close {hours_before} hours before the appointment. Please call {phone}."
    )


def cancel_by_patient(*, link: AppointmentLink, reason: str = "") -> Appointment:
    return cancel_own_appointment(appointment=link.appointment, reason=reason)


def cancel_own_appointment(*, appointment: Appointment, reason: str = "") -> Appointment:
    """The patient cancels their own appointment (from its link, or signed in to the
    portal), within the location's online cancellation notice; staff get a notice."""
    if not may_change(appointment):
        raise too_late(appointment)
    config = settings_for(appointment.location)
    text = reason.strip() or "Cancelled online by the patient"
    with transaction.atomic():
        cancelled = services.cancel_appointment(actor=None, appointment=appointment, reason=text)
        _notice(config, Kind.CANCELLED, appointment=cancelled, message=text[:500])
    return cancelled


def move_by_patient(*, link: AppointmentLink, slot: queries.OpenSlot) -> Appointment:
    """Move the link's appointment (``move_own_appointment``)."""
    return move_own_appointment(appointment=link.appointment, slot=slot)


def move_own_appointment(*, appointment: Appointment, slot: queries.OpenSlot) -> Appointment:
    """The patient moves their own appointment (from its link, or signed in to the
    portal) to another offered slot of the same type, within the location's online
    change notice: the old booking is cancelled and the new one made in one transaction
    (if the new slot was just taken, nothing changes); staff get a notice and the patient
    the "Booking moved" message."""
    old = appointment
    if not may_change(old):
        raise too_late(old)
    config = settings_for(old.location)
    date, time, _ = patient_messages.local_text(old.start, old.location)
    try:
        return _move(config, old, slot, f"Moved from {date} at {time}.")
    except ReferralRefused as exc:
        # The referral's details are for staff: the patient is asked to call.
        raise Refused(PATIENT_REFERRAL_TEXT) from exc


def _move(
    config: OnlineBookingSettings, old: Appointment, slot: queries.OpenSlot, moved: str
) -> Appointment:
    with transaction.atomic():
        services.cancel_appointment(
            actor=None,
            appointment=old,
            reason=f"{MOVED_BY_PATIENT} to {slot.start.isoformat()}",
            offer_to_waitlist=False,
        )
        new = services.book_online_appointment(
            patient=old.patient,
            practitioner=slot.practitioner,
            location=old.location,
            appointment_type=old.appointment_type,
            start=slot.start,
            notes=old.notes,
        )
        _notice(config, Kind.MOVED, appointment=new, message=moved)
        _queue_patient_notice(new, "moved")
    return new


# --- staff: the notices ---------------------------------------------------------------


def notices_for(actor: User, *, open_only: bool = True) -> QuerySet[OnlineBookingNotice]:
    if not queries.may_see_schedule(actor):
        return OnlineBookingNotice.objects.none()
    found = OnlineBookingNotice.objects.filter(organization_id=tenant_id(actor)).select_related(
        "location", "patient", "appointment__practitioner", "appointment_type"
    )
    return found.filter(handled_at__isnull=True) if open_only else found


def mark_handled(*, actor: User, notice: OnlineBookingNotice) -> OnlineBookingNotice:
    require(actor, Capability.SCHEDULE_BOOK)
    if notice.organization_id != tenant_id(actor):
        raise ValidationError({"notice": "This notice belongs to another organization."})
    with transaction.atomic():
        stored = OnlineBookingNotice.objects.select_for_update().get(pk=notice.pk)
        if stored.handled_at is not None:
            raise Refused("Someone marked this notice handled already.")
        stored.handled_at = timezone.now()
        stored.handled_by = actor
        stored.save(update_fields=["handled_at", "handled_by", "updated_at"])
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=stored,
            patient_id=str(stored.patient.public_id) if stored.patient else "",
            detail={"handled": True, "kind": stored.kind},
        )
    return stored


def audit_notices_read(*, actor: User, notices: Sequence[OnlineBookingNotice]) -> None:
    record(
        actor=actor,
        action=Action.READ,
        object_type="OnlineBookingNotice",
        detail={"notices": [str(n.public_id) for n in notices]},
    )
