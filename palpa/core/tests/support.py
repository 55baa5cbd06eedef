"""Helpers for the permission and API tests: personas by name, and API callers.

A persona is named by its fixture (``owner``, ``therapist``, ...) or ``anonymous``.
An API caller authenticates one of two ways:

- ``token``: a personal access token in ``Authorization: Bearer``;
- ``session``: a signed-in browser session with two-factor verification done, on a
  client that enforces CSRF (writes send the ``X-CSRFToken`` header, as htmx does).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from palpa.accounts.models import User
from palpa.accounts.services import issue_token

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

STAFF = ("owner", "therapist", "other_therapist", "front_desk", "biller")
PERSONAS = (*STAFF, "outsider", "anonymous")
TRANSPORTS = ("token", "session")

# The moment every time-sensitive test runs at (a Monday afternoon in Tampa).
NOW = dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)


CLINIC_ZONE = zoneinfo.ZoneInfo("America/New_York")  # every test location is in Tampa


def clinic_today() -> dt.date:
    """Today in the test clinics' zone: the day their services count from (not the
    machine's or UTC's day, which differ from it every evening)."""
    return timezone.localtime(timezone=CLINIC_ZONE).date()


def frozen_clock() -> Iterator[None]:
    """Generator for an autouse fixture: the clock stands still at ``NOW``."""
    with time_machine.travel(NOW, tick=False):
        yield


def persona(request: pytest.FixtureRequest, name: str) -> User | None:
    """The user behind a persona name; None for ``anonymous``."""
    if name == "anonymous":
        return None
    user = request.getfixturevalue(name)
    assert isinstance(user, User)
    return user


def verified_session(user: User, *, enforce_csrf: bool = True) -> Client:
    """A browser session for ``user``, two-factor verified, that enforces CSRF."""
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="test", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def web_client(request: pytest.FixtureRequest, name: str) -> Client:
    """A browser for a persona: signed in and verified, or anonymous."""
    user = persona(request, name)
    return Client() if user is None else verified_session(user, enforce_csrf=False)


def csrf_token(client: Client) -> str:
    """The CSRF token a page hands the browser (every page does; the dashboard here)."""
    response = client.get("/")
    assert response.status_code == 200
    return str(client.cookies[settings.CSRF_COOKIE_NAME].value)


class Api:
    """Calls /api/v1 as a persona over one transport, sending and reading JSON."""

    def __init__(self, client: Client, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    @staticmethod
    def _url(path: str, params: dict[str, Any] | None) -> str:
        url = "/api/v1" + path
        return f"{url}?{urlencode(params)}" if params else url

    def get(self, path: str, params: dict[str, Any] | None = None) -> Response:
        return self.client.get(self._url(path, params), headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Response:
        return self.client.post(
            self._url(path, None),
            json.dumps(body or {}),
            content_type="application/json",
            headers=self.headers,
        )

    def patch(self, path: str, body: dict[str, Any]) -> Response:
        return self.client.patch(
            self._url(path, None),
            json.dumps(body),
            content_type="application/json",
            headers=self.headers,
        )

    def delete(self, path: str, params: dict[str, Any] | None = None) -> Response:
        return self.client.delete(self._url(path, params), headers=self.headers)


def api_for(user: User | None, transport: str) -> Api:
    """An API caller for ``user`` (None: anonymous) over ``token`` or ``session``."""
    if user is None:
        return Api(Client(enforce_csrf_checks=True), {})
    if transport == "token":
        secret = issue_token(actor=user, name="tests").secret
        return Api(Client(enforce_csrf_checks=True), {"Authorization": f"Bearer {secret}"})
    assert transport == "session", transport
    client = verified_session(user)
    return Api(client, {"X-CSRFToken": csrf_token(client)})


def api_as(request: pytest.FixtureRequest, name: str, transport: str) -> Api:
    return api_for(persona(request, name), transport)


def error_fields(response: Response) -> set[str]:
    """The field names a 422 response complains about (the last part of each ``loc``)."""
    assert response.status_code == 422, response.content
    return {str(item["loc"][-1]) for item in response.json()["detail"]}


def matrix(table: dict[str, int]) -> list[tuple[str, int]]:
    """(persona, expected status) pairs; the table must name every persona."""
    assert set(table) == set(PERSONAS), sorted(set(PERSONAS) ^ set(table))
    return [(name, table[name]) for name in PERSONAS]


def without_csrf(api: Api) -> Api:
    """The same signed-in session, but a write that does not send the CSRF token."""
    return Api(api.client, {k: v for k, v in api.headers.items() if k != "X-CSRFToken"})


LOGIN = "/accounts/login/"


def assert_answer(response: Response, who: str, status: int) -> None:
    """The page answered ``status``; an anonymous visitor is always sent to sign in."""
    assert response.status_code == status, (who, response.status_code)
    if who == "anonymous":
        assert status == 302
        assert response["Location"].startswith(LOGIN + "?next="), response["Location"]


def one_page_pdf() -> bytes:
    """A small valid PDF (one blank page), as a scanner would send."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
