"""Messages that reach patients: the one ledger every sender writes to.

A sender (scheduling's booking notices, screening's intake link, outcomes' questionnaire
link, ...) calls ``send_message`` with the kind, the values of its placeholders and the
link, if any. The ledger chooses the channels the patient may be reached by (their
contact consents and preferred channel), words the message in the organization's
template (or the default), records one ``PatientMessage`` per channel and hands each to
the durable worker (``patients.tasks.deliver_message_task``), which sends it by email
(SMTP) or text message (the SMS backend), tries again with a growing wait when it fails,
and marks it failed after the last try. Nothing is lost silently: a message that could
not go at all is recorded as "not sent" with the reason, and a failed one shows on the
chart with its error.

Channels (the consent rules):

- email, to the patient's address on file, unless their latest "contact by email"
  consent is withdrawn;
- text message, to the phone on file, only when their latest "contact by text message"
  consent is granted.

With a preferred channel the patient can be reached by, only that one is used; otherwise
every channel they can be reached by.

Links are secrets. The stored body keeps ``[link]`` where the link was; the link itself
is kept sealed (Fernet, a key derived from SECRET_KEY) only until the message is sent or
failed for good, then erased. A resend never reuses it: the sender's app issues a fresh
link (``register_resender``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import default_task_backend, task
from django.urls import reverse
from django.utils import timezone

from palpa.accounts.permissions import Capability, require, tenant_id
from palpa.audit.services import Action, record
from palpa.core import sms, wording
from palpa.core.dates import local
from palpa.core.tenancy import ANOTHER_ORGANIZATIONS_PATIENT, require_same_organization
from palpa.patients.models import (
    Consent,
    MessageKind,
    MessageTemplate,
    Patient,
    PatientMessage,
)

if TYPE_CHECKING:
    from palpa.accounts.models import User

log = logging.getLogger(__name__)

EMAIL = Patient.Channel.EMAIL.value
SMS = Patient.Channel.SMS.value
CHANNELS = (EMAIL, SMS)
LINK_MARK = "[link]"
SENDER_LABEL = "patient messages"
Status = PatientMessage.Status
Kind = MessageKind


# --- who can be reached how ----------------------------------------------------------


def latest_consent(patient: Patient, kind: str) -> Consent | None:
    return (
        Consent.objects.filter(patient=patient, kind=kind)
        .order_by("-given_on", "-created_at", "-pk")
        .first()
    )


def why_not(patient: Patient, channel: str) -> str:
    """Why a message on ``channel`` cannot reach the patient; empty when it can."""
    if channel == EMAIL:
        if not patient.email:
            return "No email address on file."
        consent = latest_consent(patient, Consent.Kind.EMAIL)
        if consent is not None and not consent.granted:
            return (
                f"The patient withdrew consent to contact by email on {consent.given_on:%Y-%m-%d}."
            )
        return ""
    if channel == SMS:
        if not patient.phone:
            return "No phone number on file."
        consent = latest_consent(patient, Consent.Kind.SMS)
        if consent is None:
            return "The patient has not consented to text messages."
        if not consent.granted:
            return f"The patient withdrew consent to text messages on {consent.given_on:%Y-%m-%d}."
        try:
            sms.normalize_number(patient.phone)
        except ValueError:
            return "The phone on file is not a number a text message can go to."
        return ""
    raise ValueError(f"unknown channel {channel!r}")


def contact(patient: Patient, channel: str) -> str:
    """The address or number a message on ``channel`` goes to; empty when the patient
    cannot be reached that way."""
    if why_not(patient, channel):
        return ""
    return patient.email if channel == EMAIL else sms.normalize_number(patient.phone)


def channels(patient: Patient) -> list[str]:
    """Every channel the patient can be reached by."""
    return [c for c in CHANNELS if contact(patient, c)]


def chosen_channels(patient: Patient) -> tuple[list[str], str, str]:
    """(channels to use, the channel tried when none can be, why not). The preferred
    channel alone when the patient can be reached by it, else every channel they can."""
    reachable = channels(patient)
    preferred = patient.preferred_channel
    if preferred and preferred in reachable:
        return [preferred], "", ""
    if reachable:
        return reachable, "", ""
    tried = preferred or EMAIL
    return [], tried, why_not(patient, tried)


def mask(address: str) -> str:
    """An address shown without giving it away: r***@example.com, ***-0101."""
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    digits = "".join(ch for ch in address if ch.isdigit())
    return f"***-{digits[-4:]}" if len(digits) >= 4 else "***"


# --- the wording ---------------------------------------------------------------------

COMMON = {
    "first_name": "the patient's first (or preferred) name",
    "clinic": "the organization's name",
    "portal": "the address of the patient's own page at the clinic (the portal), where "
    "they see and change their appointments, e.g. https://clinic.example/my/",
}
APPOINTMENT = {
    "what": "the appointment type, e.g. Treatment 60 minutes",
    "therapist": "the therapist's name",
    "date": "the date, e.g. Tuesday, March 3, 2026",
    "time": "the start time in the location's time zone, e.g. 9:00 AM",
    "time_zone": "the location's time zone abbreviation, e.g. EST",
    "location": "the location's name",
    "address": "the location's street address",
    "location_phone": "the location's phone number",
}
# A booking or a move: the appointment, and the patient's link to cancel or change it
# (scheduling's reminders use the same placeholders: ``palpa.scheduling.wording``).
BOOKING = {
    **COMMON,
    **APPOINTMENT,
    "manage_link": "the link to cancel or change the appointment",
    "change_until": "until when the patient may cancel or change online",
}
_APPOINTMENT_LINES = (
    "What:  {what} with {therapist}\n"
    "When:  {date} at {time} ({time_zone})\n"
    "Where: {location}, {address}\n\n"
)
_MANAGE_LINES = (
    "To cancel or change it, open this link: {manage_link}\n"
    "You can do so online until {change_until}; after that, please call us at "
    "{location_phone}.\n"
)
_PORTAL_LINES = (
    "\nSee and change your appointments at {portal}\n"
    "(to sign in, type the email address or mobile number we have for you; we send you "
    "a code).\n"
)
LINKED = {
    "link": "the patient's own link (sent fresh; never kept readable)",
    "expires": "the day the link stops working",
}
# Placeholders a text message may not carry: a text message holds no clinical detail.
CLINICAL = {
    "program": "the home-care program (exercises and advice)",
    "report": "the kind of report, e.g. progress report (not in a text message)",
}


@dataclass(frozen=True)
class Wording:
    subject: str
    email: str
    sms: str
    placeholders: Mapping[str, str]
    link: str = ""  # the placeholder that holds the link, if the kind has one


_SIGN_OFF = "\n{clinic}\n"

DEFAULTS: dict[str, Wording] = {
    Kind.INTAKE_LINK: Wording(
        subject="{clinic}: your health history form",
        email="Hello {first_name},\n\n"
        "Before your visit, please fill in your health history form. It takes about ten "
        "minutes and helps your therapist treat you safely.\n\n"
        "Open this link: {link}\n"
        "The link works once and until {expires}. If it has stopped working, call us and "
        "we will send a new one.\n" + _SIGN_OFF,
        sms="{clinic}: please fill in your form before your visit: {link} (works until {expires})",
        placeholders={**COMMON, **LINKED},
        link="link",
    ),
    Kind.INSTRUMENT_LINK: Wording(
        subject="{clinic}: a few questions before your visit",
        email="Hello {first_name},\n\n"
        "Your therapist asks you to answer a few short questions before your visit, so "
        "that together you can see how you are doing.\n\n"
        "Open this link: {link}\n"
        "The link works once and until {expires}.\n" + _SIGN_OFF,
        sms="{clinic}: a few short questions before your visit: {link} (works until {expires})",
        placeholders={**COMMON, **LINKED},
        link="link",
    ),
    Kind.BOOKING_CONFIRMED: Wording(
        subject="Booked: {what} on {date} at {time}",
        email="Hello {first_name},\n\nYour appointment at {clinic} is booked.\n\n"
        + _APPOINTMENT_LINES
        + _MANAGE_LINES
        + _PORTAL_LINES
        + _SIGN_OFF,
        sms="{clinic}: booked {what} on {date} at {time} ({time_zone}), {location}, "
        "{address}. To cancel or change: {manage_link}",
        placeholders=BOOKING,
        link="manage_link",
    ),
    Kind.BOOKING_MOVED: Wording(
        subject="Moved: your {what} is now on {date} at {time}",
        email="Hello {first_name},\n\n"
        "Your appointment at {clinic} has been moved. The new time is:\n\n"
        + _APPOINTMENT_LINES
        + _MANAGE_LINES
        + _PORTAL_LINES
        + _SIGN_OFF,
        sms="{clinic}: your {what} is MOVED to {date} at {time} ({time_zone}), {location}, "
        "{address}. To cancel or change: {manage_link}",
        placeholders=BOOKING,
        link="manage_link",
    ),
    Kind.BOOKING_CANCELLED: Wording(
        subject="Cancelled: {what} on {date} at {time}",
        email="Hello {first_name},\n\nYour appointment at {clinic} is cancelled:\n\n"
        + _APPOINTMENT_LINES
        + "Nothing more to do. To book again, call us at {location_phone}.\n"
        + _SIGN_OFF,
        sms="{clinic}: your {what} on {date} at {time} ({time_zone}) is cancelled. "
        "To book again call {location_phone}.",
        placeholders={**COMMON, **APPOINTMENT},
    ),
    Kind.REPORT_READY: Wording(
        subject="{clinic}: a document is ready for you",
        email="Hello {first_name},\n\n"
        "Your {report} from {clinic} is ready for you to read and download on your page "
        "at the clinic: {link}\n\n"
        "To sign in, type the email address or mobile number the clinic has for you; we "
        "send you a code.\n" + _SIGN_OFF,
        sms="{clinic}: a document is ready for you on your page: {link}",
        placeholders={
            **COMMON,
            "link": "the address of the patient's page at the clinic (the portal)",
            "report": CLINICAL["report"],
        },
        link="link",
    ),
    Kind.HOME_CARE: Wording(
        subject="{clinic}: your home-care program",
        email="Hello {first_name},\n\n"
        "Here is your home-care program from {therapist}. Doing it between visits helps "
        "your treatment work.\n\n{program}\n\n"
        "If anything hurts more than it should, stop and call us.\n\n"
        "The program is also on your page at {portal}, where you can tick off what you "
        "did each day (to sign in, type the email address or mobile number we have for "
        "you; we send you a code).\n" + _SIGN_OFF,
        sms="{clinic}: your home-care program from {therapist} is ready. We emailed it to "
        "you; it is also on your page: {portal}",
        placeholders={
            **COMMON,
            "therapist": "the therapist's name",
            "program": CLINICAL["program"],
        },
    ),
    # The patient portal's one-time sign-in code: sent to the contact the patient typed
    # (``only_channel``); the code travels sealed like a link and is erased once sent.
    Kind.PORTAL_CODE: Wording(
        subject="{clinic}: your sign-in code",
        email="Hello {first_name},\n\n"
        "Your code to sign in to your page at {clinic} is: {code}\n\n"
        "It works once, for {minutes} minutes. If you did not ask for it, ignore this "
        "message: nobody can sign in without the code.\n" + _SIGN_OFF,
        sms="{clinic}: your sign-in code is {code} (works once, for {minutes} minutes).",
        placeholders={
            **COMMON,
            "code": "the 6-digit sign-in code (sent fresh; never kept readable)",
            "minutes": "how many minutes the code works",
        },
        link="code",
    ),
}


def allowed(kind: str, channel: str) -> dict[str, str]:
    """The placeholders a template of this kind may use on this channel."""
    names = dict(DEFAULTS[kind].placeholders)
    if channel == SMS:
        for name in CLINICAL:
            names.pop(name, None)
    return names


def default_template(kind: str, channel: str) -> tuple[str, str]:
    wording_ = DEFAULTS[kind]
    return (wording_.subject, wording_.email) if channel == EMAIL else ("", wording_.sms)


def template_for(organization_id: int, kind: str, channel: str) -> tuple[str, str]:
    """(subject, body) in the organization's wording, else the default."""
    own = MessageTemplate.objects.filter(
        organization_id=organization_id, kind=kind, channel=channel
    ).first()
    if own is not None:
        return own.subject, own.body
    return default_template(kind, channel)


def _check_template(kind: str, channel: str, subject: str, body: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    names = allowed(kind, channel)
    link = DEFAULTS[kind].link
    required = (link,) if link else ()
    clinical = [n for n in wording.placeholders_in(body) if channel == SMS and n in CLINICAL]
    if clinical:
        errors["body"] = [
            ", ".join("{" + n + "}" for n in clinical)
            + " may not be used in a text message: a text message carries no clinical detail."
        ]
    else:
        try:
            wording.check(body, names, required=required)
        except wording.WordingError as exc:
            errors["body"] = [str(exc)]
    if not body.strip():
        errors["body"] = ["Write the message; it may not be empty."]
    if channel == EMAIL:
        try:
            wording.check(subject, names)
        except wording.WordingError as exc:
            errors["subject"] = [str(exc)]
        if not subject.strip():
            errors["subject"] = ["An email needs a subject."]
        if len(subject) > 200:
            errors["subject"] = ["The subject may be at most 200 characters."]
    if channel == SMS and len(body) > 480:
        errors["body"] = ["A text message may be at most 480 characters (three SMS)."]
    return errors


def set_message_template(
    *, actor: User, kind: str, channel: str, subject: str, body: str
) -> MessageTemplate:
    """The organization's own wording of one kind of message on one channel."""
    require(actor, Capability.ORGANIZATION_MANAGE)
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = ["Choose one of the kinds of message listed."]
    if channel not in CHANNELS:
        errors["channel"] = ["The channel is email or text message."]
    if not errors:
        errors = _check_template(kind, channel, subject, body)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        template, _ = MessageTemplate.objects.update_or_create(
            organization_id=tenant_id(actor),
            kind=kind,
            channel=channel,
            defaults={
                "subject": subject.strip() if channel == EMAIL else "",
                "body": body.strip() + "\n",
            },
        )
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=template,
            detail={"message_template": kind, "channel": channel},
        )
    return template


def reset_message_template(*, actor: User, kind: str, channel: str) -> None:
    """Go back to the default wording."""
    require(actor, Capability.ORGANIZATION_MANAGE)
    with transaction.atomic():
        removed, _ = MessageTemplate.objects.filter(
            organization_id=tenant_id(actor), kind=kind, channel=channel
        ).delete()
        if removed:
            record(
                actor=actor,
                action=Action.SETTINGS,
                object_type="patients.messagetemplate",
                detail={"message_template": kind, "channel": channel, "reset": True},
            )


# --- sealed links --------------------------------------------------------------------


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"palpa.patients.messages.link:" + settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def seal(link: str) -> str:
    return _fernet().encrypt(link.encode()).decode() if link else ""


def unseal(sealed: str) -> str:
    if not sealed:
        return ""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return ""


# --- sending -------------------------------------------------------------------------


def site_url() -> str:
    """The absolute address patients' links start with (``PALPA_SITE_URL``)."""
    return str(getattr(settings, "PALPA_SITE_URL", "") or "http://localhost:8000").rstrip("/")


def day_text(moment: dt.datetime, patient: Patient) -> str:
    """A day as patients read it, in their clinic's zone: "Tuesday, March 3, 2026"."""
    day = local(moment, patient)
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def portal_url() -> str:
    """The absolute address of the patient's own page at the clinic (the portal)."""
    return site_url() + reverse("portal:home")


def _values(patient: Patient, given: Mapping[str, str]) -> dict[str, str]:
    return {
        "first_name": patient.preferred_name or patient.given_name,
        "clinic": patient.organization.name,
        "portal": portal_url(),
        **{k: str(v) for k, v in given.items()},
    }


def _enqueue(message_id: int, run_after: dt.datetime | None = None) -> None:
    """Queue the delivery on the database task backend: inside the caller's transaction,
    so the task exists exactly when the message row does."""
    queued = deliver_message_task
    if run_after is not None and default_task_backend.supports_defer:
        queued = queued.using(run_after=run_after)
    try:
        queued.enqueue(message_id)
    except Exception:  # the row stays queued; the sweep hands it over again
        log.exception("could not queue patient message %s", message_id)


def send_message(
    *,
    actor: User | None,
    patient: Patient,
    kind: str,
    values: Mapping[str, str],
    link: str = "",
    about: str = "",
    resend_of: PatientMessage | None = None,
    only_channel: str = "",
    actor_label: str = "",
    to: str = "",
) -> list[PatientMessage]:
    """Record and queue the message on every channel chosen for the patient (one row
    each; one "not sent" row with the reason when none can be used). One transaction,
    one audit entry; the worker sends once it commits.

    ``only_channel``: this channel alone (the portal's sign-in code goes to the contact
    the patient typed), still only when the patient's consent allows it.
    ``actor_label``: who asked, when no staff member did (e.g. the patient).
    ``to``: with ``only_channel``, an address or mobile other than the patient's own (a
    guardian's sign-in code goes to the guardian's contact on the patient's record)."""
    if kind not in Kind.values:
        raise ValueError(f"unknown message kind {kind!r}")
    if actor is not None:
        require_same_organization(actor, patient, message=ANOTHER_ORGANIZATIONS_PATIENT)
    spec = DEFAULTS[kind]
    filled = _values(patient, values)
    if spec.link:
        filled[spec.link] = LINK_MARK
    recipient = ""
    if to:
        if not only_channel:
            raise ValueError("a message to another contact names its channel")
        reason = ""
        try:
            recipient = to if only_channel == EMAIL else sms.normalize_number(to)
        except ValueError:
            reason = "The guardian's mobile is not a number a text message can go to."
        use, tried = ([] if reason else [only_channel]), only_channel
    elif only_channel:
        reason = why_not(patient, only_channel)
        use, tried = ([] if reason else [only_channel]), only_channel
    else:
        use, tried, reason = chosen_channels(patient)
    rows: list[PatientMessage] = []
    with transaction.atomic():
        for channel in use or [tried]:
            subject, body = template_for(patient.organization_id, kind, channel)
            names = allowed(kind, channel)
            row = PatientMessage(
                organization_id=patient.organization_id,
                patient=patient,
                kind=kind,
                channel=channel,
                recipient=(recipient or contact(patient, channel)) if use else "",
                subject=wording.render(subject, filled, names)[:200] if channel == EMAIL else "",
                body=wording.render(body, filled, names),
                link_sealed=seal(link) if use and spec.link else "",
                about=about[:80],
                requested_by=actor,
                resend_of=resend_of,
            )
            if not use:
                row.status = Status.NOT_SENT
                row.last_error = reason[:300]
            row.save()
            rows.append(row)
        record(
            actor=actor,
            action=Action.EXPORT,
            organization=patient.organization,
            obj=rows[0],
            patient_id=str(patient.public_id),
            detail={
                "message": kind,
                "channels": [r.channel for r in rows],
                "status": rows[0].status,
                **({"resend_of": str(resend_of.public_id)} if resend_of else {}),
            },
            actor_label="" if actor else (actor_label or SENDER_LABEL),
        )
        for row in rows:
            if row.status == Status.QUEUED:
                _enqueue(row.pk)  # the task row commits (or rolls back) with the message
    return rows


def attempts_allowed() -> int:
    return max(1, int(getattr(settings, "PALPA_MESSAGE_ATTEMPTS", 4)))


def retry_wait(attempts_made: int) -> dt.timedelta:
    """The wait before the next try: the base, then four times as long each time."""
    base = int(getattr(settings, "PALPA_MESSAGE_RETRY_SECONDS", 60))
    return dt.timedelta(seconds=base * 4 ** max(0, attempts_made - 1))


def _sender(patient: Patient) -> str:
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((patient.organization.name, address or "palpa@localhost"))


def _hand_over(message: PatientMessage, link: str) -> None:
    body = message.body.replace(LINK_MARK, link) if link else message.body
    if message.channel == EMAIL:
        EmailMessage(
            subject=message.subject.replace(LINK_MARK, link) if link else message.subject,
            body=body,
            from_email=_sender(message.patient),
            to=[message.recipient],
        ).send()
    else:
        sms.send_sms(message.recipient, body, reference=f"message:{message.public_id}")


def deliver_message(message_id: int) -> str:
    """Send one queued message (the worker); safe to run twice: only the run that claims
    the row sends. A failure is recorded and tried again later; after the last try the
    message is failed, its link erased, and the chart shows it."""
    now = timezone.now()
    claimed = PatientMessage.objects.filter(pk=message_id, status=Status.QUEUED).update(
        status=Status.SENDING, updated_at=now
    )
    if not claimed:
        return "taken"
    message = PatientMessage.objects.select_related("patient__organization").get(pk=message_id)
    link = unseal(message.link_sealed)
    if message.link_sealed and not link:
        return _fail(message, "The link could not be unsealed (was SECRET_KEY changed?).")
    try:
        _hand_over(message, link)
    except Exception as exc:  # SMTP and SMS providers raise their own kinds
        log.warning("patient message %s failed: %s", message.public_id, exc)
        error = f"{type(exc).__name__}: {exc}"[:300]
        attempts = message.attempts + 1
        if attempts >= attempts_allowed():
            return _fail(message, error)
        due = timezone.now() + retry_wait(attempts)
        PatientMessage.objects.filter(pk=message_id).update(
            status=Status.QUEUED,
            attempts=attempts,
            last_error=error,
            next_attempt_at=due,
            updated_at=timezone.now(),
        )
        _enqueue(message_id, run_after=due)
        return "retry"
    with transaction.atomic():
        PatientMessage.objects.filter(pk=message_id).update(
            status=Status.SENT,
            attempts=message.attempts + 1,
            sent_at=timezone.now(),
            next_attempt_at=None,
            link_sealed="",
            updated_at=timezone.now(),
        )
        _audit_outcome(message, Status.SENT)
    return Status.SENT


@task()
def deliver_message_task(message_id: int) -> str:
    """The worker's task: send one queued patient message; a failure queues the next try
    itself (``patients.tasks`` names it, so tasks queued under that path still run)."""
    return deliver_message(message_id)


def _fail(message: PatientMessage, error: str) -> str:
    with transaction.atomic():
        PatientMessage.objects.filter(pk=message.pk).update(
            status=Status.FAILED,
            attempts=message.attempts + 1,
            last_error=error[:300],
            next_attempt_at=None,
            link_sealed="",
            updated_at=timezone.now(),
        )
        _audit_outcome(message, Status.FAILED, error=error)
    return Status.FAILED


def _audit_outcome(message: PatientMessage, status: str, **extra: str) -> None:
    record(
        actor=None,
        action=Action.EXPORT,
        organization=message.patient.organization,
        obj=message,
        patient_id=str(message.patient.public_id),
        detail={"message": message.kind, "channel": message.channel, "status": status, **extra},
        actor_label="message worker",
    )


STUCK_AFTER = dt.timedelta(minutes=15)


@dataclass
class SweepResult:
    requeued: int = 0
    interrupted: int = 0


def sweep_messages() -> SweepResult:
    """The safety net (``palpa send_reminders``, from cron): hand every queued message
    whose time has come to the worker again (a lost task), and mark a message left
    *sending* by a worker that died as failed, with the reason, rather than risk sending
    it twice (the chart shows it; staff resend it)."""
    now = timezone.now()
    result = SweepResult()
    stuck = list(
        PatientMessage.objects.select_related("patient__organization").filter(
            status=Status.SENDING, updated_at__lt=now - STUCK_AFTER
        )
    )
    for message in stuck:
        _fail(message, "Interrupted while sending; not sent again. Check with the patient.")
        result.interrupted += 1
    due = PatientMessage.objects.filter(status=Status.QUEUED).exclude(next_attempt_at__gt=now)
    for pk in list(due.values_list("pk", flat=True)):
        _enqueue(pk)
        result.requeued += 1
    return result


# --- resending -----------------------------------------------------------------------

Resender = Callable[["User", PatientMessage], Sequence[PatientMessage]]
_RESENDERS: dict[str, Resender] = {}


def register_resender(kind: str, resender: Resender) -> None:
    """The app that sends a kind of message with a link says how to send it again with a
    fresh link (in its ``AppConfig.ready()``)."""
    _RESENDERS[kind] = resender


def resend_message(*, actor: User, message: PatientMessage) -> list[PatientMessage]:
    """Send the message again on the channels chosen now: with a fresh link where it had
    one (the sending app issues it), else the same words."""
    require(actor, Capability.PATIENT_MESSAGES)
    require_same_organization(
        actor, message, message="This message belongs to another organization."
    )
    if message.patient.status != Patient.Status.ACTIVE:
        raise ValidationError(
            {"message": f"The patient's record is {message.patient.get_status_display().lower()}."}
        )
    with transaction.atomic():
        resender = _RESENDERS.get(message.kind)
        if resender is not None:
            return list(resender(actor, message))
        if DEFAULTS[message.kind].link:
            raise ValidationError(
                {"message": "This message carried a link that cannot be issued again here."}
            )
        return _copy(actor, message)


def _copy(actor: User, message: PatientMessage) -> list[PatientMessage]:
    """A message without a link, sent again in the same words on the same channel (or
    recorded as not sent, with the reason, when the patient can no longer be reached by
    it)."""
    reason = why_not(message.patient, message.channel)
    row = PatientMessage.objects.create(
        organization_id=message.organization_id,
        patient=message.patient,
        kind=message.kind,
        channel=message.channel,
        recipient="" if reason else contact(message.patient, message.channel),
        subject=message.subject,
        body=message.body,
        about=message.about,
        requested_by=actor,
        resend_of=message,
        status=Status.NOT_SENT if reason else Status.QUEUED,
        last_error=reason[:300],
    )
    if row.status == Status.QUEUED:
        _enqueue(row.pk)
    record(
        actor=actor,
        action=Action.EXPORT,
        obj=row,
        patient_id=str(message.patient.public_id),
        detail={"message": message.kind, "resend_of": str(message.public_id)},
    )
    return [row]


def parse_about(about: str) -> tuple[str, uuid.UUID | None]:
    """("appointment", UUID) from "appointment:<public id>" (None for no id)."""
    what, _, public_id = about.partition(":")
    try:
        return what, uuid.UUID(public_id)
    except ValueError:
        return what, None


def describe(message: PatientMessage) -> dict[str, Any]:
    """One row of the chart's list (no full address, no link)."""
    return {
        "public_id": message.public_id,
        "kind": message.get_kind_display(),
        "channel": message.get_channel_display(),
        "to": mask(message.recipient) if message.recipient else "—",
        "status": message.status,
        "status_label": message.get_status_display(),
        "attempts": message.attempts,
        "error": message.last_error,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "next_attempt_at": message.next_attempt_at,
        "subject": message.subject,
    }
