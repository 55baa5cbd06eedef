"""The expected result when a therapist sets a goal: the worker's snapshot (kind
"expected"), the web side's arithmetic on it (no numerical library), shrinkage towards the
prior, and the flags (docs/outcome-analytics.md, "The expected result when setting a goal")."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from typing import Any

import pytest

from palpa.analytics import expected, stats
from palpa.analytics.tests.expected_support import synthetic_rows

pytestmark = pytest.mark.filterwarnings("ignore")


def _neck(intake: float = 28.0, **changes: object) -> stats.CaseMix:
    """A neck pain case mix on the NDI (MCID and MDC from the instrument library)."""
    mix = stats.CaseMix(
        measure="NDI",
        condition_group="neck-pain",
        age_band="18-29",
        sex="female",
        chronicity="chronic",
        payer_type="self-pay",
        intake_score=intake,
        mcid=9.5,
        mdc=5.0,
        higher_is_better=False,
        comorbidity_count=0,
        planned_visits=8,
    )
    return replace(mix, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def snapshot() -> dict[str, Any]:
    return expected.build(None, synthetic_rows(4000, seed=11))  # type: ignore[arg-type]


def _planted_truth_mcid(intake: float) -> float:
    """The synthetic outcome model's mean change for ``_neck(intake)`` (synthetic.py's
    docstring): intake severity in % of the NDI's range, chronic, no comorbidity, 8 planned
    visits, the youngest band; the planted technique mix (1 in 4 mixes, +0.8) and therapist
    (1 in 20, -0.8) averaged in."""
    severity = intake / 50 * 100
    return 1.0 - 0.04 * (severity - 55) / 10 - 0.2 + 0.8 / 4 - 0.8 / 20


def test_the_snapshot_holds_a_change_model_per_primary_measure(snapshot: dict[str, Any]) -> None:
    ndi = snapshot["measures"]["NDI"]
    assert ndi["model"]["n"] == ndi["measured"] > 900
    assert len(ndi["model"]["params"]) == sum(ndi["model"]["keep"])
    assert snapshot["policy"]["prior_mean_mcid"] == stats.POLICY.prior_mean_mcid
    assert set(snapshot["measures"]) == {"LEFS", "NDI", "NPRS", "ODI", "QUICKDASH"}


@pytest.mark.parametrize("intake", [16.0, 28.0, 40.0])
def test_the_expected_change_lies_within_a_plausible_interval_of_the_planted_truth(
    snapshot: dict[str, Any], intake: float
) -> None:
    result = expected.expected_result(_neck(intake), snapshot["measures"]["NDI"])
    truth = _planted_truth_mcid(intake) * 9.5
    # Drop-outs' partial change pulls the fitted mean down a little (informative drop-out is
    # planted): the truth lies within the 95 % interval widened by 0.2 MCID at most.
    low, high = result.interval
    assert low - 0.2 * 9.5 <= truth <= high + 0.2 * 9.5
    assert abs(result.expected_change - truth) < 0.35 * 9.5
    assert result.similar_episodes > 50


def test_the_web_arithmetic_gives_what_the_statistics_module_gives(
    snapshot: dict[str, Any],
) -> None:
    rows = [r for r in synthetic_rows(4000, seed=11) if r.measure == "NDI"]
    model = stats.fit_case_mix_model(rows, "change")
    for mix, target in [(_neck(), 20.0), (_neck(35.0, age_band="80-89", sex="male"), 10.0)]:
        web = expected.expected_result(mix, snapshot["measures"]["NDI"], target_score=target)
        worker = stats.expected_result(mix, model, target_score=target)
        assert web.similar_episodes == worker.similar_episodes
        for field in ("expected_change", "probability_mcid", "probability_target"):
            assert getattr(web, field) == pytest.approx(getattr(worker, field), abs=1e-9)
        assert web.interval == pytest.approx(worker.interval, abs=1e-9)
        assert web.patient_range == pytest.approx(worker.patient_range, abs=1e-9)


def test_with_few_episodes_the_result_is_shrunk_towards_the_prior(snapshot: dict[str, Any]) -> None:
    few_rows = [r for r in synthetic_rows(400, seed=3) if r.measure == "NDI"][:40]
    few = expected.build(None, few_rows)["measures"]["NDI"]  # type: ignore[arg-type]
    assert few["model"]["n"] == few["measured"] <= 40
    mix = _neck()
    many = expected.expected_result(mix, snapshot["measures"]["NDI"])
    shrunk = expected.expected_result(mix, few)
    assert shrunk.weight_of_clinic < many.weight_of_clinic
    m, _ = expected.linear_predictor(mix, few["model"])
    prior = stats.POLICY.prior_mean_mcid * 9.5
    # The estimate lies between the clinic's own and the prior, nearer the prior than the
    # clinic's estimate alone.
    assert min(m * 9.5, prior) <= shrunk.expected_change <= max(m * 9.5, prior)
    assert abs(shrunk.expected_change - prior) < abs(m * 9.5 - prior)


def test_under_the_minimum_there_is_no_model_and_the_prior_alone_is_used() -> None:
    rows = [r for r in synthetic_rows(200, seed=5) if r.measure == "NDI"][:12]
    entry = expected.build(None, rows)["measures"]["NDI"]  # type: ignore[arg-type]
    assert entry["model"] is None
    assert entry["episodes"] == 12
    result = expected.expected_result(_neck(), entry)
    assert result.weight_of_clinic == 0.0
    assert result.expected_change == pytest.approx(stats.POLICY.prior_mean_mcid * 9.5)
    assert result.episodes_in_model == 0
    nothing = expected.expected_result(_neck(), None)
    assert nothing.expected_change == result.expected_change
    assert nothing.similar_episodes == 0


def test_an_unrealistic_target_is_flagged_very_unlikely_and_a_modest_one_trivially_likely(
    snapshot: dict[str, Any],
) -> None:
    entry = snapshot["measures"]["NDI"]
    far = expected.expected_result(_neck(), entry, target_score=0.0)  # 28 points better
    near = expected.expected_result(_neck(), entry, target_score=40.0)  # 12 points worse
    fair = expected.expected_result(_neck(), entry, target_score=20.0)
    assert far.flag == "very-unlikely"
    assert far.probability_target is not None
    assert far.probability_target < 0.1
    assert near.flag == "trivially-likely"
    assert fair.flag is None


def test_importing_the_reader_loads_no_numerical_library() -> None:
    # The web worker reads the snapshot with the standard library only.
    code = (
        "import sys, django; django.setup(); import palpa.analytics.expected, "
        "palpa.care.expectations; "
        "print(sorted({'numpy', 'scipy', 'statsmodels', 'pandas'} & set(sys.modules)))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "palpa.settings", "PALPA_ENV": "test"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
