"""Hostile input to the portal while signed in: no server error, nothing written, and a
message naming what was wrong."""

from __future__ import annotations

import pytest
from django.test import Client

from palpa.patients.models import Consent
from palpa.portal.models import HomeCareLog
from palpa.portal.tests.support import Course, sign_in
from palpa.scheduling.models import Appointment

HOSTILE = [
    "\x00",
    "9" * 400,
    "\u202e",
    "\uff11\uff12\uff13\uff14\uff15\uff16",
    "' OR 1=1 --",
    "",
    "-1",
]


@pytest.fixture
def portal(course: Course) -> Client:
    client = Client()
    assert sign_in(client, "rosa@example.com").status_code == 302
    return client


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_give_no_server_error_and_write_nothing_wrong(
    portal: Client, course: Course, value: str
) -> None:
    cancel = portal.post(f"/my/appointments/{course.upcoming.public_id}/cancel/", {"reason": value})
    assert cancel.status_code in (302, 400)  # 400: a NUL byte is refused before any view
    course.upcoming.refresh_from_db()
    if len(value) > 300:
        assert course.upcoming.status == Appointment.Status.BOOKED
    withdraw = portal.post(f"/my/consents/{value or 'x'}/withdraw/".replace("\x00", "%00"))
    assert withdraw.status_code in (302, 404)
    assert not Consent.objects.filter(granted=False).exists()
    done = portal.post(f"/my/home-care/{course.item.public_id}/done/", {"done": value})
    assert done.status_code in (302, 400)
    assert HomeCareLog.objects.count() <= 1
    for url in ("/my/sign-in/", "/my/sign-in/code/"):
        answer = portal.post(url, {"contact": value, "code": value})
        assert answer.status_code < 500


def test_a_reason_too_long_is_refused_naming_the_field(portal: Client, course: Course) -> None:
    page = portal.post(
        f"/my/appointments/{course.upcoming.public_id}/cancel/", {"reason": "x" * 301}, follow=True
    )
    assert "Reason: keep it to 300 characters." in page.content.decode()
    course.upcoming.refresh_from_db()
    assert course.upcoming.status == Appointment.Status.BOOKED
