"""The patient portal on a phone, in a real browser: the patient signs in with the code
emailed to them, sees their next appointment at the clinic's time, their progress in
plain words with its chart, ticks off a home-care item, and downloads a superbill whose
PDF carries the visit's amount and the receipt of a payment they made, with the amount
paid and the balance left, and opens the questions the clinic sent from the portal.
Every page passes axe."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from palpa.accounts.models import Location, User
from palpa.billing import services as billing
from palpa.core.tests.support import clinic_today
from palpa.outcomes.services import create_instrument_link
from palpa.patients.models import Patient
from palpa.portal.models import HomeCareLog
from palpa.portal.tests.support import HOME_CARE, code_in_outbox, portal_course
from tests.e2e.axe import assert_accessible

pytestmark = pytest.mark.e2e


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_a_patient_signs_in_on_a_phone_and_sees_their_own_care(
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
    create_instrument_link(actor=therapist, patient=patient, instruments=["NPRS"])
    paid = billing.record_payment(
        actor=biller, patient=patient, amount="60.00", method="cash", charge=course.charges[0]
    )
    page = phone_page
    page.goto("/my/sign-in/")
    assert_accessible(page, "the portal's sign-in page")
    page.get_by_label("Your email or mobile number").fill("rosa@example.com")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    run_worker()
    page.get_by_label("The 6-digit code we sent you").fill(code_in_outbox())
    assert_accessible(page, "the portal's code page")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Hello Rosa")).to_be_visible()
    upcoming = page.get_by_role("region", name="Your next appointments")
    expect(upcoming).to_contain_text("10:00 AM")
    expect(upcoming).to_contain_text("with Tess Therapist")
    expect(page.get_by_text("You owe $110.00")).to_be_visible()
    assert_accessible(page, "the portal's home page")
    page.screenshot(path=str(artifacts / "portal-home-phone.png"), full_page=True)

    visit = course.charges[0].date_of_service
    with page.expect_download(timeout=60_000) as download:  # WeasyPrint on a shared machine
        page.get_by_role("link", name=f"Superbill for your visit on {visit:%B} {visit.day}").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "85.00" in text

    day = paid.posted_on
    receipt = f"Receipt for your payment of $60.00 on {day:%B} {day.day}, {day.year}"
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("link", name=receipt).click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split()
    )
    assert "Amount paid 60.00 USD" in text
    assert "Remaining balance after this payment: 110.00 USD" in text

    page.get_by_role("link", name="Progress").click()
    expect(page.get_by_text("went from 40 % to 22 % (lower is better).")).to_be_visible()
    expect(page.get_by_text("A change of 10 points is one people notice.")).to_be_visible()
    expect(page.get_by_role("img", name="Your ODI over time")).to_be_visible()
    assert_accessible(page, "the portal's progress page")
    page.screenshot(path=str(artifacts / "portal-progress-phone.png"), full_page=True)

    page.get_by_role("link", name="Home care").click()
    expect(page.get_by_text(HOME_CARE)).to_be_visible()
    page.get_by_role("button", name="I did this today: self-massage").click()
    expect(page.get_by_text("Done today.", exact=True)).to_be_visible()
    expect(page.get_by_text("Done 1 of the last 7 days.")).to_be_visible()
    assert_accessible(page, "the portal's home-care page")
    assert HomeCareLog.objects.filter(patient=patient, item=course.item, done=True).count() == 1

    page.goto("/my/")
    page.get_by_role("button", name="Fill in now: Questions before your visit").click()
    expect(page.get_by_role("heading", name="A few questions before your visit")).to_be_visible()
    page.goto("/my/consents/")
    assert_accessible(page, "the portal's consents page")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto("/my/")
    expect(page.get_by_role("heading", name="Sign in to your page")).to_be_visible()
