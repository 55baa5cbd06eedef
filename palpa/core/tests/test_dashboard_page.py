"""The dashboard (/): every staff member's start page; counts only their own patients."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.patients.models import Patient

DASHBOARD = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize(("who", "status"), matrix(DASHBOARD))
def test_each_persona_may_or_may_not_open_the_dashboard(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).get("/")
    assert_answer(response, who, status)


def test_the_dashboard_counts_our_active_patients(
    request: pytest.FixtureRequest, biller: User, patient: Patient
) -> None:
    body = web_client(request, "biller").get("/").content.decode()
    assert "1 active patient" in body


def test_the_outsiders_dashboard_does_not_count_our_patients(
    request: pytest.FixtureRequest, outsider: User, patient: Patient
) -> None:
    body = web_client(request, "outsider").get("/").content.decode()
    assert "0 active patients" in body


def test_each_app_with_a_dashboard_part_registers_its_panel() -> None:
    from palpa.core.dashboard import panels

    modules = sorted(panel.__module__ for panel in panels())
    assert modules == [
        "palpa.accounts.checklist",
        "palpa.analytics.views",
        "palpa.billing.business_views",
        "palpa.care.views",
        "palpa.lymphoedema.garments.views",
        "palpa.patients.views",
        "palpa.practitioners.views",
        "palpa.referrals.views",
        "palpa.scheduling.views",
        "palpa.screening.views",
    ]


def test_panels_fill_in_only_what_the_role_may_see(
    front_desk: User, owner: User, therapist: User, patient: Patient
) -> None:
    from palpa.core.dashboard import context_for

    desk = context_for(front_desk)
    assert desk["patient_count"] == 1
    assert "online_notices" in desk
    assert not {"unsigned", "drafts", "expiring", "expired", "referrals_low"} & set(desk)
    assert {"unsigned", "drafts"} <= set(context_for(therapist))
    assert {"expiring", "expired", "referrals_low"} <= set(context_for(owner))
