"""A second independent review of the screening (issue 18: "checked again with cases
that are not given here"). Each test is a fresh vignette that gave an unsafe answer under
palpa-default-2, the answer it gives now, and the source that decides it; the rest pin
boundaries the review checked and found right."""

from __future__ import annotations

from typing import Any

import pytest

from palpa.screening.facts import FactsError
from palpa.screening.tests.support import AS_OF, days_ago, rule_ids, run


def reading(systolic: int, diastolic: int, on: str = AS_OF, *symptoms: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"systolic": systolic, "diastolic": diastolic, "measured_on": on}
    if symptoms:
        doc["symptoms"] = list(symptoms)
    return {"blood_pressure": doc}


# --- defects found, and fixed -------------------------------------------------------


def test_cellulitis_with_its_treatment_not_given_is_untreated_referred_and_stops_mld() -> None:
    """Was MODIFY/none with lymph drainage allowed: the rules asked for antibiotics
    "none" and a missing answer matched nothing. C2 'Cellulitis': refer if untreated; MLD
    only on antibiotics with clear improvement (Földi, [P]). Missing means none."""
    result = run({"conditions": [{"code": "cellulitis", "regions": ["left_lower_limb"]}]})
    assert (result.decision, result.urgency) == ("MODIFY", "referral")
    assert {"local_infection_untreated", "local_infection_mld"} <= set(rule_ids(result))
    assert result.restrictions_by_region["whole_body"] == ("mld",)


def test_a_start_date_without_the_treatment_status_counts_as_started_not_improving() -> None:
    facts = {"code": "local_infection", "regions": ["left_hand"]}
    result = run({"conditions": [{**facts, "antibiotics_started": days_ago(10)}]})
    assert "local_infection_mld" in rule_ids(result)  # not yet "clear improvement"
    assert "local_infection_untreated" not in rule_ids(result)


def test_cellulitis_on_a_lymphoedematous_limb_without_treatment_stops_mld() -> None:
    result = run(
        {
            "conditions": [
                {"code": "lymphedema", "regions": ["left_upper_limb"]},
                {"code": "cellulitis", "regions": ["left_upper_limb"]},
            ]
        }
    )
    assert result.decision == "STOP"
    assert "lymphedema_mld_stop" in rule_ids(result)


def test_chest_pain_at_a_reading_below_the_crisis_range_is_an_emergency() -> None:
    """Was PROCEED/referral (150/95 is only 'raised'). NICE CG95: suspected acute
    coronary syndrome with chest pain now is referred as an emergency, whatever the
    blood pressure."""
    result = run(reading(150, 95, AS_OF, "chest_pain"))
    assert (result.decision, result.urgency) == ("STOP", "emergency")
    assert rule_ids(result)[0] == "symptoms_at_reading_emergency"
    assert "call 911 or your local emergency number now" in result.explanation


@pytest.mark.parametrize("symptom", ["neurological_signs", "vision_change"])
def test_stroke_signs_at_a_stage_two_reading_are_an_emergency(symptom: str) -> None:
    """Was CLEARANCE/referral at 170/105. NICE NG128: new neurological signs or a sudden
    change in vision (BE-FAST) are suspected stroke, an emergency at any pressure."""
    result = run(reading(170, 105, AS_OF, symptom))
    assert (result.decision, result.urgency) == ("STOP", "emergency")
    assert result.restrictions_by_region["whole_body"] == ("all_techniques",)


def test_shortness_of_breath_at_a_normal_reading_stops_the_session_urgently() -> None:
    """Was PROCEED/none. Breathlessness can be a pulmonary embolism (NICE NG158), the
    serious adverse event reported after massage (Ernst 2003)."""
    result = run(reading(124, 78, AS_OF, "shortness_of_breath"))
    assert (result.decision, result.urgency) == ("STOP", "urgent")


def test_a_severe_headache_below_the_crisis_range_is_left_to_judgement() -> None:
    """Documented choice (left_out): headache is a common reason to come; the sudden,
    worst-ever headache is an emergency on its own (stroke_warning_signs)."""
    assert run(reading(130, 80, AS_OF, "severe_headache")).decision == "PROCEED"


def test_a_crisis_reading_from_yesterday_needs_a_reading_today_or_clearance() -> None:
    """Was PROCEED/none ("we will measure it again", but nothing held the session).
    C2: the visit's reading counts; an earlier crisis-range reading is not set aside."""
    result = run(reading(200, 125, days_ago(1)))
    assert (result.decision, result.urgency) == ("CLEARANCE", "referral")
    assert rule_ids(result)[0] == "blood_pressure_crisis_earlier"
    # a reading today replaces it
    assert run(reading(128, 80)).decision == "PROCEED"


def test_an_earlier_stage_two_reading_still_only_asks_for_a_new_measurement() -> None:
    assert rule_ids(run(reading(165, 100, days_ago(1)))) == ["blood_pressure_not_today"]
    assert run(reading(165, 100, days_ago(1))).decision == "PROCEED"


@pytest.mark.parametrize("region", ["left_hip", "right_hip", "left_shoulder", "right_shoulder"])
def test_unexplained_swelling_at_the_root_of_a_limb_is_the_limb_s(region: str) -> None:
    """Was STOP for MLD with a routine referral. NICE NG158: a swollen leg is assessed at
    once; a proximal clot swells the hip or shoulder region first."""
    result = run({"conditions": [{"code": "oedema_of_unknown_cause", "regions": [region]}]})
    assert (result.decision, result.urgency) == ("STOP", "urgent")
    assert result.restrictions_by_region[region] == ("all_techniques",)


def test_unexplained_swelling_of_the_face_stops_mld_with_a_referral_only() -> None:
    result = run({"conditions": [{"code": "oedema_of_unknown_cause", "regions": ["face"]}]})
    assert (result.decision, result.urgency) == ("STOP", "referral")
    assert rule_ids(result) == ["oedema_unexplained_mld"]


def test_the_limb_at_risk_after_node_removal_keeps_light_pressure_after_cancer_care() -> None:
    """Was PROCEED with nothing said. National Lymphedema Network 2012: the risk is
    lifelong; C2 'Active cancer' avoids the limb during cancer care."""
    facts = {
        "cancer": [{"status": "remission", "treatment_ended": "2024-05-01"}],
        "lymph_node_removal": [{"region": "left_upper_limb", "date": "2024-01-10"}],
    }
    result = run(facts)
    assert result.decision == "MODIFY"
    assert result.restrictions_by_region == {"left_upper_limb": ("deep_pressure", "deep_friction")}
    during = run({**facts, "cancer": [{"status": "under_treatment"}]})
    assert during.restrictions_by_region["left_upper_limb"] == ("all_techniques",)


def test_a_past_dvt_needs_its_date() -> None:
    """Was PROCEED: a past clot without a date could be last month's (C2: precautions
    for 6 months). Now refused naming the field, as the intake already asks the date."""
    with pytest.raises(FactsError, match=r"conditions\[0\]\.onset: required for a past dvt"):
        run({"conditions": [{"code": "dvt", "status": "past", "regions": ["left_lower_limb"]}]})


# --- boundaries the review checked ---------------------------------------------------


@pytest.mark.parametrize(
    ("systolic", "diastolic", "rule"),
    [
        (180, 80, "blood_pressure_crisis"),
        (179, 120, "blood_pressure_crisis"),
        (179, 119, "blood_pressure_high"),
        (160, 99, "blood_pressure_high"),
        (159, 100, "blood_pressure_high"),
        (159, 99, "blood_pressure_raised"),
        (140, 89, "blood_pressure_raised"),
        (139, 90, "blood_pressure_raised"),
    ],
)
def test_todays_reading_at_each_cut_off(systolic: int, diastolic: int, rule: str) -> None:
    """C2 cut-offs: Whelton 2018 (ACC/AHA), Williams 2018 (ESC/ESH); 'or' is either."""
    assert rule_ids(run(reading(systolic, diastolic)))[0] == rule


def test_139_over_89_today_is_not_raised() -> None:
    assert rule_ids(run(reading(139, 89))) == []


@pytest.mark.parametrize(("days", "fires"), [(0, True), (41, True), (42, False)])
def test_recent_surgery_counts_for_fewer_than_42_days(days: int, fires: bool) -> None:
    result = run({"surgeries": [{"region": "right_hip", "date": days_ago(days)}]})
    assert ("recent_surgery" in rule_ids(result)) is fires


@pytest.mark.parametrize(
    ("born", "flag"),
    [("1975-03-02", True), ("1975-03-03", False), ("2006-03-03", True), ("2006-03-02", False)],
)
def test_new_back_pain_over_50_or_under_20_by_the_birthday(born: str, flag: bool) -> None:
    """AHCPR 1994 / NHS: new pain at age > 50 or < 20 (51 on the day is over 50)."""
    result = run({"date_of_birth": born, "red_flags": {"low_back": {"first_episode": True}}})
    assert ("lbp_cancer_flags" in rule_ids(result)) is flag


@pytest.mark.parametrize(("weeks", "early"), [(0, True), (11, True), (12, False)])
def test_pregnancy_before_12_weeks_claims_no_safety(weeks: int, early: bool) -> None:
    result = run({"pregnancy": {"weeks": weeks}})
    assert ("pregnancy_before_12_weeks" in rule_ids(result)) is early
    assert "is safe" not in result.explanation


def test_pregnancy_without_weeks_asks_the_patient_to_say_if_under_12_weeks() -> None:
    result = run({"pregnancy": {}})
    assert "If you are less than 12 weeks pregnant, please tell us" in result.explanation
    assert "is safe" not in result.explanation
