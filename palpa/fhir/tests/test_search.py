"""Searching: patient, dates with prefixes, codes, status, _lastUpdated, paging with
next links, sorting, _include, and strict or lenient handling of unknown parameters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from palpa.accounts.models import Location, User
from palpa.fhir.tests.conftest import Course, make_course
from palpa.fhir.tests.support import body, ids, link, outcome_text, resources
from palpa.patients.services import create_patient


def _get(fhir: Client, path: str, **params: str) -> dict[str, Any]:
    response = fhir.get(path, params)
    assert response.status_code == 200, response.content
    return body(response)


def _dates(bundle: dict[str, Any]) -> list[str]:
    return [r["effectiveDateTime"] for r in resources(bundle)]


def test_observations_of_one_patient_by_patient_or_subject(
    fhir: Client, course: Course, therapist: User, owner: User, location: Location
) -> None:
    other = create_patient(
        actor=owner, given_name="Ana", family_name="Ruiz", date_of_birth=dt.date(1990, 5, 5)
    )
    make_course(therapist, owner, other, location)
    everyone = _get(fhir, "/fhir/R4/Observation")
    assert everyone["total"] == 10
    mine = _get(fhir, "/fhir/R4/Observation", patient=str(course.patient.public_id))
    assert mine["total"] == 5
    subjects = {r["subject"]["reference"] for r in resources(mine)}
    assert subjects == {f"Patient/{course.patient.public_id}"}
    by_subject = _get(fhir, "/fhir/R4/Observation", subject=f"Patient/{course.patient.public_id}")
    assert ids(by_subject) == ids(mine)


def test_date_prefixes_select_the_right_days(fhir: Client, course: Course) -> None:
    path = "/fhir/R4/Observation"
    assert _get(fhir, path, date="2026-06-15")["total"] == 1
    assert _get(fhir, path, date="eq2026-06")["total"] == 5
    assert _get(fhir, path, date="gt2026-06-01")["total"] == 1
    assert _get(fhir, path, date="ge2026-06-01")["total"] == 5
    assert _get(fhir, path, date="lt2026-06-15")["total"] == 4
    assert _get(fhir, path, date="le2026-06-15")["total"] == 5
    assert _get(fhir, path, date="ne2026-06-01")["total"] == 1
    # Two date parameters: both must hold (a range).
    response = fhir.get(f"{path}?date=ge2026-06-02&date=le2026-06-30")
    assert body(response)["total"] == 1


def test_code_searches_by_loinc_palpa_instrument_and_rom_codes(
    fhir: Client, course: Course
) -> None:
    path = "/fhir/R4/Observation"
    assert _get(fhir, path, code="http://loinc.org|72514-3")["total"] == 2  # NPRS twice
    assert _get(fhir, path, code="urn:palpa:instrument|ODI")["total"] == 1
    assert _get(fhir, path, code="ODI,NPRS")["total"] == 3
    assert _get(fhir, path, code="urn:palpa:rom-motion|thoracolumbar_spine.flexion")["total"] == 1
    assert _get(fhir, path, code="http://loinc.org|97909-6")["total"] == 0  # not verified
    assert _get(fhir, path, category="survey")["total"] == 3
    assert (
        _get(fhir, "/fhir/R4/Condition", code="http://hl7.org/fhir/sid/icd-10-cm|M54.50")["total"]
        == 1
    )


def test_status_searches_follow_what_was_entered_in_error(
    fhir: Client, course: Course, therapist: User
) -> None:
    from palpa.outcomes.services import mark_administration_entered_in_error

    mark_administration_entered_in_error(
        actor=therapist, administration=course.reassessment, reason="Wrong patient."
    )
    path = "/fhir/R4/Observation"
    assert _get(fhir, path, status="entered-in-error")["total"] == 1
    assert _get(fhir, path, status="final")["total"] == 4
    assert _get(fhir, "/fhir/R4/Goal", **{"lifecycle-status": "active"})["total"] == 2
    assert _get(fhir, "/fhir/R4/Encounter", status="finished")["total"] == 3


def test_last_updated_finds_what_changed_since_a_moment(fhir: Client, course: Course) -> None:
    path = "/fhir/R4/Observation"
    assert _get(fhir, path, _lastUpdated="ge2026-06-15T00:00:00Z")["total"] == 1
    assert _get(fhir, path, _lastUpdated="lt2026-06-02")["total"] == 4


def test_count_pages_with_next_and_previous_links_until_the_last(
    fhir: Client, course: Course
) -> None:
    first = _get(fhir, "/fhir/R4/Observation", _count="2")
    assert first["total"] == 5
    assert len(resources(first)) == 2
    seen = ids(first)
    url = link(first, "next")
    pages = 1
    while url:
        page = body(fhir.get(url))
        assert page["total"] == 5
        assert link(page, "previous")
        seen += ids(page)
        url = link(page, "next")
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5


def test_count_zero_returns_only_the_total(fhir: Client, course: Course) -> None:
    found = _get(fhir, "/fhir/R4/Observation", _count="0")
    assert found["total"] == 5
    assert "entry" not in found  # an empty list is not valid FHIR JSON


def test_sort_by_date_ascending_and_descending(fhir: Client, course: Course) -> None:
    default = _dates(_get(fhir, "/fhir/R4/Observation"))
    assert default == sorted(default, reverse=True)
    ascending = _dates(_get(fhir, "/fhir/R4/Observation", _sort="date"))
    assert ascending == sorted(ascending)
    assert ascending[0] == "2026-06-01"
    assert ascending[-1] == "2026-06-15"


def test_include_brings_the_patient_once(fhir: Client, course: Course) -> None:
    found = _get(fhir, "/fhir/R4/Observation", _include="Observation:patient")
    included = resources(found, "include")
    assert [r["resourceType"] for r in included] == ["Patient"]
    assert included[0]["id"] == str(course.patient.public_id)
    plan = _get(fhir, "/fhir/R4/CarePlan", _include="CarePlan:goal")
    assert sorted(r["resourceType"] for r in resources(plan, "include")) == ["Goal", "Goal"]


def test_an_unknown_parameter_is_ignored_and_reported_by_default(
    fhir: Client, course: Course
) -> None:
    found = _get(fhir, "/fhir/R4/Observation", colour="blue")
    assert found["total"] == 5
    outcome = resources(found, "outcome")
    assert outcome[0]["resourceType"] == "OperationOutcome"
    assert "colour" in outcome[0]["issue"][0]["diagnostics"]
    assert "colour" not in (link(found, "self") or "")


def test_an_unknown_parameter_is_400_under_strict_handling(fhir: Client, course: Course) -> None:
    response = fhir.get(
        "/fhir/R4/Observation", {"colour": "blue"}, headers={"Prefer": "handling=strict"}
    )
    assert response.status_code == 400
    assert "Unknown search parameter 'colour'" in outcome_text(response)
    response = fhir.get(
        "/fhir/R4/Observation", {"_sort": "colour"}, headers={"Prefer": "handling=strict"}
    )
    assert response.status_code == 400


def test_patients_by_identifier_name_and_birthdate(
    fhir: Client, course: Course, owner: User
) -> None:
    create_patient(
        actor=owner, given_name="Ana", family_name="Ruiz", date_of_birth=dt.date(1990, 5, 5)
    )
    path = "/fhir/R4/Patient"
    assert ids(_get(fhir, path, identifier=course.patient.mrn)) == [str(course.patient.public_id)]
    system = f"urn:palpa:mrn:{course.patient.organization.public_id}"
    assert _get(fhir, path, identifier=f"{system}|{course.patient.mrn}")["total"] == 1
    assert _get(fhir, path, identifier=f"urn:other|{course.patient.mrn}")["total"] == 0
    assert _get(fhir, path, name="del")["total"] == 1
    assert _get(fhir, path, birthdate="lt1980")["total"] == 1
    assert [r["name"][0]["family"] for r in resources(_get(fhir, path))] == ["Delgado", "Ruiz"]


def test_post_search_takes_the_parameters_from_the_form(fhir: Client, course: Course) -> None:
    response = fhir.post("/fhir/R4/Observation/_search", {"code": "ODI"})
    assert response.status_code == 200
    assert body(response)["total"] == 1


def test_procedures_of_one_visit_by_encounter(fhir: Client, course: Course) -> None:
    note = course.notes[0]
    found = _get(fhir, "/fhir/R4/Procedure", encounter=f"Encounter/{note.public_id}")
    assert found["total"] == 2
    assert _get(fhir, "/fhir/R4/Procedure", date="2026-06-15")["total"] == 2
