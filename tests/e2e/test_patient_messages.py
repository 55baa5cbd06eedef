"""Messages that reach patients, in a real browser: the front desk books a visit, the
worker sends the confirmation to a real SMTP server on 127.0.0.1, and the chart's
Messages section shows it as sent. The owner's wording page and the chart pass axe."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from palpa.accounts.models import Location, User
from palpa.core.tests.smtp import Inbox, running_smtp_server, smtp_mailers
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient, PatientMessage
from palpa.practitioners.models import Practitioner
from palpa.scheduling.tests.support import make_type, weekday_hours
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import PHONE, SignIn

pytestmark = pytest.mark.e2e


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    settings.PALPA_SITE_URL = "https://palpa.example"
    for inbox in running_smtp_server():
        settings.MAILERS = smtp_mailers(inbox.port)
        yield inbox


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_the_front_desk_books_and_the_chart_shows_the_confirmation_as_sent(
    page: Page,
    smtp: Inbox,
    owner: User,
    front_desk: User,
    location: Location,
    practitioner: Practitioner,
    patient: Patient,
    artifacts: Path,
) -> None:
    weekday_hours(owner, practitioner, location)
    make_type(owner, "treatment-60", "treatment", 60)
    today = clinic_today()
    day = today + dt.timedelta(days=7 - today.weekday())  # next Monday

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(front_desk.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/patients/{patient.public_id}/")
    expect(page.get_by_role("heading", name="Messages")).to_be_visible()
    expect(page.locator("#patient-messages")).to_contain_text("No messages sent yet.")

    page.get_by_role("link", name="Book an appointment").click()
    form = page.locator("form").filter(has=page.get_by_role("button", name="Book appointment"))
    form.get_by_label("Location").select_option(label="Bayside Clinic")
    form.get_by_label("Appointment type").select_option(label="Treatment 60 min")
    form.get_by_label("Practitioner").select_option(index=1)
    form.get_by_label("Date").fill(day.isoformat())
    form.get_by_label("Start time (local)").fill("10:00")
    form.get_by_role("button", name="Book appointment").click()
    expect(page.get_by_text("Appointment booked.")).to_be_visible()

    run_worker()
    assert [m["To"] for m in smtp.messages] == ["rosa@example.com"]
    assert smtp.messages[0]["Subject"].startswith("Booked: Treatment 60 min on ")

    page.goto(f"/patients/{patient.public_id}/")
    messages = page.locator("#patient-messages")
    expect(messages).to_contain_text("Booking confirmed")
    expect(messages).to_contain_text("Email to r***@example.com")
    confirmation = messages.locator("li").filter(has_text="Booking confirmed")
    expect(confirmation.locator(".tag")).to_have_text("Sent")
    # the appointment's reminders are listed too, with when they are due
    # (the 48-hour one only when the visit is more than 48 hours ahead at this clock)
    reminder = messages.locator("li").filter(has_text="Appointment reminder, 2 hours before")
    expect(reminder.locator(".tag")).to_have_text("Due")
    assert_accessible(page, "the chart with a message")
    page.screenshot(path=str(artifacts / "chart-messages.png"), full_page=True)

    # resend from the chart: a second confirmation with a fresh link
    messages.get_by_role("button", name="Resend").click()
    expect(page.get_by_text("Booking confirmed queued to be sent again.")).to_be_visible()
    run_worker()
    assert len(smtp.messages) == 2
    assert PatientMessage.objects.filter(patient=patient, status="sent").count() == 2


def test_the_owner_words_messages_on_a_page_that_passes_axe_on_a_phone(
    browser: Any, live_server: Any, owner: User, sign_in: SignIn
) -> None:
    device = TOTPDevice.objects.create(user=owner, name="Phone", confirmed=True)
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-US")
    page = context.new_page()
    try:
        sign_in(page, owner, device)
        page.goto("/accounts/settings/")
        page.get_by_role("link", name="Wording of messages to patients").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Messages to patients")
        assert_accessible(page, "the message wording list")
        page.get_by_role("link", name="Edit: Booking confirmed, Text message").click()
        body = page.get_by_label("Text message")
        body.fill("{clinic}: see you {date} at {time}. Change: {manage_link} {program}")
        page.get_by_role("button", name="Save wording").click()
        expect(page.get_by_text("{program} may not be used in a text message")).to_be_visible()
        assert_accessible(page, "the wording form with an error")
        body.fill("{clinic}: see you {date} at {time}. Change: {manage_link}")
        page.get_by_role("button", name="Save wording").click()
        expect(page.get_by_text("Wording saved.")).to_be_visible()
    finally:
        context.close()
