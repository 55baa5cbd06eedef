"""Real-browser fixtures: headless Debian Chromium driven by Playwright's sync API.

The browser is never downloaded: Playwright launches /usr/bin/chromium. The app runs in
pytest-django's ``live_server`` (a real HTTP server on a transactional test database).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from conftest import PASSWORD
from palpa.accounts.models import User


class OneRequestAtATime(ThreadedWSGIServer):
    """The live server answers one request at a time (its connections still have threads
    of their own). On SQLite the threads share the test database's one in-memory
    connection, and two overlapping requests (a part of a page refreshing while another
    request runs) failed with "database table is locked"."""

    _turn = threading.Lock()

    def set_app(self, application: Any) -> None:
        def one_at_a_time(environ: Any, start_response: Any) -> list[bytes]:
            with self._turn:
                response = application(environ, start_response)
                try:
                    return [b"".join(response)]
                finally:
                    close = getattr(response, "close", None)
                    if close is not None:
                        close()

        super().set_app(one_at_a_time)


LiveServerThread.server_class = OneRequestAtATime

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 10_000

SignIn = Callable[[Page, User, TOTPDevice], None]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's sync API, which runs an asyncio event loop in the test thread.

    Module-scoped so the loop stops before tests in other directories run (asyncio.run
    refuses to start inside a running loop).
    """
    # Django refuses ORM calls (fixtures, assertions on the database) from a thread with a
    # running event loop unless told to allow them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            yield pw
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def _tab(browser: Browser, live_server: LiveServer, viewport: ViewportSize) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # Script errors and console errors (a CSP violation is one) fail the test.
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
    page.on(
        "console",
        lambda msg: problems.append(f"{page.url}: {msg.text}") if msg.type == "error" else None,
    )
    yield page
    context.close()
    assert not problems, "the browser reported errors:\n" + "\n".join(problems)


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh desktop-sized tab (own cookies) on the live server."""
    yield from _tab(browser, live_server, DESKTOP)


@pytest.fixture
def phone_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh phone-sized tab (390x844) on the live server."""
    yield from _tab(browser, live_server, PHONE)


@pytest.fixture
def therapist_device(therapist: User) -> TOTPDevice:
    """The therapist's confirmed authenticator app."""
    return TOTPDevice.objects.create(user=therapist, name="Phone", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def fill_password_step(page: Page, user: User) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/otp/**")


@pytest.fixture
def sign_in() -> SignIn:
    """Sign in through the real pages: email and password, then the current TOTP code."""

    def _sign_in(page: Page, user: User, device: TOTPDevice) -> None:
        fill_password_step(page, user)
        page.get_by_label("6-digit code").fill(current_code(device))
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")

    return _sign_in


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots for a human go (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
