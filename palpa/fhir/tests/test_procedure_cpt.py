"""Procedure.code carries the CPT code a technique is billed under (code number only)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from palpa.accounts.models import User
from palpa.billing.services import capture_note_charges, map_technique
from palpa.fhir.tests.conftest import Course
from palpa.fhir.tests.support import body, resources, validated

CPT = "http://www.ama-assn.org/go/cpt"


def _cpt_by_technique(fhir: Client) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for procedure in resources(body(fhir.get("/fhir/R4/Procedure", {"_count": 50}))):
        validated(procedure)
        coding: list[dict[str, Any]] = procedure["code"]["coding"]
        technique = coding[0]["code"]
        found.setdefault(technique, set()).update(c["code"] for c in coding if c["system"] == CPT)
    return found


def test_the_organizations_map_decides_before_a_charge_exists(
    fhir: Client, course: Course, owner: User
) -> None:
    assert _cpt_by_technique(fhir) == {"myofascial_release": {"97140"}, "trigger_point": {"97140"}}
    map_technique(actor=owner, technique="trigger_point", code="")  # self-pay only here
    assert _cpt_by_technique(fhir) == {"myofascial_release": {"97140"}, "trigger_point": set()}


def test_a_charged_visit_shows_the_code_it_was_billed_under(
    fhir: Client, course: Course, owner: User
) -> None:
    first, second = course.notes
    capture_note_charges(note=first)  # billed with trigger point under 97140
    map_technique(actor=owner, technique="trigger_point", code="97112")  # changed afterwards
    by_note: dict[str, set[str]] = {}
    for procedure in resources(body(fhir.get("/fhir/R4/Procedure", {"_count": 50}))):
        if procedure["code"]["coding"][0]["code"] != "trigger_point":
            continue
        note = procedure["encounter"]["reference"].removeprefix("Encounter/")
        by_note[note] = {c["code"] for c in procedure["code"]["coding"] if c["system"] == CPT}
    assert by_note == {str(first.public_id): {"97140"}, str(second.public_id): {"97112"}}
