"""The owner opens Outcomes from the dashboard, filters to neck pain, and reads the forest
plot, a small cell shown without figures, the Kaplan-Meier curve and the funnel plot; a
therapist reads My outcomes. In a real browser, at 1280x900 and 390x844, with axe."""

from __future__ import annotations

from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from palpa.accounts.models import Location, Organization, User
from palpa.analytics.models import OutcomeSnapshot
from palpa.analytics.tests.outcomes_support import RARE_MIX, store_snapshot
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import SignIn

pytestmark = pytest.mark.e2e


@pytest.fixture
def owner_device(owner: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=owner, name="Phone", confirmed=True)


@pytest.fixture
def computed(
    org: Organization, therapist: User, other_therapist: User, location: Location
) -> OutcomeSnapshot:
    return store_snapshot(org, therapist=therapist, other=other_therapist, location=location)


def _overflows(page: Page) -> bool:
    return bool(
        page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_owner_filters_outcomes_to_neck_pain_and_sees_a_small_cell_not_shown(
    size: str,
    page: Page,
    phone_page: Page,
    sign_in: SignIn,
    owner: User,
    owner_device: TOTPDevice,
    computed: OutcomeSnapshot,
    artifacts: Path,
) -> None:
    tab = page if size == "desktop" else phone_page
    sign_in(tab, owner, owner_device)
    tab.get_by_role("region", name="Outcomes").get_by_role("link", name="Outcomes").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Outcomes")
    tab.get_by_label("Condition group", exact=True).select_option(label="Neck pain")
    tab.get_by_role("button", name="Show").click()
    expect(tab.get_by_label("Condition group", exact=True)).to_have_value("neck-pain")
    forest = tab.get_by_role(
        "region", name="Responder rate by technique mix within condition group", exact=True
    )
    expect(
        forest.get_by_role("img", name="Responder rate by technique mix within condition group")
    ).to_be_visible()
    small = forest.get_by_role("row", name=f"Neck pain · {RARE_MIX}")
    expect(small).to_contain_text("fewer than 10 episodes: not shown")
    expect(
        tab.get_by_role("img", name="Share reaching a meaningful change by visit")
    ).to_be_visible()
    expect(tab.get_by_role("img", name="Therapists: observed minus expected")).to_be_visible()
    expect(tab.get_by_text("Technique effects are observational.")).to_be_visible()
    assert not _overflows(tab)
    assert_accessible(tab, f"the Outcomes page ({size})")
    tab.screenshot(path=str(artifacts / f"outcomes-neck-pain-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_therapist_reads_my_outcomes(
    size: str,
    page: Page,
    phone_page: Page,
    sign_in: SignIn,
    therapist: User,
    therapist_device: TOTPDevice,
    computed: OutcomeSnapshot,
    artifacts: Path,
) -> None:
    tab = page if size == "desktop" else phone_page
    sign_in(tab, therapist, therapist_device)
    tab.get_by_role("region", name="Outcomes").get_by_role("link", name="My outcomes").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("My outcomes")
    expect(tab.get_by_role("heading", name="Your result against what your case mix predicts"))
    expect(tab.get_by_text("Theo Other")).to_have_count(0)
    assert not _overflows(tab)
    assert_accessible(tab, f"My outcomes ({size})")
    tab.screenshot(path=str(artifacts / f"outcomes-mine-{size}.png"), full_page=True)
