"""The plan page and the chart read the goals' measurements once, all goals in one query:
the goal statuses and the trend charts draw on the same series (PlanProgress.series)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from palpa.accounts.models import User
from palpa.care.models import Plan

pytestmark = pytest.mark.django_db


def _series_reads(queries: CaptureQueriesContext) -> int:
    return sum(
        'FROM "outcomes_instrumentadministration"' in q["sql"]
        and '"instrument" IN' in q["sql"].replace("::text", "")
        for q in queries.captured_queries
    )


@pytest.mark.parametrize("page", ["plan", "chart"])
def test_each_goals_measurements_are_read_once(
    page: str, therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    url = (
        reverse("care:plan", args=[plan.public_id])
        if page == "plan"
        else reverse("patients:detail", args=[plan.patient.public_id])
    )
    client = client_for(therapist)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).content.decode()
    assert body.count('class="trend"') == 2  # both goals have their chart
    assert plan.goals.count() == 2
    assert _series_reads(queries) == 1  # one read for both goals, not one per goal or chart
