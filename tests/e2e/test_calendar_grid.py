"""The calendar's time grid in a real browser: a click on an empty time books it, an
appointment dragged to another time moves (or stays, with the reason, when the rules
refuse), the keyboard does both, and axe finds nothing serious, on a desktop and a phone."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from palpa.accounts.models import Location, User
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services
from palpa.scheduling.models import Appointment
from palpa.scheduling.tests.support import at, make_room, make_type, weekday_hours
from tests.e2e.axe import assert_accessible

pytestmark = pytest.mark.e2e


def _next_monday() -> dt.date:
    today = clinic_today()
    return today + dt.timedelta(days=7 - today.weekday())


@pytest.fixture
def booked(
    owner: User, front_desk: User, location: Location, practitioner: Practitioner, patient: Patient
) -> Appointment:
    weekday_hours(owner, practitioner, location)
    make_room(location, "Room 1")
    kind = make_type(owner, "treatment-60", "treatment", 60)
    return services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=at(_next_monday(), "10:00"),
    )


def _open_day(page: Page, user: User, location: Location) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")
    page.goto(f"/schedule/?view=day&date={_next_monday()}&location={location.public_id}")
    page.wait_for_load_state("load")


def _slot(page: Page, hhmm: str) -> str:
    return f"Book {_next_monday():%a %d %b} {hhmm} with Tess Therapist"


def test_a_click_on_an_empty_time_opens_the_booking_form_for_it(
    page: Page, front_desk: User, location: Location, booked: Appointment
) -> None:
    _open_day(page, front_desk, location)
    assert_accessible(page, "the day grid")
    page.get_by_role("link", name=_slot(page, "11:30")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New booking")
    expect(page.locator("#id_date")).to_have_value(_next_monday().isoformat())
    expect(page.locator("#id_time")).to_have_value("11:30")
    expect(page.locator("#id_practitioner")).to_have_value(str(booked.practitioner.public_id))


def test_an_appointment_dragged_to_another_time_moves_and_a_refused_drop_stays(
    page: Page, front_desk: User, location: Location, booked: Appointment
) -> None:
    _open_day(page, front_desk, location)
    # HTML5 drag and drop needs both ends on screen: the grid at the top of the window.
    page.locator(".cal-scroll").evaluate("el => el.scrollIntoView()")
    appointment = page.locator(f'a.appt[href$="{booked.public_id}/"]')
    appointment.drag_to(page.get_by_role("link", name=_slot(page, "14:00")))
    notice = page.locator("#cal-notice")
    expect(notice).to_contain_text(f"Moved Rosa Delgado to {_next_monday():%a %d %b} 14:00")
    expect(appointment).to_contain_text("14:00")
    booked.refresh_from_db()
    assert booked.start == at(_next_monday(), "14:00")
    # An hour from 11:45 runs into the 12:00 visit: refused, the reason shown, nothing moves.
    services.book_appointment(
        actor=front_desk,
        patient=booked.patient,
        practitioner=booked.practitioner,
        location=location,
        appointment_type=booked.appointment_type,
        start=at(_next_monday(), "12:00"),
    )
    page.reload()
    page.locator(".cal-scroll").evaluate("el => el.scrollIntoView()")
    appointment.drag_to(page.get_by_role("link", name=_slot(page, "11:45")))
    expect(notice).to_contain_text("Not moved")
    expect(notice).to_contain_text("already booked")
    expect(appointment).to_contain_text("14:00")
    booked.refresh_from_db()
    assert booked.start == at(_next_monday(), "14:00")


def test_the_keyboard_moves_an_appointment_and_books_an_empty_time(
    page: Page, front_desk: User, location: Location, booked: Appointment
) -> None:
    _open_day(page, front_desk, location)
    appointment = page.get_by_role("link", name="Rosa Delgado", exact=False)
    appointment.focus()
    page.keyboard.press("m")
    expect(page.locator("#cal-notice")).to_contain_text("Moving Rosa Delgado")
    # The nearest free time to the appointment's; arrows skip the rows it covers.
    expect(page.get_by_role("link", name=_slot(page, "09:45"))).to_be_focused()
    for _ in range(5):
        page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name=_slot(page, "12:00"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#cal-notice")).to_contain_text("Moved Rosa Delgado")
    expect(appointment).to_be_focused()
    expect(appointment).to_contain_text("12:00")
    booked.refresh_from_db()
    assert booked.start == at(_next_monday(), "12:00")
    # Escape leaves a move; Enter on an empty time opens the booking form for it.
    page.keyboard.press("m")
    page.keyboard.press("Escape")
    expect(appointment).to_be_focused()
    page.keyboard.press("m")
    page.keyboard.press("Escape")
    page.get_by_role("link", name=_slot(page, "15:00")).focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("New booking")
    expect(page.locator("#id_time")).to_have_value("14:45")


def test_the_week_grid_on_a_phone_scrolls_sideways_and_passes_axe(
    phone_page: Page, front_desk: User, location: Location, booked: Appointment
) -> None:
    page = phone_page
    _open_day(page, front_desk, location)
    page.goto(f"/schedule/?view=week&date={_next_monday()}&location={location.public_id}")
    expect(page.get_by_role("link", name="Rosa Delgado", exact=False)).to_be_visible()
    assert_accessible(page, "the week grid on a phone")
    scroll = page.locator(".cal-scroll")
    assert scroll.evaluate("el => el.scrollWidth > el.clientWidth")
    # A filter applies at once: choosing the day view reloads without pressing Show.
    page.get_by_label("View").select_option("day")
    expect(page.locator("#cal-title")).to_contain_text(f"{_next_monday():%A %d %B %Y}")
    assert_accessible(page, "the day grid on a phone")
