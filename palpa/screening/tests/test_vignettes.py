"""Clinical vignettes: each comes out as the cited sources in clinical.md section C support."""

from __future__ import annotations

from palpa.screening.tests.support import days_ago, rule_ids, run


def test_cauda_equina_signs_stop_everything_with_emergency_same_day_referral() -> None:
    result = run(
        {"red_flags": {"low_back": {"saddle_numbness": True, "bladder_dysfunction": True}}}
    )
    assert result.decision == "STOP"
    assert result.urgency == "emergency"
    assert rule_ids(result) == ["lbp_cauda_equina"]
    assert result.restrictions_by_region == {"whole_body": ("all_techniques",)}
    assert "emergency care now" in result.explanation
    assert "emergency department straight away" in result.explanation
    finding = result.findings[0]
    assert finding.rule.sources[0].evidence == "V"
    assert [e.path for e in finding.evidence] == [
        "red_flags.low_back",
        "red_flags.low_back.bladder_dysfunction",
        "red_flags.low_back.saddle_numbness",
    ]


def test_a_single_cancer_flag_still_blocks_the_low_back_pending_clearance() -> None:
    result = run({"red_flags": {"low_back": {"night_pain": True}}})
    assert result.decision == "STOP"
    assert result.urgency == "referral"
    assert rule_ids(result) == ["lbp_cancer_flags"]
    assert result.restrictions_by_region == {"low_back": ("all_techniques",)}


def test_history_of_cancer_with_low_back_pain_is_a_red_flag_cluster_shown_in_full() -> None:
    result = run(
        {
            "date_of_birth": "1960-01-15",
            "cancer": [{"status": "remission", "site": "prostate"}],
            "red_flags": {"low_back": {"first_episode": True, "unexplained_weight_loss": True}},
        }
    )
    assert result.decision == "STOP"
    finding = result.findings[0]
    assert finding.rule.id == "lbp_cancer_flags"
    assert {e.path for e in finding.evidence} >= {
        "cancer[0]",
        "age",
        "red_flags.low_back.first_episode",
        "red_flags.low_back.unexplained_weight_loss",
    }
    assert "prostate cancer" in finding.explanation


def test_new_back_pain_between_20_and_50_is_not_an_age_flag() -> None:
    result = run(
        {"date_of_birth": "1990-06-01", "red_flags": {"low_back": {"first_episode": True}}}
    )
    assert result.decision == "PROCEED"


def test_steroids_with_low_back_pain_are_an_infection_flag() -> None:
    result = run(
        {
            "medications": [{"name": "prednisone", "kind": "corticosteroid"}],
            "red_flags": {"low_back": {}},
        }
    )
    assert rule_ids(result) == ["lbp_infection_flags"]
    assert result.restrictions_by_region == {"low_back": ("all_techniques",)}


def test_fever_with_low_back_pain_stops_the_session_and_refers_the_back() -> None:
    result = run({"red_flags": {"low_back": {"fever_or_chills": True}}})
    assert result.decision == "STOP"
    assert set(rule_ids(result)) == {"lbp_infection_flags", "fever_or_systemic_infection"}
    assert result.urgency == "referral"
    assert result.restrictions_by_region["whole_body"] == ("all_techniques",)


def test_minor_trauma_is_a_fracture_flag_only_with_osteoporosis_or_steroids() -> None:
    alone = run({"red_flags": {"low_back": {"minor_trauma": True}}})
    assert alone.decision == "PROCEED"
    with_osteoporosis = run(
        {
            "conditions": [{"code": "osteoporosis"}],
            "red_flags": {"low_back": {"minor_trauma": True}},
        }
    )
    assert with_osteoporosis.decision == "STOP"
    assert "lbp_fracture_flags" in rule_ids(with_osteoporosis)
    assert with_osteoporosis.restrictions_by_region["low_back"] == ("all_techniques",)


def test_dizziness_or_nausea_alone_with_neck_pain_stop_neck_treatment_and_refer() -> None:
    """C1 neck: dizziness or nausea alone, without stroke signs -> refer before neck work
    (IFOMPT Cervical Framework, Rushton 2023)."""
    result = run({"red_flags": {"neck": {"dizziness": True, "nausea": True}}})
    assert result.decision == "STOP"
    assert result.urgency == "referral"
    assert rule_ids(result) == ["neck_vascular"]
    assert result.restrictions_by_region == {"neck": ("all_techniques",)}
    assert "911" not in result.explanation


def test_rheumatoid_arthritis_with_neck_pain_is_a_neck_red_flag() -> None:
    result = run({"conditions": [{"code": "rheumatoid_arthritis"}], "red_flags": {"neck": {}}})
    assert result.decision == "STOP"
    assert "neck_inflammatory_arthritis" in rule_ids(result)


def test_anticoagulation_means_light_pressure_without_percussion_friction_or_tools() -> None:
    result = run({"medications": [{"name": "warfarin", "kind": "anticoagulant"}]})
    assert result.decision == "MODIFY"
    assert result.urgency == "none"
    assert result.restrictions_by_region == {
        "whole_body": ("deep_pressure", "deep_friction", "percussion", "tools")
    }


def test_unstable_inr_on_anticoagulation_needs_clearance() -> None:
    result = run(
        {
            "medications": [{"name": "warfarin", "kind": "anticoagulant"}],
            "bleeding": {"inr_unstable": True},
        }
    )
    assert result.decision == "CLEARANCE"
    assert result.urgency == "referral"
    assert rule_ids(result) == ["bleeding_risk_unstable", "bleeding_risk"]


def test_low_platelets_alone_need_clearance_and_light_pressure() -> None:
    result = run({"bleeding": {"platelets_low": True}})
    assert result.decision == "CLEARANCE"
    assert "percussion" in result.restrictions_by_region["whole_body"]


def test_uncomplicated_pregnancy_proceeds_with_no_deep_pressure_on_the_legs() -> None:
    result = run({"pregnancy": {"weeks": 20}})
    assert result.decision == "PROCEED"
    assert result.urgency == "none"
    assert rule_ids(result) == ["pregnancy"]
    assert result.restrictions_by_region == {
        "left_lower_limb": ("deep_pressure",),
        "right_lower_limb": ("deep_pressure",),
    }
    assert "inner thighs" in result.explanation
    assert "lie on the table" in result.explanation


def test_complicated_pregnancy_needs_clearance() -> None:
    result = run({"pregnancy": {"weeks": 30, "complications": ["pre_eclampsia"]}})
    assert result.decision == "CLEARANCE"
    assert result.urgency == "referral"
    assert rule_ids(result) == ["pregnancy_complicated", "pregnancy"]


def test_lymphedema_means_no_deep_tissue_work_on_the_limb() -> None:
    result = run({"conditions": [{"code": "lymphedema", "regions": ["left_upper_limb"]}]})
    assert result.decision == "MODIFY"
    assert result.restrictions_by_region == {"left_upper_limb": ("deep_pressure", "deep_friction")}


def test_lymphedema_with_acute_infection_stops_lymph_drainage() -> None:
    result = run(
        {
            "conditions": [
                {"code": "lymphedema", "regions": ["left_upper_limb"]},
                {"code": "cellulitis", "regions": ["left_upper_limb"], "antibiotics": "none"},
            ]
        }
    )
    assert result.decision == "STOP"
    assert result.findings[0].rule.id == "lymphedema_mld_stop"
    assert result.findings[0].restrictions == {"whole_body": ("mld",)}
    assert result.urgency == "referral"
    assert result.restrictions_by_region == {
        "whole_body": ("mld",),
        "left_upper_limb": ("all_techniques",),
    }


def test_lymphedema_with_fever_stops_everything() -> None:
    result = run(
        {
            "conditions": [
                {"code": "lymphedema", "regions": ["right_lower_limb"]},
                {"code": "fever"},
            ]
        }
    )
    assert result.decision == "STOP"
    assert {"fever_or_systemic_infection", "lymphedema_mld_stop"} <= set(rule_ids(result))
    assert result.restrictions_by_region["whole_body"] == ("all_techniques",)


def test_lymph_drainage_may_resume_after_three_days_of_clearly_working_antibiotics() -> None:
    infection = {"code": "cellulitis", "regions": ["left_upper_limb"], "antibiotics": "improving"}
    lymphedema = {"code": "lymphedema", "regions": ["left_upper_limb"]}
    early = run({"conditions": [lymphedema, {**infection, "antibiotics_started": days_ago(2)}]})
    assert "lymphedema_mld_stop" in rule_ids(early)
    later = run({"conditions": [lymphedema, {**infection, "antibiotics_started": days_ago(3)}]})
    assert later.decision == "MODIFY"
    assert "whole_body" not in later.restrictions_by_region
    assert later.restrictions_by_region["left_upper_limb"] == ("all_techniques",)


def test_recent_surgery_avoids_the_site_for_six_weeks() -> None:
    result = run({"surgeries": [{"region": "right_shoulder", "date": days_ago(20)}]})
    assert result.decision == "MODIFY"
    assert rule_ids(result) == ["recent_surgery"]
    assert result.restrictions_by_region == {
        "whole_body": ("mld",),
        "right_shoulder": ("all_techniques",),
    }
    assert "surgeon" in result.explanation


def test_surgery_six_weeks_ago_or_more_no_longer_restricts() -> None:
    assert run({"surgeries": [{"region": "abdomen", "date": days_ago(41)}]}).decision == "MODIFY"
    assert run({"surgeries": [{"region": "abdomen", "date": days_ago(42)}]}).decision == "PROCEED"


def test_cancer_under_treatment_needs_clearance_with_gentle_pressure_and_site_avoidance() -> None:
    result = run(
        {
            "cancer": [
                {
                    "status": "under_treatment",
                    "site": "breast",
                    "tumour_regions": ["chest"],
                    "radiation_fields": ["chest"],
                }
            ],
            "devices": [{"kind": "port", "region": "right_shoulder"}],
            "lymph_node_removal": [{"region": "left_upper_limb"}],
        }
    )
    assert result.decision == "CLEARANCE"
    assert result.urgency == "referral"
    assert set(rule_ids(result)) == {
        "cancer_active",
        "cancer_radiation_fields",
        "implanted_device",
        "lymph_node_removal_limb",
        "cancer_lymphedema_risk_limbs",
    }
    assert result.restrictions_by_region == {
        "whole_body": ("deep_pressure",),
        "chest": ("all_techniques",),
        "right_shoulder": ("all_techniques",),
        "left_upper_limb": ("all_techniques",),
    }


def test_bone_metastases_sites_are_avoided() -> None:
    result = run({"cancer": [{"status": "active", "bone_metastases": ["low_back"]}]})
    assert result.decision == "CLEARANCE"
    assert "cancer_bone_metastases" in rule_ids(result)
    assert result.restrictions_by_region["low_back"] == ("all_techniques",)


def test_cancer_in_remission_without_low_back_pain_raises_nothing() -> None:
    assert run({"cancer": [{"status": "remission"}]}).decision == "PROCEED"


def test_known_dvt_on_treatment_needs_clearance_and_avoids_the_limb() -> None:
    result = run(
        {
            "conditions": [{"code": "dvt", "status": "current", "regions": ["left_lower_limb"]}],
            "medications": [{"name": "rivaroxaban", "kind": "anticoagulant"}],
        }
    )
    assert result.decision == "CLEARANCE"
    assert rule_ids(result) == ["dvt_known", "bleeding_risk"]
    assert result.restrictions_by_region["left_lower_limb"] == ("all_techniques",)
    assert "right_lower_limb" not in result.restrictions_by_region


def test_a_dvt_more_than_six_months_ago_counts_only_around_cancer_treatment() -> None:
    old_dvt = {
        "code": "dvt",
        "status": "past",
        "onset": "2025-01-10",
        "regions": ["right_lower_limb"],
    }
    assert run({"conditions": [old_dvt]}).decision == "PROCEED"
    recent = run({"conditions": [{**old_dvt, "onset": "2025-10-01"}]})
    assert rule_ids(recent) == ["dvt_known"]
    after_cancer = run(
        {
            "conditions": [old_dvt],
            "cancer": [{"status": "remission", "treatment_ended": "2025-12-01"}],
        }
    )
    assert rule_ids(after_cancer) == ["dvt_known"]


def test_suspected_dvt_stops_everything_with_urgent_referral() -> None:
    result = run(
        {"conditions": [{"code": "dvt", "status": "suspected", "regions": ["right_lower_limb"]}]}
    )
    assert result.decision == "STOP"
    assert result.urgency == "urgent"
    assert rule_ids(result) == ["dvt_suspected"]
    assert result.restrictions_by_region == {"whole_body": ("all_techniques",)}
    assert "urgently" in result.explanation


def test_fever_stops_the_session_to_be_rescheduled_without_referral() -> None:
    result = run({"conditions": [{"code": "fever"}]})
    assert result.decision == "STOP"
    assert result.urgency == "none"
    assert result.explanation.startswith("We cannot give you a massage today.")
    assert "rebook" in result.explanation


def test_nothing_reported_proceeds() -> None:
    result = run({})
    assert result.decision == "PROCEED"
    assert result.urgency == "none"
    assert result.findings == ()
    assert result.restrictions_by_region == {}


def test_superficial_thrombophlebitis_is_avoided_locally_and_referred() -> None:
    result = run(
        {"conditions": [{"code": "superficial_thrombophlebitis", "regions": ["left_lower_limb"]}]}
    )
    assert (result.decision, result.urgency) == ("MODIFY", "referral")


def test_osteoporosis_with_a_fragility_fracture_needs_clearance() -> None:
    plain = run({"conditions": [{"code": "osteoporosis"}]})
    assert plain.decision == "MODIFY"
    assert plain.restrictions_by_region["whole_body"] == (
        "deep_pressure",
        "percussion",
        "forced_stretch",
        "spinal_springing",
    )
    fragile = run(
        {"conditions": [{"code": "osteoporosis", "qualifiers": ["prior_fragility_fracture"]}]}
    )
    assert fragile.decision == "CLEARANCE"


def test_suspected_fracture_stops_the_region_and_unhealed_needs_clearance() -> None:
    suspected = run(
        {"conditions": [{"code": "fracture", "status": "suspected", "regions": ["left_foot"]}]}
    )
    assert suspected.decision == "STOP"
    assert suspected.restrictions_by_region == {"left_foot": ("all_techniques",)}
    unhealed = run(
        {"conditions": [{"code": "fracture", "status": "current", "regions": ["left_foot"]}]}
    )
    assert unhealed.decision == "CLEARANCE"
    healed = run({"conditions": [{"code": "fracture", "status": "past", "regions": ["left_foot"]}]})
    assert healed.decision == "PROCEED"


def test_the_clinicians_hypertension_qualifiers_still_count() -> None:
    uncontrolled = run({"conditions": [{"code": "hypertension", "qualifiers": ["uncontrolled"]}]})
    assert uncontrolled.decision == "CLEARANCE"
    crisis = run({"conditions": [{"code": "hypertension", "qualifiers": ["crisis"]}]})
    assert (crisis.decision, crisis.urgency) == ("STOP", "urgent")
    symptoms = run({"conditions": [{"code": "hypertension", "qualifiers": ["crisis_symptoms"]}]})
    assert (symptoms.decision, symptoms.urgency) == ("STOP", "emergency")


def test_heart_and_kidney_failure() -> None:
    assert run({"conditions": [{"code": "heart_failure"}]}).decision == "CLEARANCE"
    assert (
        run({"conditions": [{"code": "heart_failure", "qualifiers": ["decompensated"]}]}).decision
        == "STOP"
    )
    acute = run({"conditions": [{"code": "kidney_failure", "qualifiers": ["acute"]}]})
    assert acute.decision == "CLEARANCE"
    assert acute.restrictions_by_region == {"whole_body": ("mld",)}
    fistula = run({"devices": [{"kind": "av_fistula", "region": "left_upper_limb"}]})
    assert fistula.restrictions_by_region == {"left_upper_limb": ("all_techniques",)}


def test_arthritis_flare_avoids_hot_joints_and_is_gentle_elsewhere() -> None:
    result = run(
        {
            "conditions": [
                {"code": "lupus", "qualifiers": ["flare"], "regions": ["right_hand", "left_hand"]}
            ]
        }
    )
    assert result.decision == "MODIFY"
    assert result.restrictions_by_region == {
        "whole_body": ("deep_pressure",),
        "left_hand": ("all_techniques",),
        "right_hand": ("all_techniques",),
    }


def test_contagious_widespread_rash_stops_but_a_local_rash_is_avoided() -> None:
    local = run(
        {"conditions": [{"code": "rash", "regions": ["chest"], "qualifiers": ["contagious"]}]}
    )
    assert local.decision == "MODIFY"
    widespread = run(
        {
            "conditions": [
                {"code": "rash", "regions": ["chest"], "qualifiers": ["contagious", "widespread"]}
            ]
        }
    )
    assert widespread.decision == "STOP"


def test_diabetic_neuropathy_means_lighter_pressure_and_no_heat() -> None:
    result = run({"conditions": [{"code": "diabetic_neuropathy"}]})
    assert result.restrictions_by_region == {"whole_body": ("deep_pressure", "heat")}
    assert "check your feet" in result.explanation
    assert (
        run({"conditions": [{"code": "diabetic_neuropathy", "qualifiers": ["ulcers"]}]}).decision
        == "CLEARANCE"
    )
