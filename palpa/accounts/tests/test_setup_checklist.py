"""The set-up checklist: worked out from the data, shown to owners, each step a link."""

from __future__ import annotations

import pytest

from palpa.accounts.checklist import steps_for
from palpa.accounts.models import Location, User
from palpa.accounts.services import add_room
from palpa.core.tests.support import web_client
from palpa.scheduling.services import install_default_types


def _done(user: User) -> dict[str, bool]:
    return {step.label: step.done for step in steps_for(user)}


def test_a_new_clinic_has_every_step_left_but_the_staff_it_already_has(owner: User) -> None:
    steps = _done(owner)
    assert list(steps) == [
        "Add your locations and their treatment rooms",
        "Add your practitioners, linked to their sign-in accounts, with licenses",
        "Set your appointment types",
        "Set your services' prices (self-pay service prices, payers' fees)",
        "Set each practitioner's working hours",
        "Invite your staff",
        "Word the appointment reminders",
    ]
    assert not any(steps.values())


def test_steps_are_done_as_soon_as_the_data_exists(
    owner: User, location: Location, therapist: User
) -> None:
    add_room(actor=owner, location=location, name="Room 1")
    install_default_types(actor=owner)
    steps = _done(owner)
    assert steps["Add your locations and their treatment rooms"]
    assert steps["Set your appointment types"]
    assert steps["Add your practitioners, linked to their sign-in accounts, with licenses"]
    assert steps["Invite your staff"]
    assert not steps["Set each practitioner's working hours"]


def test_the_owners_dashboard_shows_the_checklist_with_links(
    request: pytest.FixtureRequest, owner: User
) -> None:
    page = web_client(request, "owner").get("/").content.decode()
    assert "Setting up: 7 steps left" in page
    assert 'href="/schedule/setup/types/"' in page
    assert 'href="/accounts/staff/"' in page


def test_a_therapist_sees_no_checklist(request: pytest.FixtureRequest, therapist: User) -> None:
    page = web_client(request, "therapist").get("/").content.decode()
    assert "Setting up" not in page
    assert steps_for(therapist) == []
