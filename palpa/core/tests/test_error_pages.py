"""Error pages are Palpa's own in both modes: the app's layout, what happened in words and
a way back; never Django's technical pages (which list every URL or show settings)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.views import debug

from palpa.accounts.models import Organization, User
from palpa.core.error_pages import FriendlyErrorPagesMiddleware

TECHNICAL = ("Using the URLconf", "Traceback", "DEBUG = True", "NONE,NOARCHIVE")


def _friendly(page: str, heading: str) -> None:
    assert f"<h1>{heading}</h1>" in page
    assert 'class="skip"' in page  # the app's layout
    for mark in TECHNICAL:
        assert mark not in page


@pytest.mark.parametrize("debug_mode", [True, False])
def test_an_unknown_address_shows_palpas_404_in_both_modes(
    settings: Any, client: Client, debug_mode: bool
) -> None:
    settings.DEBUG = debug_mode
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    _friendly(page, "Page not found")
    assert 'href="/accounts/login/">Sign in to Palpa</a>' in page


@pytest.mark.parametrize("debug_mode", [True, False])
def test_a_signed_in_member_gets_the_way_back_to_the_dashboard(
    settings: Any, client_for: Any, front_desk: User, debug_mode: bool
) -> None:
    settings.DEBUG = debug_mode
    response = client_for(front_desk).get("/care/notes/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    page = response.content.decode()
    _friendly(page, "Page not found")
    assert '<a href="/">Back to the dashboard</a>' in page
    assert "Sign out" in page  # the header of a signed-in page


def test_the_demos_first_address_leads_to_the_sign_in_page(
    settings: Any, client: Client, org: Organization
) -> None:
    settings.DEBUG = True  # bin/demo runs the development server
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")


def test_the_api_and_fhir_answers_are_left_to_them_in_development(
    settings: Any, client: Client
) -> None:
    settings.DEBUG = True
    response = client.get("/api/v1/no-such-operation")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" not in response.content.decode()


def _technical_500(request: HttpRequest) -> HttpResponse:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        return debug.technical_500_response(request, *sys.exc_info())


@pytest.mark.parametrize(
    ("status", "heading"), [(500, "Something went wrong"), (400, "Request not understood")]
)
def test_technical_error_pages_are_swapped_for_palpas_in_development(
    settings: Any, status: int, heading: str
) -> None:
    settings.DEBUG = True
    request = RequestFactory().get("/schedule/")

    def technical(req: HttpRequest) -> HttpResponse:
        response = _technical_500(req)
        response.status_code = status
        return response

    response = FriendlyErrorPagesMiddleware(technical)(request)
    assert response.status_code == status
    _friendly(response.content.decode(), heading)


def test_production_error_templates_render_without_a_request() -> None:
    """Django renders 500.html with no context at all."""
    _friendly(render_to_string("500.html"), "Something went wrong")
    _friendly(render_to_string("400.html"), "Request not understood")


def test_a_refusal_shows_the_403_page_with_its_reason(
    settings: Any, client_for: Any, front_desk: User
) -> None:
    settings.DEBUG = True
    response = client_for(front_desk).get("/audit/")
    assert response.status_code == 403
    page = response.content.decode()
    _friendly(page, "Not allowed")
    assert '<a href="/">Back to the dashboard</a>' in page
    assert PermissionDenied.__name__ not in page
