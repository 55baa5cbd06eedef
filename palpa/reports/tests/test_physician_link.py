"""The physician's emailed link: no account needed, single use, expiring, rate-limited,
audited, and it leaks nothing when it cannot be used."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.reports import services
from palpa.reports.models import Report, ReportDelivery

BASE = "http://testserver/"


def _send(therapist: User, report: Report, **kwargs: Any) -> str:
    services.send_report(actor=therapist, report=report, base_url=BASE, **kwargs)
    body = str(mail.outbox[-1].body)
    found = re.search(r"http://testserver(/report-link/[^/\s]+/)", body)
    assert found, body
    return found.group(1)


def test_sending_emails_the_physician_a_link_without_clinical_details(
    therapist: User, signed: Report
) -> None:
    _send(therapist, signed)
    message = mail.outbox[-1]
    assert message.to == ["dr.park@bayside-fm.example"]
    assert message.subject == "A progress report from Bayside Medical Massage"
    assert "R.D." in message.body
    for private in ("Rosa", "Delgado", "1971", "ODI", "M54"):
        assert private not in message.body, private
    assert "works once" in message.body


def test_only_the_hash_of_the_token_is_stored(therapist: User, signed: Report) -> None:
    path = _send(therapist, signed)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    delivery = ReportDelivery.objects.get(report=signed)
    assert delivery.token_hash
    assert token not in delivery.token_hash
    assert len(token) >= 40
    assert delivery.expires_at == delivery.sent_at + dt.timedelta(days=14)  # type: ignore[operator]


def test_the_link_opens_the_pdf_once_then_says_it_has_expired(
    therapist: User, signed: Report
) -> None:
    path = _send(therapist, signed)
    browser = Client()
    landing = browser.get(path)
    assert landing.status_code == 200
    assert b"Open the report" in landing.content
    assert b"Rosa" not in landing.content
    opened = browser.post(path)
    assert opened.status_code == 200
    assert opened["Content-Type"] == "application/pdf"
    assert "no-store" in opened["Cache-Control"]
    assert opened.content == bytes(signed.pdf or b"")
    delivery = ReportDelivery.objects.get(report=signed)
    assert delivery.opened_at is not None
    assert AuditEvent.objects.filter(
        object_id=str(signed.public_id), detail__opened=True, actor__isnull=True
    ).exists()
    for again in (browser.get(path), browser.post(path)):
        assert again.status_code == 410
        assert b"This link has expired" in again.content
        assert b"Rosa" not in again.content


def test_an_expired_link_says_it_has_expired(therapist: User, signed: Report) -> None:
    path = _send(therapist, signed)
    with time_machine.travel(dt.datetime(2026, 3, 17, 20, 1, tzinfo=dt.UTC), tick=False):
        response = Client().post(path)
    assert response.status_code == 410
    assert b"This link has expired" in response.content
    assert ReportDelivery.objects.get(report=signed).opened_at is None


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43, "y" * 200])
def test_an_unknown_token_looks_the_same_as_an_expired_one(db: None, token: str) -> None:
    for response in (
        Client().get(f"/report-link/{token}/"),
        Client().post(f"/report-link/{token}/"),
    ):
        assert response.status_code == 410
        assert b"This link has expired" in response.content
    assert AuditEvent.objects.filter(detail__refused="unknown report link").exists()


def test_a_superseded_report_link_no_longer_opens(therapist: User, signed: Report) -> None:
    path = _send(therapist, signed)
    correction = services.correct_report(actor=therapist, report=signed, reason="Typo.")
    services.sign_report(actor=therapist, report=correction)
    assert Client().post(path).status_code == 200  # the old version is still the one sent
    assert Client().post(path).status_code == 410


def test_too_many_requests_from_one_address_slow_down(db: None, settings: Any) -> None:
    settings.PALPA_REPORT_LINK_RATE_LIMIT = 3
    client = Client()
    answers = [client.get(f"/report-link/guess-number-{n}/").status_code for n in range(5)]
    assert answers == [410, 410, 410, 429, 429]


def test_a_real_link_opens_though_guesses_from_the_same_address_were_refused(
    therapist: User, signed: Report, settings: Any
) -> None:
    settings.PALPA_REPORT_LINK_RATE_LIMIT = 2
    path = _send(therapist, signed)
    client = Client()
    answers = [client.get(f"/report-link/guess-number-{n}/").status_code for n in range(3)]
    assert answers == [410, 410, 429]
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200


def test_a_draft_cannot_be_sent(therapist: User, draft: Report) -> None:
    with pytest.raises(services.ReportRefused, match="draft"):
        services.send_report(actor=therapist, report=draft, base_url=BASE)
    assert mail.outbox == []


def test_without_an_address_on_file_the_email_field_is_named(
    therapist: User, signed: Report
) -> None:
    from django.core.exceptions import ValidationError

    assert signed.physician is not None
    signed.physician.secure_email = ""
    with pytest.raises(ValidationError) as caught:
        services.send_report(actor=therapist, report=signed, base_url=BASE)
    assert "email" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.send_report(actor=therapist, report=signed, base_url=BASE, recipient="nope")
    assert "email" in caught.value.message_dict


def test_delivering_twice_sends_one_email(therapist: User, signed: Report) -> None:
    _send(therapist, signed)
    delivery = ReportDelivery.objects.get(report=signed)
    assert services.deliver_email.call(delivery_id=delivery.pk, base_url=BASE) is False
    assert len(mail.outbox) == 1
