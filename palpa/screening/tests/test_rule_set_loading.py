"""Loading a rule set: the shipped one is valid and complete; bad ones are refused with the
place named."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from palpa.screening.rules import (
    RuleSetError,
    default_rule_set,
    default_rule_set_document,
    load_rule_set,
)


def doc_with(change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(default_rule_set_document())
    change(doc)
    return doc


def errors_of(doc: dict[str, Any]) -> str:
    with pytest.raises(RuleSetError) as info:
        load_rule_set(doc)
    return str(info.value)


def test_the_shipped_rule_set_loads_with_a_version() -> None:
    rules = default_rule_set()
    assert rules.version == "palpa-default-3"
    assert len(rules.rules) == len({r.id for r in rules.rules})


def test_every_row_of_section_c_has_a_rule() -> None:
    ids = {r.id for r in default_rule_set().rules}
    expected = {
        # C1 low back and neck
        "lbp_cauda_equina", "lbp_cancer_flags", "lbp_infection_flags", "lbp_fracture_flags",
        "stroke_warning_signs", "neck_trauma", "neck_myelopathy", "neck_vascular",
        "neck_infection", "neck_cancer", "neck_inflammatory_arthritis",
        # C2, in the order of the table
        "dvt_suspected", "oedema_unexplained_limb", "oedema_unexplained_mld", "dvt_known",
        "superficial_thrombophlebitis", "bleeding_risk",
        "bleeding_risk_unstable", "fever_or_systemic_infection", "local_infection",
        "local_infection_untreated", "local_infection_mld", "cancer_active",
        "cancer_bone_metastases", "cancer_radiation_fields",
        "cancer_lymphedema_risk_limbs", "implanted_device", "recent_surgery", "fracture_suspected",
        "fracture_unhealed", "osteoporosis", "osteoporosis_fragility_fracture", "pregnancy",
        "pregnancy_before_12_weeks", "pregnancy_complicated", "hypertension_uncontrolled",
        "hypertension_crisis", "hypertension_crisis_symptoms", "blood_pressure_crisis_symptoms",
        "blood_pressure_crisis", "symptoms_at_reading_emergency", "symptoms_at_reading_urgent",
        "blood_pressure_high", "blood_pressure_raised", "blood_pressure_crisis_earlier",
        "blood_pressure_not_today", "heart_failure", "heart_failure_decompensated",
        "kidney_failure", "kidney_failure_acute_mld", "av_fistula", "lymphedema",
        "lymph_node_removal_limb",
        "lymphedema_mld_stop", "lymphedema_mld_active_cancer", "lymphedema_neck_mld",
        "inflammatory_arthritis_flare", "inflammatory_arthritis_systemic",
        "rheumatoid_arthritis_neck", "skin_lesion", "skin_lesion_undiagnosed",
        "skin_contagious_widespread",
        "varicose_veins", "diabetic_neuropathy", "diabetic_neuropathy_ulcers",
    }  # fmt: skip
    assert ids == expected


def test_every_shipped_rule_has_a_verified_or_partly_checked_source() -> None:
    for rule in default_rule_set().rules:
        assert rule.sources, rule.id
        assert all(s.evidence in ("V", "P") and s.citation for s in rule.sources), rule.id


def test_what_was_left_out_is_written_in_the_data_file() -> None:
    topics = " ".join(x["topic"] for x in default_rule_set().left_out)
    assert "INR" in topics
    assert "Thrombophilia" in topics
    assert "A severe headache below the crisis range" in topics


def test_a_rule_without_a_source_is_rejected() -> None:
    message = errors_of(doc_with(lambda d: d["rules"][3].pop("sources")))
    assert "rules[3].sources: every rule needs at least one source" in message
    message = errors_of(doc_with(lambda d: d["rules"][0].update(sources=[])))
    assert "rules[0].sources: every rule needs at least one source" in message


def test_an_unverified_source_is_rejected() -> None:
    def tag_unverified(d: dict[str, Any]) -> None:
        d["rules"][1]["sources"][0]["evidence"] = "U"

    assert "rules[1].sources[0].evidence: must be V" in errors_of(doc_with(tag_unverified))


def test_a_condition_naming_an_unknown_fact_is_rejected() -> None:
    def misspell(d: dict[str, Any]) -> None:
        d["rules"][0]["when"] = {"fact": "red_flags.low_back.saddle_numbnes"}

    assert "rules[0].when.fact: unknown fact 'red_flags.low_back.saddle_numbnes'" in errors_of(
        doc_with(misspell)
    )


def test_an_operator_that_does_not_fit_the_fact_is_rejected() -> None:
    def wrong(d: dict[str, Any]) -> None:
        d["rules"][0]["when"] = {"fact": "pregnancy.weeks", "within": {"days": 3}}

    assert "within does not apply to pregnancy.weeks (int)" in errors_of(doc_with(wrong))


def test_unknown_regions_techniques_and_decisions_are_rejected() -> None:
    def bad(d: dict[str, Any]) -> None:
        d["rules"][0]["decision"] = "MAYBE"
        d["rules"][0]["restrict"] = [{"regions": ["knee"], "techniques": ["cupping"]}]

    message = errors_of(doc_with(bad))
    assert "rules[0].decision: expected one of PROCEED, MODIFY, CLEARANCE, STOP" in message
    assert "rules[0].restrict[0].techniques: unknown techniques ['cupping']" in message
    assert "rules[0].restrict[0].regions: unknown regions ['knee']" in message


def test_regions_taken_from_a_list_the_condition_does_not_look_at_are_rejected() -> None:
    def bad(d: dict[str, Any]) -> None:
        d["rules"][0]["restrict"] = [
            {"regions_from": "surgeries.region", "techniques": ["all_techniques"]}
        ]

    assert "no 'exists' over surgeries" in errors_of(doc_with(bad))


def test_a_rationale_must_be_one_sentence_and_ids_unique() -> None:
    def bad(d: dict[str, Any]) -> None:
        d["rules"][0]["rationale"] = "First. Second."
        d["rules"][1]["id"] = d["rules"][0]["id"]

    message = errors_of(doc_with(bad))
    assert "rules[0].rationale: must be exactly one sentence" in message
    assert "rules[1].id: lbp_cauda_equina is used twice" in message
