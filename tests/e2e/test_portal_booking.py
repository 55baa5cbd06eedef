"""Booking and changing a time in the portal, on a phone in a real browser: the patient
signs in, books the first free time of the clinic's online booking (a day, then a time,
then confirm: each step updates only the booking part of the page), changes its time to
another free time with the same therapist, and sees it listed at the clinic's time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from palpa.accounts.models import Location, User
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.portal.tests.support import code_in_outbox, portal_course
from palpa.scheduling import online, patient_messages
from palpa.scheduling.models import Appointment, AppointmentType
from tests.e2e.axe import assert_accessible
from tests.e2e.test_patient_portal import run_worker

pytestmark = pytest.mark.e2e


def test_a_patient_books_and_changes_a_time_on_a_phone(
    phone_page: Page,
    owner: User,
    therapist: User,
    biller: User,
    patient: Patient,
    location: Location,
    artifacts: Path,
) -> None:
    course = portal_course(
        owner=owner,
        therapist=therapist,
        biller=biller,
        patient=patient,
        location=location,
        today=clinic_today(),
    )
    AppointmentType.objects.filter(pk=course.upcoming.appointment_type_id).update(
        online_bookable=True
    )
    kind = AppointmentType.objects.get(pk=course.upcoming.appointment_type_id)
    online.update_online_settings(
        actor=owner,
        location=location,
        changes={"enabled": True, "days_ahead": 30, "min_notice_hours": 24},
        appointment_types=[kind],
    )
    page = phone_page
    page.goto("/my/sign-in/")
    page.get_by_label("Your email or mobile number").fill("rosa@example.com")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    run_worker()
    page.get_by_label("The 6-digit code we sent you").fill(code_in_outbox())
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Book an appointment").click()
    page.get_by_role("link", name=re.compile(kind.name)).click()
    part = page.locator("#part-book")
    expect(part.get_by_role("heading", name=re.compile("^Free times on"))).to_be_visible()
    part.locator("ul.slots a").first.click()
    book = part.get_by_role("button", name=re.compile("^Book "))
    expect(book).to_be_visible()
    assert_accessible(page, "the portal's booking page with a time chosen")
    page.screenshot(path=str(artifacts / "portal-book-phone.png"), full_page=True)
    book.click()
    expect(page.get_by_text(re.compile("You are booked: "))).to_be_visible()

    booked = Appointment.objects.get(patient=patient, source="online", status="booked")
    date, _, _ = patient_messages.local_text(booked.start, location)
    page.get_by_role("link", name=f"Change time of the appointment on {date}").click()
    moving = page.locator("#part-move")
    expect(moving.get_by_role("heading", name=re.compile("^Free times on"))).to_be_visible()
    moving.locator("ul.slots a").last.click()
    move = moving.get_by_role("button", name=re.compile("^Move it to "))
    expect(move).to_be_visible()
    page.screenshot(path=str(artifacts / "portal-move-phone.png"), full_page=True)
    move.click()
    expect(page.get_by_text(re.compile("Your appointment is moved to "))).to_be_visible()

    moved = Appointment.objects.get(patient=patient, source="online", status="booked")
    assert moved.start != booked.start
    assert moved.practitioner_id == booked.practitioner_id
    when, time, zone = patient_messages.local_text(moved.start, location)
    upcoming = page.get_by_role("region", name="Your next appointments")
    expect(upcoming).to_contain_text(f"{when} at {time} ({zone})")
