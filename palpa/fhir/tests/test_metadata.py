"""GET /fhir/R4/metadata: the CapabilityStatement lists exactly what works."""

from __future__ import annotations

import uuid

from django.test import Client

from palpa.fhir.registry import registry
from palpa.fhir.tests.support import body

SAMPLE = {
    "token": "x",
    "string": "a",
    "date": "ge2026-01-01",
    "uri": "http://example.org/Questionnaire/x",
}
# The type a reference parameter points to, where it is not the Patient.
REFERENCE_TARGETS = {
    "encounter": "Encounter",
    "practitioner": "Practitioner",
    "agent": "Practitioner",
    "target": "Encounter",
    "related": "ServiceRequest",
    "questionnaire": "Questionnaire",
    "actor": "Practitioner",
    "location": "Location",
    "schedule": "Schedule",
}


def test_metadata_is_public_and_says_fhir_4_0_1_json_only(db: None) -> None:
    response = Client().get("/fhir/R4/metadata")
    assert response.status_code == 200
    statement = body(response)
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["format"] == ["json", "application/fhir+json"]
    assert statement["kind"] == "instance"


def test_metadata_names_the_token_endpoint_for_smart_clients(db: None) -> None:
    statement = body(Client().get("/fhir/R4/metadata"))
    security = statement["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    uris = security["extension"][0]["extension"]
    assert uris == [{"url": "token", "valueUri": "http://testserver/fhir/R4/auth/token"}]


def test_metadata_lists_every_served_type_with_read_and_search(db: None) -> None:
    statement = body(Client().get("/fhir/R4/metadata"))
    listed = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(listed) == set(registry())
    assert set(listed) == {
        "Patient",
        "Practitioner",
        "Organization",
        "Location",
        "Condition",
        "Observation",
        "Goal",
        "CarePlan",
        "Encounter",
        "Procedure",
        "ServiceRequest",
        "PractitionerRole",
        "Questionnaire",
        "QuestionnaireResponse",
        "DocumentReference",
        "Binary",
        "Consent",
        "Provenance",
        "Appointment",
        "Schedule",
        "Slot",
    }
    for name, resource in listed.items():
        expected = {"Binary": ["read"], "Slot": ["search-type"]}.get(name, ["read", "search-type"])
        assert [i["code"] for i in resource["interaction"]] == expected
        assert resource["versioning"] == "versioned"
    assert "searchParam" not in listed["Binary"]  # read only: the PDF of a DocumentReference


def test_every_listed_search_parameter_and_include_is_accepted_strictly(
    db: None, fhir: Client
) -> None:
    statement = body(Client().get("/fhir/R4/metadata"))
    some_id = str(uuid.uuid4())
    for resource in statement["rest"][0]["resource"]:
        name = resource["type"]
        for param in resource.get("searchParam", []):
            value = SAMPLE.get(param["type"], f"Patient/{some_id}")
            if param["type"] == "reference" and param["name"] in REFERENCE_TARGETS:
                value = f"{REFERENCE_TARGETS[param['name']]}/{some_id}"
            if param["name"] == "_id":
                value = some_id
            response = fhir.get(
                f"/fhir/R4/{name}", {param["name"]: value}, headers={"Prefer": "handling=strict"}
            )
            assert response.status_code == 200, (name, param["name"], response.content)
        for include in resource.get("searchInclude", []):
            response = fhir.get(
                f"/fhir/R4/{name}", {"_include": include}, headers={"Prefer": "handling=strict"}
            )
            assert response.status_code == 200, (name, include, response.content)


def test_smart_configuration_names_client_credentials(db: None) -> None:
    response = Client().get("/fhir/R4/.well-known/smart-configuration")
    assert response.status_code == 200
    found = response.json()
    assert found["token_endpoint"] == "http://testserver/fhir/R4/auth/token"
    assert found["grant_types_supported"] == ["client_credentials"]
