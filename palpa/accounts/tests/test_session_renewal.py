"""The staff session's idle clock: renewed (saved) once a minute at most, not on every page.

The clock stands at ``core.tests.support.NOW``; the tests move it from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from palpa.accounts.models import Organization, User
from palpa.core.tests.support import NOW, frozen_clock, verified_session


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


def _session_writes(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return sum(
        1
        for q in captured.captured_queries
        if q["sql"].startswith(("UPDATE", "INSERT")) and '"django_session"' in q["sql"]
    )


def _expires(client: Client) -> dt.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_page_within_a_minute_of_the_last_renewal_does_not_write_the_session(
    front_desk: User,
) -> None:
    client = verified_session(front_desk)
    assert _session_writes(client) == 1  # the first page renews the session
    with time_machine.travel(NOW + dt.timedelta(seconds=59), tick=False):
        assert _session_writes(client) == 0


def test_a_page_a_minute_after_the_last_renewal_moves_the_expiry(
    front_desk: User, org: Organization
) -> None:
    org.session_idle_minutes = 10
    org.save()
    client = verified_session(front_desk)
    client.get("/")
    assert _expires(client) == NOW + dt.timedelta(minutes=10)
    later = NOW + dt.timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        assert _session_writes(client) == 1
        assert _expires(client) == later + dt.timedelta(minutes=10)


def test_a_session_idle_past_the_organizations_time_is_signed_out(
    front_desk: User, org: Organization
) -> None:
    org.session_idle_minutes = 10
    org.save()
    client = verified_session(front_desk)
    client.get("/")
    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        client.get("/")  # within the minute: not renewed
    with time_machine.travel(NOW + dt.timedelta(minutes=10, seconds=1), tick=False):
        response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
