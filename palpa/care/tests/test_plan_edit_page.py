"""The plan page's edit form for a draft plan of care, and removing a goal or a home-care
item from a draft. A signed plan is not edited: it is revised into a new version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.care.models import Plan
from palpa.care.plans.services import sign_plan


def _form(plan: Plan, **changes: Any) -> dict[str, Any]:
    """The edit form as the page fills it in for ``plan``, with ``changes`` typed over it."""
    data: dict[str, Any] = {
        "starts_on": plan.starts_on.isoformat(),
        "frequency_per_week": str(plan.frequency_per_week),
        "duration_weeks": str(plan.duration_weeks),
        "techniques": list(plan.techniques),
        "precautions": plan.precautions,
        "reassess_every_visits": str(plan.reassess_every_visits or ""),
        "reassess_every_days": str(plan.reassess_every_days or ""),
        "diagnoses": ", ".join(d.code for d in plan.diagnoses.all()),
    }
    data.update(changes)
    return {f"edit-{name}": value for name, value in data.items()}


def _edit(client: Client, plan: Plan, **changes: Any) -> Any:
    return client.post(reverse("care:plan_edit", args=[plan.public_id]), _form(plan, **changes))


def _stored(plan: Plan) -> tuple[int, int, str, list[str], list[str]]:
    fresh = Plan.objects.get(pk=plan.pk)
    return (
        fresh.frequency_per_week,
        fresh.duration_weeks,
        fresh.precautions,
        list(fresh.techniques),
        [d.code for d in fresh.diagnoses.all()],
    )


def test_the_draft_page_shows_the_edit_form_filled_in(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    page = client_for(therapist).get(reverse("care:plan", args=[plan.public_id])).content
    html = page.decode()
    assert "Change the course of care" in html
    assert 'name="edit-frequency_per_week" value="2"' in html
    assert 'name="edit-diagnoses" value="M54.50"' in html
    assert "Avoid prone position longer than 20 minutes." in html


def test_the_therapist_changes_the_draft_and_the_change_is_audited(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    response = _edit(
        client_for(therapist),
        plan,
        frequency_per_week="3",
        duration_weeks="4",
        precautions="No prone position.",
        techniques=["trigger_point"],
        reassess_every_days="14",
        diagnoses="M54.50, M62.830",
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#course-h")
    assert _stored(plan) == (3, 4, "No prone position.", ["trigger_point"], ["M54.50", "M62.830"])
    assert Plan.objects.get(pk=plan.pk).reassess_every_days == 14
    audit = AuditEvent.objects.filter(actor=therapist, object_type="Plan").latest("pk")
    assert audit.detail["changed"] == [
        "diagnoses",
        "duration_weeks",
        "frequency_per_week",
        "precautions",
        "reassess_every_days",
        "techniques",
    ]


def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_saved(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    before = _stored(plan)
    response = _edit(client_for(therapist), plan, frequency_per_week="9", precautions="Changed.")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_edit-frequency_per_week_error"' in html
    assert "Ensure this value is less than or equal to 7." in html
    assert '<details id="plan-edit" open>' in html
    assert _stored(plan) == before


def test_a_code_the_service_refuses_is_shown_on_the_diagnoses_field_and_nothing_is_saved(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    before = _stored(plan)
    response = _edit(client_for(therapist), plan, frequency_per_week="3", diagnoses="M54.5")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_edit-diagnoses_error"' in html
    assert "is not billable since 1 October 2021" in html
    assert _stored(plan) == before


def test_a_plan_needs_a_reassessment_interval(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    response = _edit(client_for(therapist), plan, reassess_every_visits="", reassess_every_days="")
    html = response.content.decode()
    assert 'id="id_edit-reassess_every_visits_error"' in html
    assert "Re-assessment needs an interval" in html
    assert Plan.objects.get(pk=plan.pk).reassess_every_visits == 6


def test_a_signed_plan_has_no_edit_form_and_refuses_a_change(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    sign_plan(actor=therapist, plan=plan)
    client = client_for(therapist)
    page = client.get(reverse("care:plan", args=[plan.public_id])).content.decode()
    assert "Change the course of care" not in page
    before = _stored(plan)
    response = client.post(
        reverse("care:plan_edit", args=[plan.public_id]),
        _form(plan, frequency_per_week="3"),
        follow=True,
    )
    assert "Not saved: Version 1 of this plan is active (signed) and cannot change" in (
        response.content.decode()
    )
    assert _stored(plan) == before


@pytest.mark.parametrize(
    ("persona", "expected", "frequency"),
    [
        ("therapist", 302, 3),
        ("other_therapist", 403, 2),
        ("owner", 403, 2),
        ("front_desk", 403, 2),
        ("biller", 403, 2),
        ("outsider", 404, 2),
    ],
)
def test_who_may_edit_a_draft_plan(
    request: pytest.FixtureRequest,
    persona: str,
    expected: int,
    frequency: int,
    plan: Plan,
    client_for: Callable[[User], Client],
) -> None:
    response = _edit(client_for(request.getfixturevalue(persona)), plan, frequency_per_week="3")
    assert response.status_code == expected
    assert Plan.objects.get(pk=plan.pk).frequency_per_week == frequency


def test_another_therapist_sees_the_draft_without_the_edit_form(
    other_therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    page = client_for(other_therapist).get(reverse("care:plan", args=[plan.public_id]))
    assert "Change the course of care" not in page.content.decode()


# ---------------------------------------------------------------------------------------
# Removing a goal or a home-care item from a draft


def test_the_therapist_removes_a_goal_and_a_home_care_item_with_full_size_buttons(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    client = client_for(therapist)
    html = client.get(reverse("care:plan", args=[plan.public_id])).content.decode()
    assert html.count('class="secondary remove"') == 3  # two goals, one home-care item
    goal = plan.goals.get(instrument="NPRS")
    item = plan.home_care.get()
    client.post(reverse("care:goal_remove", args=[plan.public_id, goal.public_id]))
    response = client.post(
        reverse("care:homecare_remove", args=[plan.public_id, item.public_id]), follow=True
    )
    assert "Home-care item removed." in response.content.decode()
    assert list(plan.goals.values_list("instrument", flat=True)) == ["ODI"]
    assert not plan.home_care.exists()


@pytest.mark.parametrize(
    ("persona", "expected", "left"),
    [
        ("therapist", 302, 0),
        ("other_therapist", 403, 1),
        ("owner", 403, 1),
        ("front_desk", 403, 1),
        ("biller", 403, 1),
        ("outsider", 404, 1),
    ],
)
def test_who_may_remove_a_home_care_item(
    request: pytest.FixtureRequest,
    persona: str,
    expected: int,
    left: int,
    plan: Plan,
    client_for: Callable[[User], Client],
) -> None:
    item = plan.home_care.get()
    client = client_for(request.getfixturevalue(persona))
    response = client.post(reverse("care:homecare_remove", args=[plan.public_id, item.public_id]))
    assert response.status_code == expected
    assert plan.home_care.count() == left


def test_a_signed_plans_home_care_is_kept(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    sign_plan(actor=therapist, plan=plan)
    item = plan.home_care.get()
    response = client_for(therapist).post(
        reverse("care:homecare_remove", args=[plan.public_id, item.public_id]), follow=True
    )
    assert "Not removed: Version 1 of this plan is active (signed)" in response.content.decode()
    assert plan.home_care.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in_before_changing_a_plan(plan: Plan) -> None:
    item = plan.home_care.get()
    for url in (
        reverse("care:plan_edit", args=[plan.public_id]),
        reverse("care:homecare_remove", args=[plan.public_id, item.public_id]),
    ):
        response = Client().post(url, _form(plan, frequency_per_week="3"))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert _stored(plan)[0] == 2
    assert plan.home_care.count() == 1


def test_opening_the_plan_is_an_audited_read(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    client = client_for(therapist)
    client.get(reverse("care:plan", args=[plan.public_id]))
    reads = AuditEvent.objects.filter(action="read", object_id=str(plan.public_id))
    assert reads.count() == 1
    assert reads.get().actor == therapist
