"""axe-core over the main pages, as the people who use them: no serious or critical
accessibility violation at desktop or phone size.

The pages carry real records: a patient with a signed evaluation, a draft plan of care,
a draft treatment note, a booked appointment, an intake link and the online booking page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, ViewportSize
from pytest_django.live_server_helper import LiveServer

from palpa.accounts.models import Location, User
from palpa.care.models import Plan, TreatmentNote
from palpa.care.tests.conftest import (  # noqa: F401 - fixtures used by name
    _screened_patient,
    draft,
    evaluation,
    plan,
    signed_evaluation,
)
from palpa.core.tests.support import clinic_today, verified_session
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import online, services
from palpa.scheduling.models import Appointment
from palpa.scheduling.tests.support import make_type, weekday_hours
from palpa.screening.services import create_intake_link
from tests.e2e.axe import serious_violations
from tests.e2e.conftest import DESKTOP, PHONE, TIMEOUT_MS

pytestmark = pytest.mark.e2e


def _tab_as(
    browser: Browser, live_server: LiveServer, viewport: ViewportSize, user: User | None
) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    if user is not None:
        cookie = verified_session(user).cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
    return context.new_page()


@pytest.fixture
def appointment(
    owner: User, front_desk: User, patient: Patient, practitioner: Practitioner, location: Location
) -> Appointment:
    weekday_hours(owner, practitioner, location)
    kind = make_type(owner, "treatment-60", "treatment", 60, online_bookable=True)
    online.update_online_settings(
        actor=owner,
        location=location,
        changes={"enabled": True, "new_patients": "book"},
        appointment_types=[kind],
    )
    monday = clinic_today() + dt.timedelta(days=7 - clinic_today().weekday())
    start = dt.datetime.combine(monday, dt.time(15, 0), tzinfo=dt.UTC)
    return services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=start,
    )


def _check(
    browser: Browser,
    live_server: LiveServer,
    user: User | None,
    pages: dict[str, str],
    wait: Callable[[Page], None] | None = None,
) -> list[str]:
    problems: list[str] = []
    for viewport in (DESKTOP, PHONE):
        page = _tab_as(browser, live_server, viewport, user)
        for what, path in pages.items():
            response = page.goto(path)
            assert response is not None, f"{what}: {path}"
            assert response.status == 200, f"{what}: {path}"
            found = serious_violations(page)
            problems += [f"{what} at {viewport['width']} px: {line}" for line in found]
        page.context.close()
    return problems


def test_the_therapists_pages_have_no_serious_accessibility_violation(
    browser: Browser,
    live_server: LiveServer,
    therapist: User,
    patient: Patient,
    plan: Plan,  # noqa: F811
    draft: TreatmentNote,  # noqa: F811
    appointment: Appointment,
) -> None:
    pages = {
        "dashboard": "/",
        "patient list": "/patients/?q=delgado",
        "chart": f"/patients/{patient.public_id}/",
        "evaluation": f"/care/evaluations/{plan.evaluation.public_id}/",
        "plan of care": f"/care/plans/{plan.public_id}/",
        "treatment note": f"/care/notes/{draft.public_id}/",
        "week": "/schedule/",
        "day": "/schedule/?view=day",
        "appointment": f"/schedule/appointments/{appointment.public_id}/",
    }
    problems = _check(browser, live_server, therapist, pages)
    assert not problems, "\n".join(problems)


def test_the_front_desk_owner_and_biller_pages_have_no_serious_accessibility_violation(
    browser: Browser,
    live_server: LiveServer,
    owner: User,
    front_desk: User,
    biller: User,
    appointment: Appointment,
) -> None:
    problems = _check(
        browser,
        live_server,
        front_desk,
        {"booking": "/schedule/new/", "online bookings": "/online-booking/"},
    )
    problems += _check(browser, live_server, owner, {"audit log": "/audit/"})
    problems += _check(browser, live_server, biller, {"billing": "/billing/"})
    assert not problems, "\n".join(problems)


def test_the_patients_pages_have_no_serious_accessibility_violation(
    browser: Browser,
    live_server: LiveServer,
    front_desk: User,
    patient: Patient,
    appointment: Appointment,
) -> None:
    _, token = create_intake_link(actor=front_desk, patient=patient)
    booking = f"/book/{appointment.location.public_id}/"
    kind = appointment.appointment_type.public_id
    pages = {
        "intake": f"/intake/{token}/",
        "online booking": booking,
        "online booking times": f"{booking}?type={kind}",
    }
    problems = _check(browser, live_server, None, pages)
    assert not problems, "\n".join(problems)
