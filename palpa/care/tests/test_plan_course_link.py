"""The signed plan of care links to booking its course in the schedule (scheduling owns
the page; the plan only hands over patient, frequency, weeks, start and practitioner)."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from palpa.accounts.models import User
from palpa.care.models import Plan
from palpa.care.plans.services import sign_plan


def test_an_active_plan_links_to_booking_its_course(
    therapist: User, plan: Plan, client_for: Callable[[User], Client]
) -> None:
    url = reverse("care:plan", args=[plan.public_id])
    assert "Book this course" not in client_for(therapist).get(url).content.decode()  # draft
    sign_plan(actor=therapist, plan=plan)
    body = client_for(therapist).get(url).content.decode()
    link = (
        f"/schedule/course/?patient={plan.patient.public_id}&amp;per_week=2&amp;weeks=6"
        f"&amp;start={plan.starts_on:%Y-%m-%d}&amp;practitioner={plan.practitioner.public_id}"
    )
    assert link in body
    course = client_for(therapist).get(link.replace("&amp;", "&")).content.decode()
    assert f'value="{plan.patient.mrn}"' in course
