"""One case per shipped rule: the smallest health history that makes it fire, the decision
and urgency the clinical reference gives it, and the publication it cites. The case ids
name the source, so a failure says which source's rule broke. A new rule without a case
here fails ``test_every_rule_has_a_case``."""

from __future__ import annotations

from typing import Any

import pytest

from palpa.screening.rules import default_rule_set
from palpa.screening.tests.support import AS_OF, days_ago, run

LB = "red_flags.low_back"
NECK = "red_flags.neck"


def cond(code: str, **extra: Any) -> dict[str, Any]:
    return {"conditions": [{"code": code, **extra}]}


def lymphedema_with(other: dict[str, Any]) -> dict[str, Any]:
    return {"conditions": [{"code": "lymphedema", "regions": ["left_upper_limb"]}, other]}


def bp(systolic: int, diastolic: int, on: str = AS_OF, **extra: Any) -> dict[str, Any]:
    return {
        "blood_pressure": {
            "systolic": systolic,
            "diastolic": diastolic,
            "measured_on": on,
            **extra,
        }
    }


# (rule, facts, decision, urgency, a fragment of the rule's cited source)
CASES: list[tuple[str, dict[str, Any], str, str, str]] = [
    (
        "lbp_cauda_equina",
        {"red_flags": {"low_back": {"saddle_numbness": True}}},
        "STOP",
        "emergency",
        "AHCPR",
    ),
    (
        "lbp_cancer_flags",
        {"red_flags": {"low_back": {"night_pain": True}}},
        "STOP",
        "referral",
        "NHS Gloucestershire",
    ),
    (
        "lbp_infection_flags",
        {"red_flags": {"low_back": {"iv_drug_use": True}}},
        "STOP",
        "referral",
        "Bigos S. et al. 1994",
    ),
    (
        "lbp_fracture_flags",
        {"red_flags": {"low_back": {"major_trauma": True}}},
        "STOP",
        "referral",
        "Bigos S. et al. 1994",
    ),
    (
        "stroke_warning_signs",
        {"red_flags": {"neck": {"one_sided_weakness": True}}},
        "STOP",
        "emergency",
        "NICE NG128",
    ),
    (
        "neck_trauma",
        {"red_flags": {"neck": {"trauma": True}}},
        "STOP",
        "referral",
        "Feller D. et al. 2024",
    ),
    (
        "neck_myelopathy",
        {"red_flags": {"neck": {"hand_clumsiness": True}}},
        "STOP",
        "referral",
        "Feller D. et al. 2024",
    ),
    (
        "neck_vascular",
        {"red_flags": {"neck": {"dizziness": True}}},
        "STOP",
        "referral",
        "Rushton A. et al. 2023",
    ),
    (
        "neck_infection",
        {"red_flags": {"neck": {}}, **cond("systemic_infection")},
        "STOP",
        "referral",
        "Feller D. et al. 2024",
    ),
    (
        "neck_cancer",
        {"red_flags": {"neck": {"night_pain": True}}},
        "STOP",
        "referral",
        "Feller D. et al. 2024",
    ),
    (
        "neck_inflammatory_arthritis",
        {"red_flags": {"neck": {}}, **cond("lupus")},
        "STOP",
        "referral",
        "Feller D. et al. 2024",
    ),
    (
        "dvt_suspected",
        cond("dvt", status="suspected", regions=["left_lower_limb"]),
        "STOP",
        "urgent",
        "NICE NG158",
    ),
    (
        "oedema_unexplained_limb",
        cond("oedema_of_unknown_cause", regions=["right_upper_limb"]),
        "STOP",
        "urgent",
        "NICE NG158",
    ),
    (
        "oedema_unexplained_mld",
        cond("oedema_of_unknown_cause", regions=["face"]),
        "STOP",
        "referral",
        "Földi",
    ),
    (
        "dvt_known",
        cond("dvt", regions=["left_lower_limb"]),
        "CLEARANCE",
        "referral",
        "Ernst E. 2003",
    ),
    (
        "superficial_thrombophlebitis",
        cond("superficial_thrombophlebitis", regions=["left_lower_limb"]),
        "MODIFY",
        "referral",
        "Litzendorf M.E., Satiani B. 2011",
    ),
    ("bleeding_risk", cond("bleeding_disorder"), "MODIFY", "none", "Batavia M. 2004"),
    (
        "bleeding_risk_unstable",
        {"bleeding": {"inr_unstable": True}},
        "CLEARANCE",
        "referral",
        "Batavia M. 2004",
    ),
    ("fever_or_systemic_infection", cond("fever"), "STOP", "none", "Batavia M. 2004"),
    (
        "local_infection",
        cond(
            "local_infection",
            regions=["left_hand"],
            antibiotics="improving",
            antibiotics_started=days_ago(5),
        ),
        "MODIFY",
        "none",
        "Batavia M. 2004",
    ),
    (
        "local_infection_untreated",
        cond("cellulitis", regions=["left_hand"], antibiotics="none"),
        "MODIFY",
        "referral",
        "Batavia M. 2004",
    ),
    (
        "local_infection_mld",
        cond(
            "cellulitis",
            regions=["left_hand"],
            antibiotics="started",
            antibiotics_started=days_ago(1),
        ),
        "MODIFY",
        "none",
        "Földi",
    ),
    (
        "cancer_active",
        {"cancer": [{"status": "under_treatment"}]},
        "CLEARANCE",
        "referral",
        "Walton T., American Massage Therapy Association",
    ),
    (
        "cancer_bone_metastases",
        {"cancer": [{"status": "past", "bone_metastases": ["low_back"]}]},
        "MODIFY",
        "none",
        "Walton T., American Massage Therapy Association",
    ),
    (
        "cancer_radiation_fields",
        {"cancer": [{"status": "active", "radiation_fields": ["chest"]}]},
        "MODIFY",
        "none",
        "Walton T., American Massage Therapy Association",
    ),
    (
        "cancer_lymphedema_risk_limbs",
        {"cancer": [{"status": "active"}], "lymph_node_removal": [{"region": "left_upper_limb"}]},
        "MODIFY",
        "none",
        "Walton T., American Massage Therapy Association",
    ),
    (
        "lymph_node_removal_limb",
        {"cancer": [{"status": "past"}], "lymph_node_removal": [{"region": "left_upper_limb"}]},
        "MODIFY",
        "none",
        "National Lymphedema Network",
    ),
    (
        "implanted_device",
        {"devices": [{"kind": "pacemaker", "region": "chest"}]},
        "MODIFY",
        "none",
        "Werner R. 2014, Clients with Medical Implants",
    ),
    (
        "recent_surgery",
        {"surgeries": [{"region": "abdomen", "date": days_ago(10)}]},
        "MODIFY",
        "none",
        "Batavia M. 2004",
    ),
    (
        "fracture_suspected",
        cond("fracture", status="suspected", regions=["left_foot"]),
        "STOP",
        "referral",
        "Bigos S. et al. 1994",
    ),
    (
        "fracture_unhealed",
        cond("fracture", regions=["left_foot"]),
        "CLEARANCE",
        "referral",
        "Batavia M. 2004",
    ),
    ("osteoporosis", cond("osteoporosis"), "MODIFY", "none", "Batavia M. 2004"),
    (
        "osteoporosis_fragility_fracture",
        cond("osteoporosis", qualifiers=["prior_fragility_fracture"]),
        "CLEARANCE",
        "referral",
        "Batavia M. 2004",
    ),
    (
        "pregnancy",
        {"pregnancy": {"weeks": 20}},
        "PROCEED",
        "none",
        "Mueller S.M., Grunwald M. 2021",
    ),
    (
        "pregnancy_before_12_weeks",
        {"pregnancy": {"weeks": 11}},
        "PROCEED",
        "none",
        "Mueller S.M., Grunwald M. 2021",
    ),
    (
        "pregnancy_complicated",
        {"pregnancy": {"complications": ["bleeding"]}},
        "CLEARANCE",
        "referral",
        "Mueller S.M., Grunwald M. 2021",
    ),
    (
        "hypertension_uncontrolled",
        cond("hypertension", qualifiers=["uncontrolled"]),
        "CLEARANCE",
        "referral",
        "Werner R., Benjamin B.E. 1998",
    ),
    (
        "hypertension_crisis",
        cond("hypertension", qualifiers=["crisis"]),
        "STOP",
        "urgent",
        "Whelton P.K. et al. 2018",
    ),
    (
        "hypertension_crisis_symptoms",
        cond("hypertension", qualifiers=["crisis_symptoms"]),
        "STOP",
        "emergency",
        "Whelton P.K. et al. 2018",
    ),
    (
        "blood_pressure_crisis_symptoms",
        bp(182, 100, symptoms=["chest_pain"]),
        "STOP",
        "emergency",
        "Whelton P.K. et al. 2018",
    ),
    (
        "symptoms_at_reading_emergency",
        bp(128, 82, symptoms=["chest_pain"]),
        "STOP",
        "emergency",
        "NICE CG95",
    ),
    (
        "symptoms_at_reading_urgent",
        bp(128, 82, symptoms=["shortness_of_breath"]),
        "STOP",
        "urgent",
        "NICE NG158",
    ),
    (
        "blood_pressure_crisis_earlier",
        bp(184, 100, on=days_ago(1)),
        "CLEARANCE",
        "referral",
        "Whelton P.K. et al. 2018",
    ),
    ("blood_pressure_crisis", bp(182, 100), "STOP", "urgent", "Whelton P.K. et al. 2018"),
    (
        "blood_pressure_high",
        bp(165, 95),
        "CLEARANCE",
        "referral",
        "Williams B. et al. 2018, Eur Heart J",
    ),
    ("blood_pressure_raised", bp(145, 85), "PROCEED", "referral", "Whelton P.K. et al. 2018"),
    (
        "blood_pressure_not_today",
        bp(145, 85, on=days_ago(2)),
        "PROCEED",
        "none",
        "Whelton P.K. et al. 2018",
    ),
    ("heart_failure", cond("heart_failure"), "CLEARANCE", "referral", "Batavia M. 2004"),
    (
        "heart_failure_decompensated",
        cond("heart_failure", qualifiers=["decompensated"]),
        "STOP",
        "referral",
        "Földi",
    ),
    ("kidney_failure", cond("kidney_failure"), "CLEARANCE", "referral", "Batavia M. 2004"),
    (
        "kidney_failure_acute_mld",
        cond("kidney_failure", qualifiers=["acute"]),
        "CLEARANCE",
        "referral",
        "Földi",
    ),
    (
        "av_fistula",
        {"devices": [{"kind": "av_fistula", "region": "left_upper_limb"}]},
        "MODIFY",
        "none",
        "Batavia M. 2004",
    ),
    (
        "lymphedema",
        cond("lymphedema", regions=["left_upper_limb"]),
        "MODIFY",
        "none",
        "Batavia M. 2004",
    ),
    (
        "lymphedema_mld_stop",
        lymphedema_with({"code": "heart_failure", "qualifiers": ["decompensated"]}),
        "STOP",
        "referral",
        "Földi",
    ),
    (
        "lymphedema_mld_active_cancer",
        {**cond("lymphedema", regions=["left_upper_limb"]), "cancer": [{"status": "active"}]},
        "CLEARANCE",
        "referral",
        "Földi",
    ),
    ("lymphedema_neck_mld", lymphedema_with({"code": "arrhythmia"}), "MODIFY", "none", "Földi"),
    (
        "inflammatory_arthritis_flare",
        cond("inflammatory_arthritis", qualifiers=["flare"], regions=["left_hand"]),
        "MODIFY",
        "none",
        "Batavia M. 2004",
    ),
    (
        "inflammatory_arthritis_systemic",
        cond("lupus", qualifiers=["systemically_unwell"]),
        "CLEARANCE",
        "referral",
        "Batavia M. 2004",
    ),
    (
        "rheumatoid_arthritis_neck",
        cond("rheumatoid_arthritis"),
        "MODIFY",
        "none",
        "Batavia M. 2004",
    ),
    (
        "skin_lesion",
        cond("open_wound", regions=["left_lower_limb"]),
        "MODIFY",
        "none",
        "Batavia M. 2004",
    ),
    (
        "skin_lesion_undiagnosed",
        cond("undiagnosed_lesion", regions=["upper_back"]),
        "MODIFY",
        "referral",
        "Walton T. 2011",
    ),
    (
        "skin_contagious_widespread",
        cond("rash", regions=["chest"], qualifiers=["contagious", "widespread"]),
        "STOP",
        "referral",
        "Batavia M. 2004",
    ),
    (
        "varicose_veins",
        cond("varicose_veins", regions=["left_lower_limb"]),
        "MODIFY",
        "none",
        "Batavia M. 2004",
    ),
    ("diabetic_neuropathy", cond("diabetic_neuropathy"), "MODIFY", "none", "Batavia M. 2004"),
    (
        "diabetic_neuropathy_ulcers",
        cond("diabetic_neuropathy", qualifiers=["ulcers"]),
        "CLEARANCE",
        "referral",
        "Batavia M. 2004",
    ),
]


def case_id(case: tuple[str, dict[str, Any], str, str, str]) -> str:
    return f"{case[0]} ({case[4]})"


@pytest.mark.parametrize(
    ("rule_id", "facts", "decision", "urgency", "source"), CASES, ids=[case_id(c) for c in CASES]
)
def test_each_rule_fires_with_the_decision_and_urgency_its_source_gives(
    rule_id: str, facts: dict[str, Any], decision: str, urgency: str, source: str
) -> None:
    result = run(facts)
    found = {f.rule.id: f for f in result.findings}
    assert rule_id in found, [f.rule.id for f in result.findings]
    rule = found[rule_id].rule
    assert (rule.decision, rule.urgency) == (decision, urgency)
    assert any(source in s.citation for s in rule.sources), [s.citation for s in rule.sources]
    # the whole result is at least as strict as this rule
    ranks = ("PROCEED", "MODIFY", "CLEARANCE", "STOP")
    assert ranks.index(result.decision) >= ranks.index(decision)


def test_every_rule_has_a_case() -> None:
    assert sorted(c[0] for c in CASES) == sorted(r.id for r in default_rule_set().rules)


def test_every_source_shown_is_a_publication_and_the_reference_row_stays_internal() -> None:
    for rule in default_rule_set().rules:
        for source in rule.sources:
            assert "clinical.md" not in source.citation, rule.id
            assert "Palpa clinical reference" not in source.citation, rule.id
            assert "note" not in source.as_json(), rule.id
    referenced = [s for r in default_rule_set().rules for s in r.sources if s.note]
    assert referenced, "the data file keeps where each fact comes from, as internal notes"
