"""A parent acts for two children in the portal, in a real browser: the therapist records
the mother on each child's chart, the mother signs in on her phone with the code emailed
to her, picks a child, sees "Acting for" and the child's appointment, and switches to the
other child. Every page passes axe."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from palpa.accounts.models import Location, User
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Guardian, Patient
from palpa.patients.services import add_guardian, create_patient
from palpa.portal.tests.support import code_in_outbox, portal_course
from palpa.scheduling.services import book_appointment
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import SignIn

pytestmark = pytest.mark.e2e


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def _child(owner: User, location: Location, given: str, years: int) -> Patient:
    today = clinic_today()
    return create_patient(
        actor=owner,
        given_name=given,
        family_name="Delgado",
        date_of_birth=dt.date(today.year - years, today.month, today.day),
        primary_location=location,
    )


def test_a_mother_recorded_on_the_chart_acts_for_her_children_on_her_phone(
    page: Page,
    phone_page: Page,
    owner: User,
    therapist: User,
    therapist_device: TOTPDevice,
    sign_in: SignIn,
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
    leo, mia = _child(owner, location, "Leo", 10), _child(owner, location, "Mia", 8)
    add_guardian(
        actor=owner, patient=mia, name="Marta Delgado", relationship="mother", email="m@example.com"
    )
    book_appointment(
        actor=owner,
        patient=leo,
        practitioner=course.upcoming.practitioner,
        location=course.upcoming.location,
        appointment_type=course.upcoming.appointment_type,
        start=course.upcoming.start + dt.timedelta(hours=2),
    )

    sign_in(page, therapist, therapist_device)
    page.goto(f"/patients/{leo.public_id}/")
    section = page.get_by_role("region", name="Parents and guardians")
    section.get_by_text("Add a parent or guardian").click()
    section.get_by_label("Name").fill("Marta Delgado")
    section.get_by_label("Relationship").fill("mother")
    section.get_by_label("Email").fill("m@example.com")
    section.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Marta Delgado recorded as mother.")).to_be_visible()
    assert_accessible(page, "the chart with a guardian")
    assert Guardian.objects.filter(patient=leo, email="m@example.com", active=True).exists()

    phone = phone_page
    phone.goto("/my/sign-in/")
    phone.get_by_label("Your email or mobile number").fill("m@example.com")
    phone.get_by_role("button", name="Send me a code").click()
    expect(phone.get_by_role("heading", name="Enter your code")).to_be_visible()
    run_worker()
    phone.get_by_label("The 6-digit code we sent you").fill(code_in_outbox())
    phone.get_by_role("button", name="Sign in").click()

    expect(phone.get_by_role("heading", name="Whom are you acting for?")).to_be_visible()
    assert_accessible(phone, "the portal's chooser")
    phone.screenshot(path=str(artifacts / "portal-guardian-chooser-phone.png"), full_page=True)
    phone.get_by_role("button", name="Leo Delgado (as their mother)").click()
    expect(phone.get_by_text("Acting for Leo Delgado")).to_be_visible()
    upcoming = phone.get_by_role("region", name="Your next appointments")
    expect(upcoming).to_contain_text("12:00 PM")
    assert_accessible(phone, "the portal's home page acting for a child")
    phone.screenshot(path=str(artifacts / "portal-guardian-home-phone.png"), full_page=True)

    phone.get_by_role("link", name="Switch person").click()
    phone.get_by_role("button", name="Mia Delgado (as their mother)").click()
    expect(phone.get_by_text("Acting for Mia Delgado")).to_be_visible()
    expect(phone.get_by_role("region", name="Your next appointments")).to_contain_text(
        "No appointments booked."
    )
