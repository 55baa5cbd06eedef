"""Opening a chart that shows a plan of care is one audit entry: the read of the patient,
naming the plan, its version and its progress as the care section showed them (the care
section does not write a second entry of its own)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import reverse

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.audit.services import verify_chain
from palpa.care.models import Plan
from palpa.care.plans.services import plan_progress
from palpa.core.tests.support import frozen_clock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


def _chart(client: Client, plan: Plan) -> None:
    response = client.get(reverse("patients:detail", args=[plan.patient.public_id]))
    assert response.status_code == 200
    assert 'class="trend"' in response.content.decode()  # the plan's progress is shown


def test_the_chart_and_its_plan_are_one_read_entry(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    client = client_for(therapist)
    before = AuditEvent.objects.count()
    _chart(client, plan)
    assert AuditEvent.objects.count() == before + 1
    entry = AuditEvent.objects.latest("seq")
    assert (entry.action, entry.object_type, entry.actor) == ("read", "Patient", therapist)
    assert entry.patient_id == str(plan.patient.public_id)
    assert entry.detail["view"] == "chart"
    assert entry.detail["plan"] == str(plan.public_id)
    assert entry.detail["version"] == plan.version
    expected = plan_progress(actor=therapist, plan=plan, record_read=False)
    assert entry.detail["progress"] == {
        goal.measure_label: result.status for goal, result in expected.goals
    }
    assert entry.detail["non_responder"] is expected.non_responder.alert
    assert verify_chain(therapist.organization_id).ok


def test_the_plan_page_still_records_its_own_read_of_the_plan(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    client_for(therapist).get(reverse("care:plan", args=[plan.public_id]))
    assert AuditEvent.objects.filter(action="read", object_id=str(plan.public_id)).exists()


def test_roles_without_clinical_access_read_no_plan_on_the_chart(
    front_desk: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    client_for(front_desk).get(reverse("patients:detail", args=[plan.patient.public_id]))
    entry = AuditEvent.objects.latest("seq")
    assert entry.detail == {"view": "chart"}
