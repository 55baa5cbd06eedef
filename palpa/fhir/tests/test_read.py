"""Reading each resource: valid R4 (fhir.resources R4B models), with meta, ETag and
Last-Modified; what each element says."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from palpa.accounts.models import Location, Organization
from palpa.fhir.tests.conftest import Course
from palpa.fhir.tests.support import body, resources
from palpa.practitioners.models import Practitioner

TYPES = [
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
]


def _all(fhir: Client, resource_type: str) -> list[dict[str, Any]]:
    found = body(fhir.get(f"/fhir/R4/{resource_type}", {"_count": "100"}))
    return resources(found)


@pytest.mark.parametrize("resource_type", TYPES)
def test_every_resource_of_the_course_reads_back_valid_with_etag_and_last_modified(
    fhir: Client, course: Course, resource_type: str
) -> None:
    listed = _all(fhir, resource_type)
    assert listed, f"the course has {resource_type} resources"
    for resource in listed:
        response = fhir.get(f"/fhir/R4/{resource_type}/{resource['id']}")
        assert response.status_code == 200
        read = body(response)
        assert read == resource
        assert response["ETag"] == f'W/"{read["meta"]["versionId"]}"'
        assert response["Last-Modified"].endswith("GMT")


def test_a_read_with_the_current_etag_is_304(fhir: Client, course: Course) -> None:
    path = f"/fhir/R4/Patient/{course.patient.public_id}"
    etag = fhir.get(path)["ETag"]
    again = fhir.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert fhir.get(path, headers={"If-None-Match": 'W/"stale"'}).status_code == 200
    version = body(fhir.get(path))["meta"]["versionId"]
    strong = fhir.get(path, headers={"If-None-Match": f'"{version}"'})
    assert strong.status_code == 304
    assert strong["ETag"] == etag
    listed = fhir.get(path, headers={"If-None-Match": f'"stale", W/"{version}"'})
    assert listed.status_code == 304
    assert fhir.get(path, headers={"If-None-Match": "*"}).status_code == 304
    assert fhir.get(path, headers={"If-None-Match": version}).status_code == 200  # unquoted


def test_the_version_changes_when_the_content_changes(
    fhir: Client, course: Course, owner: Any
) -> None:
    from palpa.patients.services import update_patient

    path = f"/fhir/R4/Patient/{course.patient.public_id}"
    before = body(fhir.get(path))["meta"]["versionId"]
    update_patient(actor=owner, patient=course.patient, changes={"city": "Clearwater"})
    after = body(fhir.get(path))
    assert after["meta"]["versionId"] != before
    assert after["address"][0]["city"] == "Clearwater"


def test_patient_carries_mrn_name_gender_birth_date_telecom_and_organization(
    fhir: Client, course: Course, org: Organization
) -> None:
    patient = body(fhir.get(f"/fhir/R4/Patient/{course.patient.public_id}"))
    assert patient["identifier"] == [
        {
            "use": "usual",
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                        "code": "MR",
                        "display": "Medical record number",
                    }
                ],
                "text": "MRN",
            },
            "system": f"urn:palpa:mrn:{org.public_id}",
            "value": course.patient.mrn,
        }
    ]
    assert patient["name"] == [{"use": "official", "family": "Delgado", "given": ["Rosa"]}]
    assert patient["birthDate"] == "1971-03-14"
    assert patient["gender"] == "unknown"
    assert {"system": "phone", "value": "+1 813 555 0101"} in patient["telecom"]
    assert patient["managingOrganization"]["reference"] == f"Organization/{org.public_id}"


def test_practitioner_carries_npi_and_licenses_as_qualifications(
    fhir: Client, course: Course, practitioner: Practitioner, owner: Any
) -> None:
    from palpa.practitioners.services import update_practitioner

    update_practitioner(actor=owner, practitioner=practitioner, changes={"npi": "1234567893"})
    found = body(fhir.get(f"/fhir/R4/Practitioner/{practitioner.public_id}"))
    assert found["identifier"] == [
        {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}
    ]
    lic = practitioner.licenses.get()
    assert found["qualification"] == [
        {
            "identifier": [{"system": "urn:palpa:license:FL", "value": lic.number}],
            "code": {
                "coding": [{"system": "urn:palpa:license-type", "code": "LMT"}],
                "text": "LMT (FL)",
            },
            "period": {"start": lic.issued_on.isoformat(), "end": lic.expires_on.isoformat()},
            "issuer": {"display": "FL licensing board"},
        }
    ]


def test_organization_and_location_are_the_clinic(
    fhir: Client, course: Course, org: Organization, location: Location
) -> None:
    organization = body(fhir.get(f"/fhir/R4/Organization/{org.public_id}"))
    assert organization["name"] == "Bayside Medical Massage"
    place = body(fhir.get(f"/fhir/R4/Location/{location.public_id}"))
    assert place["address"]["state"] == "FL"
    assert place["managingOrganization"]["reference"] == f"Organization/{org.public_id}"


def test_condition_is_the_icd10cm_diagnosis_of_the_evaluation(fhir: Client, course: Course) -> None:
    (condition,) = _all(fhir, "Condition")
    assert condition["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10-cm"
    assert condition["code"]["coding"][0]["code"] == "M54.50"
    assert condition["encounter"]["reference"] == f"Encounter/{course.evaluation.public_id}"
    assert condition["category"][0]["coding"][0]["code"] == "encounter-diagnosis"


def test_only_verified_loinc_codes_are_sent_for_instrument_scores(
    fhir: Client, course: Course
) -> None:
    surveys = [
        o for o in _all(fhir, "Observation") if o["category"][0]["coding"][0]["code"] == "survey"
    ]
    by_instrument = {
        next(c["code"] for c in o["code"]["coding"] if c["system"] == "urn:palpa:instrument"): o
        for o in surveys
    }
    nprs_codes = {(c["system"], c["code"]) for c in by_instrument["NPRS"]["code"]["coding"]}
    assert ("http://loinc.org", "72514-3") in nprs_codes  # marked verified in the library
    odi_systems = {c["system"] for c in by_instrument["ODI"]["code"]["coding"]}
    assert odi_systems == {"urn:palpa:instrument"}  # ODI's LOINC is only partly verified


def test_rom_and_pain_are_exam_observations_with_a_body_site(fhir: Client, course: Course) -> None:
    exams = [
        o for o in _all(fhir, "Observation") if o["category"][0]["coding"][0]["code"] == "exam"
    ]
    rom = next(o for o in exams if "valueQuantity" in o)
    assert rom["valueQuantity"] == {
        "value": 60,
        "unit": "deg",
        "system": "http://unitsofmeasure.org",
        "code": "deg",
    }
    assert rom["code"]["coding"][0] == {
        "system": "urn:palpa:rom-motion",
        "code": "thoracolumbar_spine.flexion",
        "display": "Thoracolumbar spine flexion range of motion",
    }
    pain = next(o for o in exams if "valueInteger" in o)
    assert pain["valueInteger"] == 6
    assert pain["bodySite"]["text"] == "Low back"


def test_goal_has_its_target_due_date_and_computed_achievement(
    fhir: Client, course: Course
) -> None:
    goals = {g["description"]["text"]: g for g in _all(fhir, "Goal")}
    pain = goals["Pain at most 3 out of 10 on a work day."]
    assert pain["lifecycleStatus"] == "active"
    assert pain["target"][0]["detailQuantity"] == {"value": 3, "comparator": "<=", "unit": "points"}
    assert pain["target"][0]["dueDate"] == "2026-07-13"
    # 6 -> 4 by 15 June (2 points, the NPRS MDC) is ahead of the straight line to 3 by
    # 13 July: on track, improving.
    assert pain["achievementStatus"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
            "code": "improving",
            "display": "Improving",
        },
        {"system": "urn:palpa:goal-status", "code": "on_track", "display": "On track"},
    ]
    odi = goals["Sit through a 1-hour meeting without low back pain stopping me."]
    assert odi["priority"]["coding"][0]["code"] == "high-priority"
    assert odi["achievementStatus"]["coding"][0]["code"] == "in-progress"  # not re-measured
    assert odi["achievementStatus"]["coding"][1]["code"] == "no_change"


def test_care_plan_links_its_goals_and_diagnoses(fhir: Client, course: Course) -> None:
    (plan,) = _all(fhir, "CarePlan")
    assert plan["status"] == "active"
    assert plan["intent"] == "plan"
    assert len(plan["goal"]) == 2
    assert plan["period"] == {"start": "2026-06-01", "end": "2026-07-13"}
    assert plan["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')
    assert plan["activity"][0]["detail"]["scheduledTiming"]["repeat"]["frequency"] == 2


def test_encounters_are_the_signed_visits_and_the_evaluation(fhir: Client, course: Course) -> None:
    encounters = _all(fhir, "Encounter")
    kinds = sorted(e["type"][0]["coding"][0]["code"] for e in encounters)
    assert kinds == ["evaluation", "treatment-visit", "treatment-visit"]
    assert [e["period"]["start"] for e in encounters] == ["2026-06-15", "2026-06-08", "2026-06-01"]


def test_procedures_are_techniques_with_body_site_minutes_and_cpt_code(
    fhir: Client, course: Course
) -> None:
    procedures = _all(fhir, "Procedure")
    assert len(procedures) == 4
    trigger = next(p for p in procedures if p["code"]["coding"][0]["code"] == "trigger_point")
    assert trigger["bodySite"][0]["text"] == "Buttock (gluteal), left"
    minutes = next(e for e in trigger["extension"] if e["url"] == "urn:palpa:extension:minutes")
    assert minutes["valueDuration"]["value"] == 10
    codes = {
        p["code"]["coding"][0]["code"]: [
            c["code"]
            for c in p["code"]["coding"]
            if c["system"] == "http://www.ama-assn.org/go/cpt"
        ]
        for p in procedures
    }
    # The organization's map (here the code book's defaults): trigger point work is manual
    # therapy, 97140; CPT descriptors are never sent, only the code.
    assert codes["trigger_point"] == ["97140"]
    assert all(
        "display" not in c
        for p in procedures
        for c in p["code"]["coding"]
        if c["system"] == "http://www.ama-assn.org/go/cpt"
    )
    assert trigger["basedOn"] == [{"reference": f"CarePlan/{course.plan.public_id}"}]
