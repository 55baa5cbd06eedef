"""Safety screening end to end in a real browser.

The patient answers the health questions on a phone through a one-time link (warfarin, and
a DVT two months ago); the therapist sees CLEARANCE with its reason and source, cannot sign
the visit's note, records the physician's clearance with the letter, and then can.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import FilePayload, Page, expect

from palpa.accounts.models import Location, User
from palpa.care.models import TreatmentNote
from palpa.care.notes.services import add_technique, start_note
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.referrals.models import Physician
from palpa.screening.models import Clearance, Screening
from palpa.screening.services import create_intake_link
from palpa.screening.tests.support import PDF, make_physician
from tests.e2e.conftest import PHONE, SignIn

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def physician(owner: User) -> Physician:
    found: Physician = make_physician(owner)
    return found


@pytest.fixture
def draft(therapist: User, patient: Patient, location: Location) -> TreatmentNote:
    """Today's visit, written before the patient's answers came in."""
    note = start_note(
        actor=therapist, patient=patient, location=location, visit_date=clinic_today()
    )
    add_technique(
        actor=therapist,
        note=note,
        technique="swedish",
        region="upper_back",
        minutes=30,
        pressure="light",
    )
    return note


def _answer_on_the_phone(phone: Page, url: str, artifacts: Path) -> None:
    """A few questions at a time; a follow-up shows once its answer needs it; each step is
    saved, so the link reopens where the patient stopped."""
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Health questions before your massage"
    )
    expect(phone.locator("#step-now")).to_contain_text("Step 1 of 5")
    # Phone-sized: nothing wider than the screen.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    height = phone.evaluate("document.documentElement.scrollHeight")
    assert height < 4000, height  # a step, not the whole questionnaire
    phone.screenshot(path=artifacts / "intake-phone-top.png")
    flags = phone.get_by_role("group", name="If you have neck pain", exact=False)
    expect(flags).to_be_hidden()
    phone.get_by_label("I have pain in my neck").check()
    expect(flags).to_be_visible()
    phone.get_by_label("I have pain in my neck").uncheck()
    expect(flags).to_be_hidden()
    phone.get_by_role("button", name="Save and continue").click()

    expect(phone.locator("#step-now")).to_contain_text("Step 2 of 5")
    name = phone.get_by_label("Which blood thinner?")
    expect(name).to_be_hidden()
    phone.get_by_label("I take a blood thinner", exact=False).check()
    name.fill("warfarin")
    clot = phone.get_by_role("group", name="Have you had a blood clot in a vein (a DVT)?")
    clot.get_by_label("Yes, in the past", exact=True).check()
    two_months_ago = clinic_today() - dt.timedelta(days=61)
    phone.get_by_label("When was the clot found? (a rough date is fine)").fill(
        two_months_ago.isoformat()
    )
    phone.get_by_role("group", name="Where was (or is) the clot?").get_by_label("Left leg").check()
    phone.screenshot(path=artifacts / "intake-phone.png", full_page=True)
    clot.scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "intake-phone-clot.png")
    phone.get_by_role("button", name="Save and continue").click()
    expect(phone.locator("#step-now")).to_contain_text("Step 3 of 5")

    # The patient stops here and opens the link again later: it resumes at step 3, and
    # going back shows what they gave.
    phone.goto(url)
    expect(phone.locator("#step-now")).to_contain_text("Step 3 of 5")
    phone.get_by_role("button", name="Back").click()
    expect(phone.get_by_label("Which blood thinner?")).to_have_value("warfarin")
    phone.get_by_role("button", name="Save and continue").click()
    for step in (3, 4):
        expect(phone.locator("#step-now")).to_contain_text(f"Step {step} of 5")
        phone.screenshot(path=artifacts / f"intake-phone-step{step}.png", full_page=True)
        phone.get_by_role("button", name="Save and continue").click()
    expect(phone.locator("#step-now")).to_contain_text("Step 5 of 5")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    # The link worked once (fetched, not opened: a 404 page is a console error).
    again = phone.request.get(url)
    assert again.status == 404
    assert "This link cannot be used" in again.text()


def test_patient_answers_on_a_phone_and_the_therapist_clears_before_signing(
    phone_page: Page,
    page: Page,
    front_desk: User,
    therapist: User,
    therapist_device: TOTPDevice,
    patient: Patient,
    physician: Physician,
    draft: TreatmentNote,
    sign_in: SignIn,
    artifacts: Path,
) -> None:
    _link, token = create_intake_link(actor=front_desk, patient=patient)
    _answer_on_the_phone(phone_page, f"/intake/{token}/", artifacts)
    screening = Screening.objects.get(patient=patient)
    assert screening.decision == "CLEARANCE"

    # The therapist sees CLEARANCE on the chart, then the reason and its source.
    sign_in(page, therapist, therapist_device)
    page.goto(f"/patients/{patient.public_id}/")
    section = page.locator("#screening-section")
    expect(section).to_contain_text("CLEARANCE")
    section.get_by_role("link", name="Review the screening").click()
    dvt = page.locator("#finding-dvt_known")
    expect(dvt).to_contain_text("Reason:")
    expect(dvt).to_contain_text("needs the physician's clearance")
    expect(dvt.locator("ul.sources")).to_contain_text("Source:")
    expect(dvt.locator("ul.sources")).to_contain_text("Ernst E. 2003, Rheumatology 42:1101")
    expect(dvt.locator("ul.sources")).not_to_contain_text("clinical.md")
    page.screenshot(path=artifacts / "screening-review-clearance.png", full_page=True)

    # Signing today's note is refused, saying why.
    page.goto(f"/care/notes/{draft.public_id}/")
    expect(page.locator("#screening-refusal")).to_contain_text("physician's clearance")
    page.get_by_role("button", name="Sign note").click()
    expect(page.locator(".messages")).to_contain_text("Not signed:")
    expect(page.locator(".messages")).to_contain_text("needs a physician's clearance")
    expect(page.locator("#note-status")).to_have_text("Draft")

    # The therapist records the physician's clearance with the letter.
    page.get_by_role("link", name="Open the screening").click()
    page.get_by_role("combobox", name="Physician").select_option(label=str(physician))
    page.get_by_label("Date of the clearance").fill(clinic_today().isoformat())
    page.get_by_label("What the physician cleared").fill(
        "Massage with light pressure; avoid the left calf."
    )
    upload: FilePayload = {
        "name": "bennett-letter.pdf",
        "mimeType": "application/pdf",
        "buffer": PDF,
    }
    page.get_by_label("The physician's letter").set_input_files(files=[upload])
    page.get_by_role("button", name="Record the clearance").click()
    expect(page.locator(".messages")).to_contain_text("Physician's clearance recorded.")
    expect(page.locator("#cleared-h")).to_be_visible()
    assert Clearance.objects.get().letter_name == "bennett-letter.pdf"

    # Now the note can be signed.
    page.goto(f"/care/notes/{draft.public_id}/")
    expect(page.locator("#screening-refusal")).to_have_count(0)
    page.get_by_role("button", name="Sign note").click()
    expect(page.locator("#note-status")).to_have_text("Signed")
    draft.refresh_from_db()
    assert draft.status == TreatmentNote.Status.SIGNED
