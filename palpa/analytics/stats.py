"""Outcome statistics on ``EpisodeRow`` values: pure functions, no database, no I/O.

docs/outcome-analytics.md explains each method and its source. Every estimator is a kept
library's (statsmodels, scipy); this module only prepares the numbers and names the results.

numpy, scipy and statsmodels are imported inside the functions that use them, never at
module import: the web workers import ``palpa.analytics`` (models, queries, pages reading a
snapshot) and must not carry these libraries (~100 MB) in memory. Only the background worker
that fits and aggregates calls these functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from palpa.analytics.rows import DROPPED_OUT, EpisodeRow

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    FloatArray = NDArray[np.float64]


# ---------------------------------------------------------------------------------------------
# Palpa's assumptions for the expected result (docs/outcome-analytics.md, "The prior").
# These are Palpa's own choices, not clinical facts: no published prior for massage outcomes
# was verified. Change is measured in units of the instrument's MCID, so one prior serves every
# instrument whose MCID is known.


@dataclass(frozen=True)
class ExpectationPolicy:
    # Prior for the mean change of episodes like this one, in MCID units. Weakly informative:
    # centred on one MCID (the smallest change patients call important, by the MCID's own
    # definition) with a standard deviation of 1.5 MCID, so that anything from "slightly worse"
    # to "about four MCIDs better" is plausible before the clinic's own data speak.
    prior_mean_mcid: float = 1.0
    prior_sd_mcid: float = 1.5
    # Spread of one patient's change around the mean when no model could be fitted, in MCID
    # units (Palpa assumption; a fitted model replaces it with its own residual spread).
    prior_residual_sd_mcid: float = 1.0
    # A target whose probability of being reached is below this is "very unlikely", above the
    # other "trivially likely". Flags inform the therapist before signing; they never block.
    very_unlikely_below: float = 0.1
    trivially_likely_above: float = 0.9
    # The fitted model is used only from this many measured episodes on; fewer: prior only.
    min_episodes_to_fit: int = 30
    # "Similar" episodes: same measure, same condition group, intake within this many MCIDs.
    similar_intake_within_mcid: float = 1.0
    # Level of the interval around the expected mean change and of one patient's range.
    level: float = 0.95


POLICY = ExpectationPolicy()

Flag = Literal["very-unlikely", "trivially-likely"]


# ---------------------------------------------------------------------------------------------
# Intervals


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    level: float


def wilson_interval(successes: int, n: int, level: float = 0.95) -> Interval:
    """The Wilson score interval for a proportion (Wilson 1927), via statsmodels."""
    from statsmodels.stats.proportion import proportion_confint  # worker-only (module doc)

    if n <= 0:
        raise ValueError("n: the interval needs at least one episode.")
    if not 0 <= successes <= n:
        raise ValueError("successes: must be between 0 and n.")
    low, high = proportion_confint(successes, n, alpha=1 - level, method="wilson")
    phat = successes / n
    return Interval(phat, max(0.0, min(float(low), phat)), min(1.0, max(float(high), phat)), level)


def median_interval(
    values: Sequence[float], *, seed: int, level: float = 0.95, resamples: int = 1999
) -> Interval:
    """The median with a percentile bootstrap interval (scipy.stats.bootstrap), the same for
    the same seed. The percentile method is used because BCa misbehaves on the many ties of
    scored instruments."""
    import numpy as np  # worker-only (module doc)
    from scipy.stats import bootstrap  # worker-only (module doc)

    if not values:
        raise ValueError("values: the median needs at least one value.")
    data = np.asarray(values, dtype=np.float64)
    median = float(np.median(data))
    if data.size == 1 or bool(np.all(data == data[0])):
        return Interval(median, median, median, level)
    result = bootstrap(
        (data,),
        np.median,
        n_resamples=resamples,
        confidence_level=level,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    ci = result.confidence_interval
    return Interval(median, min(float(ci.low), median), max(float(ci.high), median), level)


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier: visits to first meaningful change


@dataclass(frozen=True)
class SurvivalCurve:
    """A right-continuous step curve: ``survival[i]`` holds from ``times[i]`` on. "Survival"
    is the share still *without* a meaningful change; 1 - survival is the share reached."""

    times: tuple[float, ...]
    survival: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    at_risk: tuple[int, ...]
    events: int
    censored: int
    level: float

    def reached(self) -> tuple[float, ...]:
        return tuple(1.0 - s for s in self.survival)


def kaplan_meier(
    durations: Sequence[float], observed: Sequence[bool], level: float = 0.95
) -> SurvivalCurve:
    """Kaplan & Meier (1958) via statsmodels ``SurvfuncRight``, with a pointwise interval on
    the log(-log) scale from Greenwood's standard error (kept within [0, 1])."""
    import numpy as np  # worker-only (module doc)
    from scipy.stats import norm  # worker-only (module doc)
    from statsmodels.duration.survfunc import SurvfuncRight  # worker-only (module doc)

    if len(durations) != len(observed):
        raise ValueError("observed: needs one entry per duration.")
    if not durations:
        raise ValueError("durations: the curve needs at least one episode.")
    time = np.asarray(durations, dtype=np.float64)
    status = np.asarray(observed, dtype=np.float64)
    events = int(status.sum())
    times: list[float] = [0.0]
    survival: list[float] = [1.0]
    low: list[float] = [1.0]
    high: list[float] = [1.0]
    at_risk: list[int] = [len(durations)]
    if events:
        fit = SurvfuncRight(time, status)
        z = float(norm.ppf(0.5 + level / 2))
        for t, s, se, r in zip(
            fit.surv_times, fit.surv_prob, fit.surv_prob_se, fit.n_risk, strict=True
        ):
            s = float(min(1.0, max(0.0, s)))
            if 0.0 < s < 1.0 and se > 0:
                log_s = math.log(s)
                spread = z * float(se) / (s * abs(log_s))
                lo, hi = s ** math.exp(spread), s ** math.exp(-spread)
            else:
                lo, hi = s, s
            times.append(float(t))
            survival.append(s)
            low.append(max(0.0, min(lo, s)))
            high.append(min(1.0, max(hi, s)))
            at_risk.append(int(r))
    return SurvivalCurve(
        tuple(times),
        tuple(survival),
        tuple(low),
        tuple(high),
        tuple(at_risk),
        events,
        len(durations) - events,
        level,
    )


def visits_to_meaningful_change(rows: Iterable[EpisodeRow], level: float = 0.95) -> SurvivalCurve:
    """The curve of visits until the improvement first reached MCID and MDC. Episodes that
    never did are censored at their last visit (discharge without it, drop-out, ongoing)."""
    durations: list[float] = []
    observed: list[bool] = []
    for row in rows:
        if row.mcid is None:
            continue
        if row.visits_to_meaningful_change is not None:
            durations.append(float(row.visits_to_meaningful_change))
            observed.append(True)
        else:
            durations.append(float(row.visits))
            observed.append(False)
    return kaplan_meier(durations, observed, level)


# ---------------------------------------------------------------------------------------------
# Multiple comparisons


@dataclass(frozen=True)
class Discoveries:
    discoveries: tuple[bool, ...]
    adjusted: tuple[float, ...]  # BH-adjusted p-values (q-values)
    q: float


def benjamini_hochberg(pvalues: Sequence[float], q: float = 0.05) -> Discoveries:
    """Which p-values are discoveries at false discovery rate q (Benjamini & Hochberg 1995),
    via statsmodels ``multipletests(method="fdr_bh")``."""
    from statsmodels.stats.multitest import multipletests  # worker-only (module doc)

    if not 0 < q < 1:
        raise ValueError("q: the false discovery rate must be between 0 and 1.")
    if any(not 0 <= p <= 1 or math.isnan(p) for p in pvalues):
        raise ValueError("pvalues: each must be between 0 and 1.")
    if not pvalues:
        return Discoveries((), (), q)
    reject, adjusted, _, _ = multipletests(list(pvalues), alpha=q, method="fdr_bh")
    return Discoveries(
        tuple(bool(r) for r in reject), tuple(min(1.0, float(a)) for a in adjusted), q
    )


# ---------------------------------------------------------------------------------------------
# Risk adjustment: a case-mix model

# The case mix (issue 15, after FOTO's risk-adjustment factors as in Gozalo et al. 2016).
CATEGORICAL = ("measure", "condition_group", "age_band", "sex", "chronicity", "payer_type")
NUMERIC = ("intake_mcid", "comorbidity_count", "planned_visits")


@dataclass(frozen=True)
class CaseMix:
    """What is known of an episode at its evaluation."""

    measure: str
    condition_group: str
    age_band: str
    sex: str
    chronicity: str
    payer_type: str
    intake_score: float
    mcid: float
    mdc: float | None
    higher_is_better: bool
    comorbidity_count: int
    planned_visits: int

    @property
    def intake_mcid(self) -> float:
        """Intake severity in MCID units, so that instruments share one model."""
        return self.intake_score / self.mcid

    def value(self, name: str) -> str | float:
        if name == "intake_mcid":
            return self.intake_mcid
        value: str | float = getattr(self, name)
        return value


def case_mix_of(row: EpisodeRow) -> CaseMix | None:
    """The row's case mix; None when the intake score or the MCID is missing. Planned visits
    default to the visits given when no plan recorded them."""
    if row.intake_score is None or row.mcid is None or row.mcid <= 0:
        return None
    return CaseMix(
        measure=row.measure,
        condition_group=row.condition_group,
        age_band=row.age_band,
        sex=row.sex,
        chronicity=row.chronicity,
        payer_type=row.payer_type,
        intake_score=row.intake_score,
        mcid=row.mcid,
        mdc=row.mdc,
        higher_is_better=row.higher_is_better,
        comorbidity_count=row.comorbidity_count,
        planned_visits=row.planned_visits if row.planned_visits is not None else row.visits,
    )


@dataclass(frozen=True)
class Coefficient:
    name: str  # "age_band[70-79]" (against the reference level) or a numeric input's name
    estimate: float
    low: float
    high: float
    p_value: float


Outcome = Literal["responder", "change"]


@dataclass(frozen=True)
class CaseMixModel:
    """A fitted GLM: binomial (logit) for ``responder``, gaussian for ``change`` (improvement
    in MCID units). Unknown levels at prediction count as the reference level."""

    outcome: Outcome
    levels: Mapping[str, tuple[str, ...]]  # per categorical input; the first is the reference
    columns: tuple[str, ...]
    keep: tuple[bool, ...]  # which of the full design's columns the model uses
    params: FloatArray
    cov: FloatArray
    scale: float  # residual variance (gaussian), 1 for binomial
    n: int
    coefficients: tuple[Coefficient, ...]
    # For counting similar episodes: (measure, condition group, intake in MCID units).
    seen: tuple[tuple[str, str, float], ...]

    def coefficient(self, name: str) -> Coefficient:
        for c in self.coefficients:
            if c.name == name:
                return c
        raise KeyError(name)

    def design(self, mixes: Sequence[CaseMix]) -> FloatArray:
        return _design(mixes, self.levels)[:, list(self.keep)]

    def linear_predictor(self, mixes: Sequence[CaseMix]) -> tuple[FloatArray, FloatArray]:
        """The linear predictor and its standard error for each case mix."""
        import numpy as np  # worker-only (module doc)

        x = self.design(mixes)
        eta = x @ self.params
        se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", x, self.cov, x), 0.0))
        return eta, se

    def expected(self, mixes: Sequence[CaseMix]) -> FloatArray:
        """Expected responder probability, or expected change in MCID units."""
        import numpy as np  # worker-only (module doc)

        eta, _ = self.linear_predictor(mixes)
        if self.outcome == "responder":
            return 1.0 / (1.0 + np.exp(-eta))
        return eta

    def similar(self, mix: CaseMix, within_mcid: float) -> int:
        return sum(
            1
            for measure, group, intake in self.seen
            if measure == mix.measure
            and group == mix.condition_group
            and abs(intake - mix.intake_mcid) <= within_mcid
        )


class NotEnoughEpisodes(ValueError):
    pass


def _design(mixes: Sequence[CaseMix], levels: Mapping[str, tuple[str, ...]]) -> FloatArray:
    import numpy  # worker-only (module doc)

    columns: list[FloatArray] = [numpy.ones(len(mixes))]
    for name in CATEGORICAL:
        values = [str(m.value(name)) for m in mixes]
        for level in levels[name][1:]:
            columns.append(numpy.fromiter((v == level for v in values), float, len(values)))
    for name in NUMERIC:
        columns.append(numpy.fromiter((float(m.value(name)) for m in mixes), float, len(mixes)))
    return numpy.column_stack(columns)


def _column_names(levels: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    names = ["intercept"]
    for name in CATEGORICAL:
        names.extend(f"{name}[{level}]" for level in levels[name][1:])
    names.extend(NUMERIC)
    return tuple(names)


def _outcome(row: EpisodeRow, outcome: Outcome) -> float | None:
    if outcome == "responder":
        responder = row.responder
        return None if responder is None else float(responder)
    change = row.improvement
    return None if change is None or not row.mcid else change / row.mcid


def fit_case_mix_model(
    rows: Iterable[EpisodeRow], outcome: Outcome, *, min_episodes: int = POLICY.min_episodes_to_fit
) -> CaseMixModel:
    """Fit expected responder probability (binomial GLM, logit link) or expected change in
    MCID units (gaussian GLM) from the case mix of the measured episodes (statsmodels)."""
    import numpy as np  # worker-only (module doc)
    import statsmodels.api as sm  # worker-only (module doc)

    mixes: list[CaseMix] = []
    ys: list[float] = []
    for row in rows:
        mix = case_mix_of(row)
        y = _outcome(row, outcome)
        if mix is None or y is None:
            continue
        mixes.append(mix)
        ys.append(y)
    if len(mixes) < min_episodes:
        raise NotEnoughEpisodes(
            f"{outcome}: {len(mixes)} measured episodes, the model needs {min_episodes}."
        )
    # Levels in name order; the first is the reference (age bands: the youngest).
    levels = {name: tuple(sorted({str(m.value(name)) for m in mixes})) for name in CATEGORICAL}
    full = _design(mixes, levels)
    # Inputs that add nothing (a level nobody else has, a measure used by one condition group
    # only) are dropped: a zero on R's diagonal marks a column that earlier ones determine.
    r = np.linalg.qr(full, mode="r")
    diagonal = np.abs(np.diag(r))
    keep = diagonal > 1e-8 * max(1.0, float(diagonal.max()))
    x = full[:, keep]
    endog = np.asarray(ys, dtype=np.float64)
    family = sm.families.Binomial() if outcome == "responder" else sm.families.Gaussian()
    result = sm.GLM(endog, x, family=family).fit()
    params = np.asarray(result.params, dtype=np.float64)
    cov = np.asarray(result.cov_params(), dtype=np.float64)
    bse = np.asarray(result.bse, dtype=np.float64)
    pvalues = np.asarray(result.pvalues, dtype=np.float64)
    names = tuple(n for n, k in zip(_column_names(levels), keep, strict=True) if k)
    coefficients = tuple(
        Coefficient(
            name,
            float(params[i]),
            float(params[i] - 1.959963984540054 * bse[i]),
            float(params[i] + 1.959963984540054 * bse[i]),
            float(pvalues[i]),
        )
        for i, name in enumerate(names)
    )
    return CaseMixModel(
        outcome=outcome,
        levels=levels,
        columns=names,
        keep=tuple(bool(k) for k in keep),
        params=params,
        cov=cov,
        scale=float(result.scale),
        n=len(mixes),
        coefficients=coefficients,
        seen=tuple((m.measure, m.condition_group, m.intake_mcid) for m in mixes),
    )


# ---------------------------------------------------------------------------------------------
# Observed minus expected, and the funnel plot


@dataclass(frozen=True)
class FunnelPoint:
    group: str
    n: int  # measured episodes
    observed: int  # responders
    expected: float  # sum of the expected probabilities
    observed_rate: float
    expected_rate: float
    # Binomial control limits around the expected rate for this n (Spiegelhalter 2005).
    limits_95: tuple[float, float]
    limits_998: tuple[float, float]
    p_value: float  # two-sided exact binomial test of observed against expected
    # Change in MCID units: observed mean minus expected mean, with its standard error
    # (None without a change model).
    change_o_minus_e: float | None = None
    change_se: float | None = None

    @property
    def o_minus_e(self) -> float:
        """Observed minus expected responder rate."""
        return self.observed_rate - self.expected_rate

    @property
    def outside_95(self) -> bool:
        return not self.limits_95[0] <= self.observed_rate <= self.limits_95[1]

    @property
    def outside_998(self) -> bool:
        return not self.limits_998[0] <= self.observed_rate <= self.limits_998[1]


def funnel_limits(expected_rate: float, n: int, level: float) -> tuple[float, float]:
    """Control limits for a proportion on n episodes around the expected rate: the binomial
    quantiles at (1 - level) / 2 and (1 + level) / 2, divided by n."""
    from scipy.stats import binom  # worker-only (module doc)

    if n <= 0:
        raise ValueError("n: limits need at least one episode.")
    p = min(1.0, max(0.0, expected_rate))
    alpha = (1 - level) / 2
    return float(binom.ppf(alpha, n, p)) / n, float(binom.ppf(1 - alpha, n, p)) / n


def observed_minus_expected(
    rows: Iterable[EpisodeRow],
    responder_model: CaseMixModel,
    *,
    by: str | Callable[[EpisodeRow], str] = "therapist",
    change_model: CaseMixModel | None = None,
) -> list[FunnelPoint]:
    """Per group (therapist, location, ...): responders observed and expected from the
    case mix, funnel limits at 95 % and 99.8 %, and a p-value for Benjamini-Hochberg."""
    import numpy as np  # worker-only (module doc)
    from scipy.stats import binomtest  # worker-only (module doc)

    if responder_model.outcome != "responder":
        raise ValueError("responder_model: must be fitted for the responder outcome.")
    key = by if callable(by) else _attribute(by)
    groups: dict[str, list[tuple[CaseMix, bool, float | None]]] = {}
    for row in rows:
        mix = case_mix_of(row)
        responder = row.responder
        if mix is None or responder is None:
            continue
        change = _outcome(row, "change")
        groups.setdefault(str(key(row)), []).append((mix, responder, change))
    points: list[FunnelPoint] = []
    for group in sorted(groups):
        members = groups[group]
        mixes = [m for m, _, _ in members]
        expected_p = responder_model.expected(mixes)
        n = len(members)
        observed = sum(1 for _, r, _ in members if r)
        expected = float(expected_p.sum())
        expected_rate = expected / n
        p_value = float(binomtest(observed, n, min(1.0, max(0.0, expected_rate))).pvalue)
        change_oe: float | None = None
        change_se: float | None = None
        if change_model is not None:
            changes = np.asarray([c for _, _, c in members if c is not None])
            if changes.size:
                predicted = change_model.expected([m for m, _, c in members if c is not None])
                change_oe = float(changes.mean() - predicted.mean())
                change_se = math.sqrt(change_model.scale / changes.size)
        points.append(
            FunnelPoint(
                group=group,
                n=n,
                observed=observed,
                expected=expected,
                observed_rate=observed / n,
                expected_rate=expected_rate,
                limits_95=funnel_limits(expected_rate, n, 0.95),
                limits_998=funnel_limits(expected_rate, n, 0.998),
                p_value=min(1.0, p_value),
                change_o_minus_e=change_oe,
                change_se=change_se,
            )
        )
    return points


# ---------------------------------------------------------------------------------------------
# The expected result at evaluation


@dataclass(frozen=True)
class ExpectedResult:
    measure: str
    expected_change: float  # in the measure's units, positive = improvement
    interval: tuple[float, float]  # of the expected (mean) change, in the measure's units
    patient_range: tuple[float, float]  # where one patient's change is expected to fall
    probability_mcid: float  # of a change at least the MCID and the MDC
    probability_target: float | None
    flag: Flag | None
    similar_episodes: int
    episodes_in_model: int
    weight_of_clinic: float  # 0 = prior only, 1 = the clinic's model only
    level: float
    prior_mean: float  # in the measure's units
    prior_sd: float


def expected_result(
    mix: CaseMix,
    model: CaseMixModel | None,
    *,
    target_score: float | None = None,
    policy: ExpectationPolicy = POLICY,
) -> ExpectedResult:
    """The change to expect on this measure after the planned visits, shrunk towards the
    prior by precision weighting (normal-normal empirical Bayes): the clinic's model
    estimate m with standard error s and the prior (mu, tau) give
    (m / s^2 + mu / tau^2) / (1 / s^2 + 1 / tau^2), with variance 1 / (1 / s^2 + 1 / tau^2).
    One patient's change is that plus the model's residual spread (normal); the probability
    of reaching the MCID (and MDC) or the target is read from it."""
    from scipy.stats import norm  # worker-only (module doc)

    if model is not None and model.outcome != "change":
        raise ValueError("model: must be fitted for the change outcome.")
    mu, tau = policy.prior_mean_mcid, policy.prior_sd_mcid
    if model is None:
        mean, var = mu, tau**2
        residual_sd = policy.prior_residual_sd_mcid
        weight, n, similar = 0.0, 0, 0
    else:
        eta, se = model.linear_predictor([mix])
        m, s2 = float(eta[0]), max(float(se[0]) ** 2, 1e-12)
        precision = 1 / s2 + 1 / tau**2
        mean = (m / s2 + mu / tau**2) / precision
        var = 1 / precision
        weight = (1 / s2) / precision
        residual_sd = math.sqrt(model.scale)
        n = model.n
        similar = model.similar(mix, policy.similar_intake_within_mcid)
    z = float(norm.ppf(0.5 + policy.level / 2))
    sd_mean = math.sqrt(var)
    sd_patient = math.sqrt(var + residual_sd**2)
    meaningful = max(1.0, (mix.mdc or 0.0) / mix.mcid)
    p_mcid = float(norm.sf(meaningful, loc=mean, scale=sd_patient))
    p_target: float | None = None
    flag: Flag | None = None
    if target_score is not None:
        wanted = target_score - mix.intake_score
        wanted_mcid = (wanted if mix.higher_is_better else -wanted) / mix.mcid
        p_target = float(norm.sf(wanted_mcid, loc=mean, scale=sd_patient))
        if p_target < policy.very_unlikely_below:
            flag = "very-unlikely"
        elif p_target > policy.trivially_likely_above:
            flag = "trivially-likely"
    u = mix.mcid
    return ExpectedResult(
        measure=mix.measure,
        expected_change=mean * u,
        interval=((mean - z * sd_mean) * u, (mean + z * sd_mean) * u),
        patient_range=((mean - z * sd_patient) * u, (mean + z * sd_patient) * u),
        probability_mcid=p_mcid,
        probability_target=p_target,
        flag=flag,
        similar_episodes=similar,
        episodes_in_model=n,
        weight_of_clinic=weight,
        level=policy.level,
        prior_mean=mu * u,
        prior_sd=tau * u,
    )


# ---------------------------------------------------------------------------------------------
# Responder table


@dataclass(frozen=True)
class Cell:
    key: tuple[Hashable, ...]
    n: int  # episodes in the cell
    suppressed: bool  # fewer than min_cell episodes: no figures are given
    measured: int | None = None  # episodes with a responder status
    responders: int | None = None
    rate: Interval | None = None  # Wilson
    median_improvement_mcid: Interval | None = None  # bootstrap, change in MCID units
    dropout_rate: float | None = None
    p_value: float | None = None  # this cell's rate against all other episodes' (binomial)
    q_value: float | None = None  # BH-adjusted over the shown cells
    different: bool | None = None  # a BH discovery at the table's FDR


def _attribute(name: str) -> Callable[[EpisodeRow], Hashable]:
    if name == "year":
        return lambda row: row.start.year
    if name not in EpisodeRow.__dataclass_fields__:
        raise ValueError(f"by: {name!r} is not an episode field.")
    return lambda row: getattr(row, name)


def responder_table(
    rows: Iterable[EpisodeRow],
    by: Sequence[str] = ("condition_group", "technique_mix"),
    *,
    min_cell: int = 10,
    seed: int = 0,
    level: float = 0.95,
    q: float = 0.05,
    resamples: int = 1999,
) -> list[Cell]:
    """Per cell of ``by`` (episode fields, or "year"): episodes, responders, responder rate
    with a Wilson interval, median improvement (MCID units) with a bootstrap interval,
    drop-out rate, and whether the cell's rate differs from the rest at FDR q. Cells with
    fewer than ``min_cell`` episodes are returned suppressed, without figures."""
    from scipy.stats import binomtest  # worker-only (module doc)

    keys = [_attribute(name) for name in by]
    cells: dict[tuple[Hashable, ...], list[EpisodeRow]] = {}
    for row in rows:
        cells.setdefault(tuple(k(row) for k in keys), []).append(row)
    total_measured = 0
    total_responders = 0
    for members in cells.values():
        for row in members:
            if row.responder is not None:
                total_measured += 1
                total_responders += int(row.responder)
    shown: list[Cell] = []
    out: list[Cell] = []
    for index, key in enumerate(sorted(cells, key=lambda k: tuple(str(v) for v in k))):
        members = cells[key]
        if len(members) < min_cell:
            out.append(Cell(key=key, n=len(members), suppressed=True))
            continue
        statuses = [r.responder for r in members if r.responder is not None]
        measured = len(statuses)
        responders = sum(1 for s in statuses if s)
        changes = [c / r.mcid for r in members if (c := r.improvement) is not None and r.mcid]
        rest_n = total_measured - measured
        p_value: float | None = None
        if measured and rest_n:
            rest_rate = (total_responders - responders) / rest_n
            p_value = float(binomtest(responders, measured, min(1.0, max(0.0, rest_rate))).pvalue)
        cell = Cell(
            key=key,
            n=len(members),
            suppressed=False,
            measured=measured,
            responders=responders,
            rate=wilson_interval(responders, measured, level) if measured else None,
            median_improvement_mcid=(
                median_interval(changes, seed=seed + index, level=level, resamples=resamples)
                if changes
                else None
            ),
            dropout_rate=sum(1 for r in members if r.ending == DROPPED_OUT) / len(members),
            p_value=p_value,
        )
        shown.append(cell)
        out.append(cell)
    tested = [c for c in shown if c.p_value is not None]
    bh = benjamini_hochberg([c.p_value for c in tested if c.p_value is not None], q)
    verdict = {
        id(c): (adj, disc) for c, adj, disc in zip(tested, bh.adjusted, bh.discoveries, strict=True)
    }
    return [
        replace(c, q_value=verdict[id(c)][0], different=verdict[id(c)][1])
        if id(c) in verdict
        else c
        for c in out
    ]
