"""The patient's questions become valid intake facts, and every answer counts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palpa.screening import questionnaire as q
from palpa.screening.engine import screen
from palpa.screening.facts import LowBackFlags, NeckFlags, parse_facts
from palpa.screening.rules import default_rule_set

TODAY = dt.date(2026, 3, 2)


def decide(answers: dict[str, Any]) -> tuple[dict[str, Any], str, list[str]]:
    rules = default_rule_set()
    facts = q.facts_from_answers(answers, as_of=TODAY)
    result = screen(parse_facts(facts, regions=rules.regions), rules)
    return facts, result.decision, [f.rule.id for f in result.findings]


def test_warfarin_and_a_clot_two_months_ago_need_clearance() -> None:
    facts, decision, rules = decide(
        {
            "blood_thinner": True,
            "blood_thinner_name": "warfarin",
            "clot": "past",
            "clot_when": TODAY - dt.timedelta(days=60),
            "clot_where": ["left_lower_limb"],
        }
    )
    assert facts["medications"] == [{"name": "warfarin", "kind": "anticoagulant"}]
    assert facts["conditions"] == [
        {"code": "dvt", "status": "past", "regions": ["left_lower_limb"], "onset": "2026-01-01"}
    ]
    assert decision == "CLEARANCE"
    assert rules == ["dvt_known", "bleeding_risk"]


def test_no_answers_proceed() -> None:
    facts, decision, rules = decide({})
    assert facts == {"as_of": "2026-03-02"}
    assert (decision, rules) == ("PROCEED", [])


def test_every_red_flag_question_is_a_fact_of_the_schema() -> None:
    low_back = {f.name for f in dataclasses.fields(LowBackFlags)}
    neck = {f.name for f in dataclasses.fields(NeckFlags)}
    assert {code for code, _ in q.LOW_BACK_FLAGS} == low_back
    assert {code for code, _ in q.NECK_FLAGS} | {code for code, _ in q.STROKE_SIGNS} == neck
    assert not {code for code, _ in q.NECK_FLAGS} & {code for code, _ in q.STROKE_SIGNS}
    assert {code for code, _ in q.PLACES} <= set(default_rule_set().regions)


def test_a_ticked_red_flag_counts_even_without_saying_there_is_back_pain() -> None:
    facts, decision, rules = decide({"low_back_flags": ["saddle_numbness"]})
    assert facts["red_flags"] == {"low_back": {"saddle_numbness": True}}
    assert decision == "STOP"
    assert "lbp_cauda_equina" in rules


def test_back_pain_with_no_flags_is_asked_and_recorded() -> None:
    facts, decision, _ = decide({"low_back_pain": True, "cancer": "past"})
    assert facts["red_flags"] == {"low_back": {}}
    assert decision == "STOP"  # a history of cancer with back pain is a red flag


def test_conditions_medicines_and_pregnancy_map_to_their_codes() -> None:
    facts, decision, rules = decide(
        {
            "conditions": ["osteoporosis", "fragility_fracture", "arthritis_flare", "fever"],
            "steroid": True,
            "other_medicines": "metformin, vitamin D",
            "lymphedema_where": ["right_upper_limb"],
            "pregnant": True,
            "pregnancy_weeks": 20,
            "pregnancy_complications": ["pre_eclampsia"],
            "surgery_when": TODAY - dt.timedelta(days=10),
            "surgery_where": ["abdomen"],
            "port_where": ["right_shoulder"],
        }
    )
    codes = [c["code"] for c in facts["conditions"]]
    assert codes == ["fever", "inflammatory_arthritis", "osteoporosis", "lymphedema"]
    assert [m["kind"] for m in facts["medications"]] == ["corticosteroid", "other", "other"]
    assert facts["pregnancy"] == {"complications": ["pre_eclampsia"], "weeks": 20}
    assert facts["surgeries"] == [{"region": "abdomen", "date": "2026-02-20"}]
    assert facts["devices"] == [{"kind": "port", "region": "right_shoulder"}]
    assert decision == "STOP"  # the fever
    assert {"osteoporosis_fragility_fracture", "pregnancy_complicated", "recent_surgery"} <= set(
        rules
    )


def test_stroke_signs_are_asked_of_everyone_and_are_an_emergency() -> None:
    facts, decision, rules = decide({"stroke_signs": ["one_sided_weakness"]})
    assert facts["red_flags"] == {"neck": {"one_sided_weakness": True}}
    assert decision == "STOP"
    assert rules[0] == "stroke_warning_signs"


def test_swelling_a_doctor_has_not_explained_is_oedema_of_unknown_cause() -> None:
    facts, decision, rules = decide({"swelling_where": ["left_lower_limb"]})
    assert facts["conditions"] == [
        {"code": "oedema_of_unknown_cause", "regions": ["left_lower_limb"]}
    ]
    assert decision == "STOP"
    assert rules == ["oedema_unexplained_limb", "oedema_unexplained_mld"]


def test_a_pacemaker_or_pump_site_is_avoided() -> None:
    facts, decision, rules = decide({"device_where": ["chest"]})
    assert facts["devices"] == [
        {"kind": "other", "region": "chest", "note": "a pacemaker, stimulator or pump"}
    ]
    assert (decision, rules) == ("MODIFY", ["implanted_device"])


def test_a_blood_pressure_without_a_day_is_todays() -> None:
    facts, decision, rules = decide(
        {"bp_systolic": 185, "bp_diastolic": 115, "bp_symptoms": ["chest_pain"]}
    )
    assert facts["blood_pressure"] == {
        "systolic": 185,
        "diastolic": 115,
        "measured_on": "2026-03-02",
        "symptoms": ["chest_pain"],
    }
    assert decision == "STOP"
    assert rules[0] == "blood_pressure_crisis_symptoms"
    older, decision, _ = decide(
        {"bp_systolic": 185, "bp_diastolic": 115, "bp_measured_on": TODAY - dt.timedelta(days=3)}
    )
    assert older["blood_pressure"]["measured_on"] == "2026-02-27"
    assert decision == "CLEARANCE"  # not today's: measured again or cleared (issue 18 review)


@pytest.mark.parametrize(
    ("answers", "answer"),
    [
        ({"surgery_when": TODAY - dt.timedelta(days=10)}, "surgery_where"),
        ({"clot": "past", "clot_when": TODAY - dt.timedelta(days=60)}, "clot_where"),
        ({"blood_thinner": True}, "blood_thinner_name"),
    ],
)
def test_nothing_is_invented_for_a_missing_detail(answers: dict[str, Any], answer: str) -> None:
    """A surgery without a site, a clot without a place, a blood thinner without a name:
    the form asks for them; the answers never get a default in their place."""
    with pytest.raises(q.MissingDetail) as raised:
        q.facts_from_answers(answers, as_of=TODAY)
    assert raised.value.answer == answer


def test_a_blood_thinner_named_but_not_ticked_still_counts() -> None:
    facts, _, rules = decide({"blood_thinner_name": "apixaban"})
    assert facts["medications"] == [{"name": "apixaban", "kind": "anticoagulant"}]
    assert "bleeding_risk" in rules


_PLACES = [code for code, _ in q.PLACES]
_SOME_PLACES = st.lists(st.sampled_from(_PLACES), min_size=1, max_size=3, unique=True)
_DAY = st.dates(min_value=dt.date(2020, 1, 1), max_value=TODAY)


@st.composite
def _answers(draw: st.DrawFn) -> dict[str, Any]:
    """Complete answers as the intake form cleans them (no missing detail)."""
    answers: dict[str, Any] = {}
    if draw(st.booleans()):
        answers["blood_thinner"] = True
        answers["blood_thinner_name"] = draw(st.sampled_from(["warfarin", "apixaban", "not sure"]))
    for key in ("antiplatelet", "steroid", "immunosuppressant", "low_back_pain", "neck_pain"):
        if draw(st.booleans()):
            answers[key] = True
    if draw(st.booleans()):
        answers["other_medicines"] = ", ".join(
            draw(
                st.lists(
                    st.sampled_from(["metformin", "vitamin D", "statin"]), unique=True, min_size=1
                )
            )
        )
    clot = draw(st.sampled_from([c for c, _ in q.CLOT_CHOICES]))
    if clot:
        answers["clot"] = clot
        answers["clot_where"] = draw(_SOME_PLACES)
        answers["clot_when"] = draw(_DAY)
    answers["conditions"] = draw(
        st.lists(st.sampled_from([c for c, _ in q.CONDITIONS]), unique=True)
    )
    for key in ("swelling_where", "lymphedema_where", "varicose_where", "skin_where"):
        if draw(st.booleans()):
            answers[key] = draw(_SOME_PLACES)
    cancer = draw(st.sampled_from([c for c, _ in q.CANCER_CHOICES]))
    if cancer:
        answers["cancer"] = cancer
        answers["cancer_spread"] = draw(st.booleans())
        if draw(st.booleans()):
            answers["cancer_treatment_ended"] = draw(_DAY)
    for key in ("lymph_nodes_where", "port_where", "device_where"):
        if draw(st.booleans()):
            answers[key] = draw(_SOME_PLACES)
    if draw(st.booleans()):
        answers["surgery_when"] = draw(_DAY)
        answers["surgery_where"] = draw(_SOME_PLACES)
    if draw(st.booleans()):
        answers["pregnant"] = True
        answers["pregnancy_complications"] = draw(
            st.lists(st.sampled_from([c for c, _ in q.PREGNANCY_COMPLICATIONS]), unique=True)
        )
        if draw(st.booleans()):
            answers["pregnancy_weeks"] = draw(st.integers(0, 42))
    answers["low_back_flags"] = draw(
        st.lists(st.sampled_from([c for c, _ in q.LOW_BACK_FLAGS]), unique=True)
    )
    answers["neck_flags"] = draw(
        st.lists(st.sampled_from([c for c, _ in q.NECK_FLAGS]), unique=True)
    )
    answers["stroke_signs"] = draw(
        st.lists(st.sampled_from([c for c, _ in q.STROKE_SIGNS]), unique=True)
    )
    return answers


@given(_answers())
def test_previous_answers_give_the_same_facts_back(answers: dict[str, Any]) -> None:
    """A re-screen starts from the previous answers (answers_from_facts): submitted
    unchanged, they give exactly the facts they came from."""
    facts = q.facts_from_answers(answers, as_of=TODAY)
    again = q.facts_from_answers(q.answers_from_facts(facts), as_of=TODAY)
    assert again == facts


def test_the_blood_pressure_is_not_carried_into_a_re_screen() -> None:
    facts = q.facts_from_answers({"bp_systolic": 150, "bp_diastolic": 95}, as_of=TODAY)
    assert "bp_systolic" not in q.answers_from_facts(facts)
