"""A referral patient's way in, on a phone in a real browser (issue 21).

The patient comes on a physician's referral (8 visits). The front desk sends the health
history link; the worker emails it; the patient opens the link from the email, answers in
steps (nothing that needs the therapist first: PROCEED), signs in to the portal with the
emailed code, books the first free time of a type the referral covers (a day, then a time,
then confirm: each step updates only the booking part of the page), and changes its time
to another free time with the same therapist. The booking is planned against the referral
(staff's course preview sees one visit fewer to plan), and its confirmation names the
portal's address. Progress, home care and receipts are walked in test_patient_portal.py.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from palpa.accounts.models import Location, User
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.portal.tests.support import code_in_outbox
from palpa.practitioners.models import Practitioner
from palpa.referrals import queries as referral_queries
from palpa.referrals.services import record_referral
from palpa.referrals.tests.support import make_physician
from palpa.scheduling import online, patient_messages
from palpa.scheduling import services as scheduling
from palpa.scheduling.models import Appointment
from palpa.scheduling.tests.support import make_type, weekday_hours
from palpa.screening.models import Screening
from palpa.screening.services import send_intake_link
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import PHONE
from tests.e2e.test_patient_portal import run_worker

pytestmark = pytest.mark.e2e


def _emailed_link(subject: str, pattern: str) -> str:
    sent = [m for m in mail.outbox if subject in str(m.subject)]
    assert sent, [m.subject for m in mail.outbox]
    found = re.search(pattern, str(sent[-1].body))
    assert found, sent[-1].body
    return found.group(0)


def _course_problems(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    kind: Any,
    weeks: int,
) -> list[str]:
    """What staff's booking of ``weeks`` weekly visits would run into with the referral."""
    preview = scheduling.preview_course(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        first_day=clinic_today() + dt.timedelta(weeks=5),
        weeks=weeks,
        times=[scheduling.CourseTime(weekday=2, at=dt.time(16, 0))],
    )
    return preview.problems


def test_a_referral_patient_answers_the_intake_books_and_changes_a_time_on_a_phone(
    phone_page: Page,
    live_server: LiveServer,
    settings: Any,
    owner: User,
    front_desk: User,
    practitioner: Practitioner,
    patient: Patient,
    location: Location,
    artifacts: Path,
) -> None:
    settings.PALPA_SITE_URL = live_server.url  # the links in messages lead to this server
    today = clinic_today()
    weekday_hours(owner, practitioner, location)
    kind = make_type(owner, "treatment-60", "treatment", 60, online_bookable=True)
    assert kind.counts_as_visit  # a visit the referral must cover
    online.update_online_settings(
        actor=owner,
        location=location,
        changes={"enabled": True, "days_ahead": 30, "min_notice_hours": 24},
        appointment_types=[kind],
    )
    referral = record_referral(
        actor=front_desk,
        patient=patient,
        physician=make_physician(owner),
        diagnoses=["M54.50"],
        requested_service="Medical massage",
        frequency="1x/week x 8 weeks",
        visits_authorized=8,
        starts_on=today,
        expires_on=today + dt.timedelta(weeks=16),
    )

    # --- the health history link, by email, answered in steps on the phone ------------
    send_intake_link(actor=front_desk, patient=patient)
    run_worker()
    link = _emailed_link("your health history form", r"https?://\S+/intake/\S+/")
    page = phone_page
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Health questions before your massage"
    )
    for step in (1, 2, 3, 4):
        expect(page.locator("#step-now")).to_contain_text(f"Step {step} of 5")
        page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#step-now")).to_contain_text("Step 5 of 5")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert Screening.objects.get(patient=patient).decision == "PROCEED"

    # --- the portal: sign in with the emailed code, book within the referral ----------
    page.goto("/my/sign-in/")
    page.get_by_label("Your email or mobile number").fill("rosa@example.com")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    run_worker()
    page.get_by_label("The 6-digit code we sent you").fill(code_in_outbox())
    page.get_by_role("button", name="Sign in").click()
    # the rest of the referral, planned by staff: 8 weekly visits fit before the booking
    assert _course_problems(front_desk, patient, practitioner, location, kind, 8) == []

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
    assert booked.appointment_type_id == kind.pk
    # The booking is planned against the referral: staff now fit only 7 more visits in it.
    # (Its countdown counts a visit when the visit's note is signed: none yet.)
    (counted,) = referral_queries.referrals_for(front_desk, patient)
    assert (counted.pk, getattr(counted, "visits_used", None)) == (referral.pk, 0)
    assert _course_problems(front_desk, patient, practitioner, location, kind, 7) == []
    (beyond,) = _course_problems(front_desk, patient, practitioner, location, kind, 8)
    assert beyond.startswith("9 visits are planned but the referral from Laura Bennett, MD")
    # the confirmation names the patient's page at the same address as its link
    run_worker()
    confirmed = [m for m in mail.outbox if str(m.subject).startswith("Booked:")]
    assert f"See and change your appointments at {live_server.url}/my/" in str(confirmed[-1].body)

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
