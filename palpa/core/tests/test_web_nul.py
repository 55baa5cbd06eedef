"""NUL in a page's query string or form is refused once, before any view (docs/input.md):
PostgreSQL cannot take it in any text parameter, so a search term or a reason read
straight from the request ended in a server error there."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from palpa.accounts.models import User


def test_a_nul_in_a_search_term_is_a_400_naming_the_parameter(
    front_desk: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(front_desk).get("/patients/", {"q": "Ro\x00sa"})
    assert response.status_code == 400
    assert b"<code>q</code> contains U+0000 (NUL)" in response.content


def test_a_nul_in_a_posted_form_is_a_400_and_nothing_runs(
    front_desk: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(front_desk).post("/accounts/tokens/", {"name": "phone\x00"})
    assert response.status_code == 400
    assert b"The form parameter <code>name</code> contains U+0000" in response.content


def test_the_same_page_without_nul_still_answers(
    front_desk: User, client_for: Callable[[User], Client]
) -> None:
    assert client_for(front_desk).get("/patients/", {"q": "Rosa"}).status_code == 200


def test_the_api_keeps_its_own_rule_and_shape(db: None) -> None:
    response = Client().get("/api/v1/patients", {"q": "\x00"})
    assert response.status_code == 401  # not the page's 400: the API answers for itself
