"""_summary=count (the total only), _summary refused otherwise, and _elements (chosen
top-level elements, tagged SUBSETTED). Expected answers come from the rows built."""

from __future__ import annotations

from django.test import Client

from palpa.care.models import TechniqueEntry
from palpa.fhir.tests.conftest import Course
from palpa.fhir.tests.support import body, outcome_text, resources
from palpa.patients.models import Patient

SUBSETTED = "SUBSETTED"


def test_summary_count_is_the_total_without_entries(fhir: Client, course: Course) -> None:
    wanted = TechniqueEntry.objects.filter(note__in=course.notes).count()
    assert wanted > 1
    response = fhir.get("/fhir/R4/Procedure", {"_summary": "count", "_count": "5"})
    assert response.status_code == 200, response.content
    answer = body(response)
    assert answer["total"] == wanted
    assert "entry" not in answer
    assert [link["relation"] for link in answer["link"]] == ["self"]
    assert "_summary=count" in answer["link"][0]["url"]
    # With an unknown parameter the total stays, and still no entry (no outcome either).
    answer = body(fhir.get("/fhir/R4/Patient", {"_summary": "count", "nonsense": "1"}))
    assert (
        answer["total"] == Patient.objects.filter(organization=course.patient.organization).count()
    )
    assert "entry" not in answer


def test_other_summary_values_are_refused_naming_what_is_supported(
    fhir: Client, course: Course
) -> None:
    for value in ("true", "text", "data", "bogus"):
        response = fhir.get("/fhir/R4/Patient", {"_summary": value})
        assert response.status_code == 400, value
        text = outcome_text(response)
        assert "_summary=count" in text
        assert "_elements" in text
    assert fhir.get("/fhir/R4/Patient", {"_summary": "false"}).status_code == 200


def test_elements_keep_only_those_top_level_elements(fhir: Client, course: Course) -> None:
    whole = resources(body(fhir.get("/fhir/R4/Patient", {"_id": str(course.patient.public_id)})))
    assert len(whole) == 1
    assert "gender" in whole[0]
    assert "name" in whole[0]
    answer = body(
        fhir.get(
            "/fhir/R4/Patient",
            {"_id": str(course.patient.public_id), "_elements": "name,birthDate"},
        )
    )
    (patient,) = resources(answer)
    assert set(patient) == {"resourceType", "id", "meta", "name", "birthDate"}
    assert patient["name"] == whole[0]["name"]
    assert patient["birthDate"] == course.patient.date_of_birth.isoformat()
    assert patient["meta"]["lastUpdated"] == whole[0]["meta"]["lastUpdated"]
    assert [t["code"] for t in patient["meta"]["tag"]] == [SUBSETTED]
    assert "_elements=name%2CbirthDate" in answer["link"][0]["url"]


def test_bad_elements_are_refused(fhir: Client, course: Course) -> None:
    for value in ("name.family", "Name", ",", "name;x"):
        response = fhir.get("/fhir/R4/Patient", {"_elements": value})
        assert response.status_code == 400, value
        assert "_elements" in outcome_text(response)
    response = fhir.get("/fhir/R4/Patient", {"_elements": "name", "_summary": "count"})
    assert response.status_code == 400
