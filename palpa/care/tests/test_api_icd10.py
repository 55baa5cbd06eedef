"""GET /api/v1/icd10: the bundled ICD-10-CM subset, searched by code or words."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent

OPERATIONS = {("get", "/api/v1/icd10")}


def test_a_therapist_searches_by_code_prefix(
    therapist: User, api_client_for: Callable[[User], Client]
) -> None:
    response = api_client_for(therapist).get("/api/v1/icd10", {"q": "M62.83"})
    assert response.status_code == 200
    assert [hit["code"] for hit in response.json()] == ["M62.830", "M62.831", "M62.838"]


def test_words_find_codes_and_s_codes_offer_their_7th_characters(
    therapist: User, api_client_for: Callable[[User], Client]
) -> None:
    hits = api_client_for(therapist).get("/api/v1/icd10", {"q": "ligaments lumbar"}).json()
    assert [hit["code"] for hit in hits] == ["S33.5XX_"]
    assert hits[0]["seventh_character_required"]
    assert [s["character"] for s in hits[0]["seventh_characters"]] == ["A", "D", "S"]


def test_m54_5_is_shown_as_not_billable_with_its_replacements(
    owner: User, api_client_for: Callable[[User], Client]
) -> None:
    hits = api_client_for(owner).get("/api/v1/icd10", {"q": "M54.5"}).json()
    assert hits[0]["code"] == "M54.5"
    assert hits[0]["not_billable"]
    assert "1 October 2021" in hits[0]["note"]
    assert [h["code"] for h in hits[1:]] == ["M54.50", "M54.51", "M54.59"]


def test_the_limit_is_bounded_and_a_code_search_holds_no_patient_data(
    therapist: User, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(therapist)
    assert len(client.get("/api/v1/icd10", {"limit": 2}).json()) == 2
    assert client.get("/api/v1/icd10", {"limit": 500}).status_code == 422
    assert not AuditEvent.objects.filter(action="read", actor=therapist).exists()


@pytest.mark.parametrize("persona", ["front_desk", "biller"])
def test_front_desk_and_biller_are_refused(
    request: pytest.FixtureRequest, persona: str, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(request.getfixturevalue(persona))
    assert client.get("/api/v1/icd10", {"q": "M54"}).status_code == 403
