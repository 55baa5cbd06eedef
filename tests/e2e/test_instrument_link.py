"""Instruments by phone link, end to end in a real browser.

The therapist sends the NPRS, the PSFS and the GROC as a one-time link; the patient fills
them on a phone (a missed question is named and kept, then answered); the chart then shows
the link as filled in and the scores among the patient's administrations.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from palpa.accounts.models import User
from palpa.outcomes.models import InstrumentAdministration
from palpa.patients.models import Patient
from tests.e2e.conftest import PHONE, SignIn

pytestmark = pytest.mark.e2e


def _fill_on_the_phone(phone: Page, url: str, artifacts: Path) -> None:
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("A few questions before your visit")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    pain = phone.get_by_role("group", name="How much pain do you have right now, from 0 to 10?")
    pain.get_by_label("4", exact=True).check()
    box = pain.get_by_text("4", exact=True).bounding_box()
    assert box is not None
    assert box["height"] >= 44  # a large tap target
    phone.get_by_label("Activity 1").fill("Carry the shopping")
    phone.get_by_role("group", name="How well can you do activity 1 now?").get_by_label(
        "6", exact=True
    ).check()
    phone.screenshot(path=artifacts / "instrument-link-phone.png", full_page=True)
    phone.get_by_role("button", name="Send my answers").click()
    # The GROC was left out: named, and what was given is kept.
    change = phone.get_by_role(
        "group", name="Compared with when this course of care began, how is your condition now?"
    )
    expect(change).to_contain_text("Rating 1 is unanswered.")
    expect(phone.get_by_label("Activity 1")).to_have_value("Carry the shopping")
    change.get_by_label("+2", exact=True).check()
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    again = phone.request.get(url)
    assert again.status == 404
    assert "This link is no longer valid" in again.text()


def test_the_therapist_sends_instruments_and_the_patient_fills_them_on_a_phone(
    phone_page: Page,
    page: Page,
    therapist: User,
    therapist_device: TOTPDevice,
    patient: Patient,
    sign_in: SignIn,
    artifacts: Path,
) -> None:
    sign_in(page, therapist, therapist_device)
    page.goto(f"/patients/{patient.public_id}/")
    page.get_by_role("link", name="Send instruments to fill before the visit").click()
    for name in ("NPRS", "PSFS", "GROC"):
        page.get_by_label(name, exact=False).check()
    page.get_by_role("button", name="Make the link").click()
    url = page.locator("#instrument-link-url").inner_text()
    expect(page.locator(".qr svg")).to_be_visible()
    page.screenshot(path=artifacts / "instrument-link-created.png", full_page=True)

    _fill_on_the_phone(phone_page, url, artifacts)
    scores = {a.instrument: a.score for a in InstrumentAdministration.objects.all()}
    assert scores == {"NPRS": 4, "PSFS": 6, "GROC": 2}

    page.goto(f"/patients/{patient.public_id}/")
    section = page.locator("#instrument-links")
    expect(section).to_contain_text("Filled in")
    expect(section).to_contain_text("NPRS, PSFS, GROC")
