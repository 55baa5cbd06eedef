"""The text rule at the FHIR boundary (docs/input.md): search parameters and transaction
Bundles with control characters, bidi overrides or numbers past any range are refused
with a 400 OperationOutcome naming the parameter (or element), never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from palpa.accounts.models import Organization
from palpa.fhir.tests.conftest import Course
from palpa.fhir.tests.support import body
from palpa.fhir.tests.test_transaction import post, referral_bundle
from palpa.fhir.tests.test_transaction import writer as writer  # the fixture
from palpa.patients.models import Patient


def _text(outcome: dict[str, Any]) -> str:
    return " ".join(issue["diagnostics"] for issue in outcome["issue"])


def _refused(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.content
    outcome = body(response)
    assert outcome["resourceType"] == "OperationOutcome"
    return outcome


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/fhir/R4/Patient", "family"),
        ("/fhir/R4/Patient", "name"),
        ("/fhir/R4/Patient", "given"),
        ("/fhir/R4/Patient", "identifier"),
        ("/fhir/R4/Patient", "_id"),
        ("/fhir/R4/Condition", "code"),
        ("/fhir/R4/Observation", "code"),
        ("/fhir/R4/Practitioner", "name"),
        ("/fhir/R4/Questionnaire", "_id"),
    ],
)
def test_a_nul_byte_in_a_search_parameter_is_a_400_naming_it(
    fhir: Client, path: str, param: str
) -> None:
    outcome = _refused(fhir.get(f"{path}?{param}=%00"))
    (issue,) = outcome["issue"]
    assert issue["expression"] == [param]
    assert "U+0000" in issue["diagnostics"]
    assert "control characters are not allowed" in issue["diagnostics"]


def test_a_bidi_override_in_a_name_search_is_refused(fhir: Client) -> None:
    outcome = _refused(fhir.get("/fhir/R4/Patient", {"family": "evil\u202ename"}))
    assert "RIGHT-TO-LEFT OVERRIDE" in _text(outcome)


def test_a_control_character_in_a_parameter_name_is_refused(fhir: Client) -> None:
    outcome = _refused(fhir.get("/fhir/R4/Patient?fam%01ily=x"))
    assert "a parameter name" in _text(outcome)


def test_a_search_value_is_nfc(fhir: Client, course: Course) -> None:
    # The patient's family name has no accent: the decomposed and composed searches agree.
    composed = body(fhir.get("/fhir/R4/Patient", {"family": "Ren\u00e9"}))
    decomposed = body(fhir.get("/fhir/R4/Patient", {"family": "Rene\u0301"}))
    assert composed["total"] == decomposed["total"]


@pytest.mark.parametrize(
    "query",
    [
        "_offset=9223372036854775808",
        "_count=99999999999999999999",
        "_offset=%EF%BC%93",  # full-width 3
        "_count=%C2%B2",  # superscript 2
        "_count=-1",
        "_offset=1_000",
    ],
)
def test_paging_numbers_must_be_small_ascii_whole_numbers(fhir: Client, query: str) -> None:
    outcome = _refused(fhir.get(f"/fhir/R4/Patient?{query}"))
    assert "_offset" in _text(outcome) or "_count" in _text(outcome)


def test_everything_paging_is_checked_the_same_way(fhir: Client, course: Course) -> None:
    url = f"/fhir/R4/Patient/{course.patient.public_id}/$everything"
    _refused(fhir.get(f"{url}?_count=%C2%B2"))
    _refused(fhir.get(f"{url}?_type=%00"))


def test_a_transaction_with_a_nul_byte_in_a_name_is_refused_naming_the_element(
    writer: Client, org: Organization
) -> None:
    bundle = referral_bundle()
    bundle["entry"][0]["resource"]["name"][0]["family"] = "Ngu\u0000yen"
    outcome = _refused(post(writer, bundle))
    (issue,) = outcome["issue"]
    assert issue["expression"] == ["Bundle.entry[0].resource.name[0].family"]
    assert not Patient.objects.filter(organization=org).exists()


def test_a_transaction_nested_past_reason_is_a_400(writer: Client) -> None:
    response = writer.post(
        "/fhir/R4/", "[" * 100_000 + "]" * 100_000, content_type="application/fhir+json"
    )
    assert "nested too deeply" in _text(_refused(response))


def test_a_transaction_keeps_line_breaks_in_notes(writer: Client) -> None:
    bundle = referral_bundle()
    request = bundle["entry"][-1]["resource"]
    request["note"] = [{"text": "Frequency: 2x/week\nfor 4 weeks"}]
    response = post(writer, bundle)
    assert response.status_code == 200, json.loads(response.content)
