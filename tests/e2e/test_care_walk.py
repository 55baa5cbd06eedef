"""A therapist walks a new patient through result-based care in a real browser:
evaluation (tapped pain map, ODI, ROM, diagnosis) → plan with two goals → three treatment
notes → a re-assessment that achieves one goal → discharge; the chart shows the trend."""

from __future__ import annotations

import datetime as dt

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from palpa.accounts.models import User
from palpa.care.models import Plan, TreatmentNote
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from tests.e2e.conftest import SignIn

pytestmark = pytest.mark.e2e


@pytest.fixture
def screened(owner: User, patient: Patient) -> Patient:
    from palpa.screening.services import record_screening

    record_screening(actor=owner, patient=patient, facts={})
    return patient


def _chart(page: Page, patient: Patient) -> None:
    page.goto(f"/patients/{patient.public_id}/")


def _evaluate(page: Page, patient: Patient) -> None:
    _chart(page, patient)
    page.get_by_role("link", name="New evaluation").click()
    page.locator("#id_chief_complaint").fill("Low back pain for 3 months, worse sitting.")
    page.get_by_role("button", name="Start evaluation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Evaluation")

    for region, intensity in (("Low back (back)", "6"), ("Buttock (gluteal), left (back)", "4")):
        page.get_by_role("link", name=region).click()
        page.locator("#id_pain-intensity").fill(intensity)
        page.locator("#id_pain-quality").select_option("aching")
        page.get_by_role("button", name="Add to pain map").click()
        expect(page.locator(".messages")).to_contain_text("Pain-map entry added.")
    expect(page.locator("rect.region.marked")).to_have_count(2)

    page.locator("#id_instrument").select_option("ODI")
    page.get_by_role("button", name="Choose instrument").click()
    for n, answer in enumerate((2, 3, 1, 2, 2, 2, 1, 2, 3, 2), start=1):
        page.locator(f"#id_a-item_{n}").select_option(str(answer))
    page.get_by_role("button", name="Score baseline").click()
    expect(page.locator(".messages")).to_contain_text("ODI baseline scored: 40.")

    page.get_by_text("Record a range of motion").click()
    page.locator("#id_rom-measure").select_option("thoracolumbar_spine|flexion|midline")
    page.locator("#id_rom-degrees").fill("60")
    page.locator("#id_rom-instrument").select_option("inclinometer")
    page.get_by_role("button", name="Record ROM").click()
    expect(page.locator(".messages")).to_contain_text("Range of motion recorded.")

    page.locator("#icd10-q").fill("low back")
    page.get_by_role("button", name="Add M54.50").click()
    expect(page.locator("#dx-h + ol")).to_contain_text("M54.50")
    page.get_by_role("button", name="Sign evaluation").click()
    expect(page.locator("#evaluation-status")).to_have_text("Signed")


def _plan(page: Page) -> None:
    page.get_by_role("link", name="New plan of care").click()
    page.locator("#id_plan-frequency_per_week").fill("2")
    page.locator("#id_plan-duration_weeks").fill("6")
    page.get_by_label("Myofascial release").check()
    page.get_by_role("button", name="Draft plan").click()
    due = (clinic_today() + dt.timedelta(weeks=6)).isoformat()

    page.locator("#id_goal-statement").fill("Sit through a 1-hour meeting.")
    page.locator("#id_goal-measure").select_option("instrument:ODI")
    page.locator("#id_goal-target_kind").select_option("meaningful_change")
    page.locator("#id_goal-due_on").fill(due)
    page.get_by_role("button", name="Add goal").click()
    expect(page.locator(".messages")).to_contain_text("Goal added.")

    page.get_by_text("Add a goal").click()
    page.locator("#id_goal-statement").fill("Bend to tie my shoes.")
    page.locator("#id_goal-measure").select_option("rom:thoracolumbar_spine|flexion|midline")
    page.locator("#id_goal-target_kind").select_option("value")
    page.locator("#id_goal-target_value").fill("80")
    page.locator("#id_goal-due_on").fill(due)
    page.get_by_role("button", name="Add goal").click()
    expect(page.locator("table.goals tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Sign plan").click()
    expect(page.locator("#plan-status")).to_contain_text("Active")


def _notes(page: Page, patient: Patient) -> None:
    for visit in range(1, 4):
        _chart(page, patient)
        page.get_by_role("link", name="New treatment note").click()
        page.locator("#id_visit_date").fill(clinic_today().isoformat())
        page.get_by_role("button", name="Start note").click()
        page.locator("#id_soap-assessment").fill(f"Visit {visit}: tolerated well.")
        page.get_by_role("button", name="Save draft").click()
        page.get_by_role("button", name="Sign note").click()
        expect(page.locator("#note-status")).to_have_text("Signed")


def test_therapist_walks_a_patient_from_evaluation_to_discharge(
    page: Page,
    sign_in: SignIn,
    therapist: User,
    therapist_device: TOTPDevice,
    screened: Patient,
) -> None:
    patient = screened
    sign_in(page, therapist, therapist_device)
    _evaluate(page, patient)
    _plan(page)
    plan_url = page.url
    _notes(page, patient)
    assert TreatmentNote.objects.filter(patient=patient, status="signed").count() == 3

    page.goto(plan_url)
    page.get_by_text("Re-measure a range of motion").click()
    page.locator("#id_rom-measure").select_option("thoracolumbar_spine|flexion|midline")
    page.locator("#id_rom-degrees").fill("85")
    page.locator("#id_rom-instrument").select_option("inclinometer")
    page.get_by_role("button", name="Record ROM").click()
    rom_row = page.locator("table.goals tbody tr", has_text="Bend to tie my shoes.")
    expect(rom_row).to_contain_text("Achieved")

    _chart(page, patient)
    goals = page.locator("#result-based-care table.goals")
    expect(goals).to_contain_text("Achieved")
    expect(goals).to_contain_text("Sit through a 1-hour meeting.")
    expect(page.locator("#result-based-care svg.trend-svg")).to_have_count(2)
    expect(page.get_by_role("img", name="Trend of ODI")).to_be_visible()

    page.goto(plan_url)
    page.locator("#id_dc-reason").select_option("patient_choice")
    page.locator("#id_dc-summary").fill("Moving away; continue the home program.")
    page.get_by_role("button", name="Sign discharge").click()
    expect(page.locator("#plan-status")).to_contain_text("Completed")
    expect(page.get_by_role("heading", name="Discharged")).to_be_visible()
    assert Plan.objects.get(patient=patient).status == "completed"
