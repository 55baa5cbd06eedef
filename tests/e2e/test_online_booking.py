"""Online booking end to end in a real browser.

A new patient books on a phone-sized screen (agreeing to texts); the front desk sees the
online booking on its page, opens the appointment and moves it; the worker then sends
the patient the new time, and the text-message reminder in the SMS outbox (the file
backend) carries the new time too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from palpa.accounts.models import Location, User
from palpa.practitioners.models import Practitioner
from palpa.scheduling import online, patient_messages, reminders, sms
from palpa.scheduling.models import Appointment, AppointmentReminder, OnlineBookingNotice
from palpa.scheduling.tests.support import make_type, weekday_hours
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e


@pytest.fixture
def outbox(settings: Any, tmp_path: Path) -> Path:
    settings.PALPA_SMS_BACKEND = "palpa.scheduling.sms.FileBackend"
    settings.PALPA_SMS_OUTBOX = str(tmp_path / "sms")
    return tmp_path / "sms"


@pytest.fixture
def open_clinic(
    owner: User, location: Location, practitioner: Practitioner, live_server: Any, settings: Any
) -> Location:
    settings.PALPA_SITE_URL = live_server.url
    weekday_hours(owner, practitioner, location)
    kind = make_type(owner, "treatment-online", "treatment", 60, online_bookable=True)
    online.update_online_settings(
        actor=owner,
        location=location,
        changes={"enabled": True, "new_patients": "book", "min_notice_hours": 24},
        appointment_types=[kind],
    )
    return location


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_a_patient_books_on_a_phone_the_front_desk_moves_it_and_the_reminder_has_the_new_time(
    phone_page: Page,
    page: Page,
    front_desk: User,
    open_clinic: Location,
    outbox: Path,
    artifacts: Path,
) -> None:
    phone = phone_page
    # --- the patient, on a phone ---------------------------------------------------
    phone.goto(f"/book/{open_clinic.public_id}/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Book at Bayside Clinic")
    phone.get_by_role("link", name="Treatment 60 min").click()
    first_slot = phone.locator("ul.slots a").first
    box = first_slot.bounding_box()
    assert box is not None
    assert box["height"] >= 44
    first_slot.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your booking")
    new = phone.locator("section", has=phone.locator("#new-h"))
    new.get_by_label("First name").fill("Nora")
    new.get_by_label("Last name").fill("Quinn")
    new.get_by_label("Date of birth").fill("1988-07-01")
    new.get_by_label("Mobile phone").fill("813 555 0177")
    new.get_by_label("Email").fill("nora@example.com")
    new.get_by_label("Text me about my appointments").check()
    new.get_by_label("I have read the clinic's privacy notice").check()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    phone.screenshot(path=artifacts / "online-booking-phone.png", full_page=True)
    new.get_by_role("button", name="Book as a new patient").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("You are booked")
    booked = Appointment.objects.get(patient__family_name="Quinn")
    assert booked.source == "online"
    first_start = booked.start

    # --- the front desk sees it and moves it ----------------------------------------
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(front_desk.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")
    page.goto("/online-booking/")
    row = page.get_by_role("row").filter(has_text="Nora Quinn")
    expect(row).to_contain_text("Booked online")
    row.get_by_role("link", name="Treatment 60 min").click()
    expect(page.get_by_role("heading", name="Reschedule")).to_be_visible()
    page.get_by_role("list", name="Free slots to move to").get_by_role("button").last.click()
    expect(page.get_by_role("status")).to_contain_text("Appointment moved.")
    booked.refresh_from_db()
    assert booked.start != first_start
    assert booked.status == "booked"
    assert OnlineBookingNotice.objects.get(appointment=booked).kind == "booked"

    # --- the worker tells the patient; the reminder carries the new time ---------------
    date, time, zone = patient_messages.local_text(booked.start, open_clinic)
    run_worker()
    moved_mail = [m for m in mail.outbox if str(m.subject).startswith("Moved:")]
    assert moved_mail
    assert f"{date} at {time} ({zone})" in str(moved_mail[0].body)
    text = AppointmentReminder.objects.get(
        appointment=booked, channel="sms", appointment_start=booked.start
    )
    with time_machine.travel(text.due_at, tick=False):
        run_worker()
        reminders.sweep()
    messages = sms.read_outbox(outbox)
    reminder_texts = [m["body"] for m in messages if "reminder of your" in m["body"]]
    assert len(reminder_texts) == 1
    assert f"{date} at {time} ({zone})" in reminder_texts[0]
    old_date, old_time, _ = patient_messages.local_text(first_start, open_clinic)
    assert f"{old_date} at {old_time}" not in reminder_texts[0]
    assert all(m["to"] == "+18135550177" for m in messages)
    assert dt.timedelta(0) < booked.start - text.due_at <= dt.timedelta(hours=2)
