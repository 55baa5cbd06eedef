"""Appointment reminders: planned when an appointment is booked or moved, sent once by the
worker at each lead time, in the clinic's wording.

How "never twice" holds:

1. Planning inserts one ``AppointmentReminder`` row per (appointment, channel, lead,
   appointment start); a unique constraint makes a second plan of the same reminder a
   no-op.
2. Sending first claims the row with one ``UPDATE ... WHERE status = 'planned'``; only
   the worker whose update changed the row sends. A worker that dies after the claim
   leaves the row ``sending``: it is reported as failed by the sweep, never sent again
   (a missed reminder is better than a doubled one).
3. A moved appointment gets new rows for its new start; rows planned for the old start
   are cancelled, and a task that wakes for one sends nothing.

Tasks are queued with ``run_after`` (the due time) on the database task backend, so they
survive restarts; ``sweep`` (run by ``palpa send_reminders`` from cron) plans what is
missing and sends anything due that was not sent, as a safety net.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.tasks import default_task_backend, task
from django.utils import timezone

from palpa.accounts.permissions import Capability, require, tenant_id
from palpa.audit.services import Action, record
from palpa.core import events
from palpa.scheduling import patient_messages, wording
from palpa.scheduling.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
)
from palpa.scheduling.models import Appointment, AppointmentReminder, ReminderPolicy

log = logging.getLogger(__name__)
Status = AppointmentReminder.Status
EMAIL = ReminderPolicy.Channel.EMAIL
SMS = ReminderPolicy.Channel.SMS
# A claimed reminder not finished within this time is reported as failed (interrupted).
STUCK_AFTER = dt.timedelta(minutes=15)
# The sweep plans reminders for appointments starting within this horizon (the longest
# lead a policy may have, plus a day).
PLAN_HORIZON = dt.timedelta(days=15)
# A reminder found by the sweep more than this late is skipped (it would confuse).
LATE_LIMIT = dt.timedelta(hours=1)
# The cancel reason of an appointment the patient moved online (a new one replaces it).
MOVED_BY_PATIENT = "Moved online by the patient"


@dataclass(frozen=True)
class Policy:
    channel: str
    lead_minutes: int
    subject: str
    body: str


DEFAULT_POLICIES = (
    Policy(EMAIL, 48 * 60, wording.DEFAULT_EMAIL_SUBJECT, wording.DEFAULT_EMAIL_BODY),
    Policy(SMS, 2 * 60, "", wording.DEFAULT_SMS_BODY),
)


def policies_for(organization_id: int) -> list[Policy]:
    """The organization's active reminder policies; the defaults (email 48 hours before,
    text message 2 hours before) while it has defined none."""
    rows = list(ReminderPolicy.objects.filter(organization_id=organization_id))
    if not rows:
        return list(DEFAULT_POLICIES)
    return [
        Policy(r.channel, r.lead_minutes, r.subject or wording.DEFAULT_EMAIL_SUBJECT, r.body)
        for r in rows
        if r.active
    ]


def _enqueue(reminder: AppointmentReminder) -> None:
    if default_task_backend.supports_defer:
        task = send_reminder.using(run_after=reminder.due_at)
        transaction.on_commit(lambda: task.enqueue(reminder.pk))
    # Without deferred tasks (e.g. the immediate backend) the sweep sends it when due.


def plan_reminders(appointment_id: int, *, now: dt.datetime | None = None) -> list[int]:
    """Plan the appointment's reminders for its current start (idempotent); cancel those
    planned for another start, or all when it is no longer booked. Returns the ids of
    the rows made now. A reminder whose time has already passed is not planned."""
    moment = now or timezone.now()
    made: list[int] = []
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_related("location")
            .filter(pk=appointment_id)
            .only("id", "organization_id", "status", "start", "location")
            .first()
        )
        if appointment is None:
            return []
        stale = AppointmentReminder.objects.filter(
            appointment_id=appointment_id, status=Status.PLANNED
        )
        if appointment.status != Appointment.Status.BOOKED or appointment.start <= moment:
            stale.update(status=Status.CANCELLED, note="The appointment is no longer booked.")
            return []
        stale.exclude(appointment_start=appointment.start).update(
            status=Status.CANCELLED, note="The appointment was moved."
        )
        for policy in policies_for(appointment.organization_id):
            due = appointment.start - dt.timedelta(minutes=policy.lead_minutes)
            if due <= moment:
                continue
            try:
                with transaction.atomic():
                    reminder, created = AppointmentReminder.objects.get_or_create(
                        appointment_id=appointment_id,
                        channel=policy.channel,
                        lead_minutes=policy.lead_minutes,
                        appointment_start=appointment.start,
                        defaults={
                            "organization_id": appointment.organization_id,
                            "due_at": due,
                        },
                    )
            except IntegrityError:  # planned by a concurrent call a moment ago
                continue
            if created:
                made.append(reminder.pk)
                _enqueue(reminder)
    return made


def cancel_reminders(appointment_id: int) -> int:
    return AppointmentReminder.objects.filter(
        appointment_id=appointment_id, status=Status.PLANNED
    ).update(status=Status.CANCELLED, note="The appointment was cancelled.")


def _finish(reminder_id: int, status: str, note: str = "", sent_to: str = "") -> str:
    AppointmentReminder.objects.filter(pk=reminder_id).update(
        status=status,
        note=note[:300],
        sent_to=sent_to,
        sent_at=timezone.now() if status == Status.SENT else None,
        updated_at=timezone.now(),
    )
    return status


def _policy(organization_id: int, channel: str, lead_minutes: int) -> Policy | None:
    for policy in policies_for(organization_id):
        if policy.channel == channel and policy.lead_minutes == lead_minutes:
            return policy
    return None


@task()
def send_reminder(reminder_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one planned reminder if it is due, at most once; returns what became of it
    (``sent``, ``skipped``, ``cancelled``, ``failed``, or ``not-due``/``taken`` when it
    was left alone). A Django task (queued with ``run_after``, run by ``palpa db_worker``);
    in-process: ``send_reminder.call(...)``."""
    moment = now or timezone.now()
    claimed = AppointmentReminder.objects.filter(
        pk=reminder_id, status=Status.PLANNED, due_at__lte=moment
    ).update(status=Status.SENDING, updated_at=moment)
    if not claimed:
        still = AppointmentReminder.objects.filter(pk=reminder_id, status=Status.PLANNED)
        return "not-due" if still.exists() else "taken"
    reminder = AppointmentReminder.objects.select_related(
        "appointment__location__organization",
        "appointment__patient",
        "appointment__practitioner",
        "appointment__appointment_type",
    ).get(pk=reminder_id)
    appointment = reminder.appointment
    if appointment.status != Appointment.Status.BOOKED:
        return _finish(reminder_id, Status.CANCELLED, "The appointment is no longer booked.")
    if appointment.start != reminder.appointment_start:
        return _finish(reminder_id, Status.CANCELLED, "The appointment was moved.")
    if moment >= appointment.start:
        return _finish(reminder_id, Status.SKIPPED, "The appointment had already started.")
    if moment - reminder.due_at > LATE_LIMIT:
        return _finish(reminder_id, Status.SKIPPED, "Too late: the worker was not running.")
    policy = _policy(appointment.organization_id, reminder.channel, reminder.lead_minutes)
    if policy is None:
        return _finish(reminder_id, Status.SKIPPED, "The reminder policy was switched off.")
    to = patient_messages.contact(appointment.patient, reminder.channel)
    if not to:
        what = "email address" if reminder.channel == EMAIL else "phone with text consent"
        return _finish(reminder_id, Status.SKIPPED, f"No {what} on file.")
    try:
        with transaction.atomic():
            link = patient_messages.create_link(appointment)
        filled = patient_messages.values(appointment, link)
        message = patient_messages.Outgoing(
            channel=reminder.channel,
            to=to,
            subject=wording.render(policy.subject, filled) if reminder.channel == EMAIL else "",
            body=wording.render(policy.body, filled),
        )
        patient_messages.deliver(message, reference=f"reminder:{reminder.public_id}")
    except Exception as exc:  # the provider's own errors vary; the row records it
        log.warning("reminder %s failed: %s", reminder.public_id, exc)
        return _finish(reminder_id, Status.FAILED, f"{type(exc).__name__}: {exc}")
    with transaction.atomic():
        _finish(reminder_id, Status.SENT, sent_to=to)
        record(
            actor=None,
            action=Action.EXPORT,
            organization=appointment.location.organization,
            obj=appointment,
            patient_id=str(appointment.patient.public_id),
            detail={
                "message": "reminder",
                "channel": reminder.channel,
                "lead_minutes": reminder.lead_minutes,
                "reminder": str(reminder.public_id),
            },
            actor_label="reminder worker",
        )
    return Status.SENT


@dataclass
class SweepResult:
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    interrupted: int = 0


def sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Plan what is missing for booked appointments ahead, send every due reminder not
    yet sent, and mark reminders stuck in ``sending`` as failed (interrupted)."""
    moment = now or timezone.now()
    result = SweepResult()
    result.interrupted = AppointmentReminder.objects.filter(
        status=Status.SENDING, updated_at__lt=moment - STUCK_AFTER
    ).update(status=Status.FAILED, note="Interrupted while sending; not sent again.")
    upcoming = Appointment.objects.filter(
        status=Appointment.Status.BOOKED, start__gt=moment, start__lte=moment + PLAN_HORIZON
    ).values_list("pk", flat=True)
    for appointment_id in upcoming:
        result.planned += len(plan_reminders(appointment_id, now=moment))
    due = AppointmentReminder.objects.filter(status=Status.PLANNED, due_at__lte=moment)
    for reminder_id in list(due.values_list("pk", flat=True)):
        outcome = send_reminder.call(reminder_id, now=moment)
        if outcome == Status.SENT:
            result.sent += 1
        elif outcome == Status.FAILED:
            result.failed += 1
        elif outcome in (Status.SKIPPED, Status.CANCELLED):
            result.skipped += 1
    return result


# --- event handlers (connected in SchedulingConfig.ready) -----------------------------


def _queue_notice(appointment_id: int, kind: str) -> None:
    try:
        patient_messages.send_notice.enqueue(appointment_id, kind)
    except Exception:  # a notice must never break the booking that caused it
        log.exception("could not queue the %s notice for appointment %s", kind, appointment_id)


def on_booked(event: AppointmentBooked) -> None:
    """Plan the reminders and confirm a staff booking to the patient (online bookings are
    confirmed by the online booking itself, a patient's own move as "moved"). However soon
    the visit is, the confirmation goes: a first visit booked less than 48 hours ahead
    gets no 48-hour reminder, but it is confirmed. A recurring course is confirmed once,
    with its first visit."""
    plan_reminders(event.appointment_id)
    appointment = (
        Appointment.objects.filter(pk=event.appointment_id)
        .only("id", "source", "series", "start")
        .first()
    )
    if appointment is None or appointment.source != Appointment.Source.STAFF:
        return
    if appointment.series is not None:
        first = (
            Appointment.objects.filter(series=appointment.series)
            .order_by("start", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if first != appointment.pk:
            return
    _queue_notice(event.appointment_id, "booked")


def on_rescheduled(event: AppointmentRescheduled) -> None:
    plan_reminders(event.appointment_id)
    _queue_notice(event.appointment_id, "moved")


def on_cancelled(event: AppointmentCancelled) -> None:
    cancel_reminders(event.appointment_id)
    appointment = Appointment.objects.filter(pk=event.appointment_id).first()
    if appointment is not None:
        patient_messages.revoke_links(appointment)
        moved = appointment.cancel_reason.startswith(MOVED_BY_PATIENT)  # the new one says so
        if appointment.start > timezone.now() and not moved:
            _queue_notice(event.appointment_id, "cancelled")


def connect() -> None:
    events.subscribe(AppointmentBooked, on_booked)
    events.subscribe(AppointmentRescheduled, on_rescheduled)
    events.subscribe(AppointmentCancelled, on_cancelled)


# --- the organization's reminder policies (owner) -------------------------------------


def set_reminder_policy(
    *, actor: Any, channel: str, lead_minutes: int, subject: str, body: str
) -> ReminderPolicy:
    """Add or replace the reminder sent ``lead_minutes`` before on ``channel``. The first
    policy an organization sets replaces the defaults (which are then written out so
    they can be changed one by one)."""

    require(actor, Capability.SCHEDULE_CONFIGURE)
    organization_id = tenant_id(actor)
    errors: dict[str, list[str]] = {}
    try:
        wording.check(body, required=("date", "time", "manage_link"))
    except wording.WordingError as exc:
        errors["body"] = [str(exc)]
    try:
        wording.check(subject)
    except wording.WordingError as exc:
        errors["subject"] = [str(exc)]
    if channel not in ReminderPolicy.Channel.values:
        errors["channel"] = ["The channel is email or sms."]
    if not 30 <= lead_minutes <= 14 * 24 * 60:
        errors["lead_minutes"] = ["A reminder goes 30 minutes to 14 days before."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if not ReminderPolicy.objects.filter(organization_id=organization_id).exists():
            for default in DEFAULT_POLICIES:
                ReminderPolicy.objects.create(
                    organization_id=organization_id,
                    channel=default.channel,
                    lead_minutes=default.lead_minutes,
                    subject=default.subject,
                    body=default.body,
                )
        policy, _ = ReminderPolicy.objects.update_or_create(
            organization_id=organization_id,
            channel=channel,
            lead_minutes=lead_minutes,
            defaults={"subject": subject.strip(), "body": body.strip() + "\n", "active": True},
        )
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=policy,
            detail={"reminder": channel, "lead_minutes": lead_minutes},
        )
    return policy


def switch_reminder_policy(*, actor: Any, policy: ReminderPolicy, active: bool) -> ReminderPolicy:

    require(actor, Capability.SCHEDULE_CONFIGURE)
    if policy.organization_id != tenant_id(actor):
        raise PermissionDenied("This policy belongs to another organization.")
    with transaction.atomic():
        policy.active = active
        policy.save(update_fields=["active", "updated_at"])
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=policy,
            detail={
                "reminder": policy.channel,
                "lead_minutes": policy.lead_minutes,
                "active": active,
            },
        )
    return policy
