"""Parsing intake facts: typed values, and every bad field named."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from palpa.screening.facts import Facts, FactsError, parse_facts
from palpa.screening.rules import default_rule_set

REGIONS = default_rule_set().regions


def errors(doc: Any) -> list[str]:
    with pytest.raises(FactsError) as info:
        parse_facts(doc, regions=REGIONS)
    return [str(e) for e in info.value.errors]


def test_a_full_intake_parses_into_typed_facts() -> None:
    facts = parse_facts(
        {
            "as_of": "2026-03-02",
            "date_of_birth": "1970-03-03",
            "conditions": [{"code": "dvt", "regions": ["left_lower_limb"], "onset": "2026-01-01"}],
            "surgeries": [
                {"region": "right_hip", "date": "2026-02-01", "procedure": "hip replacement"}
            ],
            "pregnancy": None,
            "red_flags": {"low_back": {"night_pain": True}},
        },
        regions=REGIONS,
    )
    assert isinstance(facts, Facts)
    assert facts.as_of == dt.date(2026, 3, 2)
    assert facts.age == 55
    assert facts.conditions[0].status == "current"
    assert facts.surgeries[0].date == dt.date(2026, 2, 1)
    assert facts.pregnancy is None
    assert facts.red_flags is not None
    assert facts.red_flags.low_back is not None
    assert facts.red_flags.low_back.night_pain is True


def test_as_of_is_required() -> None:
    assert errors({}) == ["as_of: required"]


def test_an_unknown_fact_is_named_by_its_path() -> None:
    assert errors({"as_of": "2026-03-02", "red_flags": {"neck": {"dizzy": True}}}) == [
        "red_flags.neck.dizzy: unknown fact"
    ]
    assert errors({"as_of": "2026-03-02", "smoker": True}) == ["smoker: unknown fact"]


def test_every_bad_field_is_reported_at_once() -> None:
    found = errors(
        {
            "as_of": "2026-03-02",
            "surgeries": [{"region": "knee", "date": "2026/01/01"}],
            "conditions": [{"code": "gout"}],
            "medications": [{"name": "x", "kind": "anticoagulant", "dose": 5}],
            "pregnancy": {"weeks": "twenty"},
            "red_flags": {"low_back": {"night_pain": "yes"}},
        }
    )
    assert found == [
        "conditions[0].code: unknown value 'gout' (one of: " + found[0].split("(one of: ")[1],
        "medications[0].dose: unknown fact",
        "pregnancy.weeks: expected a whole number, got 'twenty'",
        "red_flags.low_back.night_pain: expected true or false, got 'yes'",
        "surgeries[0].date: expected an ISO date (YYYY-MM-DD), got '2026/01/01'",
        "surgeries[0].region: unknown region 'knee'",
    ]


def test_dates_after_as_of_are_refused() -> None:
    assert errors(
        {"as_of": "2026-03-02", "surgeries": [{"region": "neck", "date": "2026-04-01"}]}
    ) == ["surgeries[0].date: 2026-04-01 is after as_of (2026-03-02)"]


def test_an_impossible_date_is_refused() -> None:
    assert errors({"as_of": "2026-02-30"}) == [
        "as_of: expected an ISO date (YYYY-MM-DD), got '2026-02-30'"
    ]


def test_condition_details_must_fit_the_condition() -> None:
    found = errors(
        {
            "as_of": "2026-03-02",
            "conditions": [
                {"code": "osteoporosis", "qualifiers": ["flare"]},
                {"code": "heart_failure", "status": "suspected"},
                {"code": "lymphedema"},
                {"code": "cellulitis", "regions": ["chest"], "antibiotics": "started"},
                {"code": "fever", "antibiotics": "none"},
            ],
        }
    )
    assert found == [
        "conditions[0].qualifiers: flare does not apply to osteoporosis "
        "(allowed: prior_fragility_fracture)",
        "conditions[1].status: 'suspected' applies only to dvt and fracture",
        "conditions[2].regions: lymphedema needs at least one region",
        "conditions[3].antibiotics_started: required when antibiotics are taken",
        "conditions[4].antibiotics: applies only to cellulitis and local_infection",
    ]


def test_the_top_level_must_be_an_object() -> None:
    assert errors([1, 2]) == ["(top level): expected an object"]


def test_a_region_listed_twice_is_refused() -> None:
    assert errors(
        {"as_of": "2026-03-02", "conditions": [{"code": "rash", "regions": ["chest", "chest"]}]}
    ) == ["conditions[0].regions: lists a value twice"]


def test_a_blood_pressure_is_plausible_dated_and_its_diastolic_below_its_systolic() -> None:
    from palpa.screening.facts import FactsError, parse_facts
    from palpa.screening.rules import default_rule_set

    regions = default_rule_set().regions

    def errors(reading: dict[str, object]) -> list[str]:
        try:
            parse_facts({"as_of": "2026-03-02", "blood_pressure": reading}, regions=regions)
        except FactsError as exc:
            return [str(e) for e in exc.errors]
        return []

    assert errors({"systolic": 130, "diastolic": 85, "measured_on": "2026-03-02"}) == []
    assert errors({"systolic": 130, "diastolic": 85}) == ["blood_pressure.measured_on: required"]
    assert errors({"systolic": 330, "diastolic": 85, "measured_on": "2026-03-02"}) == [
        "blood_pressure.systolic: expected 50 to 300, got 330"
    ]
    assert errors({"systolic": 120, "diastolic": 10, "measured_on": "2026-03-02"}) == [
        "blood_pressure.diastolic: expected 20 to 200, got 10"
    ]
    assert errors({"systolic": 90, "diastolic": 95, "measured_on": "2026-03-02"}) == [
        "blood_pressure.diastolic: must be lower than the systolic (95 is not below 90)"
    ]
    assert errors({"systolic": 150, "diastolic": 95, "measured_on": "2026-03-03"}) == [
        "blood_pressure.measured_on: 2026-03-03 is after as_of (2026-03-02)"
    ]
    assert errors(
        {"systolic": 150, "diastolic": 95, "measured_on": "2026-03-02", "symptoms": ["itch"]}
    ) == [
        "blood_pressure.symptoms[0]: unknown value 'itch' (one of: chest_pain, "
        "shortness_of_breath, neurological_signs, vision_change, severe_headache)"
    ]
