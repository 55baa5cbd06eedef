"""The episode table's pure rules: chronicity, age band, technique mix, payer type,
comorbidity count, ending and visits to the first meaningful change."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palpa.analytics import episode_rules as rules
from palpa.analytics import rows

EVALUATED = dt.date(2026, 2, 9)


@pytest.mark.parametrize(
    ("days_before", "expected"),
    [
        (0, rows.ACUTE),
        (41, rows.ACUTE),
        (42, rows.SUBACUTE),
        (84, rows.SUBACUTE),
        (85, rows.CHRONIC),
    ],
)
def test_chronicity_counts_weeks_from_onset_to_the_evaluation(
    days_before: int, expected: str
) -> None:
    onset = EVALUATED - dt.timedelta(days=days_before)
    assert rules.chronicity(onset, EVALUATED) == expected


def test_chronicity_is_unknown_without_an_onset() -> None:
    assert rules.chronicity(None, EVALUATED) == rows.UNKNOWN


def test_the_age_band_is_the_age_on_the_evaluation_day_with_ages_over_89_together() -> None:
    assert rules.age_band(dt.date(1971, 3, 14), dt.date(2026, 3, 13)) == "50-59"
    assert rules.age_band(dt.date(1966, 3, 14), dt.date(2026, 3, 13)) == "50-59"
    assert rules.age_band(dt.date(1966, 3, 14), dt.date(2026, 3, 14)) == "60-69"
    assert rules.age_band(dt.date(1920, 1, 1), EVALUATED) == "90+"


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=EVALUATED))
def test_every_birth_date_falls_in_exactly_one_age_band(born: dt.date) -> None:
    labels = [label for *_, label in rules.AGE_BANDS]
    assert rules.age_band(born, EVALUATED) in labels


def test_a_technique_with_half_the_minutes_names_the_mix_alone() -> None:
    assert rules.technique_mix({"swedish": 30, "trigger_point": 30}) == "swedish"
    assert rules.technique_mix({"swedish": 20, "trigger_point": 15, "stretching": 10}) == (
        "swedish+trigger_point"
    )
    assert rules.technique_mix({}) == "none"


@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 300)))
def test_the_mix_names_at_most_two_techniques_that_were_given(minutes: dict[str, int]) -> None:
    mix = rules.technique_mix(minutes)
    if sum(minutes.values()) == 0:
        assert mix == "none"
    else:
        assert set(mix.split("+")) <= {t for t, m in minutes.items() if m > 0}
        assert 1 <= len(mix.split("+")) <= 2


def test_the_payer_type_comes_from_the_coverage_kind() -> None:
    assert rules.payer_type("insurance") == "insurance"
    assert rules.payer_type("self_pay") == "self-pay"
    assert rules.payer_type(None) == "unknown"


def test_comorbidities_are_current_conditions_and_an_active_cancer() -> None:
    facts = {
        "conditions": [
            {"code": "hypertension", "status": "current"},
            {"code": "hypertension", "status": "current", "qualifiers": ["uncontrolled"]},
            {"code": "dvt", "status": "past"},
            {"code": "fracture", "status": "suspected"},
            {"code": "lupus"},
        ],
        "cancer": [{"status": "remission"}, {"status": "under_treatment"}],
    }
    assert rules.comorbidity_count(facts) == 3
    assert rules.comorbidity_count(None) == 0


def test_a_discharge_decides_the_ending_and_without_one_the_last_contact_does() -> None:
    common: dict[str, Any] = {
        "last_contact_on": EVALUATED,
        "booked_ahead": False,
        "dropout_days": 30,
    }
    today = EVALUATED + dt.timedelta(days=31)
    assert rules.ending(discharge_reason="goals_met", today=today, **common) == rows.GOALS_MET
    assert rules.ending(discharge_reason="patient_choice", today=today, **common) == (
        rows.DROPPED_OUT
    )
    assert rules.ending(discharge_reason=None, today=today, **common) == rows.DROPPED_OUT
    assert (
        rules.ending(discharge_reason=None, today=today - dt.timedelta(days=1), **common)
        == rows.ONGOING
    )
    booked: dict[str, Any] = {**common, "booked_ahead": True}
    assert rules.ending(discharge_reason=None, today=today, **booked) == rows.ONGOING


def test_visits_to_meaningful_change_count_the_visits_up_to_the_first_score_past_mcid_and_mdc() -> (
    None
):
    day = EVALUATED
    scores = [(day, 40.0), (day + dt.timedelta(days=7), 34.0), (day + dt.timedelta(days=14), 28.0)]
    visits = [day + dt.timedelta(days=d) for d in (2, 5, 9, 12, 16)]
    change: dict[str, Any] = {"higher_is_better": False, "mcid": 10.0, "mdc": 10.0}
    assert rules.visits_to_meaningful_change(scores, visits, **change) == 4
    assert rules.visits_to_meaningful_change(scores[:2], visits, **change) is None
    assert (
        rules.visits_to_meaningful_change(
            scores, visits, higher_is_better=False, mcid=None, mdc=None
        )
        is None
    )
