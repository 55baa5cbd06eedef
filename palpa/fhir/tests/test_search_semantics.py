"""FHIR search semantics (issue 16): unsupported modifiers are refused, token forms
(``system|code``, ``|code``, ``system|``, ``code``), period and date-range prefixes.

Expected answers come from the rows the tests build, never from the search code."""

from __future__ import annotations

from typing import Any

from django.test import Client

from palpa.accounts.models import User
from palpa.billing.services import capture_note_charges, map_technique
from palpa.care.models import TechniqueEntry
from palpa.fhir.tests.conftest import Course
from palpa.fhir.tests.support import body, ids, outcome_text, resources

CPT = "http://www.ama-assn.org/go/cpt"
TECHNIQUE = "urn:palpa:technique"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
STRICT = {"Prefer": "handling=strict"}


def _total(fhir: Client, path: str, **params: Any) -> int:
    response = fhir.get(path, params)
    assert response.status_code == 200, response.content
    return int(body(response)["total"])


def _entries(course: Course) -> list[TechniqueEntry]:
    return list(TechniqueEntry.objects.filter(note__in=course.notes))


# --- modifiers -------------------------------------------------------------------------


def test_an_unsupported_modifier_is_refused_with_or_without_strict(
    fhir: Client, course: Course
) -> None:
    for headers in ({}, STRICT):
        response = fhir.get("/fhir/R4/Patient", {"gender:not": "female"}, headers=headers)
        assert response.status_code == 400
        assert response.json()["resourceType"] == "OperationOutcome"
        assert "gender:not" in outcome_text(response)
    for key in (
        "name:text",
        "code:missing",
        "date:exact",
        "_id:above",
        "patient:Patient",
        "_include:iterate",
        "_count:exact",
    ):
        path = "/fhir/R4/Patient" if key.startswith("name") else "/fhir/R4/Procedure"
        response = fhir.get(path, {key: "x"})
        assert response.status_code == 400, key
        assert key in outcome_text(response)


def test_string_modifiers_stay_accepted(fhir: Client, course: Course) -> None:
    family = course.patient.family_name
    assert _total(fhir, "/fhir/R4/Patient", **{"family:exact": family}) == 1
    assert _total(fhir, "/fhir/R4/Patient", **{"family:contains": family[1:4]}) == 1
    assert _total(fhir, "/fhir/R4/Patient", **{"family:exact": family.lower()}) == 0


def test_unknown_parameters_lenient_by_default_and_refused_under_strict(
    fhir: Client, course: Course
) -> None:
    found = body(fhir.get("/fhir/R4/Procedure", {"colour:not": "blue"}))
    assert found["total"] == len(_entries(course))
    assert "colour:not" in resources(found, "outcome")[0]["issue"][0]["diagnostics"]
    response = fhir.get("/fhir/R4/Procedure", {"colour": "blue"}, headers=STRICT)
    assert response.status_code == 400
    assert "colour" in outcome_text(response)


# --- tokens ----------------------------------------------------------------------------


def test_procedure_code_in_every_token_form(fhir: Client, course: Course, owner: User) -> None:
    path = "/fhir/R4/Procedure"
    entries = _entries(course)
    myofascial = {str(e.public_id) for e in entries if e.technique == "myofascial_release"}
    assert len(entries) == 4
    assert len(myofascial) == 2
    # Both techniques map to 97140 by default.
    assert _total(fhir, path, code=f"{CPT}|97140") == 4
    assert _total(fhir, path, code="97140") == 4
    assert _total(fhir, path, code=f"{CPT}|") == 4
    assert _total(fhir, path, code=f"{CPT}|97112") == 0
    assert _total(fhir, path, code="|97140") == 0  # every coding has its system
    assert _total(fhir, path, code=f"{TECHNIQUE}|97140") == 0
    found = body(fhir.get(path, {"code": f"{TECHNIQUE}|myofascial_release", "_count": "50"}))
    assert set(ids(found)) == myofascial
    assert _total(fhir, path, code="myofascial_release") == 2
    assert _total(fhir, path, code=f"{TECHNIQUE}|") == 4
    assert _total(fhir, path, code="|myofascial_release") == 0
    assert _total(fhir, path, code=f"{TECHNIQUE}|myofascial_release,{CPT}|97140") == 4
    map_technique(actor=owner, technique="trigger_point", code="")  # no CPT code any more
    found = body(fhir.get(path, {"code": f"{CPT}|97140", "_count": "50"}))
    assert set(ids(found)) == myofascial
    assert _total(fhir, path, code=f"{CPT}|") == 2


def test_procedure_cpt_search_follows_the_charge_then_the_map(
    fhir: Client, course: Course, owner: User
) -> None:
    first, _second = course.notes
    capture_note_charges(note=first)  # both techniques billed under 97140
    map_technique(actor=owner, technique="trigger_point", code="97112")  # later visits only
    by_code: dict[str, set[str]] = {}
    for entry in _entries(course):
        charged = entry.note_id == first.pk
        code = "97112" if entry.technique == "trigger_point" and not charged else "97140"
        by_code.setdefault(code, set()).add(str(entry.public_id))
    for code, expected in by_code.items():
        found = body(fhir.get("/fhir/R4/Procedure", {"code": f"{CPT}|{code}", "_count": "50"}))
        assert set(ids(found)) == expected, code
    assert len(by_code["97140"]) == 3


def test_condition_and_observation_codes_in_every_token_form(fhir: Client, course: Course) -> None:
    codes = [d.code for d in course.evaluation.diagnoses.all()]
    assert codes
    path = "/fhir/R4/Condition"
    assert _total(fhir, path, code=f"{ICD10}|{codes[0]}") == codes.count(codes[0])
    assert _total(fhir, path, code=f"{ICD10}|") == len(codes)
    assert _total(fhir, path, code=f"|{codes[0]}") == 0
    assert _total(fhir, path, code=f"urn:other|{codes[0]}") == 0
    category = "http://terminology.hl7.org/CodeSystem/condition-category"
    assert _total(fhir, path, category=f"{category}|") == len(codes)
    assert _total(fhir, path, category="|encounter-diagnosis") == 0
    rom = "urn:palpa:rom-motion"
    path = "/fhir/R4/Observation"
    assert _total(fhir, path, code=f"{rom}|thoracolumbar_spine.flexion") == 1
    assert _total(fhir, path, code=f"{rom}|") == 1
    assert _total(fhir, path, code="|thoracolumbar_spine.flexion") == 0


def test_patient_identifier_in_every_token_form(fhir: Client, course: Course) -> None:
    patient = course.patient
    system = f"urn:palpa:mrn:{patient.organization.public_id}"
    path = "/fhir/R4/Patient"
    assert _total(fhir, path, identifier=f"{system}|{patient.mrn}") == 1
    assert _total(fhir, path, identifier=patient.mrn) == 1
    assert _total(fhir, path, identifier=f"{system}|") == 1
    assert _total(fhir, path, identifier=f"|{patient.mrn}") == 0


# --- periods ---------------------------------------------------------------------------

# The plan of care's period is 2026-06-01 to 2026-07-13 (six weeks), both days included:
# what each prefix asks of it, worked out by hand from those two days.
PLAN_PERIOD = {
    "2026": 1,
    "2026-06": 0,  # reaches into July
    "ne2026-06": 1,
    "2026-06-01": 0,
    "lt2026-06-01": 0,
    "lt2026-06-02": 1,
    "le2026-06-01": 1,
    "le2026-05": 0,
    "gt2026-07-13": 0,
    "gt2026-07-12": 1,
    "gt2026-06-01": 1,  # ends after June 1 (its start is not what counts)
    "ge2026-07-13": 1,
    "ge2026-07-14": 0,
    "sa2026-05-31": 1,
    "sa2026-06-01": 0,
    "eb2026-07-14": 1,
    "eb2026-07-13": 0,
}


def test_the_care_plan_period_meets_each_prefix_by_the_whole_period(
    fhir: Client, course: Course
) -> None:
    assert (course.plan.starts_on.isoformat(), course.plan.ends_on.isoformat()) == (
        "2026-06-01",
        "2026-07-13",
    )
    for value, expected in PLAN_PERIOD.items():
        assert _total(fhir, "/fhir/R4/CarePlan", date=value) == expected, value


# --- empty bundles -------------------------------------------------------------------------


def test_an_empty_search_bundle_has_no_entry_key(fhir: Client, course: Course) -> None:
    found = body(fhir.get("/fhir/R4/Procedure", {"code": "no-such-technique"}))
    assert found["total"] == 0
    assert "entry" not in found
    patient = course.patient.public_id
    everything = body(fhir.get(f"/fhir/R4/Patient/{patient}/$everything", {"_count": "0"}))
    assert everything["total"] > 0
    assert "entry" not in everything
