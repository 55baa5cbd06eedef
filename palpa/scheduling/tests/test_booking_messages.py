"""Booking notices reach the patient through the message ledger: a real SMTP server on
127.0.0.1 receives them, the chart lists them, a failed send is tried again and then
shown as failed, and staff may resend them.

The clock stands at Monday 2 March 2026, 15:00 in Tampa (20:00 UTC).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from conftest import verified_client
from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.smtp import Inbox, free_port, running_smtp_server, smtp_mailers
from palpa.patients.models import Consent, MessageKind, Patient, PatientMessage
from palpa.patients.services import record_consent, update_patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services, sms
from palpa.scheduling.models import Appointment, AppointmentReminder, AppointmentType
from palpa.scheduling.tests.booking_support import consent_to_texts, run_worker
from palpa.scheduling.tests.support import MONDAY, at

Status = PatientMessage.Status
TUESDAY = dt.date(2026, 3, 3)
THURSDAY_NEXT = dt.date(2026, 3, 12)


@pytest.fixture(autouse=True)
def _sms_in_memory(settings: Any) -> Iterator[None]:
    settings.PALPA_SMS_BACKEND = "palpa.scheduling.sms.MemoryBackend"
    settings.PALPA_SITE_URL = "https://palpa.example"
    settings.DEFAULT_FROM_EMAIL = "Palpa <no-reply@palpa.example>"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    for inbox in running_smtp_server():
        settings.MAILERS = smtp_mailers(inbox.port)
        yield inbox


def book(
    capture: Any,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    kind: AppointmentType,
    start: dt.datetime,
) -> Appointment:
    with capture(execute=True):
        return services.book_appointment(
            actor=front_desk,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=kind,
            start=start,
        )


@pytest.fixture
def booked(
    django_capture_on_commit_callbacks: Any,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    hours: None,
) -> Appointment:
    return book(
        django_capture_on_commit_callbacks,
        front_desk,
        patient,
        practitioner,
        location,
        treatment,
        at(THURSDAY_NEXT, "10:00"),
    )


def test_a_staff_booking_is_confirmed_by_email_through_a_real_smtp_server(
    smtp: Inbox, booked: Appointment
) -> None:
    run_worker()
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received["To"] == "rosa@example.com"
    assert received["From"] == "Bayside Medical Massage <no-reply@palpa.example>"
    assert received["Subject"] == "Booked: Treatment 60 min on Thursday, March 12, 2026 at 10:00 AM"
    body = smtp.bodies()[0]
    assert "Your appointment at Bayside Medical Massage is booked." in body
    assert "Thursday, March 12, 2026 at 10:00 AM (EDT)" in body
    assert "https://palpa.example/book/manage/" in body
    # the patient learns that their own page exists, at the same address as the links
    assert "See and change your appointments at https://palpa.example/my/" in body
    message = PatientMessage.objects.get(patient=booked.patient)
    assert (message.kind, message.channel, message.status, message.attempts) == (
        MessageKind.BOOKING_CONFIRMED,
        "email",
        Status.SENT,
        1,
    )
    assert message.sent_at is not None
    # the link is a secret: the ledger keeps neither it nor its token readable
    token = body.split("https://palpa.example/book/manage/")[1].split("/")[0].split()[0]
    assert token not in message.body
    assert "[link]" in message.body
    assert message.link_sealed == ""
    assert AuditEvent.objects.filter(
        object_id=str(message.public_id), detail__status="sent"
    ).exists()


def test_a_first_visit_booked_less_than_48_hours_ahead_is_still_confirmed(
    smtp: Inbox,
    django_capture_on_commit_callbacks: Any,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    evaluation: AppointmentType,
    hours: None,
) -> None:
    tomorrow = book(
        django_capture_on_commit_callbacks,
        front_desk,
        patient,
        practitioner,
        location,
        evaluation,
        at(TUESDAY, "10:00"),
    )
    assert not AppointmentReminder.objects.filter(appointment=tomorrow, channel="email").exists()
    run_worker()
    assert [m["Subject"] for m in smtp.messages] == [
        "Booked: Initial evaluation on Tuesday, March 3, 2026 at 10:00 AM"
    ]


def test_a_failing_smtp_server_is_tried_again_then_marked_failed_on_the_chart(
    settings: Any, booked: Appointment, front_desk: User
) -> None:
    settings.MAILERS = smtp_mailers(free_port())  # nothing listens there
    settings.PALPA_MESSAGE_ATTEMPTS = 3
    settings.PALPA_MESSAGE_RETRY_SECONDS = 60
    run_worker()
    message = PatientMessage.objects.get(patient=booked.patient)
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert "Connection refused" in message.last_error or "Errno" in message.last_error
    assert message.next_attempt_at is not None
    assert message.link_sealed != ""  # kept, sealed, for the next try
    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.QUEUED, 2)
    assert message.next_attempt_at is not None
    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 3)
    assert message.link_sealed == ""  # erased once failed for good
    assert AuditEvent.objects.filter(
        object_id=str(message.public_id), detail__status="failed"
    ).exists()
    page = verified_client(front_desk).get(
        reverse("patients:detail", args=[booked.patient.public_id])
    )
    text = page.content.decode()
    assert "Booking confirmed" in text
    assert "Failed" in text
    assert message.last_error[:20] in text
    assert "r***@example.com" in text
    assert "rosa@example.com</td>" not in text


def test_withdrawn_email_consent_means_no_email_and_the_reason_is_recorded(
    smtp: Inbox,
    django_capture_on_commit_callbacks: Any,
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    hours: None,
) -> None:
    record_consent(
        actor=owner,
        patient=patient,
        kind=Consent.Kind.EMAIL,
        version="1",
        given_on=MONDAY,
        granted=False,
    )
    book(
        django_capture_on_commit_callbacks,
        front_desk,
        patient,
        practitioner,
        location,
        treatment,
        at(THURSDAY_NEXT, "10:00"),
    )
    run_worker()
    assert smtp.messages == []
    message = PatientMessage.objects.get(patient=patient)
    assert (message.channel, message.status, message.recipient) == ("email", Status.NOT_SENT, "")
    assert message.last_error == "The patient withdrew consent to contact by email on 2026-03-02."
    page = verified_client(front_desk).get(reverse("patients:detail", args=[patient.public_id]))
    assert "Not sent" in page.content.decode()
    assert "withdrew consent to contact by email" in page.content.decode()


def test_a_patient_who_prefers_texts_gets_only_a_text_without_the_clinical_detail(
    smtp: Inbox,
    django_capture_on_commit_callbacks: Any,
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    hours: None,
) -> None:
    consent_to_texts(owner, patient, MONDAY)
    update_patient(actor=owner, patient=patient, changes={"preferred_channel": "sms"})
    book(
        django_capture_on_commit_callbacks,
        front_desk,
        patient,
        practitioner,
        location,
        treatment,
        at(THURSDAY_NEXT, "10:00"),
    )
    run_worker()
    assert smtp.messages == []
    assert [m.to for m in sms.outbox] == ["+18135550101"]
    assert sms.outbox[0].body.startswith("Bayside Medical Massage: booked Treatment 60 min")
    assert "/my/" not in sms.outbox[0].body  # a text keeps to its manage link (length)
    assert PatientMessage.objects.get(patient=patient).status == Status.SENT


def test_moving_and_cancelling_are_told_and_kept_on_the_chart(
    smtp: Inbox, django_capture_on_commit_callbacks: Any, booked: Appointment, front_desk: User
) -> None:
    run_worker()
    with django_capture_on_commit_callbacks(execute=True):
        moved = services.reschedule_appointment(
            actor=front_desk, appointment=booked, start=at(THURSDAY_NEXT, "14:00")
        )
    run_worker()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=front_desk, appointment=moved, reason="Patient ill")
    run_worker()
    kinds = list(
        PatientMessage.objects.filter(patient=booked.patient)
        .order_by("created_at", "pk")
        .values_list("kind", "status")
    )
    assert kinds == [
        (MessageKind.BOOKING_CONFIRMED, Status.SENT),
        (MessageKind.BOOKING_MOVED, Status.SENT),
        (MessageKind.BOOKING_CANCELLED, Status.SENT),
    ]
    assert [m["Subject"].strip().split(":")[0] for m in smtp.messages] == [
        "Booked",
        "Moved",
        "Cancelled",
    ]


def test_front_desk_resends_a_confirmation_with_a_fresh_link(
    smtp: Inbox, booked: Appointment, front_desk: User
) -> None:
    run_worker()
    first = PatientMessage.objects.get(patient=booked.patient)
    response = verified_client(front_desk).post(
        reverse("patients:message_resend", args=[booked.patient.public_id, first.public_id])
    )
    assert response.status_code == 302
    run_worker()
    again = PatientMessage.objects.get(resend_of=first)
    assert (again.status, again.requested_by) == (Status.SENT, front_desk)
    links = [b.split("https://palpa.example/book/manage/")[1].split()[0] for b in smtp.bodies()]
    assert len(links) == 2
    assert links[0] != links[1]
    assert AuditEvent.objects.filter(
        actor=front_desk, action="export", detail__resend_of=str(first.public_id)
    ).exists()


def test_a_biller_neither_sees_the_messages_nor_resends_them(
    booked: Appointment, biller: User
) -> None:
    run_worker()
    message = PatientMessage.objects.get(patient=booked.patient)
    client = verified_client(biller)
    chart = client.get(reverse("patients:detail", args=[booked.patient.public_id]))
    assert chart.status_code == 200
    assert 'id="messages-h"' not in chart.content.decode()
    response = client.post(
        reverse("patients:message_resend", args=[booked.patient.public_id, message.public_id])
    )
    assert response.status_code == 403
    assert not PatientMessage.objects.filter(resend_of=message).exists()


def test_an_outsider_cannot_resend_our_patients_message(
    booked: Appointment, outsider: User
) -> None:
    run_worker()
    message = PatientMessage.objects.get(patient=booked.patient)
    response = verified_client(outsider).post(
        reverse("patients:message_resend", args=[booked.patient.public_id, message.public_id])
    )
    assert response.status_code == 404
    assert not PatientMessage.objects.filter(resend_of=message).exists()


def test_the_chart_lists_messages_in_the_clinics_time(
    booked: Appointment, front_desk: User
) -> None:
    run_worker()
    page = verified_client(front_desk).get(
        reverse("patients:detail", args=[booked.patient.public_id])
    )
    text = page.content.decode()
    assert 'id="messages-h"' in text
    assert "2026-03-02 15:00 EST" in text  # 20:00 UTC is 15:00 in Tampa
    assert "Sent" in text
    assert AuditEvent.objects.filter(
        actor=front_desk, action="read", patient_id=str(booked.patient.public_id)
    ).exists()


def test_a_message_left_sending_by_a_dead_worker_is_failed_by_the_sweep_not_sent_twice(
    smtp: Inbox, front_desk: User, patient: Patient
) -> None:
    import io

    from django.core.management import call_command

    from palpa.patients import messages as ledger

    queued = dt.datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("America/New_York"))  # Tampa
    with time_machine.travel(queued, tick=False):
        (message,) = ledger.send_message(
            actor=front_desk,
            patient=patient,
            kind=MessageKind.BOOKING_CANCELLED,
            values={"what": "Treatment 60 min", "date": "Thursday, March 12, 2026"},
        )
    PatientMessage.objects.filter(pk=message.pk).update(status=Status.SENDING)  # then it died
    out = io.StringIO()
    with time_machine.travel(queued + dt.timedelta(minutes=16), tick=False):
        call_command("send_reminders", stdout=out)
        run_worker()
    assert "patient messages handed to the worker again 0, interrupted 1" in out.getvalue()
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.last_error.startswith("Interrupted while sending")
    assert smtp.messages == []
