"""Reminders: planned at booking, sent once at each lead time by the worker, re-planned
when the appointment moves, stopped when it is cancelled.

The clock stands at Monday 2 March 2026, 15:00 in Tampa (20:00 UTC). Daylight saving
begins on Sunday 8 March, so an appointment on Tuesday 10 March is in EDT (UTC-4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django_tasks_db.models import DBTaskResult

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.patients.models import Patient, PatientMessage
from palpa.practitioners.models import Practitioner
from palpa.scheduling import queries, reminders, services, sms
from palpa.scheduling.models import (
    Appointment,
    AppointmentLink,
    AppointmentReminder,
    AppointmentType,
    ReminderPolicy,
)
from palpa.scheduling.tests.booking_support import consent_to_texts, run_worker, sms_bodies
from palpa.scheduling.tests.support import MONDAY, at

Status = AppointmentReminder.Status
TUESDAY_NEXT = dt.date(2026, 3, 10)
THURSDAY_NEXT = dt.date(2026, 3, 12)


@pytest.fixture(autouse=True)
def _sms_in_memory(settings: Any) -> Iterator[None]:
    settings.PALPA_SMS_BACKEND = "palpa.scheduling.sms.MemoryBackend"
    settings.PALPA_SITE_URL = "https://palpa.example"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def texting_patient(owner: User, patient: Patient) -> Patient:
    consent_to_texts(owner, patient, MONDAY)
    return patient


def book(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    kind: AppointmentType,
    start: dt.datetime,
) -> Appointment:
    return services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=start,
    )


@pytest.fixture
def appointment(
    django_capture_on_commit_callbacks: Any,
    front_desk: User,
    texting_patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    hours: None,
) -> Appointment:
    with django_capture_on_commit_callbacks(execute=True):
        booked = book(
            front_desk,
            texting_patient,
            practitioner,
            location,
            treatment,
            at(TUESDAY_NEXT, "10:00"),
        )
    # The booking confirmation goes at once (palpa/patients/tests/test_patient_messages.py);
    # it is sent and set aside here so that each test sees only the reminders.
    run_worker()
    assert [str(m.subject) for m in mail.outbox] == [
        "Booked: Treatment 60 min on Tuesday, March 10, 2026 at 10:00 AM"
    ]
    mail.outbox.clear()
    sms.outbox.clear()
    return booked


def test_booking_plans_an_email_48_hours_and_a_text_2_hours_before(
    appointment: Appointment,
) -> None:
    rows = AppointmentReminder.objects.filter(appointment=appointment).order_by("due_at")
    assert [(r.channel, r.lead_minutes, r.status) for r in rows] == [
        ("email", 48 * 60, Status.PLANNED),
        ("sms", 120, Status.PLANNED),
    ]
    assert rows[0].due_at == appointment.start - dt.timedelta(hours=48)
    assert all(r.appointment_start == appointment.start for r in rows)


def test_the_worker_queue_holds_one_deferred_task_per_reminder(appointment: Appointment) -> None:
    queued = DBTaskResult.objects.filter(task_path__endswith="reminders.send_reminder")
    due = sorted(r.due_at for r in AppointmentReminder.objects.filter(appointment=appointment))
    assert sorted(t.run_after for t in queued) == due


def test_planning_again_changes_nothing(appointment: Appointment) -> None:
    assert reminders.plan_reminders(appointment.pk) == []
    assert AppointmentReminder.objects.filter(appointment=appointment).count() == 2


def test_the_worker_sends_the_email_at_its_time_in_plain_words(appointment: Appointment) -> None:
    run_worker()
    assert mail.outbox == []  # not due yet
    with time_machine.travel(appointment.start - dt.timedelta(hours=48), tick=False):
        run_worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rosa@example.com"]
    assert message.subject == "Reminder: Treatment 60 min on Tuesday, March 10, 2026 at 10:00 AM"
    body = str(message.body)
    assert "Treatment 60 min with Tess Therapist" in body
    assert "Tuesday, March 10, 2026 at 10:00 AM (EDT)" in body  # after the DST change
    assert "Bayside Clinic, 1 Test Way, Tampa, FL 33602" in body
    assert "https://palpa.example/book/manage/" in body
    assert "until Monday, March 9, 2026 at 10:00 AM" in body
    email = AppointmentReminder.objects.get(appointment=appointment, channel="email")
    assert email.status == Status.SENT
    assert email.sent_to == "rosa@example.com"
    assert AuditEvent.objects.filter(
        action="export", object_id=str(appointment.public_id), detail__message="reminder"
    ).exists()


def test_a_reminder_is_never_sent_twice(appointment: Appointment) -> None:
    email = AppointmentReminder.objects.get(appointment=appointment, channel="email")
    with time_machine.travel(email.due_at, tick=False):
        assert reminders.send_reminder.call(email.pk) == Status.SENT
        assert reminders.send_reminder.call(email.pk) == "taken"
        run_worker()  # its queued task wakes too
        reminders.sweep()
    assert len(mail.outbox) == 1


def test_the_text_message_goes_to_a_patient_who_agreed_to_texts(appointment: Appointment) -> None:
    with time_machine.travel(appointment.start - dt.timedelta(hours=2), tick=False):
        run_worker()
    assert [m.to for m in sms.outbox] == ["+18135550101"]
    text = sms_bodies()[0]
    assert text.startswith("Bayside Medical Massage: reminder of your Treatment 60 min on")
    assert "Tuesday, March 10, 2026 at 10:00 AM (EDT)" in text
    assert "To cancel or change: https://palpa.example/book/manage/" in text


def test_no_text_without_consent_and_the_reason_is_recorded(
    django_capture_on_commit_callbacks: Any,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    hours: None,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        booked = book(
            front_desk, patient, practitioner, location, treatment, at(THURSDAY_NEXT, "11:00")
        )
    text = AppointmentReminder.objects.get(appointment=booked, channel="sms")
    with time_machine.travel(text.due_at, tick=False):
        assert reminders.send_reminder.call(text.pk) == Status.SKIPPED
    text.refresh_from_db()
    assert text.note == "No phone with text consent on file."
    assert sms.outbox == []


def test_moving_the_appointment_replans_and_the_next_reminder_has_the_new_time(
    django_capture_on_commit_callbacks: Any, front_desk: User, appointment: Appointment
) -> None:
    old = {r.channel: r.pk for r in AppointmentReminder.objects.filter(appointment=appointment)}
    with django_capture_on_commit_callbacks(execute=True):
        services.reschedule_appointment(
            actor=front_desk, appointment=appointment, start=at(THURSDAY_NEXT, "14:00")
        )
    assert set(
        AppointmentReminder.objects.filter(pk__in=old.values()).values_list("status", flat=True)
    ) == {Status.CANCELLED}
    new_start = at(THURSDAY_NEXT, "14:00")
    with time_machine.travel(new_start - dt.timedelta(hours=48), tick=False):
        run_worker()
        # the task queued for the old time wakes and sends nothing
        assert reminders.send_reminder.call(old["email"]) == "taken"
    reminder_mails = [m for m in mail.outbox if str(m.subject).startswith("Reminder:")]
    assert len(reminder_mails) == 1
    assert "Thursday, March 12, 2026 at 2:00 PM (EDT)" in str(reminder_mails[0].body)
    assert "March 10" not in str(reminder_mails[0].body)


def test_moving_tells_the_patient_the_new_time_at_once(
    django_capture_on_commit_callbacks: Any, front_desk: User, appointment: Appointment
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.reschedule_appointment(
            actor=front_desk, appointment=appointment, start=at(THURSDAY_NEXT, "14:00")
        )
    run_worker()
    moved = [m for m in mail.outbox if str(m.subject).startswith("Moved:")]
    assert len(moved) == 1
    assert "Thursday, March 12, 2026 at 2:00 PM (EDT)" in str(moved[0].body)
    assert any("MOVED to Thursday, March 12, 2026 at 2:00 PM" in b for b in sms_bodies())


def test_cancelling_stops_the_reminders_and_the_patients_links(
    django_capture_on_commit_callbacks: Any, front_desk: User, appointment: Appointment
) -> None:
    with time_machine.travel(appointment.start - dt.timedelta(hours=48), tick=False):
        run_worker()  # the email reminder carries a link
    assert AppointmentLink.objects.filter(appointment=appointment, revoked_at=None).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=front_desk, appointment=appointment, reason="Patient ill")
    assert not AppointmentReminder.objects.filter(
        appointment=appointment, status=Status.PLANNED
    ).exists()
    assert not AppointmentLink.objects.filter(appointment=appointment, revoked_at=None).exists()
    with time_machine.travel(appointment.start - dt.timedelta(hours=2), tick=False):
        run_worker()
        reminders.sweep()
    texts = sms_bodies()
    assert len(texts) == 1  # the cancellation notice, no reminder
    assert "is cancelled" in texts[0]
    assert "To book again call the clinic." in texts[0]


def test_the_clinics_own_wording_and_lead_times_are_used(
    django_capture_on_commit_callbacks: Any,
    owner: User,
    front_desk: User,
    texting_patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    hours: None,
) -> None:
    ReminderPolicy.objects.create(
        organization=location.organization,
        channel="sms",
        lead_minutes=24 * 60,
        body="Hi {first_name}! {what} {date} {time} at {address}. Change: {manage_link} "
        "Your page: {portal}",
    )
    with django_capture_on_commit_callbacks(execute=True):
        booked = book(
            front_desk,
            texting_patient,
            practitioner,
            location,
            treatment,
            at(THURSDAY_NEXT, "9:00"),
        )
    rows = AppointmentReminder.objects.filter(appointment=booked)
    assert [(r.channel, r.lead_minutes) for r in rows] == [("sms", 24 * 60)]
    with time_machine.travel(booked.start - dt.timedelta(hours=24), tick=False):
        run_worker()
    assert sms_bodies()[0].startswith(
        "Hi Rosa! Treatment 60 min Thursday, March 12, 2026 9:00 AM at 1 Test Way"
    )
    assert sms_bodies()[0].endswith(" Your page: https://palpa.example/my/")


def test_a_reminder_found_long_after_its_time_is_skipped_not_sent_late(
    appointment: Appointment,
) -> None:
    email = AppointmentReminder.objects.get(appointment=appointment, channel="email")
    with time_machine.travel(email.due_at + dt.timedelta(hours=5), tick=False):
        assert reminders.send_reminder.call(email.pk) == Status.SKIPPED
    assert mail.outbox == []


def test_the_sweep_plans_what_is_missing_and_reports_interrupted_sends(
    front_desk: User,
    texting_patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    hours: None,
) -> None:
    # booked without on-commit handlers running: nothing planned yet
    booked = book(
        front_desk, texting_patient, practitioner, location, treatment, at(THURSDAY_NEXT, "9:00")
    )
    assert not AppointmentReminder.objects.filter(appointment=booked).exists()
    assert reminders.sweep().planned == 2
    email = AppointmentReminder.objects.get(appointment=booked, channel="email")
    AppointmentReminder.objects.filter(pk=email.pk).update(status=Status.SENDING)
    with time_machine.travel(email.due_at + dt.timedelta(minutes=30), tick=False):
        result = reminders.sweep()
    assert result.interrupted == 1
    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert mail.outbox == []


def test_a_failing_provider_marks_the_reminder_failed(
    settings: Any, appointment: Appointment, tmp_path: Any
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    settings.PALPA_SMS_BACKEND = "palpa.scheduling.sms.FileBackend"
    settings.PALPA_SMS_OUTBOX = str(blocker / "outbox")
    text = AppointmentReminder.objects.get(appointment=appointment, channel="sms")
    with time_machine.travel(text.due_at, tick=False):
        assert reminders.send_reminder.call(text.pk) == Status.FAILED
    text.refresh_from_db()
    assert text.note.startswith("SmsError: The SMS outbox")


def test_the_send_reminders_command_sends_what_is_due_and_says_so(
    appointment: Appointment,
) -> None:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    with time_machine.travel(appointment.start - dt.timedelta(hours=48), tick=False):
        call_command("send_reminders", stdout=out)
        call_command("send_reminders", stdout=out)
    assert out.getvalue().splitlines() == [
        "planned 0, sent 1, skipped 0, failed 0, interrupted 0; "
        "patient messages handed to the worker again 0, interrupted 0",
        "planned 0, sent 0, skipped 0, failed 0, interrupted 0; "
        "patient messages handed to the worker again 0, interrupted 0",
    ]
    assert len(mail.outbox) == 1


def test_the_charts_messages_list_each_reminder_in_local_time_with_no_resend(
    appointment: Appointment, front_desk: User, client_for: Any, settings: Any, tmp_path: Any
) -> None:
    email = AppointmentReminder.objects.get(appointment=appointment, channel="email")
    with time_machine.travel(email.due_at, tick=False):
        run_worker()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    settings.PALPA_SMS_BACKEND = "palpa.scheduling.sms.FileBackend"
    settings.PALPA_SMS_OUTBOX = str(blocker / "outbox")
    text = AppointmentReminder.objects.get(appointment=appointment, channel="sms")
    with time_machine.travel(text.due_at, tick=False):
        reminders.send_reminder.call(text.pk)

    page = client_for(front_desk).get(f"/patients/{appointment.patient.public_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    messages = html[html.index('id="patient-messages"') :]
    # Sent 48 hours before 10:00 EDT on Tuesday 10 March: Sunday 8 March, 10:00 EDT.
    assert "Appointment reminder, 2 days before</strong> · Email to r***@example.com" in messages
    assert "Sent 2026-03-08 10:00 EDT" in messages
    assert "for the appointment on Tuesday, March 10, 2026, 10:00 AM EDT" in messages
    assert "Appointment reminder, 2 hours before</strong> · Text message" in messages
    assert "SmsError: The SMS outbox" in messages
    # The booking confirmations from the ledger (by email and by text) are there too,
    # each with its Resend; the reminders (sent once each by the worker) have none.
    ledger = PatientMessage.objects.filter(patient=appointment.patient)
    assert sorted(ledger.values_list("channel", flat=True)) == ["email", "sms"]
    assert messages.count(">Resend</button>") == 2
    assert "Booking confirmed" in messages


def test_a_reminder_still_to_go_shows_when_it_is_due(
    appointment: Appointment, front_desk: User, client_for: Any
) -> None:
    html = client_for(front_desk).get(f"/patients/{appointment.patient.public_id}/").content
    messages = html.decode()[html.decode().index('id="patient-messages"') :]
    assert "Appointment reminder, 2 days before</strong> · Email to —" in messages
    assert '<span class="tag">Due</span>' in messages
    assert "Due 2026-03-08 10:00 EDT" in messages


def test_cancelled_reminders_are_not_listed_and_another_clinic_sees_none(
    django_capture_on_commit_callbacks: Any,
    appointment: Appointment,
    front_desk: User,
    outsider: User,
) -> None:
    assert queries.reminders_for(outsider, patient=appointment.patient).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=front_desk, appointment=appointment, reason="Ill")
    assert queries.reminders_for(front_desk, patient=appointment.patient).count() == 0
