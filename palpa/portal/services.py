"""The patient portal's writes, and the audit of every read.

- **Sign-in.** The patient types their email or mobile number. When it is on file for
  exactly one active patient (in any organization), a 6-digit code is sent to it through
  the patient message ledger (``palpa.patients.messages``: by the channel typed, only when
  the patient's contact consent allows it). The answer is the same whether or not anyone
  matched. The code is kept only as an HMAC with its own salt, works once, for
  ``CODE_MINUTES`` minutes and ``CODE_ATTEMPTS`` wrong tries; asking for codes is limited
  per contact typed and per address (``allow_code_request``), and at most
  ``CODES_PER_HOUR`` codes reach one patient in an hour.
- **The patient is the actor.** Every read and write is audited with no staff account,
  labelled ``PATIENT_LABEL``, in the patient's organization and naming the patient.
- **A parent or guardian acts for a minor.** A contact that staff recorded for a
  patient's guardian (``patients.Guardian``) signs in like a patient's own; it reaches
  every patient it is a guardian of who is under 18 today in the clinic's zone (or for
  whom the guardian is the legal representative), plus the patient whose own contact it
  is, all in one organization (``people_for``). While a guardian acts for a patient
  (``acting_as``) every audit entry is labelled with the guardian (``actor_label``) and
  names the patient.
- **Book and move within the clinic's rules.** The portal books and moves through the
  online booking's service (``scheduling.online``): the same appointment types, slots,
  notice, referral, screening and license checks, staff notices and patient messages.
  A visit the referral does not cover becomes the online booking's request to book
  that staff see; the patient reads only that the clinic will confirm the time. Every
  refusal the patient reads is in their words (``NotBooked``), never staff text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from palpa.audit.services import Action, record
from palpa.billing import documents
from palpa.billing.models import Charge, LedgerEntry
from palpa.care.models import HomeCareItem, Plan
from palpa.care.queries import home_care_in_effect
from palpa.core import ratelimit
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.outcomes import services as outcomes
from palpa.outcomes.models import InstrumentLink
from palpa.patients import messages as ledger
from palpa.patients.models import Guardian, MessageKind, Patient, phone_digits
from palpa.patients.services import guardian_may_act, withdraw_consent_by_patient
from palpa.portal.models import HomeCareLog, PortalCode
from palpa.reports import services as report_services
from palpa.reports.models import Report
from palpa.scheduling import online, queries
from palpa.scheduling.models import Appointment, AppointmentType, OnlineBookingSettings
from palpa.scheduling.services import ScreeningStop, SlotTaken
from palpa.screening import services as screening
from palpa.screening.models import IntakeLink

PATIENT_LABEL = "patient (portal)"
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 3
EMAIL = ledger.EMAIL
SMS = ledger.SMS


# --- sign-in ----------------------------------------------------------------------------


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def normal_contact(text: str) -> tuple[str, str]:
    """(channel, the contact as compared): an email lower-cased, a phone's last ten
    digits; ("", "") when it is neither."""
    typed = text.strip()
    if "@" in typed:
        return EMAIL, typed.casefold()
    digits = phone_digits(typed)
    if len(digits) < 7:
        return "", ""
    return SMS, digits


def check_contact(text: str) -> str:
    """The channel of what the patient typed, or a ValidationError naming the field."""
    channel, normal = normal_contact(text)
    if not channel or len(text.strip()) > 254:
        raise ValidationError(
            {"contact": "Enter the email address or mobile number the clinic has on file."}
        )
    if channel == EMAIL and ("." not in normal.rpartition("@")[2] or normal.startswith("@")):
        raise ValidationError({"contact": "Enter a whole email address, e.g. name@example.com."})
    return channel


@dataclass(frozen=True)
class Person:
    """Someone a signed-in contact may act for: the patient themself (``guardian`` None)
    or a patient through the guardian whose contact it is."""

    patient: Patient
    guardian: Guardian | None = None


def _matches(channel: str, normal: str, field: str) -> Q:
    if channel == EMAIL:
        return Q(**{f"{field}email__iexact": normal})
    return Q(**{f"{field}phone_digits": normal})


def people_for(channel: str, normal: str) -> list[Person]:
    """Everyone the contact (normalized, by channel) may act for, in one organization:
    the one active patient whose own email or phone it is (not when it is the contact of
    one of that patient's guardians: then it is the guardian's), and each patient it is
    an active guardian of who is a minor today (or whom it legally represents). Empty when
    nobody matches, when more than one patient has it as their own, or when the people
    are in more than one organization."""
    if channel not in (EMAIL, SMS) or not normal:
        return []
    guardians = [
        g
        for g in Guardian.objects.filter(_matches(channel, normal, ""))
        .select_related("patient__organization", "patient__primary_location")
        .order_by("patient__given_name", "patient__family_name", "pk")
        if guardian_may_act(g, g.patient)
    ]
    guardian_of = set(
        Guardian.objects.filter(_matches(channel, normal, "")).values_list("patient_id", flat=True)
    )
    own = [
        p
        for p in Patient.objects.filter(_matches(channel, normal, ""), status=Patient.Status.ACTIVE)
        .select_related("organization", "primary_location")
        .order_by("pk")[:3]
        if p.pk not in guardian_of
    ]
    if len(own) > 1:
        return []
    people = [Person(p) for p in own]
    seen = {p.pk for p in own}
    for g in guardians:
        if g.patient_id not in seen:
            seen.add(g.patient_id)
            people.append(Person(g.patient, g))
    if len({person.patient.organization_id for person in people}) > 1:
        return []
    return people


def matching_patient(text: str) -> tuple[Patient, str] | None:
    """The one active patient whose own email or phone on file is what was typed (in any
    organization, and acting for nobody else), and the channel; None otherwise."""
    channel, normal = normal_contact(text)
    people = people_for(channel, normal)
    if len(people) == 1 and people[0].guardian is None:
        return people[0].patient, channel
    return None


# --- who acts ---------------------------------------------------------------------------

_acting: ContextVar[Guardian | None] = ContextVar("palpa_portal_guardian", default=None)


@contextmanager
def acting_as(guardian: Guardian | None) -> Iterator[None]:
    """Within: the portal's audit entries name ``guardian`` as the one acting (None: the
    patient themself)."""
    token = _acting.set(guardian)
    try:
        yield
    finally:
        _acting.reset(token)


def acting_guardian() -> Guardian | None:
    """The guardian acting now (None: the patient themself)."""
    return _acting.get()


def guardian_label(guardian: Guardian) -> str:
    return f"{guardian.name} ({guardian.relationship}, portal, acting for the patient)"[:200]


def actor_label() -> str:
    """The audit label of whoever acts in the portal now."""
    guardian = _acting.get()
    return PATIENT_LABEL if guardian is None else guardian_label(guardian)


def _who() -> dict[str, str]:
    guardian = _acting.get()
    return {} if guardian is None else {"guardian": str(guardian.public_id)}


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def allow_code_request(client_address: str, contact: str) -> bool:
    """Count one request for a code: ``PALPA_PORTAL_CODE_LIMIT`` (default 5) per contact
    typed (however written) and ten times that per address, per
    ``PALPA_PORTAL_RATE_WINDOW_MINUTES`` (default 15)."""
    window = _setting("PALPA_PORTAL_RATE_WINDOW_MINUTES", 15)
    limit = _setting("PALPA_PORTAL_CODE_LIMIT", 5)
    _, normal = normal_contact(contact)
    checks = [
        ratelimit.allow(
            "portal_code", "c:" + _key(normal or contact), limit=limit, window_minutes=window
        ),
        ratelimit.allow(
            "portal_code_address", client_address, limit=limit * 10, window_minutes=window
        ),
    ]
    return all(checks)


def allow_page(client_address: str, visitor: str) -> bool:
    """Count one request to the sign-in pages (entering codes included):
    ``PALPA_PORTAL_RATE_LIMIT`` (default 60) per browser session, ten times that per
    address."""
    window = _setting("PALPA_PORTAL_RATE_WINDOW_MINUTES", 15)
    limit = _setting("PALPA_PORTAL_RATE_LIMIT", 60)
    checks = [
        ratelimit.allow("portal", "s:" + _key(visitor), limit=limit, window_minutes=window),
        ratelimit.allow("portal_address", client_address, limit=limit * 10, window_minutes=window),
    ]
    return all(checks)


def _code_hash(code: str, salt: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"portal:{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def request_code(*, contact: str) -> str:
    """Send a sign-in code to the patient on file who matches ``contact`` by the channel
    typed; the reference the code page keeps (a decoy when nobody matched, or the patient
    had too many codes this hour: the page cannot tell)."""
    decoy = str(uuid.uuid4())
    channel, normal = normal_contact(contact)
    people = people_for(channel, normal)
    if not people:
        return decoy
    patient, guardian = people[0].patient, people[0].guardian
    if people[0].guardian is None and len(people) > 1:
        guardian = people[1].guardian  # the patient's contact is also a guardian's
    now = timezone.now()
    recent = PortalCode.objects.filter(
        patient=patient, created_at__gte=now - dt.timedelta(hours=1)
    ).count()
    if recent >= CODES_PER_HOUR:
        return decoy
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    with transaction.atomic():
        row = PortalCode.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            guardian=guardian,
            channel=channel,
            code_hash=f"{salt}${_code_hash(code, salt)}",
            expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
        )
        to: dict[str, str] = {}
        if people[0].guardian is not None:  # the contact is the guardian's alone
            assert guardian is not None
            to = {
                "to": guardian.email if channel == EMAIL else guardian.phone,
                "first_name": guardian.name.split()[0],
            }
        ledger.send_message(
            actor=None,
            patient=patient,
            kind=MessageKind.PORTAL_CODE,
            values={"minutes": str(CODE_MINUTES)}
            | ({"first_name": to["first_name"]} if to else {}),
            link=code,
            about=f"portal_code:{row.public_id}",
            only_channel=channel,
            actor_label=PATIENT_LABEL if guardian is None else guardian_label(guardian),
            to=to.get("to", ""),
        )
    return str(row.public_id)


def verify_code(*, reference: str, code: str) -> list[Person]:
    """Everyone the signed-in contact may act for (``people_for``, in the code's
    organization), when ``code`` is right for the reference (unused, unexpired, under
    ``CODE_ATTEMPTS`` wrong tries); empty otherwise. A right code is used up and the
    sign-in audited; a wrong one counts against the code."""
    entered = "".join(ch for ch in code if ch.isascii() and ch.isdigit())
    try:
        uuid.UUID(reference)
    except (ValueError, TypeError):
        return []
    with transaction.atomic():
        row = (
            PortalCode.objects.select_for_update()
            .filter(
                public_id=reference,
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
                failed_attempts__lt=CODE_ATTEMPTS,
            )
            .first()
        )
        if row is None:
            return []
        salt, _, expected = row.code_hash.partition("$")
        if len(entered) != 6 or not hmac.compare_digest(_code_hash(entered, salt), expected):
            row.failed_attempts += 1
            row.save(update_fields=["failed_attempts", "updated_at"])
            return []
        row.used_at = timezone.now()
        row.save(update_fields=["used_at", "updated_at"])
        people = _people_of_code(row)
        for person in people:
            record(
                actor=None,
                action=Action.LOGIN,
                organization=person.patient.organization,
                obj=row,
                patient_id=str(person.patient.public_id),
                detail={"portal": "sign-in", "channel": row.channel}
                | ({"guardian": str(person.guardian.public_id)} if person.guardian else {}),
                actor_label=(
                    PATIENT_LABEL if person.guardian is None else guardian_label(person.guardian)
                ),
            )
    return people


def _people_of_code(row: PortalCode) -> list[Person]:
    """Who the code's contact may act for now, in the code's organization."""
    if row.guardian_id is None:
        patient = Patient.objects.select_related("organization", "primary_location").get(
            pk=row.patient_id
        )
        if patient.status != Patient.Status.ACTIVE:
            return []
        return [Person(patient)]
    guardian = Guardian.objects.get(pk=row.guardian_id)
    normal = guardian.email.casefold() if row.channel == EMAIL else guardian.phone_digits
    return [
        p
        for p in people_for(row.channel, normal)
        if p.patient.organization_id == row.organization_id
    ]


def audit_sign_out(patient: Patient) -> None:
    record(
        actor=None,
        action=Action.LOGOUT,
        organization=patient.organization,
        object_type="portal",
        patient_id=str(patient.public_id),
        detail={"portal": "sign-out", **_who()},
        actor_label=actor_label(),
    )


def audit_read(patient: Patient, what: str, **detail: str) -> None:
    """One read of the patient's own record through the portal (a page, a document)."""
    record(
        actor=None,
        action=Action.READ,
        organization=patient.organization,
        object_type="portal",
        object_id=what,
        patient_id=str(patient.public_id),
        detail={"portal": what, **_who(), **detail},
        actor_label=actor_label(),
    )


def audit_export(patient: Patient, obj: object, document: str, **detail: str) -> None:
    """A document the patient downloaded."""
    record(
        actor=None,
        action=Action.EXPORT,
        organization=patient.organization,
        obj=obj,
        patient_id=str(patient.public_id),
        detail={"portal": "download", "document": document, **_who(), **detail},
        actor_label=actor_label(),
    )


# --- appointments -----------------------------------------------------------------------


def cancel_appointment(*, patient: Patient, appointment: Appointment, reason: str) -> Appointment:
    """The patient cancels their own booked appointment, within the clinic's online
    cancellation notice (scheduling's rules: ``online.cancel_own_appointment``)."""
    if appointment.patient_id != patient.pk:
        raise Appointment.DoesNotExist
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError({"appointment": "Only a booked appointment can be cancelled."})
    text = reason.strip()
    if len(text) > 300:
        raise ValidationError({"reason": "Keep the reason to 300 characters."})
    guardian = _acting.get()
    by = "the patient" if guardian is None else f"{guardian.name} ({guardian.relationship})"
    return online.cancel_own_appointment(
        appointment=appointment, reason=text or f"Cancelled by {by} in the portal"
    )


# --- forms to fill ----------------------------------------------------------------------


class FormNotFound(Exception):
    """No form the patient may fill has this id (another's, filled in, expired, revoked)."""


def allow_form(patient: Patient, client_address: str) -> bool:
    """Count one "Fill in now": ``PALPA_PORTAL_FORM_LIMIT`` (default 10) per patient and
    ten times that per address, per ``PALPA_PORTAL_RATE_WINDOW_MINUTES`` (default 15)."""
    window = _setting("PALPA_PORTAL_RATE_WINDOW_MINUTES", 15)
    limit = _setting("PALPA_PORTAL_FORM_LIMIT", 10)
    checks = [
        ratelimit.allow(
            "portal_form", "p:" + str(patient.public_id), limit=limit, window_minutes=window
        ),
        ratelimit.allow(
            "portal_form_address", client_address, limit=limit * 10, window_minutes=window
        ),
    ]
    return all(checks)


def open_form(*, patient: Patient, public_id: uuid.UUID | str) -> str:
    """The patient opens one of their forms to fill (``queries.open_forms``) from the
    portal: screening or outcomes issues a fresh one-time link for the same form, the one
    the clinic sent stops working, and the new link's page is returned (its address holds
    the token: the browser goes there at once). Audited by the issuing service, with the
    patient (or the guardian acting) as the actor. Raises ``FormNotFound`` unless the id
    names an open form of this patient."""
    who = {"portal": "fill in now", **_who()}
    try:
        _intake, token = screening.reissue_intake_link(
            actor_label=actor_label(), patient=patient, public_id=public_id, detail=who
        )
    except IntakeLink.DoesNotExist:
        pass
    else:
        return reverse("intake:form", args=[token])
    try:
        _link, token = outcomes.reissue_instrument_link(
            actor_label=actor_label(), patient=patient, public_id=public_id, detail=who
        )
    except InstrumentLink.DoesNotExist as exc:
        raise FormNotFound from exc
    return reverse("instrument_link:form", args=[token])


def allow_booking(patient: Patient, *, write: bool) -> bool:
    """Count one request to the booking pages of the patient (booking, changing a
    time): ``PALPA_PORTAL_RATE_LIMIT`` (default 60) per patient and, for a booking or a
    change sent, ``PALPA_PORTAL_BOOKING_LIMIT`` (default 10) more, per
    ``PALPA_PORTAL_RATE_WINDOW_MINUTES`` (default 15)."""
    window = _setting("PALPA_PORTAL_RATE_WINDOW_MINUTES", 15)
    key = "p:" + str(patient.public_id)
    checks = [
        ratelimit.allow(
            "portal_booking",
            key,
            limit=_setting("PALPA_PORTAL_RATE_LIMIT", 60),
            window_minutes=window,
        )
    ]
    if write:
        checks.append(
            ratelimit.allow(
                "portal_booking_write",
                key,
                limit=_setting("PALPA_PORTAL_BOOKING_LIMIT", 10),
                window_minutes=window,
            )
        )
    return all(checks)


class NotBooked(Refused):
    """Nothing was booked or moved; the message is the patient's to read."""

    code = "portal_not_booked"


def _phone(config: OnlineBookingSettings) -> str:
    return config.location.phone or "the clinic"


def _patient_words(exc: Exception, config: OnlineBookingSettings) -> NotBooked:
    """A booking rule's refusal in the patient's words (staff text never reaches them)."""
    if isinstance(exc, online.TooLate):
        return NotBooked(str(exc))
    if isinstance(exc, SlotTaken):
        return NotBooked(
            "That time is no longer free: someone may have just booked it. Please choose another."
        )
    if isinstance(exc, ScreeningStop):
        return NotBooked(
            "This visit cannot be booked online: the clinic needs to talk with you about "
            f"your health first. Please call {_phone(config)}."
        )
    if isinstance(exc, Refused) and str(exc) == online.PATIENT_REFERRAL_TEXT:
        return NotBooked(str(exc))
    return NotBooked(
        f"This time cannot be booked online. Please choose another time or call {_phone(config)}."
    )


def booking_config(patient: Patient) -> OnlineBookingSettings | None:
    """The online booking of the patient's clinic (their location), while it is open."""
    location = patient.primary_location
    if location is None or location.organization_id != patient.organization_id:
        return None
    return online.open_booking(location.public_id)


def chosen_slot(
    config: OnlineBookingSettings,
    *,
    appointment_type: AppointmentType,
    practitioner: str,
    start: str,
) -> queries.OpenSlot:
    """The slot chosen, while the online booking still offers it (``NotBooked`` in the
    patient's words otherwise)."""
    try:
        return online.chosen_slot(
            config,
            appointment_type=str(appointment_type.public_id),
            practitioner=practitioner,
            start=start,
        )
    except (ValidationError, Refused) as exc:
        if isinstance(exc, ValidationError):
            raise NotBooked("Choose a time from the list.") from exc
        raise _patient_words(exc, config) from exc


@dataclass(frozen=True)
class Booked:
    """What came of a booking: the appointment, or (``requested``) the request to book
    that staff see, when the referral does not cover the visit."""

    appointment: Appointment | None
    requested: bool = False


def book_appointment(
    *,
    patient: Patient,
    config: OnlineBookingSettings,
    appointment_type: AppointmentType,
    slot: queries.OpenSlot,
) -> Booked:
    """The signed-in patient books an offered slot for themself (or a guardian for
    them), through the online booking (``online.book_for_patient``): the confirmation
    goes out and staff are told. Beyond the referral, nothing is booked and staff get
    the request to book. Audited with the patient (or the guardian) acting."""
    if config.location.organization_id != patient.organization_id:
        raise Appointment.DoesNotExist
    if not online.offered_types(config).filter(pk=appointment_type.pk).exists():
        raise NotBooked("Choose one of the appointment types listed.")
    try:
        with transaction.atomic():
            try:
                appointment: Appointment | None = online.book_for_patient(
                    config=config, patient=patient, slot=slot, appointment_type=appointment_type
                )
            except online.SentToStaff as sent:
                appointment = None
                obj: object = sent.notice
            else:
                obj = appointment
            record(
                actor=None,
                action=Action.CREATE,
                organization=patient.organization,
                obj=obj,
                patient_id=str(patient.public_id),
                detail={
                    "portal": "book" if appointment is not None else "request to book",
                    "type": appointment_type.code,
                    "start": slot.start.isoformat(),
                    **_who(),
                },
                actor_label=actor_label(),
            )
    except (Refused, ValidationError) as exc:
        raise _patient_words(exc, config) from exc
    return Booked(appointment, requested=appointment is None)


def move_slots(
    config: OnlineBookingSettings, appointment: Appointment, first_day: dt.date, days: int
) -> list[queries.OpenSlot]:
    """The times the appointment may move to: the online booking's free slots of its
    type, with its therapist (with any therapist, when the clinic allows it)."""
    if not online.offered_types(config).filter(pk=appointment.appointment_type_id).exists():
        return []
    return [
        slot
        for slot in online.offered_slots(config, appointment.appointment_type, first_day, days=days)
        if may_move_to(config, appointment, slot)
    ]


def may_move_to(
    config: OnlineBookingSettings, appointment: Appointment, slot: queries.OpenSlot
) -> bool:
    """The slot's therapist is the appointment's, or the clinic lets patients choose
    another (``move_any_therapist``)."""
    return config.move_any_therapist or slot.practitioner.pk == appointment.practitioner_id


def movable(appointment: Appointment) -> bool:
    """Booked, still ahead and inside the clinic's online change notice."""
    return (
        appointment.status == Appointment.Status.BOOKED
        and appointment.start > timezone.now()
        and online.may_change(appointment)
    )


def move_appointment(
    *, patient: Patient, appointment: Appointment, slot: queries.OpenSlot
) -> Appointment:
    """The patient moves their own booked appointment to another time of its type with
    its therapist, until the clinic's online change notice (the rule of the change link:
    ``online.move_own_appointment``); the "Booking moved" message goes out. Audited with
    the patient (or the guardian) acting."""
    if appointment.patient_id != patient.pk:
        raise Appointment.DoesNotExist
    config = online.settings_for(appointment.location)
    if appointment.status != Appointment.Status.BOOKED:
        raise NotBooked("Only a booked appointment can be moved.")
    if not may_move_to(config, appointment, slot):
        raise NotBooked("Choose a time from the list.")
    try:
        with transaction.atomic():
            moved = online.move_own_appointment(appointment=appointment, slot=slot)
            record(
                actor=None,
                action=Action.UPDATE,
                organization=patient.organization,
                obj=moved,
                patient_id=str(patient.public_id),
                detail={
                    "portal": "move",
                    "from": appointment.start.isoformat(),
                    "to": moved.start.isoformat(),
                    "moved_from": str(appointment.public_id),
                    **_who(),
                },
                actor_label=actor_label(),
            )
    except (Refused, ValidationError) as exc:
        raise _patient_words(exc, config) from exc
    return moved


# --- home care --------------------------------------------------------------------------


def home_care_items(patient: Patient) -> list[HomeCareItem]:
    """The home-care program of the patient's signed plans of care in effect."""
    return home_care_in_effect(patient)


def home_care_picture(*, patient: Patient, item: HomeCareItem) -> tuple[bytes, str]:
    """The picture of an item of the patient's own program, read through the portal
    (audited with the patient, or the guardian acting, as the reader)."""
    if item.organization_id != patient.organization_id or item.plan.patient_id != patient.pk:
        raise HomeCareItem.DoesNotExist
    with item.picture.open("rb") as f:
        content = f.read()
    audit_read(patient, "home-care-picture", item=str(item.public_id))
    return content, item.picture_content_type


def set_home_care_done(*, patient: Patient, item: HomeCareItem, done: bool) -> HomeCareLog:
    """The patient ticks (or unticks) one item of their program as done today (today in
    their clinic's zone); audited."""
    if item.organization_id != patient.organization_id or item.plan.patient_id != patient.pk:
        raise HomeCareItem.DoesNotExist
    if item.plan.status != Plan.Status.ACTIVE:
        raise ValidationError({"item": "This program is no longer in effect."})
    today = local_today(patient.time_zone)
    with transaction.atomic():
        log = HomeCareLog.objects.select_for_update().filter(item=item, day=today).first()
        created = log is None
        if log is None:
            try:
                with transaction.atomic():
                    log = HomeCareLog.objects.create(
                        organization_id=patient.organization_id,
                        patient=patient,
                        item=item,
                        day=today,
                        done=done,
                    )
            except IntegrityError:  # ticked twice at once: the other tick made the row
                log = HomeCareLog.objects.select_for_update().get(item=item, day=today)
                created = False
        if not created and log.done != done:
            log.done = done
            log.save(update_fields=["done", "updated_at"])
        record(
            actor=None,
            action=Action.CREATE if created else Action.UPDATE,
            organization=patient.organization,
            obj=log,
            patient_id=str(patient.public_id),
            detail={
                "home_care": str(item.public_id),
                "day": today.isoformat(),
                "done": done,
                **_who(),
            },
            actor_label=actor_label(),
        )
    return log


# --- consents ---------------------------------------------------------------------------


def withdraw_consent(*, patient: Patient, kind: str) -> None:
    withdraw_consent_by_patient(
        patient=patient, kind=kind, on=local_today(patient.time_zone), actor_label=actor_label()
    )


# --- documents --------------------------------------------------------------------------


def superbill_pdf(*, patient: Patient, charge: Charge) -> tuple[dict[str, Any], bytes]:
    """The superbill of one of the patient's billed visits, rendered by billing; the
    download is audited."""
    if charge.patient_id != patient.pk or charge.status != Charge.Status.READY:
        raise Charge.DoesNotExist
    content = documents.superbill_content([charge], patient=patient)
    pdf = documents.render_pdf("billing/pdf/superbill.html", content)
    audit_export(patient, charge, "superbill", visit=charge.date_of_service.isoformat())
    return content, pdf


def statement_pdf(
    *, patient: Patient, start: dt.date, end: dt.date
) -> tuple[dict[str, Any], bytes]:
    """The patient's statement over the period, rendered by billing; audited."""
    documents.check_period(start, end)
    content = documents.statement_content(patient=patient, start=start, end=end)
    pdf = documents.render_pdf("billing/pdf/statement.html", content)
    audit_export(patient, patient, "statement", start=start.isoformat(), end=end.isoformat())
    return content, pdf


def receipt_pdf(*, patient: Patient, payment: LedgerEntry) -> tuple[dict[str, Any], bytes]:
    """The receipt of one of the patient's own payments, rendered by billing; audited."""
    if (
        payment.patient_id != patient.pk
        or payment.kind != LedgerEntry.Kind.PAYMENT
        or payment.responsibility != LedgerEntry.Responsibility.PATIENT
    ):
        raise LedgerEntry.DoesNotExist
    content, pdf = documents.receipt_document(payment)
    audit_export(patient, payment, "receipt", number=content["number"])
    return content, pdf


def report_pdf(*, patient: Patient, report: Report) -> tuple[str, bytes]:
    """A report the clinic shares with the patient: the signed PDF the physician gets
    (reports' own copy); the download is audited."""
    if report.patient_id != patient.pk or report.organization_id != patient.organization_id:
        raise Report.DoesNotExist
    name, pdf = report_services.patient_copy(report)
    audit_export(patient, report, "report", kind=report.kind, version=str(report.version))
    return name, pdf
