"""The staff calendar in a real browser: keyboard navigation between weeks (j/k, arrows,
t), opening an appointment from the keyboard, and n for a new booking."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from palpa.accounts.models import Location, User
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services
from palpa.scheduling.tests.support import at, make_room, make_type, weekday_hours

pytestmark = pytest.mark.e2e


def _heading(day: dt.date) -> str:
    return f"Week of {day:%d %B %Y}"


def test_the_front_desk_moves_through_weeks_and_opens_an_appointment_by_keyboard(
    page: Page,
    owner: User,
    front_desk: User,
    location: Location,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    # "This week" is the location's week: compute today in its zone, as the page does.
    today = dt.datetime.now(ZoneInfo(location.time_zone)).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    next_monday = this_monday + dt.timedelta(days=7)
    weekday_hours(owner, practitioner, location)
    make_room(location, "Room 1")
    kind = make_type(owner, "treatment-60", "treatment", 60)
    services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=at(next_monday, "10:00"),
    )

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(front_desk.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    title = page.locator("#cal-title")
    expect(title).to_contain_text(_heading(this_monday))
    page.wait_for_load_state("load")  # the keys' script has run

    page.keyboard.press("j")
    expect(title).to_contain_text(_heading(next_monday))
    expect(page).to_have_url(re.compile(f"date={next_monday.isoformat()}"))  # pushed
    appointment = page.get_by_role("link", name="Rosa Delgado", exact=False)
    expect(appointment).to_contain_text("10:00")

    page.keyboard.press("ArrowRight")
    expect(title).to_contain_text(_heading(next_monday + dt.timedelta(days=7)))
    page.keyboard.press("k")
    expect(title).to_contain_text(_heading(next_monday))
    page.keyboard.press("ArrowLeft")
    expect(title).to_contain_text(_heading(this_monday))
    page.keyboard.press("j")
    expect(title).to_contain_text(_heading(next_monday))
    page.keyboard.press("t")
    expect(title).to_contain_text(_heading(this_monday))
    page.keyboard.press("j")
    expect(title).to_contain_text(_heading(next_monday))

    appointment.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Treatment 60 min · Rosa Delgado")
    page.get_by_role("link", name="Back to the schedule").click()
    expect(title).to_contain_text(f"{next_monday:%A %d %B %Y}")  # that day
    page.wait_for_load_state("load")
    page.keyboard.press("n")
    expect(page.get_by_role("heading", level=1)).to_have_text("New booking")
