"""Signing in to the portal with a one-time code: sent through the patient message
ledger to the contact on file, never saying whether anyone matched, hashed at rest,
used once, for 10 minutes and 5 tries, rate limited; a portal session of its own."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from conftest import verified_client
from palpa.audit.models import AuditEvent
from palpa.core import sms
from palpa.core.tests.support import NOW, TODAY
from palpa.patients.models import Consent, MessageKind, Patient, PatientMessage
from palpa.patients.services import create_patient, record_consent
from palpa.portal import services
from palpa.portal.models import PortalCode
from palpa.portal.tests.support import code_in_outbox, sign_in
from palpa.portal.views import CHALLENGE_KEY
from palpa.scheduling.tests.booking_support import run_worker

Status = PatientMessage.Status


def test_a_patient_signs_in_with_the_code_emailed_to_them(patient: Patient) -> None:
    client = Client()
    asked = client.post("/my/sign-in/", {"contact": "  ROSA@example.com "})
    assert asked.status_code == 302
    page = client.get("/my/sign-in/code/")
    assert "If r***@example.com is on file at the clinic, we emailed a 6-digit code" in (
        page.content.decode()
    )
    run_worker()
    code = code_in_outbox()
    assert mail.outbox[-1].to == ["rosa@example.com"]
    assert mail.outbox[-1].subject == "Bayside Medical Massage: your sign-in code"
    message = PatientMessage.objects.get(patient=patient, kind=MessageKind.PORTAL_CODE)
    assert (message.channel, message.status) == ("email", Status.SENT)
    assert code not in message.body
    assert "[link]" in message.body
    assert message.link_sealed == ""
    row = PortalCode.objects.get(patient=patient)
    assert code not in row.code_hash

    entered = client.post("/my/sign-in/code/", {"code": code})
    assert entered.status_code == 302
    assert entered["Location"] == "/my/"
    home = client.get("/my/")
    assert home.status_code == 200
    assert "Hello Rosa" in home.content.decode()
    login = AuditEvent.objects.get(action="login", patient_id=str(patient.public_id))
    assert (login.actor_id, login.actor_label) == (None, services.PATIENT_LABEL)
    assert login.organization_id == patient.organization_id


def test_a_code_works_once(patient: Patient) -> None:
    client = Client()
    client.post("/my/sign-in/", {"contact": "rosa@example.com"})
    run_worker()
    code = code_in_outbox()
    used = str(PortalCode.objects.get().public_id)
    assert client.post("/my/sign-in/code/", {"code": code}).status_code == 302
    client.post("/my/sign-out/")
    session = client.session
    session[CHALLENGE_KEY] = {"ref": used, "to": "", "channel": "email"}
    session.save()
    reused = client.post("/my/sign-in/code/", {"code": code})
    assert reused.status_code == 400
    assert "That code did not work" in reused.content.decode()
    assert client.get("/my/").status_code == 302


def test_an_unknown_contact_gets_the_same_answer_and_nothing_is_sent(patient: Patient) -> None:
    known, unknown = Client(), Client()
    known.post("/my/sign-in/", {"contact": "rosa@example.com"})
    asked = unknown.post("/my/sign-in/", {"contact": "nobody@example.com"})
    assert asked.status_code == 302
    assert asked["Location"] == "/my/sign-in/code/"
    page = unknown.get("/my/sign-in/code/").content.decode()
    assert "If n***@example.com is on file at the clinic, we emailed a 6-digit code" in page
    run_worker()
    assert [m.to for m in mail.outbox] == [["rosa@example.com"]]
    wrong = unknown.post("/my/sign-in/code/", {"code": "123456"})
    assert wrong.status_code == 400
    assert "That code did not work" in wrong.content.decode()


def test_a_contact_on_file_for_two_patients_sends_nothing(owner: Any, patient: Patient) -> None:
    create_patient(
        actor=owner,
        given_name="Luis",
        family_name="Delgado",
        date_of_birth=dt.date(1969, 5, 2),
        email="rosa@example.com",
    )
    Client().post("/my/sign-in/", {"contact": "rosa@example.com"})
    run_worker()
    assert mail.outbox == []
    assert not PortalCode.objects.exists()


def test_a_patient_of_another_organization_signs_in_to_their_own_clinic(
    outsider: Any, patient: Patient
) -> None:
    other = create_patient(
        actor=outsider,
        given_name="Ivo",
        family_name="Foreign",
        date_of_birth=dt.date(1980, 1, 1),
        email="ivo@example.com",
    )
    client = Client()
    assert sign_in(client, "ivo@example.com").status_code == 302
    home = client.get("/my/").content.decode()
    assert "Elsewhere Spa" in home
    assert "Hello Ivo" in home
    assert AuditEvent.objects.filter(
        action="login", patient_id=str(other.public_id), organization_id=other.organization_id
    ).exists()


def test_five_wrong_codes_use_the_code_up(patient: Patient) -> None:
    client = Client()
    client.post("/my/sign-in/", {"contact": "rosa@example.com"})
    run_worker()
    code = code_in_outbox()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(services.CODE_ATTEMPTS):
        assert client.post("/my/sign-in/code/", {"code": wrong}).status_code == 400
    assert client.post("/my/sign-in/code/", {"code": code}).status_code == 400
    assert client.get("/my/").status_code == 302


def test_a_code_stops_working_after_ten_minutes(patient: Patient) -> None:
    client = Client()
    client.post("/my/sign-in/", {"contact": "rosa@example.com"})
    run_worker()
    code = code_in_outbox()
    with time_machine.travel(NOW + dt.timedelta(minutes=10, seconds=1), tick=False):
        assert client.post("/my/sign-in/code/", {"code": code}).status_code == 400


def test_a_code_by_text_message_needs_consent_to_texts(
    settings: Any, owner: Any, patient: Patient
) -> None:
    settings.PALPA_SMS_BACKEND = "palpa.core.sms.MemoryBackend"
    sms.outbox.clear()
    Client().post("/my/sign-in/", {"contact": "(813) 555-0101"})
    run_worker()
    message = PatientMessage.objects.get(kind=MessageKind.PORTAL_CODE)
    assert (message.channel, message.status) == ("sms", Status.NOT_SENT)
    assert message.last_error == "The patient has not consented to text messages."
    assert sms.outbox == []
    assert mail.outbox == []

    record_consent(
        actor=owner,
        patient=patient,
        kind=Consent.Kind.SMS,
        version="1",
        given_on=TODAY,
        granted=True,
    )
    client = Client()
    client.post("/my/sign-in/", {"contact": "813.555.0101"})
    run_worker()
    assert mail.outbox == []
    text = sms.outbox[-1].body
    assert "Bayside Medical Massage: your sign-in code is" in text
    code = text.split("is ")[1][:6]
    assert client.post("/my/sign-in/code/", {"code": code}).status_code == 302


def test_what_is_not_an_email_or_a_number_is_refused_naming_the_field(patient: Patient) -> None:
    page = Client().post("/my/sign-in/", {"contact": "rosa"})
    assert page.status_code == 400
    assert "Enter the email address or mobile number the clinic has on file." in (
        page.content.decode()
    )
    assert not PortalCode.objects.exists()


def test_asking_for_codes_too_often_for_one_contact_is_slowed(
    settings: Any, patient: Patient
) -> None:
    settings.PALPA_PORTAL_CODE_LIMIT = 2
    answers = [
        Client().post("/my/sign-in/", {"contact": "rosa@example.com"}).status_code for _ in range(3)
    ]
    assert answers == [302, 302, 429]
    # A patient reaches at most three codes an hour whatever the limits.
    assert PortalCode.objects.count() == 2


def test_the_portal_session_lapses_after_fifteen_idle_minutes(patient: Patient) -> None:
    client = Client()
    sign_in(client, "rosa@example.com")
    with time_machine.travel(NOW + dt.timedelta(minutes=14), tick=False):
        assert client.get("/my/").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(minutes=28), tick=False):
        assert client.get("/my/").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(minutes=45), tick=False):
        page = client.get("/my/")
        assert page.status_code == 302
        assert page["Location"] == "/my/sign-in/"


def test_a_staff_session_is_not_a_patient_session(owner: Any, patient: Patient) -> None:
    page = verified_client(owner).get("/my/")
    assert page.status_code == 302
    assert page["Location"] == "/my/sign-in/"


def test_signing_out_ends_the_portal_session(patient: Patient) -> None:
    client = Client()
    sign_in(client, "rosa@example.com")
    out = client.post("/my/sign-out/")
    assert out.status_code == 302
    assert client.get("/my/").status_code == 302
    assert AuditEvent.objects.filter(action="logout", patient_id=str(patient.public_id)).exists()


@pytest.mark.parametrize("status", ["inactive", "deceased"])
def test_a_patient_whose_record_is_not_active_gets_no_code(
    owner: Any, patient: Patient, status: str
) -> None:
    Patient.objects.filter(pk=patient.pk).update(status=status)
    Client().post("/my/sign-in/", {"contact": "rosa@example.com"})
    assert not PortalCode.objects.exists()
