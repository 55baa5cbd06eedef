"""The home-care program reaches the patient: the therapist sends a signed plan's program
from the plan page; the email carries it, a text message only says it is ready."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from conftest import verified_client
from palpa.accounts.models import User
from palpa.care.models import Plan
from palpa.care.plans import services as plan_services
from palpa.care.tests.picture_support import ALT, picture
from palpa.core.tests.smtp import Inbox, running_smtp_server, smtp_mailers
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Consent, MessageKind, Patient, PatientMessage
from palpa.patients.services import record_consent, update_patient
from palpa.scheduling import sms
from palpa.scheduling.tests.booking_support import run_worker


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    settings.PALPA_SMS_BACKEND = "palpa.scheduling.sms.MemoryBackend"
    sms.outbox.clear()
    for inbox in running_smtp_server():
        settings.MAILERS = smtp_mailers(inbox.port)
        yield inbox
    sms.outbox.clear()


@pytest.fixture
def active_plan(therapist: User, plan: Plan) -> Plan:
    return plan_services.sign_plan(actor=therapist, plan=plan)


def test_the_therapist_sends_the_home_care_program_by_email(
    smtp: Inbox, settings: Any, therapist: User, active_plan: Plan
) -> None:
    settings.PALPA_SITE_URL = "https://palpa.example"
    response = verified_client(therapist).post(
        f"/care/plans/{active_plan.public_id}/send-home-care/"
    )
    assert response.status_code == 302
    run_worker()
    assert smtp.messages[0]["Subject"] == "Bayside Medical Massage: your home-care program"
    body = smtp.bodies()[0]
    assert "Here is your home-care program from Tess Therapist." in body
    assert "1. Self-massage: Ball on the left glute against a wall. (Once a day, 2 minutes)" in body
    assert "The program is also on your page at https://palpa.example/my/" in body
    assert "pictures" not in body
    message = PatientMessage.objects.get(patient=active_plan.patient)
    assert (message.kind, message.status) == (MessageKind.HOME_CARE, PatientMessage.Status.SENT)


def test_the_email_says_the_pictures_are_on_the_patients_page(
    smtp: Inbox, settings: Any, tmp_path: Any, therapist: User, plan: Plan
) -> None:
    settings.PALPA_SITE_URL = "https://palpa.example"
    settings.MEDIA_ROOT = tmp_path / "media"
    plan_services.add_home_care_picture(
        actor=therapist, item=plan.home_care.get(), picture=picture(), alt=ALT
    )
    signed = plan_services.sign_plan(actor=therapist, plan=plan)
    plan_services.send_home_care_program(actor=therapist, plan=signed)
    run_worker()
    (sent,) = smtp.messages
    body = smtp.bodies()[0]
    assert "The pictures are on your page: https://palpa.example/my/home-care/" in body
    assert not [part for part in sent.walk() if part.get_content_maintype() == "image"]


def test_a_text_message_says_the_program_is_ready_without_its_content(
    smtp: Inbox, owner: User, therapist: User, active_plan: Plan
) -> None:
    patient: Patient = active_plan.patient
    record_consent(
        actor=owner,
        patient=patient,
        kind=Consent.Kind.SMS,
        version="1",
        given_on=clinic_today(),
        granted=True,
    )
    update_patient(actor=owner, patient=patient, changes={"preferred_channel": "sms"})
    plan_services.send_home_care_program(actor=therapist, plan=active_plan)
    run_worker()
    assert smtp.messages == []
    (text,) = [m.body for m in sms.outbox]
    assert "home-care program from Tess Therapist is ready" in text
    assert "it is also on your page: http" in text
    assert text.endswith("/my/")
    assert "glute" not in text


@pytest.mark.parametrize("who", ["front_desk", "biller"])
def test_only_clinicians_send_the_program(
    request: pytest.FixtureRequest, who: str, active_plan: Plan
) -> None:
    client = verified_client(request.getfixturevalue(who))
    response = client.post(f"/care/plans/{active_plan.public_id}/send-home-care/")
    assert response.status_code == 403
    assert not PatientMessage.objects.exists()


def test_an_outsider_cannot_send_our_patients_program(outsider: User, active_plan: Plan) -> None:
    response = verified_client(outsider).post(
        f"/care/plans/{active_plan.public_id}/send-home-care/"
    )
    assert response.status_code == 404
    assert not PatientMessage.objects.exists()


def test_a_draft_plans_program_is_not_sent(therapist: User, plan: Plan) -> None:
    with pytest.raises(ValidationError, match="Only a signed, active plan"):
        plan_services.send_home_care_program(actor=therapist, plan=plan)
    assert not PatientMessage.objects.exists()
