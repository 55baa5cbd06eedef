"""The owner words each kind of message to patients (settings): plain-language defaults,
the organization's own text where written, no clinical detail in a text message."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from conftest import verified_client
from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import frozen_clock
from palpa.patients.models import MessageTemplate, Patient
from palpa.scheduling.tests.booking_support import run_worker

_clock = pytest.fixture(autouse=True)(frozen_clock)
LIST = "/patients/message-templates/"
INTAKE_EMAIL = LIST + "edit/?kind=intake_link&channel=email"
HOME_CARE_SMS = LIST + "edit/?kind=home_care&channel=sms"


def test_the_owner_sees_every_kind_of_message_with_its_default_wording(owner: User) -> None:
    page = verified_client(owner).get(LIST)
    assert page.status_code == 200
    text = page.content.decode()
    for label in (
        "Health history form link",
        "Questionnaire link",
        "Booking confirmed",
        "Booking moved",
        "Booking cancelled",
        "Report ready",
        "Home-care program",
    ):
        assert label in text
    assert "{clinic}: your health history form" in text


@pytest.mark.parametrize("who", ["therapist", "front_desk", "biller"])
def test_only_the_owner_may_word_messages(request: pytest.FixtureRequest, who: str) -> None:
    client = verified_client(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 403
    response = client.post(INTAKE_EMAIL, {"subject": "Hi", "body": "Open {link}"})
    assert response.status_code == 403
    assert not MessageTemplate.objects.exists()


def test_the_owners_wording_is_what_the_patient_receives(
    owner: User, front_desk: User, patient: Patient, outsider: User
) -> None:
    response = verified_client(owner).post(
        INTAKE_EMAIL,
        {
            "subject": "{clinic} - before your first visit",
            "body": "Dear {first_name}, please fill this in: {link} (until {expires}).",
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="settings", detail__message_template="intake_link")
    # another organization's owner sees only the defaults
    assert "before your first visit" not in verified_client(outsider).get(LIST).content.decode()
    verified_client(front_desk).post(f"/screening/patients/{patient.public_id}/intake-link/")
    run_worker()
    assert [m.subject for m in mail.outbox] == ["Bayside Medical Massage - before your first visit"]
    assert str(mail.outbox[0].body).startswith("Dear Rosa, please fill this in: http")


def test_a_text_message_may_not_carry_the_home_care_program(owner: User) -> None:
    response = verified_client(owner).post(HOME_CARE_SMS, {"body": "{clinic}: {program}"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "{program} may not be used in a text message" in text
    assert "carries no clinical detail" in text
    assert not MessageTemplate.objects.exists()


def test_a_link_message_must_keep_its_link_and_known_placeholders(owner: User) -> None:
    response = verified_client(owner).post(
        INTAKE_EMAIL, {"subject": "Hello {name}", "body": "Please call us."}
    )
    text = response.content.decode()
    assert "The text must contain {link}." in text
    assert "Unknown placeholder {name}" in text
    assert not MessageTemplate.objects.exists()


def test_going_back_to_the_default_wording(owner: User) -> None:
    client = verified_client(owner)
    client.post(INTAKE_EMAIL, {"subject": "Mine", "body": "Open {link}"})
    assert MessageTemplate.objects.count() == 1
    client.post(INTAKE_EMAIL, {"reset": "1", "subject": "Mine", "body": "Open {link}"})
    assert not MessageTemplate.objects.exists()


def test_every_message_may_name_the_patients_own_page(
    settings: Any, owner: User, front_desk: User, patient: Patient
) -> None:
    settings.PALPA_SITE_URL = "https://palpa.example"
    client = verified_client(owner)
    form = client.get(HOME_CARE_SMS).content.decode()
    assert "{portal}" in form  # listed among the placeholders, also for a text message
    texted = client.post(HOME_CARE_SMS, {"body": "{clinic}: your program is on {portal}"})
    assert texted.status_code == 302
    client.post(INTAKE_EMAIL, {"subject": "{clinic}", "body": "Open {link}. Your page: {portal}"})
    verified_client(front_desk).post(f"/screening/patients/{patient.public_id}/intake-link/")
    run_worker()
    assert str(mail.outbox[0].body).endswith("Your page: https://palpa.example/my/\n")
