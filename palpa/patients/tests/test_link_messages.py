"""The intake link and the before-visit questionnaire link are sent to the patient, not
only shown to staff: a real SMTP server on 127.0.0.1 receives them, the link in the email
works, the ledger keeps no readable copy of it, and a resend issues a fresh link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import verified_client
from palpa.accounts.models import User
from palpa.core.tests.smtp import Inbox, running_smtp_server, smtp_mailers
from palpa.core.tests.support import frozen_clock
from palpa.outcomes.services import find_instrument_link
from palpa.patients.models import Consent, MessageKind, Patient, PatientMessage
from palpa.patients.services import record_consent
from palpa.scheduling.tests.booking_support import run_worker
from palpa.screening.services import find_intake_link

Status = PatientMessage.Status
_clock = pytest.fixture(autouse=True)(frozen_clock)


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    settings.PALPA_SITE_URL = "https://palpa.example"
    for inbox in running_smtp_server():
        settings.MAILERS = smtp_mailers(inbox.port)
        yield inbox


def link_in(body: str, path: str) -> str:
    found = re.search(rf"https://palpa\.example/{path}/(\S+?)/", body)
    assert found, body
    return found.group(1)


def test_front_desk_sends_an_intake_link_that_reaches_the_patient_and_works(
    smtp: Inbox, front_desk: User, patient: Patient
) -> None:
    page = verified_client(front_desk).post(f"/screening/patients/{patient.public_id}/intake-link/")
    assert page.status_code == 200
    assert "Sending by email to r***@example.com" in page.content.decode()
    run_worker()
    assert [m["To"] for m in smtp.messages] == ["rosa@example.com"]
    assert smtp.messages[0]["Subject"] == "Bayside Medical Massage: your health history form"
    body = smtp.bodies()[0]
    assert "Hello Rosa," in body
    assert "health history form" in body
    token = link_in(body, "intake")
    assert find_intake_link(token) is not None
    message = PatientMessage.objects.get(patient=patient)
    assert (message.kind, message.status) == (MessageKind.INTAKE_LINK, Status.SENT)
    assert token not in message.body
    assert "[link]" in message.body
    assert message.link_sealed == ""


def test_resending_an_intake_link_sends_a_fresh_one_and_the_old_stops_working(
    smtp: Inbox, front_desk: User, patient: Patient
) -> None:
    client = verified_client(front_desk)
    client.post(f"/screening/patients/{patient.public_id}/intake-link/")
    run_worker()
    first = PatientMessage.objects.get(patient=patient)
    response = client.post(f"/patients/{patient.public_id}/messages/{first.public_id}/resend/")
    assert response.status_code == 302
    run_worker()
    old, new = (link_in(b, "intake") for b in smtp.bodies())
    assert old != new
    assert find_intake_link(old) is None
    assert find_intake_link(new) is not None
    assert PatientMessage.objects.get(resend_of=first).status == Status.SENT


def test_an_intake_link_for_a_patient_who_withdrew_email_consent_is_not_emailed(
    smtp: Inbox, owner: User, front_desk: User, patient: Patient
) -> None:
    from palpa.core.tests.support import clinic_today

    record_consent(
        actor=owner,
        patient=patient,
        kind=Consent.Kind.EMAIL,
        version="2",
        given_on=clinic_today(),
        granted=False,
    )
    page = verified_client(front_desk).post(f"/screening/patients/{patient.public_id}/intake-link/")
    text = page.content.decode()
    assert "Not sent by email: The patient withdrew consent to contact by email" in text
    assert 'id="intake-url"' in text  # staff can still hand it over
    run_worker()
    assert smtp.messages == []
    assert PatientMessage.objects.get(patient=patient).status == Status.NOT_SENT


def test_a_therapist_sends_a_questionnaire_link_that_reaches_the_patient(
    smtp: Inbox, therapist: User, patient: Patient
) -> None:
    page = verified_client(therapist).post(
        f"/outcomes/patients/{patient.public_id}/links/",
        {"instruments": ["NPRS"], "context": "reassessment"},
    )
    assert page.status_code == 200
    run_worker()
    assert (
        smtp.messages[0]["Subject"] == "Bayside Medical Massage: a few questions before your visit"
    )
    token = link_in(smtp.bodies()[0], "before-visit")
    assert find_instrument_link(token) is not None
    assert PatientMessage.objects.get(patient=patient).kind == MessageKind.INSTRUMENT_LINK


def test_resending_a_questionnaire_link_replaces_it_with_the_same_instruments(
    smtp: Inbox, therapist: User, patient: Patient
) -> None:
    client = verified_client(therapist)
    client.post(
        f"/outcomes/patients/{patient.public_id}/links/",
        {"instruments": ["NPRS", "GROC"], "context": "reassessment"},
    )
    run_worker()
    first = PatientMessage.objects.get(patient=patient)
    client.post(f"/patients/{patient.public_id}/messages/{first.public_id}/resend/")
    run_worker()
    old, new = (link_in(b, "before-visit") for b in smtp.bodies())
    assert find_instrument_link(old) is None
    fresh = find_instrument_link(new)
    assert fresh is not None
    assert fresh.instruments == ["NPRS", "GROC"]
