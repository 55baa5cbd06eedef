"""JSON only, and every refusal an OperationOutcome with the right status."""

from __future__ import annotations

import uuid

from django.test import Client

from palpa.fhir.tests.conftest import Course
from palpa.fhir.tests.support import FHIR_JSON, body, outcome_text


def test_a_read_answers_in_fhir_json(fhir: Client, course: Course) -> None:
    response = fhir.get(f"/fhir/R4/Patient/{course.patient.public_id}")
    assert response.status_code == 200
    assert response["Content-Type"] == f"{FHIR_JSON}; charset=utf-8"


def test_xml_asked_for_by_format_is_refused_with_406(fhir: Client, course: Course) -> None:
    response = fhir.get(f"/fhir/R4/Patient/{course.patient.public_id}", {"_format": "xml"})
    assert response.status_code == 406
    assert "JSON only" in outcome_text(response)


def test_xml_asked_for_by_accept_is_refused_with_406(fhir: Client, course: Course) -> None:
    response = fhir.get("/fhir/R4/Patient", headers={"Accept": "application/fhir+xml"})
    assert response.status_code == 406
    assert body(response)["issue"][0]["code"] == "not-supported"


def test_json_format_and_a_browser_accept_header_are_served(fhir: Client, course: Course) -> None:
    assert fhir.get("/fhir/R4/Patient", {"_format": "json"}).status_code == 200
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert fhir.get("/fhir/R4/Patient", headers={"Accept": browser}).status_code == 200


def test_no_token_is_401_with_a_bearer_challenge(course: Course) -> None:
    response = Client().get(f"/fhir/R4/Patient/{course.patient.public_id}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert body(response)["issue"][0]["code"] == "login"


def test_an_unknown_token_is_401(course: Course) -> None:
    client = Client(headers={"Authorization": "Bearer not-a-token"})
    response = client.get("/fhir/R4/Patient")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_an_unknown_id_is_404(fhir: Client, course: Course) -> None:
    response = fhir.get(f"/fhir/R4/Patient/{uuid.uuid4()}")
    assert response.status_code == 404
    assert body(response)["issue"][0]["code"] == "not-found"
    assert fhir.get("/fhir/R4/Patient/P000001").status_code == 404


def test_an_unserved_type_is_404(fhir: Client) -> None:
    response = fhir.get("/fhir/R4/Medication")
    assert response.status_code == 404
    assert "does not serve Medication" in outcome_text(response)


def test_writes_are_405_with_the_methods_allowed(fhir: Client, course: Course) -> None:
    path = f"/fhir/R4/Patient/{course.patient.public_id}"
    response = fhir.put(path, "{}", content_type=FHIR_JSON)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert fhir.delete(path).status_code == 405
    assert fhir.post("/fhir/R4/Patient", "{}", content_type=FHIR_JSON).status_code == 405


def test_a_bad_search_value_is_400_naming_the_parameter(fhir: Client) -> None:
    response = fhir.get("/fhir/R4/Observation", {"date": "yesterday"})
    assert response.status_code == 400
    assert "date='yesterday'" in outcome_text(response)
    response = fhir.get("/fhir/R4/Observation", {"_count": "-1"})
    assert response.status_code == 400
    assert "_count" in outcome_text(response)
