"""The plan of care shows, where the therapist sets a goal on an instrument, the change to
expect after the planned visits, the probability of reaching the MCID, what it rests on and
the model's inputs; an unrealistic target is flagged on the form and at the sign step, never
blocked; only the plan's own organization's snapshot is read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import reverse

from palpa.accounts.models import Location, Organization, User
from palpa.analytics.tests.expected_support import draft_neck_plan, seed_snapshot
from palpa.audit.models import AuditEvent
from palpa.care.models import Plan
from palpa.care.plans import services as plan_services
from palpa.core.tests.support import TODAY, frozen_clock
from palpa.patients.models import Patient

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


@pytest.fixture
def plan(therapist: User, patient: Patient, location: Location) -> Plan:
    return draft_neck_plan(therapist=therapist, patient=patient, location=location, on=TODAY)


def _goal(therapist: User, plan: Plan, target: float) -> None:
    plan_services.add_goal(
        actor=therapist,
        plan=plan,
        statement="Drive for an hour without neck pain stopping me.",
        measure_kind="instrument",
        instrument="NDI",
        target_value=target,
        due_on=TODAY + dt.timedelta(weeks=4),
    )


def _preview(client: Client, plan: Plan, target: str) -> str:
    url = reverse("care:goal_expected", args=[plan.public_id])
    response = client.get(
        url,
        {
            "goal-measure": "instrument:NDI",
            "goal-target_kind": "value",
            "goal-target_value": target,
        },
    )
    assert response.status_code == 200
    return response.content.decode()


def _page(client: Client, plan: Plan) -> str:
    return client.get(reverse("care:plan", args=[plan.public_id])).content.decode()


def test_the_therapist_sees_the_expected_change_and_its_basis_while_typing_a_goal(
    org: Organization, therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    seed_snapshot(org)
    html = _preview(client_for(therapist), plan, "22")
    assert "Expected change on NDI after 8 visits" in html
    assert "Probability of reaching the MCID (9.5 points)" in html
    assert "measured NDI episodes" in html
    assert "similar (same condition group" in html
    assert "The model and its inputs" in html
    assert "neck-pain (M54.2)" in html
    assert "8 (2 a week for 4 weeks)" in html
    assert "Flag:" not in html
    audit = AuditEvent.objects.filter(actor=therapist, object_type="Plan").latest("pk")
    assert audit.action == "read"


def test_an_unrealistic_target_is_flagged_on_the_form_and_at_the_sign_step_but_signs(
    org: Organization, therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    seed_snapshot(org)
    client = client_for(therapist)
    assert "Flag: very unlikely target" in _preview(client, plan, "0")
    _goal(therapist, plan, 0)
    page = _page(client, plan)
    assert "Flag: very unlikely target" in page
    assert "Before you sign: 1 goal flagged." in page
    assert "Signing is not blocked." in page
    response = client.post(reverse("care:plan_sign", args=[plan.public_id]))
    assert response.status_code == 302
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.ACTIVE


def test_a_trivially_likely_target_is_flagged_too(
    org: Organization, therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    seed_snapshot(org)
    assert "Flag: trivially likely target" in _preview(client_for(therapist), plan, "45")


def test_a_new_clinic_without_a_snapshot_sees_the_prior_alone_clearly_labelled(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    html = _preview(client_for(therapist), plan, "20")
    assert "Prior only." in html
    assert "Not enough episodes yet" in html
    assert "Expected change on NDI after 8 visits: 9.5 points" in html


def test_another_organizations_snapshot_is_never_used(
    other_org: Organization, therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    seed_snapshot(other_org)
    html = _preview(client_for(therapist), plan, "20")
    assert "Prior only." in html
    assert "no analysis of this organization" in html


def test_a_measure_without_an_mcid_goal_shows_nothing_to_expect(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    url = reverse("care:goal_expected", args=[plan.public_id])
    response = client_for(therapist).get(url, {"goal-measure": "rom:cervical_spine|rotation|left"})
    assert "Expected change" not in response.content.decode()


@pytest.mark.parametrize("persona", ["front_desk", "biller", "outsider", "other_therapist"])
def test_only_the_plans_therapist_gets_the_preview(
    persona: str,
    plan: Plan,
    request: pytest.FixtureRequest,
    client_for: Callable[[User], Client],
) -> None:
    user = request.getfixturevalue(persona)
    url = reverse("care:goal_expected", args=[plan.public_id])
    response = client_for(user).get(url, {"goal-measure": "instrument:NDI"})
    assert response.status_code in (403, 404)
    assert "Expected change" not in response.content.decode()


def test_a_meaningful_change_goal_is_judged_by_the_probability_of_the_mcid(
    org: Organization, therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    seed_snapshot(org)
    plan_services.add_goal(
        actor=therapist,
        plan=plan,
        statement="Turn my head to reverse the car.",
        measure_kind="instrument",
        instrument="NDI",
        target_kind="meaningful_change",
        due_on=TODAY + dt.timedelta(weeks=4),
    )
    page = _page(client_for(therapist), plan)
    assert "Expected change on NDI after 8 visits" in page
    assert "Probability of reaching the MCID (9.5 points)" in page
    assert "Of reaching the target" not in page
    assert "Before you sign" not in page


def test_a_signed_plan_shows_no_preview(
    org: Organization, therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    seed_snapshot(org)
    _goal(therapist, plan, 22)
    plan_services.sign_plan(actor=therapist, plan=plan)
    client = client_for(therapist)
    assert "Expected change" not in _page(client, plan)
    url = reverse("care:goal_expected", args=[plan.public_id])
    assert client.get(url, {"goal-measure": "instrument:NDI"}).status_code == 404
