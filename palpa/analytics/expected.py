"""The expected result when a therapist sets a goal (issue 15, part 2).

Two halves, one for each kind of process (docs/outcome-analytics.md, "The expected result
when setting a goal"):

- ``build`` (worker only, snapshot kind ``expected``): per primary measure, the change
  model fitted on the organization's measured episodes of that measure
  (``stats.fit_case_mix_model``, gaussian GLM in MCID units): its levels, the columns kept,
  coefficients, covariance and residual variance, the number of episodes, and the intakes
  of the fitted episodes per condition group (to count similar episodes). Measures with too
  few measured episodes get no model, only their count.
- ``estimate`` (web side): the case mix of a plan's patient (from the records, by the same
  rules as the episode table), the snapshot's numbers, and arithmetic only: the linear
  predictor and its standard error, the shrinkage towards the prior and the normal
  probabilities (``statistics.NormalDist``) that ``stats.expected_result`` computes with
  scipy. Importing this module loads no numpy, scipy or statsmodels (a test checks it);
  ``build`` loads them through ``stats`` when the worker calls it.

Only the plan's own organization's snapshot is read (``snapshots.latest`` by the plan's
organization id).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from statistics import NormalDist
from typing import Any

from palpa.accounts.models import Organization
from palpa.analytics import episode_rules as rules
from palpa.analytics import snapshots, stats
from palpa.analytics.conditions import condition_groups
from palpa.analytics.rows import EpisodeRow
from palpa.care.expectations import GoalExpectation
from palpa.care.expectations import percent as _pct
from palpa.care.models import Plan

KIND = "expected"
VERSION = "1"


# ---------------------------------------------------------------------------------------------
# Worker side: the snapshot


def _model_data(model: stats.CaseMixModel) -> dict[str, Any]:
    return {
        "n": model.n,
        "levels": {name: list(levels) for name, levels in model.levels.items()},
        "keep": list(model.keep),
        "columns": list(model.columns),
        "params": [float(p) for p in model.params],
        "cov": [[float(v) for v in row] for row in model.cov],
        "scale": model.scale,
        "coefficients": [
            [c.name, c.estimate, c.low, c.high, c.p_value] for c in model.coefficients
        ],
    }


def _intakes(mixes: Sequence[stats.CaseMix]) -> dict[str, list[list[float]]]:
    """Per condition group: [intake score, episodes] of the measured episodes."""
    counts: dict[str, dict[float, int]] = {}
    for mix in mixes:
        per = counts.setdefault(mix.condition_group, {})
        per[mix.intake_score] = per.get(mix.intake_score, 0) + 1
    return {
        group: [[score, float(n)] for score, n in sorted(per.items())]
        for group, per in sorted(counts.items())
    }


def build(organization: Organization, rows: Sequence[EpisodeRow]) -> dict[str, Any]:
    """The snapshot: per primary measure, what the expected result needs (worker only)."""
    by_measure: dict[str, list[EpisodeRow]] = {}
    for row in rows:
        if row.measure and row.mcid:
            by_measure.setdefault(row.measure, []).append(row)
    measures: dict[str, Any] = {}
    for measure, members in sorted(by_measure.items()):
        measured = [
            mix
            for row in members
            if row.improvement is not None and (mix := stats.case_mix_of(row)) is not None
        ]
        first = members[0]
        try:
            model: stats.CaseMixModel | None = stats.fit_case_mix_model(members, "change")
        except stats.NotEnoughEpisodes:
            model = None
        measures[measure] = {
            "mcid": first.mcid,
            "mdc": first.mdc,
            "higher_is_better": first.higher_is_better,
            "episodes": len(members),
            "measured": len(measured),
            "intakes": _intakes(measured),
            "model": _model_data(model) if model is not None else None,
        }
    return {"policy": asdict(stats.POLICY), "measures": measures}


# ---------------------------------------------------------------------------------------------
# Web side: arithmetic on the snapshot (stdlib only)


def _design_row(mix: stats.CaseMix, model: Mapping[str, Any]) -> list[float]:
    """The design row of one case mix, as ``stats._design`` builds it, with the kept columns."""
    levels: Mapping[str, Sequence[str]] = model["levels"]
    full = [1.0]
    for name in stats.CATEGORICAL:
        value = str(mix.value(name))
        full.extend(1.0 if value == level else 0.0 for level in levels[name][1:])
    full.extend(float(mix.value(name)) for name in stats.NUMERIC)
    return [x for x, keep in zip(full, model["keep"], strict=True) if keep]


def linear_predictor(mix: stats.CaseMix, model: Mapping[str, Any]) -> tuple[float, float]:
    """The change model's estimate for this case mix (MCID units) and its standard error."""
    x = _design_row(mix, model)
    params: Sequence[float] = model["params"]
    cov: Sequence[Sequence[float]] = model["cov"]
    eta = math.fsum(a * b for a, b in zip(x, params, strict=True))
    var = math.fsum(
        x[i] * cov[i][j] * x[j] for i in range(len(x)) for j in range(len(x)) if x[i] and x[j]
    )
    return eta, math.sqrt(max(var, 0.0))


def similar_episodes(mix: stats.CaseMix, entry: Mapping[str, Any], within_mcid: float) -> int:
    mcid = float(entry["mcid"])
    return int(
        sum(
            n
            for score, n in entry["intakes"].get(mix.condition_group, [])
            if abs(score / mcid - mix.intake_mcid) <= within_mcid
        )
    )


def expected_result(
    mix: stats.CaseMix,
    entry: Mapping[str, Any] | None,
    *,
    target_score: float | None = None,
    policy: stats.ExpectationPolicy = stats.POLICY,
) -> stats.ExpectedResult:
    """``stats.expected_result`` on the snapshot's numbers, with the standard library's
    normal distribution: the same figures, without scipy in the web worker."""
    model = entry.get("model") if entry else None
    mu, tau = policy.prior_mean_mcid, policy.prior_sd_mcid
    similar = similar_episodes(mix, entry, policy.similar_intake_within_mcid) if entry else 0
    if model is None:
        mean, var = mu, tau**2
        residual_sd = policy.prior_residual_sd_mcid
        weight, n = 0.0, 0
    else:
        m, s = linear_predictor(mix, model)
        s2 = max(s**2, 1e-12)
        precision = 1 / s2 + 1 / tau**2
        mean = (m / s2 + mu / tau**2) / precision
        var = 1 / precision
        weight = (1 / s2) / precision
        residual_sd = math.sqrt(float(model["scale"]))
        n = int(model["n"])
    z = NormalDist().inv_cdf(0.5 + policy.level / 2)
    sd_mean = math.sqrt(var)
    sd_patient = math.sqrt(var + residual_sd**2)
    one_patient = NormalDist(mean, sd_patient)
    meaningful = max(1.0, (mix.mdc or 0.0) / mix.mcid)
    p_mcid = 1.0 - one_patient.cdf(meaningful)
    p_target: float | None = None
    flag: stats.Flag | None = None
    if target_score is not None:
        wanted = target_score - mix.intake_score
        wanted_mcid = (wanted if mix.higher_is_better else -wanted) / mix.mcid
        p_target = 1.0 - one_patient.cdf(wanted_mcid)
        if p_target < policy.very_unlikely_below:
            flag = "very-unlikely"
        elif p_target > policy.trivially_likely_above:
            flag = "trivially-likely"
    u = mix.mcid
    return stats.ExpectedResult(
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
# Web side: the case mix of a plan, and the estimator care shows


def _baseline(plan: Plan, instrument: str) -> float | None:
    for link in plan.evaluation.administration_links.select_related("administration"):
        a = link.administration
        if a.status == a.Status.FINAL and a.instrument == instrument and a.score is not None:
            return float(a.score)
    return None


def _condition(plan: Plan) -> tuple[str, str]:
    code = (
        plan.diagnoses.order_by("rank", "pk").values_list("code", flat=True).first()
        or plan.evaluation.diagnoses.order_by("rank", "pk").values_list("code", flat=True).first()
        or ""
    )
    return code, condition_groups().group_of(code) if code else "other"


def case_mix_of_plan(
    plan: Plan, instrument: str, *, mcid: float, mdc: float | None, higher_is_better: bool
) -> tuple[stats.CaseMix, list[tuple[str, str]]] | None:
    """The case mix of the plan's patient at the evaluation, by the episode table's rules,
    and the inputs in words; None without a baseline of the instrument."""
    from palpa.billing.queries import coverage_on
    from palpa.screening.models import Screening

    intake = _baseline(plan, instrument)
    if intake is None:
        return None
    evaluation = plan.evaluation
    patient = plan.patient
    code, group = _condition(plan)
    coverage = coverage_on(patient, evaluation.evaluated_on)
    screening = (
        Screening.objects.filter(
            patient_id=patient.pk, status=Screening.Status.VALID, as_of__lte=evaluation.evaluated_on
        )
        .order_by("-as_of", "-created_at")
        .first()
    )
    mix = stats.CaseMix(
        measure=instrument,
        condition_group=group,
        age_band=rules.age_band(patient.date_of_birth, evaluation.evaluated_on),
        sex=patient.sex,
        chronicity=rules.chronicity(evaluation.onset_on, evaluation.evaluated_on),
        payer_type=rules.payer_type(coverage.kind if coverage else None),
        intake_score=intake,
        mcid=mcid,
        mdc=mdc,
        higher_is_better=higher_is_better,
        comorbidity_count=rules.comorbidity_count(screening.facts if screening else None),
        planned_visits=plan.planned_visits,
    )
    inputs = [
        (
            "Measure",
            f"{instrument} (MCID {mcid:g}, MDC {mdc:g} points; "
            f"{'higher is better' if higher_is_better else 'lower is better'})"
            if mdc
            else f"{instrument} (MCID {mcid:g} points)",
        ),
        ("Intake (baseline)", f"{intake:g} ({mix.intake_mcid:.1f} MCID)"),
        ("Condition group", f"{group} ({code})" if code else "other (no diagnosis yet)"),
        (
            "Planned visits",
            f"{plan.planned_visits} ({plan.frequency_per_week} a week for "
            f"{plan.duration_weeks} weeks)",
        ),
        ("Age band", mix.age_band),
        ("Sex", mix.sex),
        ("Chronicity", mix.chronicity),
        ("Payer type", mix.payer_type),
        ("Current comorbidities", str(mix.comorbidity_count)),
    ]
    return mix, inputs


def estimate(plan: Plan, instrument: str, target: float | None) -> GoalExpectation | None:
    """What the therapist sees beside a goal on ``instrument``; None for an instrument
    without an MCID or without a baseline in the plan's evaluation."""
    from palpa.core.dates import local
    from palpa.outcomes.library import UnknownInstrument, get_instrument

    try:
        library = get_instrument(instrument)
    except UnknownInstrument:
        return None
    policy = stats.POLICY
    snapshot = snapshots.latest(plan.organization_id, KIND)
    entry: Mapping[str, Any] | None = None
    if snapshot is not None:
        entry = snapshot.data.get("measures", {}).get(library.id)
    if entry is not None:
        mcid, mdc, better = float(entry["mcid"]), entry["mdc"], bool(entry["higher_is_better"])
    else:
        defaults = library.change_defaults
        if defaults.mcid is None:
            return None
        mcid = defaults.mcid.value
        mdc = defaults.mdc.value if defaults.mdc else None
        better = library.higher_is_better
    found = case_mix_of_plan(plan, library.id, mcid=mcid, mdc=mdc, higher_is_better=better)
    if found is None:
        return None
    mix, inputs = found
    result = expected_result(mix, entry, target_score=target, policy=policy)
    model = entry.get("model") if entry else None
    prior = (
        f"{policy.prior_mean_mcid:g} MCID ({result.prior_mean:+.1f} points) mean change, "
        f"standard deviation {policy.prior_sd_mcid:g} MCID ({result.prior_sd:.1f} points); "
        "Palpa's weakly informative assumption, not a clinical fact"
    )
    if model is not None:
        # A level the fitted episodes never had counts as the reference level: say so.
        labels = {"age_band": "Age band", "sex": "Sex", "chronicity": "Chronicity"}
        labels |= {"payer_type": "Payer type", "condition_group": "Condition group"}
        levels: Mapping[str, Sequence[str]] = model["levels"]
        for name, label in labels.items():
            value, known = str(mix.value(name)), levels.get(name, ())
            if known and value not in known:
                inputs = [
                    (k, f"{v} (not among the fitted episodes: counted as {known[0]})")
                    if k == label
                    else (k, v)
                    for k, v in inputs
                ]
        basis = "model"
        note = (
            f"From this organization's {model['n']} measured {library.id} episodes, "
            f"{result.similar_episodes} of them similar (same condition group, intake within "
            f"{policy.similar_intake_within_mcid:g} MCID). The clinic's estimate carries "
            f"{_pct(result.weight_of_clinic)} of the weight, the prior the rest"
            + (
                ": shrunk towards the prior because the estimate rests on few episodes."
                if result.weight_of_clinic < 0.5
                else "."
            )
        )
        model_words = (
            f"Gaussian GLM of the change in MCID units on the case mix, fitted on "
            f"{model['n']} episodes; one patient's change spreads around the mean with a "
            f"standard deviation of {math.sqrt(float(model['scale'])):.2f} MCID."
        )
        coefficients = [
            (str(c[0]), f"{c[1]:+.2f} ({c[2]:+.2f} to {c[3]:+.2f})") for c in model["coefficients"]
        ]
    else:
        basis = "prior"
        measured = int(entry["measured"]) if entry else 0
        note = (
            f"Not enough episodes yet: {measured} measured {library.id} episodes in this "
            f"organization, a model needs {policy.min_episodes_to_fit}. "
            "These figures are the prior alone."
            if snapshot is not None
            else "Not enough episodes yet: no analysis of this organization's episodes has "
            "been computed. These figures are the prior alone."
        )
        model_words = (
            "No model: the prior alone, with one patient's change spreading "
            f"{policy.prior_residual_sd_mcid:g} MCID around it."
        )
        coefficients = []
    direction = 1 if better else -1
    flag_text = ""
    if target is None:
        # The target is "a change of at least the MCID (and MDC)": its probability is the
        # MCID's, flagged by the same thresholds.
        p = result.probability_mcid
        if p < policy.very_unlikely_below:
            result = replace(result, flag="very-unlikely", probability_target=p)
        elif p > policy.trivially_likely_above:
            result = replace(result, flag="trivially-likely", probability_target=p)
    if result.flag == "very-unlikely" and result.probability_target is not None:
        flag_text = (
            f"About {_pct(result.probability_target)} of patients like this reach "
            f"this target after {plan.planned_visits} visits (flagged below "
            f"{_pct(policy.very_unlikely_below)}). Consider a nearer target or a longer course."
        )
    elif result.flag == "trivially-likely" and result.probability_target is not None:
        flag_text = (
            f"About {_pct(result.probability_target)} of patients like this "
            f"reach this target (flagged above {_pct(policy.trivially_likely_above)}). It may "
            "be too modest to guide care."
        )
    computed = ""
    if snapshot is not None:
        computed = local(snapshot.computed_at, plan.location).strftime("%Y-%m-%d %H:%M %Z")
    return GoalExpectation(
        instrument=library.id,
        basis=basis,
        note=note,
        units="points",
        expected_change=result.expected_change,
        interval=result.interval,
        patient_range=result.patient_range,
        level=result.level,
        mcid=mcid,
        probability_mcid=result.probability_mcid,
        intake=mix.intake_score,
        expected_score=mix.intake_score + direction * result.expected_change,
        target=target,
        probability_target=result.probability_target,
        flag=result.flag,
        flag_text=flag_text,
        similar_episodes=result.similar_episodes,
        episodes=int(entry["measured"]) if entry else 0,
        weight_of_clinic=result.weight_of_clinic,
        prior=prior,
        model=model_words,
        inputs=inputs,
        coefficients=coefficients,
        computed=computed,
    )


def register() -> None:
    """Called from ``AnalyticsConfig.ready()``."""
    from palpa.care.expectations import register_estimator

    snapshots.register(KIND, VERSION, build)
    register_estimator("analytics", estimate)
