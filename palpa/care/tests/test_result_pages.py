"""The result-based care pages: evaluation with a tapped pain map, plan of care,
re-assessment, discharge, the handout and the trend charts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from palpa.accounts.models import Location, User
from palpa.care.models import Evaluation, Plan
from palpa.care.plans.services import sign_plan
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient

PERSONAS = [
    ("therapist", 200),
    ("owner", 200),
    ("front_desk", 403),
    ("biller", 403),
    ("outsider", 404),
]


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.parametrize(("persona", "expected"), PERSONAS)
def test_who_may_open_an_evaluation(
    request: pytest.FixtureRequest,
    persona: str,
    expected: int,
    evaluation: Evaluation,
    client_for: Callable[[User], Client],
) -> None:
    user: User = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("care:evaluation", args=[evaluation.public_id]))
    assert response.status_code == expected


@pytest.mark.parametrize(("persona", "expected"), PERSONAS)
def test_who_may_open_a_plan_its_handout_and_its_charts(
    request: pytest.FixtureRequest,
    persona: str,
    expected: int,
    plan: Plan,
    client_for: Callable[[User], Client],
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_for(user)
    goal = plan.goals.first()
    assert goal is not None
    for url in (
        reverse("care:plan", args=[plan.public_id]),
        reverse("care:plan_handout", args=[plan.public_id]),
        reverse("care:goal_chart", args=[goal.public_id]),
    ):
        assert client.get(url).status_code == expected, url


@pytest.mark.parametrize("persona", ["front_desk", "biller", "outsider"])
def test_only_clinicians_start_an_evaluation(
    request: pytest.FixtureRequest,
    persona: str,
    patient: Patient,
    client_for: Callable[[User], Client],
) -> None:
    user: User = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("care:evaluation_new", args=[patient.public_id]))
    assert response.status_code in (403, 404)


def test_anonymous_visitors_are_sent_to_sign_in(plan: Plan, evaluation: Evaluation) -> None:
    goal = plan.goals.first()
    assert goal is not None
    for url in (
        reverse("care:evaluation", args=[evaluation.public_id]),
        reverse("care:plan", args=[plan.public_id]),
        reverse("care:goal_chart", args=[goal.public_id]),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_therapist_evaluates_by_tapping_the_body_chart(
    therapist: User,
    patient: Patient,
    location: Location,
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(therapist)
    chart = _page(client, reverse("patients:detail", args=[patient.public_id]))
    assert "New evaluation" in chart
    client.post(
        reverse("care:evaluation_new", args=[patient.public_id]),
        {
            "location": location.pk,
            "evaluated_on": clinic_today().isoformat(),
            "chief_complaint": "Neck pain at the desk.",
        },
    )
    evaluation = Evaluation.objects.get(patient=patient)
    url = reverse("care:evaluation", args=[evaluation.public_id])
    page = _page(client, url)
    # Every region is a labelled link of the SVG chart; paired ones once per side.
    assert 'aria-label="Shoulder, left (back)"' in page
    assert f'href="{url}?tap=shoulder&amp;side=left#pain-add"' in page
    assert "style=" not in page
    assert "<script>" not in page

    tapped = _page(client, f"{url}?tap=shoulder&side=left")
    assert 'id="pain-add"' in tapped
    assert 'value="left" selected' in tapped
    client.post(
        reverse("care:evaluation_add", args=[evaluation.public_id, "pain"]),
        {
            "pain-region": "shoulder",
            "pain-side": "left",
            "pain-intensity": "7",
            "pain-quality": "sharp",
        },
    )
    client.post(
        reverse("care:evaluation_add", args=[evaluation.public_id, "rom"]),
        {
            "rom-measure": "cervical_spine|rotation|left",
            "rom-degrees": "55",
            "rom-mode": "active",
            "rom-instrument": "goniometer",
        },
    )
    client.post(
        reverse("care:evaluation_administration", args=[evaluation.public_id]),
        {"instrument": "NDI", **{f"a-item_{n}": "2" for n in range(1, 11)}},
    )
    hits = _page(
        client, reverse("care:icd10_search", args=[evaluation.public_id]) + "?q=cervicalgia"
    )
    assert 'value="M54.2"' in hits
    client.post(
        reverse("care:evaluation_add", args=[evaluation.public_id, "diagnosis"]),
        {"dx-code": "M54.2"},
    )
    page = _page(client, url)
    assert "Shoulder, left" in page
    assert "7/10" in page
    assert 'class="region marked"' in page
    rom = evaluation.rom_measurements.get()
    assert f"{rom.norm_degrees}°" in page
    assert rom.norm_source[:30] in page
    assert "NDI" in page
    assert "M54.2" in page
    client.post(reverse("care:evaluation_sign", args=[evaluation.public_id]))
    evaluation.refresh_from_db()
    assert evaluation.status == "signed"
    assert "New plan of care" in _page(client, url)


def test_a_bad_pain_entry_is_shown_next_to_its_field(
    therapist: User, evaluation: Evaluation, client_for: Callable[[User], Client]
) -> None:
    client = client_for(therapist)
    add = reverse("care:evaluation_add", args=[evaluation.public_id, "pain"])
    too_high = client.post(
        add, {"pain-region": "low_back", "pain-intensity": "11", "pain-quality": "dull"}
    ).content.decode()
    assert "Ensure this value is less than or equal to 10." in too_high
    no_side = client.post(
        add, {"pain-region": "shoulder", "pain-intensity": "4", "pain-quality": "dull"}
    ).content.decode()
    assert "Shoulder needs a side: left, right or bilateral." in no_side
    assert 'id="id_pain-side_error"' in no_side
    assert evaluation.pain_map.count() == 1


def test_a_code_not_billable_is_refused_with_the_rule(
    therapist: User, evaluation: Evaluation, client_for: Callable[[User], Client]
) -> None:
    page = (
        client_for(therapist)
        .post(
            reverse("care:evaluation_add", args=[evaluation.public_id, "diagnosis"]),
            {"dx-code": "M54.5"},
        )
        .content.decode()
    )
    assert "M54.50" in page
    assert 'id="id_dx-code_error"' in page


def test_unscorable_answers_are_refused_on_the_form(
    therapist: User, evaluation: Evaluation, client_for: Callable[[User], Client]
) -> None:
    before = evaluation.administration_links.count()
    page = (
        client_for(therapist)
        .post(
            reverse("care:evaluation_administration", args=[evaluation.public_id]),
            {"instrument": "ODI", "a-item_1": "2"},
        )
        .content.decode()
    )
    assert "error-summary" in page
    assert evaluation.administration_links.count() == before


def test_licensed_items_show_their_number_and_the_answer_options(
    therapist: User, evaluation: Evaluation, client_for: Callable[[User], Client]
) -> None:
    url = reverse("care:evaluation", args=[evaluation.public_id]) + "?instrument=ODI"
    page = _page(client_for(therapist), url)
    assert "Item 10" in page
    assert '<option value="5">5</option>' in page


def test_plan_from_the_evaluation_to_discharge_through_the_pages(
    therapist: User,
    patient: Patient,
    signed_evaluation: Evaluation,
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(therapist)
    client.post(
        reverse("care:plan_new", args=[signed_evaluation.public_id]),
        {
            "plan-frequency_per_week": "2",
            "plan-duration_weeks": "4",
            "plan-techniques": ["swedish"],
            "plan-reassess_every_visits": "6",
        },
    )
    plan = Plan.objects.get(patient=patient)
    url = reverse("care:plan", args=[plan.public_id])
    due = (clinic_today() + dt.timedelta(weeks=4)).isoformat()
    missing_target = client.post(
        reverse("care:plan_add", args=[plan.public_id, "goal"]),
        {
            "goal-statement": "Pain at most 2.",
            "goal-measure": "instrument:NPRS",
            "goal-target_kind": "value",
            "goal-due_on": due,
        },
    ).content.decode()
    assert 'id="id_goal-target_value_error"' in missing_target
    # 6 -> 5 is inside the NPRS MDC of 2 (Childs 2005): refused on the target field.
    too_close = client.post(
        reverse("care:plan_add", args=[plan.public_id, "goal"]),
        {
            "goal-statement": "Pain at most 5.",
            "goal-measure": "instrument:NPRS",
            "goal-target_kind": "value",
            "goal-target_value": "5",
            "goal-due_on": due,
        },
    ).content.decode()
    assert 'id="id_goal-target_value_error"' in too_close
    assert "MDC of 2 points (Childs 2005)" in too_close
    assert "could never be shown to be reached" in too_close
    assert not plan.goals.exists()
    client.post(
        reverse("care:plan_add", args=[plan.public_id, "goal"]),
        {
            "goal-statement": "Pain at most 3.",
            "goal-measure": "instrument:NPRS",
            "goal-target_kind": "value",
            "goal-target_value": "3",
            "goal-due_on": due,
        },
    )
    client.post(
        reverse("care:plan_add", args=[plan.public_id, "homecare"]),
        {
            "hc-kind": "stretch",
            "hc-instructions": "Knee to chest, gently.",
            "hc-tool": "none",
            "hc-frequency": "Twice a day",
        },
    )
    assert "Knee to chest" in _page(client, reverse("care:plan_handout", args=[plan.public_id]))
    client.post(reverse("care:plan_sign", args=[plan.public_id]))
    plan.refresh_from_db()
    assert plan.status == "active"
    client.post(
        reverse("care:plan_add", args=[plan.public_id, "reassess"]),
        {"instrument": "NPRS", "a-item_1": "2"},
    )
    page = _page(client, url)
    assert "Achieved" in page
    # Which threshold made the change meaningful is shown beside the status (issue 18).
    decided = "Clinically meaningful change, decided by the absolute threshold"
    assert decided in page
    chart = _page(client, reverse("patients:detail", args=[patient.public_id]))
    assert "Pain at most 3." in chart
    assert "Achieved" in chart
    assert decided in chart
    assert "Baseline ± MDC (2)" in chart  # the trend's band is the noise band
    assert 'class="trend-svg"' in chart
    assert ' style="' not in chart
    refused = client.post(
        reverse("care:plan_add", args=[plan.public_id, "discharge"]), {"dc-reason": "other"}
    ).content.decode()
    assert "error-summary" in refused
    client.post(
        reverse("care:plan_add", args=[plan.public_id, "discharge"]), {"dc-reason": "goals_met"}
    )
    plan.refresh_from_db()
    assert plan.status == "completed"
    discharged = _page(client, url)
    assert "Discharged" in discharged
    assert decided in discharged


def test_the_trend_chart_is_an_svg_image(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    sign_plan(actor=therapist, plan=plan)
    goal = plan.goals.get(instrument="ODI")
    response = client_for(therapist).get(reverse("care:goal_chart", args=[goal.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in response.content
