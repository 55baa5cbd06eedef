"""The safety defects an independent clinical check found (issue 18), each vignette
exactly as reported, and how each now comes out, with the source that decides it."""

from __future__ import annotations

from palpa.screening.tests.support import AS_OF, days_ago, rule_ids, run


def test_speech_difficulty_and_double_vision_are_an_emergency_for_the_whole_session() -> None:
    """NICE NG128 (suspected stroke: immediate emergency care); IFOMPT Cervical Framework
    (Rushton 2023) for artery dissection. The issue's vignette, exactly."""
    result = run({"red_flags": {"neck": {"speech_difficulty": True, "double_vision": True}}})
    assert result.decision == "STOP"
    assert result.urgency == "emergency"
    assert rule_ids(result) == ["stroke_warning_signs", "neck_vascular"]
    assert result.restrictions_by_region["whole_body"] == ("all_techniques",)
    assert "call 911 or your local emergency number now" in result.explanation
    assert result.explanation.startswith("We cannot give you a massage today.")
    assert "A doctor needs to check this before we work on your neck" not in (
        result.findings[0].explanation
    )
    citations = " ".join(s.citation for s in result.findings[0].rule.sources)
    assert "NICE NG128" in citations
    assert "Rushton A. et al. 2023" in citations


def test_each_stroke_sign_alone_is_an_emergency_even_without_neck_pain_answers() -> None:
    for sign in (
        "speech_difficulty",
        "one_sided_weakness",
        "double_vision",
        "drop_attacks",
        "loss_of_coordination",
        "sudden_severe_headache",
    ):
        result = run({"red_flags": {"neck": {sign: True}}})
        assert (result.decision, result.urgency) == ("STOP", "emergency"), sign
        assert result.restrictions_by_region["whole_body"] == ("all_techniques",), sign
        assert rule_ids(result)[0] == "stroke_warning_signs", sign


def test_dizziness_or_nausea_alone_stays_a_referral_before_neck_work() -> None:
    for sign in ("dizziness", "nausea"):
        result = run({"red_flags": {"neck": {sign: True}}})
        assert (result.decision, result.urgency) == ("STOP", "referral"), sign
        assert rule_ids(result) == ["neck_vascular"]
        assert result.restrictions_by_region == {"neck": ("all_techniques",)}


def test_a_crisis_range_reading_today_stops_with_urgent_referral() -> None:
    """C2 hypertension: >= 180 or >= 120 measured at the visit -> STOP + urgent, whatever
    the history says (ACC/AHA 2017, Whelton 2018). The issue's vignette, exactly."""
    result = run(
        {
            "conditions": [{"code": "hypertension"}],
            "blood_pressure": {"systolic": 185, "diastolic": 115, "measured_on": AS_OF},
        }
    )
    assert result.decision == "STOP"
    assert result.urgency == "urgent"
    assert rule_ids(result)[0] == "blood_pressure_crisis"
    assert result.restrictions_by_region == {"whole_body": ("all_techniques",)}
    assert "nothing in your health history stops us" not in result.explanation
    assert "Your blood pressure measured today is very high" in result.explanation


def test_the_crisis_range_with_symptoms_is_an_emergency() -> None:
    for symptom in (
        "chest_pain",
        "shortness_of_breath",
        "neurological_signs",
        "vision_change",
        "severe_headache",
    ):
        result = run(
            {
                "blood_pressure": {
                    "systolic": 150,
                    "diastolic": 120,
                    "measured_on": AS_OF,
                    "symptoms": [symptom],
                }
            }
        )
        assert (result.decision, result.urgency) == ("STOP", "emergency"), symptom
        assert rule_ids(result)[0] == "blood_pressure_crisis_symptoms"
        assert "call 911" in result.explanation


def test_the_cut_offs_are_applied_exactly_as_the_reference_gives_them() -> None:
    """>= 180/120 STOP; >= 160/100 CLEARANCE; 140-159 or 90-99 PROCEED with advice; below,
    nothing (ACC/AHA 2017 categories, ESH 2018 grades; the action per category is the
    reference's consensus)."""

    def today(systolic: int, diastolic: int) -> tuple[str, str]:
        reading = {"systolic": systolic, "diastolic": diastolic, "measured_on": AS_OF}
        result = run({"blood_pressure": reading})
        return result.decision, result.urgency

    assert today(180, 80) == ("STOP", "urgent")
    assert today(130, 120) == ("STOP", "urgent")
    assert today(179, 119) == ("CLEARANCE", "referral")
    assert today(160, 80) == ("CLEARANCE", "referral")
    assert today(130, 100) == ("CLEARANCE", "referral")
    assert today(159, 99) == ("PROCEED", "referral")
    assert today(140, 70) == ("PROCEED", "referral")
    assert today(120, 90) == ("PROCEED", "referral")
    assert today(139, 89) == ("PROCEED", "none")
    advice = run({"blood_pressure": {"systolic": 150, "diastolic": 95, "measured_on": AS_OF}})
    assert "please see your doctor about your blood pressure" in advice.explanation


def test_a_reading_from_an_earlier_day_is_not_todays_reading() -> None:
    result = run(
        {"blood_pressure": {"systolic": 165, "diastolic": 105, "measured_on": days_ago(1)}}
    )
    assert (result.decision, result.urgency) == ("PROCEED", "none")
    assert rule_ids(result) == ["blood_pressure_not_today"]
    # An earlier reading in the crisis range is not today's either (no STOP/urgent), but
    # it holds the session until today's reading replaces it (test_review_vignettes.py).
    crisis_old = run(
        {"blood_pressure": {"systolic": 185, "diastolic": 115, "measured_on": days_ago(1)}}
    )
    assert (crisis_old.decision, crisis_old.urgency) == ("CLEARANCE", "referral")
    assert "today" not in result.findings[0].explanation.split("today's")[0].replace(
        "before your massage", ""
    )
    assert "We will measure it again before your massage" in result.explanation
    normal_old = run(
        {"blood_pressure": {"systolic": 120, "diastolic": 80, "measured_on": days_ago(30)}}
    )
    assert normal_old.findings == ()


def test_swelling_of_one_leg_without_a_known_cause_stops_the_limb_and_lymph_drainage() -> None:
    """C2 'Swelling of one limb without a known cause': STOP for the limb, no MLD, urgent
    referral to rule out DVT (NICE NG158). The issue's vignette, exactly."""
    result = run(
        {"conditions": [{"code": "oedema_of_unknown_cause", "regions": ["left_lower_limb"]}]}
    )
    assert result.decision == "STOP"
    assert result.urgency == "urgent"
    assert rule_ids(result) == ["oedema_unexplained_limb", "oedema_unexplained_mld"]
    assert result.restrictions_by_region == {
        "whole_body": ("mld",),
        "left_lower_limb": ("all_techniques",),
    }
    assert "rule out a clot" in result.explanation
    assert "NICE NG158" in result.findings[0].rule.sources[0].citation


def test_swelling_of_unknown_cause_elsewhere_stops_lymph_drainage_and_refers() -> None:
    result = run({"conditions": [{"code": "oedema_of_unknown_cause", "regions": ["abdomen"]}]})
    assert (result.decision, result.urgency) == ("STOP", "referral")
    assert rule_ids(result) == ["oedema_unexplained_mld"]
    assert result.restrictions_by_region == {"whole_body": ("mld",)}


def test_pregnancy_before_12_weeks_says_what_is_known_and_claims_no_safety() -> None:
    """Mueller & Grunwald 2021: every trial began at 12 weeks; before that there is no trial
    evidence either way."""
    early = run({"pregnancy": {"weeks": 8}})
    assert early.decision == "PROCEED"
    assert rule_ids(early) == ["pregnancy", "pregnancy_before_12_weeks"]
    assert "is safe" not in early.explanation
    assert "safe and helpful" not in early.explanation
    assert "all began at 12 weeks" in early.explanation
    assert "helps or harms either way" in early.explanation


def test_pregnancy_from_12_weeks_keeps_what_the_trials_support() -> None:
    later = run({"pregnancy": {"weeks": 12}})
    assert later.decision == "PROCEED"
    assert rule_ids(later) == ["pregnancy"]
    assert "is safe" not in later.explanation
    assert "found it helpful with only minor, short-lived side effects" in later.explanation
    assert later.restrictions_by_region == {
        "left_lower_limb": ("deep_pressure",),
        "right_lower_limb": ("deep_pressure",),
    }


def test_what_is_shown_cites_publications_not_the_reference_file() -> None:
    for doc in (
        {"red_flags": {"neck": {"speech_difficulty": True}}},
        {"pregnancy": {"weeks": 8}},
        {"medications": [{"name": "warfarin", "kind": "anticoagulant"}]},
    ):
        text = str(run(doc).as_json())
        assert "clinical.md" not in text
        assert "Palpa clinical reference" not in text
        assert "'note'" not in text
