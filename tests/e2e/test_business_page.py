"""The owner opens the business figures from the dashboard, picks a period, and reads
each figure's chart and table: in a real browser, at 1440x900 and 390x844, with axe."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from palpa.accounts.models import User
from palpa.billing import services as billing
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import SignIn

pytestmark = pytest.mark.e2e


@pytest.fixture
def owner_device(owner: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=owner, name="Phone", confirmed=True)


@pytest.fixture
def owing(owner: User, front_desk: User, patient: Patient) -> Patient:
    """Rosa bought a package for 400.00 today and paid 150.00 of it."""
    plan = billing.add_prepaid_plan(
        actor=owner, kind="package", name="5 x 60 minutes", visits=5, price="400.00"
    )
    billing.sell_prepaid(actor=front_desk, patient=patient, plan=plan)
    billing.record_payment(actor=front_desk, patient=patient, amount="150.00", method="cash")
    return patient


def _overflows(page: Page) -> bool:
    return bool(
        page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_owner_reads_the_business_figures_from_the_dashboard(
    size: str,
    page: Page,
    phone_page: Page,
    sign_in: SignIn,
    owner: User,
    owner_device: TOTPDevice,
    owing: Patient,
    artifacts: Path,
) -> None:
    tab = page if size == "desktop" else phone_page
    sign_in(tab, owner, owner_device)
    summary = tab.get_by_role("region", name="This month so far")
    expect(summary).to_contain_text("collected 150.00")
    summary.get_by_role("link", name="See the business figures").click()

    expect(tab.get_by_role("heading", level=1)).to_have_text("Business")
    tab.get_by_role("navigation", name="Periods").get_by_role("link", name="Last 90 days").click()
    first = clinic_today() - dt.timedelta(days=89)
    expect(tab.get_by_label("From")).to_have_value(first.isoformat())
    revenue = tab.get_by_role("region", name="Revenue")
    expect(revenue.get_by_role("img", name="Revenue billed and collected per week")).to_be_visible()
    expect(revenue.get_by_role("table")).to_contain_text("150.00")
    owing_region = tab.get_by_role("region", name="Outstanding balances:")
    expect(owing_region).to_contain_text("1 patient owes 250.00")
    expect(owing_region.get_by_role("link", name=owing.full_name)).to_be_visible()
    assert not _overflows(tab)
    assert_accessible(tab, f"the business page ({size})")
    tab.screenshot(path=str(artifacts / f"business-{size}.png"), full_page=True)

    tab.get_by_label("From").fill("2026-02-10")
    tab.get_by_label("To").fill("2026-02-01")
    tab.get_by_role("button", name="Show").click()
    expect(tab.get_by_role("alert")).to_contain_text("To: must be on or after From.")
    assert_accessible(tab, f"the business page with an error ({size})")
