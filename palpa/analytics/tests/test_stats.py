"""The outcome statistics: properties of each estimator, and recovery of planted effects on a
synthetic organization whose truth is known (docs/outcome-analytics.md). No database."""

from __future__ import annotations

import itertools
import subprocess
import sys
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palpa.analytics import stats
from palpa.analytics.rows import EpisodeRow
from palpa.analytics.synthetic import NULL_EFFECTS, Organization, generate

FAST = settings(derandomize=True, max_examples=60, deadline=None)


@cache
def planted() -> list[EpisodeRow]:
    return generate(Organization(episodes=5000), seed=7)


@cache
def planted_models() -> tuple[stats.CaseMixModel, stats.CaseMixModel]:
    rows = planted()
    return stats.fit_case_mix_model(rows, "responder"), stats.fit_case_mix_model(rows, "change")


@FAST
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_lies_in_zero_one_and_contains_the_observed_rate(
    case: tuple[int, int],
) -> None:
    successes, n = case
    interval = stats.wilson_interval(successes, n)
    assert 0.0 <= interval.low <= interval.estimate <= interval.high <= 1.0
    assert interval.estimate == successes / n


def test_wilson_interval_refuses_no_episodes() -> None:
    with pytest.raises(ValueError, match="n:"):
        stats.wilson_interval(0, 0)


@FAST
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40))
def test_benjamini_hochberg_is_monotone_in_the_p_values(pvalues: list[float]) -> None:
    result = stats.benjamini_hochberg(pvalues, q=0.1)
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted = [result.adjusted[i] for i in order]
    assert adjusted == sorted(adjusted)
    flagged = [result.discoveries[i] for i in order]
    # Discoveries are the smallest p-values: no discovery after a non-discovery in p order,
    # apart from ties.
    for i, j in itertools.pairwise(order):
        if result.discoveries[j] and pvalues[i] < pvalues[j]:
            assert result.discoveries[i]
    assert len(flagged) == len(pvalues)


def test_benjamini_hochberg_finds_a_strong_signal_among_noise() -> None:
    result = stats.benjamini_hochberg([0.0001, 0.4, 0.6, 0.9], q=0.05)
    assert result.discoveries == (True, False, False, False)


@FAST
@given(
    st.lists(
        st.tuples(st.integers(1, 20), st.booleans()),
        min_size=1,
        max_size=60,
    )
)
def test_kaplan_meier_is_non_increasing_within_zero_one(episodes: list[tuple[int, bool]]) -> None:
    curve = stats.kaplan_meier([float(d) for d, _ in episodes], [o for _, o in episodes])
    assert curve.survival[0] == 1.0
    assert all(0.0 <= s <= 1.0 for s in curve.survival)
    assert all(a >= b for a, b in zip(curve.survival, curve.survival[1:], strict=False))
    assert all(
        lo <= s <= hi for lo, s, hi in zip(curve.low, curve.survival, curve.high, strict=True)
    )
    assert curve.events + curve.censored == len(episodes)


def test_median_interval_is_the_same_for_the_same_seed_and_contains_the_median() -> None:
    values = [float(v % 13) for v in range(200)]
    first = stats.median_interval(values, seed=3, resamples=499)
    again = stats.median_interval(values, seed=3, resamples=499)
    assert first == again
    assert first.low <= first.estimate <= first.high


def test_small_cells_are_suppressed_without_figures() -> None:
    rows = planted()
    table = stats.responder_table(rows[:300], by=("therapist", "technique_mix"), min_cell=10)
    small = [c for c in table if c.n < 10]
    assert small
    assert all(c.suppressed and c.rate is None and c.responders is None for c in small)
    assert all(not c.suppressed and c.rate is not None for c in table if c.n >= 10)


def test_the_planted_technique_mix_has_a_responder_rate_whose_interval_excludes_the_others() -> (
    None
):
    neck = [r for r in planted() if r.condition_group == "neck-pain"]
    table = stats.responder_table(neck, by=("technique_mix",), resamples=499)
    rates = {c.key[0]: c.rate for c in table}
    best = rates.pop("myofascial_release")
    assert best is not None
    assert all(other is not None and best.low > other.high for other in rates.values())


def test_the_planted_therapist_is_outside_the_funnel_after_risk_adjustment() -> None:
    responder_model, change_model = planted_models()
    points = stats.observed_minus_expected(
        planted(), responder_model, by="therapist", change_model=change_model
    )
    outside = {p.group for p in points if p.outside_998}
    assert "T01-01" in outside
    planted_point = next(p for p in points if p.group == "T01-01")
    assert planted_point.o_minus_e < 0
    assert planted_point.change_o_minus_e is not None
    assert planted_point.change_o_minus_e < 0
    flagged = stats.benjamini_hochberg([p.p_value for p in points], q=0.05)
    assert flagged.discoveries[[p.group for p in points].index("T01-01")]


def test_the_age_effect_shows_in_the_model() -> None:
    _, change_model = planted_models()
    older = [change_model.coefficient(f"age_band[{band}]") for band in ("60-69", "70-79", "80-89")]
    assert all(c.high < 0 for c in older)
    assert older[0].estimate > older[1].estimate > older[2].estimate


def test_expected_result_rests_on_the_prior_alone_without_a_model() -> None:
    mix = stats.case_mix_of(planted()[0])
    assert mix is not None
    result = stats.expected_result(mix, None)
    assert result.weight_of_clinic == 0.0
    assert result.expected_change == pytest.approx(stats.POLICY.prior_mean_mcid * mix.mcid)
    assert result.episodes_in_model == 0


def test_expected_result_leans_on_the_clinic_with_many_episodes_and_on_the_prior_with_few() -> None:
    rows = planted()
    _, big = planted_models()
    small = stats.fit_case_mix_model(rows[:30], "change", min_episodes=25)
    mix = stats.case_mix_of(rows[0])
    assert mix is not None
    many, few = stats.expected_result(mix, big), stats.expected_result(mix, small)
    assert many.weight_of_clinic > 0.9 > few.weight_of_clinic
    assert many.similar_episodes > few.similar_episodes
    low, high = many.interval
    assert low <= many.expected_change <= high


def test_a_far_target_is_flagged_very_unlikely_and_a_modest_one_trivially_likely() -> None:
    _, model = planted_models()
    row = next(r for r in planted() if r.measure == "NDI" and r.intake_score)
    mix = stats.case_mix_of(row)
    assert mix is not None
    far = stats.expected_result(mix, model, target_score=mix.intake_score - 4 * mix.mcid)
    near = stats.expected_result(mix, model, target_score=mix.intake_score + 3 * mix.mcid)
    assert far.flag == "very-unlikely"
    assert near.flag == "trivially-likely"
    assert 0.0 <= far.probability_mcid <= 1.0


def test_too_few_episodes_are_refused_for_a_model() -> None:
    with pytest.raises(stats.NotEnoughEpisodes):
        stats.fit_case_mix_model(planted()[:10], "responder")


def test_on_a_null_organization_no_more_than_the_stated_share_is_flagged() -> None:
    q = 0.05
    shares: list[float] = []
    for seed in range(6):
        rows = generate(Organization(episodes=3000, effects=NULL_EFFECTS), seed=100 + seed)
        model = stats.fit_case_mix_model(rows, "responder")
        points = stats.observed_minus_expected(rows, model, by="therapist")
        funnel = stats.benjamini_hochberg([p.p_value for p in points], q=q)
        table = stats.responder_table(rows, by=("location", "technique_mix"), resamples=99, q=q)
        cells = [c.different for c in table if c.different is not None]
        flagged = sum(funnel.discoveries) + sum(1 for d in cells if d)
        shares.append(flagged / (len(points) + len(cells)))
    assert sum(shares) / len(shares) <= q


def test_the_synthetic_organization_is_the_same_for_the_same_seed() -> None:
    small = Organization(episodes=200)
    assert generate(small, seed=5) == generate(small, seed=5)
    assert generate(small, seed=5) != generate(small, seed=6)


def test_importing_the_statistics_loads_no_numerical_library() -> None:
    # Web workers import palpa.analytics; numpy, scipy and statsmodels load only when the
    # worker calls a function that needs them.
    code = (
        "import sys, palpa.analytics.stats, palpa.analytics.synthetic; "
        "print(sorted({'numpy', 'scipy', 'statsmodels', 'pandas'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
