"""A therapist signs in with two factors, finds a patient and corrects the phone number."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from tests.e2e.conftest import PHONE, SignIn, fill_password_step

pytestmark = pytest.mark.e2e

NEW_PHONE = "+1 813 555 0199"
LONG_EMAIL = "marco.rivera.weekendaddress@baysidephysicalmedicineandrehab.example"


@pytest.fixture
def bystander(owner: User, location: Location) -> Patient:
    """Another patient, so the search has something to leave out."""
    return create_patient(
        actor=owner,
        given_name="Marco",
        family_name="Rivera",
        date_of_birth=dt.date(1980, 4, 2),
        phone="+1 813 555 0102",
        email=LONG_EMAIL,
        primary_location=location,
    )


def _open_chart(page: Page, patient: Patient) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients")
    page.get_by_label("Search by name, MRN, phone or date of birth").fill(patient.family_name)
    page.get_by_role("button", name="Search").click()
    results = page.locator("#results")
    expect(results).to_contain_text(f"1 patient matching “{patient.family_name}”")
    results.get_by_role("link", name=f"{patient.family_name}, {patient.given_name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(patient.full_name)


def test_therapist_corrects_a_patients_phone_after_a_field_error(
    page: Page,
    therapist: User,
    therapist_device: TOTPDevice,
    patient: Patient,
    bystander: Patient,
    sign_in: SignIn,
    artifacts: Path,
) -> None:
    sign_in(page, therapist, therapist_device)
    _open_chart(page, patient)
    expect(page.locator("#patient-phone")).to_have_text("+1 813 555 0101")

    page.get_by_role("link", name="Edit details").click()
    phone = page.get_by_label("Phone", exact=True)
    phone.fill("12ab")
    page.get_by_role("button", name="Save").click()

    # The error sits next to the phone field, names the rule, and is tied to the input.
    phone_field = page.locator(".field").filter(has=page.locator("#id_phone"))
    error = phone_field.locator(".error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text(re.compile(r"phone number.*digits", re.I))
    expect(phone).to_have_attribute("aria-invalid", "true")
    error_id = error.get_attribute("id")
    assert error_id
    expect(phone).to_have_attribute("aria-describedby", re.compile(rf"\b{error_id}\b"))
    expect(phone).to_have_value("12ab")  # what was typed is kept for correction
    page.screenshot(path=artifacts / "edit-phone-error-desktop.png", full_page=True)
    # The summary at the top of the form leads to the field.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(re.compile(r"Phone: .*digits"))
    summary.get_by_role("link", name=re.compile("^Phone")).click()
    expect(phone).to_be_focused()
    patient.refresh_from_db()
    assert patient.phone == "+1 813 555 0101"  # nothing half-saved

    phone.fill(NEW_PHONE)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Changes saved.")
    expect(page.locator("#patient-phone")).to_have_text(NEW_PHONE)
    page.screenshot(path=artifacts / "chart-desktop.png", full_page=True)
    _assert_inside_details_card(page, patient.email)
    page.set_viewport_size(PHONE)
    page.screenshot(path=artifacts / "chart-phone.png", full_page=True)

    patient.refresh_from_db()
    assert patient.phone == NEW_PHONE
    update = AuditEvent.objects.get(action="update", patient_id=str(patient.public_id))
    assert update.actor == therapist
    assert update.detail["changed"] == {"phone": {"from": "+1 813 555 0101", "to": NEW_PHONE}}


def _assert_inside_details_card(page: Page, text: str) -> None:
    value = (
        page.locator("dl.facts dd")
        .filter(has_text=text)
        .evaluate("(dd) => dd.getBoundingClientRect().right")
    )
    card = page.locator("section.card").filter(has=page.locator("dl.facts"))
    edge = card.evaluate("(card) => card.getBoundingClientRect().right")
    assert value <= edge, f"{text!r} spills out of the details card"


def _has_no_horizontal_overflow(page: Page) -> bool:
    fits: bool = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return fits


def test_patient_list_and_edit_form_fit_a_phone(
    phone_page: Page,
    therapist: User,
    therapist_device: TOTPDevice,
    patient: Patient,
    bystander: Patient,
    sign_in: SignIn,
    artifacts: Path,
) -> None:
    page = phone_page
    sign_in(page, therapist, therapist_device)

    page.goto("/patients/")
    expect(page.locator("#results")).to_contain_text("2 patients")
    page.screenshot(path=artifacts / "patients-phone.png", full_page=True)
    assert _has_no_horizontal_overflow(page), "the patient list scrolls sideways on a phone"

    page.goto(f"/patients/{bystander.public_id}/")
    expect(page.locator("#patient-phone")).to_have_text("+1 813 555 0102")
    page.screenshot(path=artifacts / "chart-long-email-phone.png", full_page=True)
    assert _has_no_horizontal_overflow(page), "a long email pushes the chart sideways"
    _assert_inside_details_card(page, LONG_EMAIL)

    page.goto(f"/patients/{patient.public_id}/edit/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit {patient.full_name}")
    page.get_by_label("Phone", exact=True).fill("12ab")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_phone_error")).to_be_visible()
    # After submitting, the phone field is below the fold; the summary on top is not.
    expect(page.get_by_role("alert")).to_be_in_viewport()
    expect(page.get_by_role("alert")).to_contain_text("Phone")
    page.screenshot(path=artifacts / "edit-form-phone.png", full_page=True)
    assert _has_no_horizontal_overflow(page), "the edit form scrolls sideways on a phone"

    unlabelled: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('main input, main select, main textarea')]
            .filter((el) => el.type !== 'hidden' && el.checkVisibility())
            .filter((el) => el.labels.length === 0)
            .map((el) => el.name || el.id || el.outerHTML)"""
    )
    assert unlabelled == []
    visible_inputs = page.locator("main input:visible")
    assert visible_inputs.count() > 10


def test_wrong_second_factor_code_does_not_open_the_dashboard(
    page: Page, therapist: User, therapist_device: TOTPDevice, artifacts: Path
) -> None:
    fill_password_step(page, therapist)
    # The device also accepts the codes of neighbouring time steps: avoid all of them.
    accepted = {totp(therapist_device.bin_key, drift=d) for d in (-2, -1, 0, 1, 2)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if n not in accepted)

    page.get_by_label("6-digit code").fill(wrong)
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(r"/accounts/otp/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    code = page.get_by_label("6-digit code")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_token_error")).to_have_text(re.compile("That code is not right"))
    # Half signed in: no links to pages that would only bounce back here.
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.set_viewport_size(PHONE)
    page.screenshot(path=artifacts / "otp-wrong-code-phone.png", full_page=True)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/otp/$"))
    expect(page.get_by_text("Good day")).to_have_count(0)
    page.goto("/patients/")
    expect(page).to_have_url(re.compile(r"/accounts/otp/$"))
    assert AuditEvent.objects.filter(
        action="mfa", actor=therapist, detail__event="wrong code"
    ).exists()


def test_slash_jumps_to_the_header_search_and_finds_a_patient_by_phone(
    page: Page,
    therapist: User,
    therapist_device: TOTPDevice,
    patient: Patient,
    bystander: Patient,
    sign_in: SignIn,
    artifacts: Path,
) -> None:
    sign_in(page, therapist, therapist_device)
    page.goto("/schedule/")
    page.locator("main").click(position={"x": 5, "y": 5})  # focus on the page, not a field
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name=re.compile("Find a patient"))
    expect(search).to_be_focused()
    page.keyboard.type("(813) 555-0102")
    page.keyboard.press("Enter")
    results = page.locator("#results")
    expect(results).to_contain_text("1 patient")
    expect(results.get_by_role("link", name="Rivera, Marco")).to_be_visible()
    page.screenshot(path=artifacts / "header-search-desktop.png")
    page.set_viewport_size(PHONE)
    assert _has_no_horizontal_overflow(page), "the header search makes a phone scroll sideways"
    page.screenshot(path=artifacts / "header-search-phone.png")
