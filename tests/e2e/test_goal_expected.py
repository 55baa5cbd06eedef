"""A therapist setting an NDI goal on a draft plan of care sees, as they type, the change to
expect after the planned visits and a flag for an unrealistic target; the statement they
typed stays; the sign step repeats the flag and signing is not blocked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from palpa.accounts.models import Location, Organization, User
from palpa.analytics.tests.expected_support import draft_neck_plan, seed_snapshot
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import PHONE, SignIn

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]

STATEMENT = "Drive to my daughter's, an hour, without neck pain stopping me."


def test_a_therapist_setting_an_ndi_goal_sees_the_expected_change_and_the_flag(
    page: Page,
    sign_in: SignIn,
    org: Organization,
    therapist: User,
    therapist_device: TOTPDevice,
    patient: Patient,
    location: Location,
    artifacts: Path,
) -> None:
    seed_snapshot(org)  # the organization's episodes, as the worker stored them
    plan = draft_neck_plan(
        therapist=therapist, patient=patient, location=location, on=clinic_today()
    )
    sign_in(page, therapist, therapist_device)
    page.goto(f"/care/plans/{plan.public_id}/")
    preview = page.locator("#goal-expected")

    page.locator("#id_goal-statement").fill(STATEMENT)
    page.locator("#id_goal-measure").select_option("instrument:NDI")
    page.locator("#id_goal-target_kind").select_option("value")
    page.locator("#id_goal-target_value").fill("0")
    expect(preview).to_contain_text("Flag: very unlikely target")
    expect(preview).to_contain_text("Expected change on NDI after 8 visits")
    expect(preview).to_contain_text("Probability of reaching the MCID")
    expect(preview).to_contain_text("measured NDI episodes")
    expect(page.locator("#id_goal-statement")).to_have_value(STATEMENT)
    page.screenshot(path=str(artifacts / "goal-expected-1280.png"), full_page=True)

    page.locator("#id_goal-target_value").fill("22")
    expect(preview).not_to_contain_text("Flag:")
    expect(preview).to_contain_text("Of reaching the target 22")
    preview.get_by_text("The model and its inputs").click()
    expect(preview).to_contain_text("neck-pain (M54.2)")
    assert_accessible(page, "the plan with the result to expect, its model and inputs open")

    page.locator("#id_goal-target_value").fill("0")
    expect(preview).to_contain_text("Flag: very unlikely target")
    due = (clinic_today() + dt.timedelta(weeks=4)).isoformat()
    page.locator("#id_goal-due_on").fill(due)
    page.get_by_role("button", name="Add goal").click()
    expect(page.locator(".messages")).to_contain_text("Goal added.")
    expect(page.locator("#sign-flags")).to_contain_text("Before you sign: 1 goal flagged.")

    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts / "goal-expected-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Sign plan").click()
    expect(page.locator("#plan-status")).to_contain_text("Active")
