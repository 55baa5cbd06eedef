"""Instrument scoring and meaningful change: pure functions, no Django, no database.

``score(instrument, answers)`` takes the answers in item order (``None`` for an unanswered
item; for the PSFS, the activity ratings) and returns a ``ScoreResult``, or raises
``AnswerError`` naming the item and the rule that was broken. Arithmetic is exact
(fractions); the score is a whole number when it is one, a float otherwise.

``meaningful_change(instrument, baseline, followup)`` judges a change against the
instrument's designated thresholds (reference A2; the rule is stated in docs/outcomes.md):

- **beyond measurement error** (``detected``): an improvement or a worsening counts only
  when its size reaches the MDC (the noise band; without a known MDC the MCID serves as the
  band). Inside the band the change is "no detectable change", neither better nor worse;
- **clinically meaningful**: the improvement reaches the MCID *and* the MDC ("absolute"),
  or, where the MCID's source also gives a relative threshold (Ostelo 2008: "10 points or
  30 %"), it reaches that percentage of the baseline ("relative"). ``decided_by`` says
  which. A relative decision also counts as beyond error where the MDC is not verified
  (the ODI's comes from secondary sources; the RMDQ has none): Ostelo's consensus sets it
  for the low baselines where a change of the absolute size is hardly possible. Inside a
  verified MDC (the NPRS's, Childs 2005) a change is noise whatever its share.
- When no MCID is known, meaningfulness is not decided (``None``).

``activity=True`` judges one item of a patient-named list (one PSFS activity) by the
single-activity thresholds, which are wider than the average's.

``compare_rom(...)`` applies the reference's range-of-motion rule: compare only the same
rater, instrument and position, and count a change only when it exceeds the local MDC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from palpa.outcomes.library import ChangeDefaults, Direction, Instrument, Threshold, get_instrument

# Strings accepted as "not applicable" where an instrument scores it (RMDQ).
NOT_APPLICABLE = frozenset({"na", "n/a", "not applicable", "not_applicable"})
# Float noise allowance when comparing a change with a threshold.
_EPSILON = 1e-9


class AnswerError(ValueError):
    """Answers that cannot be scored. ``item`` is 1-based (None: the whole list)."""

    def __init__(self, instrument_id: str, message: str, *, item: int | None, rule: str) -> None:
        self.instrument_id = instrument_id
        self.item = item
        self.rule = rule
        self.message = message
        super().__init__(f"{instrument_id}: {message} Rule: {rule}")

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    name: str
    instrument_version: str
    library_version: str
    score: int | float
    unit: str
    range: tuple[int, int]
    direction: Direction
    band: str | None
    items_answered: int
    items_total: int
    missing_items: tuple[int, ...]
    answers: tuple[int | None, ...]
    rule: str
    missing_rule: str
    calculation: str
    percent: int | float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "instrument": self.instrument,
            "name": self.name,
            "score": self.score,
            "unit": self.unit,
            "range": list(self.range),
            "direction": self.direction,
            "band": self.band,
            "percent": self.percent,
            "items_answered": self.items_answered,
            "items_total": self.items_total,
            "missing_items": list(self.missing_items),
            "answers": list(self.answers),
            "rule": self.rule,
            "missing_rule": self.missing_rule,
            "calculation": self.calculation,
            "instrument_version": self.instrument_version,
            "library_version": self.library_version,
        }


def _number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _show(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _plural(label: str, count: int) -> str:
    if count == 1:
        return label
    return label[:-1] + "ies" if label.endswith("y") else label + "s"


def _name_items(label: str, numbers: Sequence[int]) -> str:
    listed = [str(n) for n in numbers]
    joined = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
    return f"{_plural(label, len(numbers))} {joined}"


def _answer_rule(instrument: Instrument) -> str:
    response, label = instrument.items.response, instrument.items.label
    rule = (
        f"each {label} is answered with a whole number from {response.min} to {response.max}"
        f"{' (or true/false)' if response.accepts_booleans else ''}"
    )
    if response.not_applicable_scores_as is not None:
        rule += f"; 'not applicable' scores as {response.not_applicable_scores_as}"
    return rule + ", or null when unanswered."


def _one_answer(instrument: Instrument, number: int, raw: object) -> int | None:
    response = instrument.items.response
    where = f"{instrument.items.label} {number} answer"
    rule = _answer_rule(instrument)
    if raw is None:
        return None
    if isinstance(raw, bool):
        if response.accepts_booleans:
            return int(raw)
        raise AnswerError(
            instrument.id, f"{where} {str(raw).lower()} is not valid.", item=number, rule=rule
        )
    if isinstance(raw, str):
        if response.not_applicable_scores_as is not None and raw.strip().lower() in NOT_APPLICABLE:
            return response.not_applicable_scores_as
        raise AnswerError(instrument.id, f"{where} {raw!r} is not valid.", item=number, rule=rule)
    if isinstance(raw, float):
        if not raw.is_integer():
            raise AnswerError(
                instrument.id, f"{where} {raw} is not a whole number.", item=number, rule=rule
            )
        raw = int(raw)
    if not isinstance(raw, int):
        raise AnswerError(instrument.id, f"{where} {raw!r} is not valid.", item=number, rule=rule)
    if not response.min <= raw <= response.max:
        raise AnswerError(
            instrument.id,
            f"{where} {raw} is out of range {response.min} to {response.max}.",
            item=number,
            rule=rule,
        )
    return raw


def normalize_answers(instrument: Instrument, answers: object) -> tuple[int | None, ...]:
    """Check the shape and every answer; return whole numbers (None where unanswered)."""
    items = instrument.items
    list_rule = "answers are a list in item order with null for unanswered: " + (
        f"exactly {items.count} for {instrument.id}."
        if items.count is not None
        else f"one rating per {items.label}, at least {items.min_count}"
        + (f" and at most {items.max_count}." if items.max_count is not None else ".")
    )
    if not isinstance(answers, list | tuple):
        raise AnswerError(instrument.id, "answers are not a list.", item=None, rule=list_rule)
    if items.count is not None and len(answers) != items.count:
        raise AnswerError(
            instrument.id,
            f"expected {items.count} answers (one per {items.label}), got {len(answers)}.",
            item=None,
            rule=list_rule,
        )
    if items.count is None and len(answers) < items.min_count:
        raise AnswerError(
            instrument.id,
            f"expected at least {items.min_count} {_plural(items.label, items.min_count)}, "
            f"got {len(answers)}.",
            item=None,
            rule=list_rule,
        )
    if items.max_count is not None and len(answers) > items.max_count:
        raise AnswerError(
            instrument.id,
            f"got {len(answers)} {_plural(items.label, len(answers))}; at most "
            f"{items.max_count} may be rated.",
            item=items.max_count + 1,
            rule=items.count_rule,
        )
    return tuple(_one_answer(instrument, n, raw) for n, raw in enumerate(answers, start=1))


def _check_missing(instrument: Instrument, answers: Sequence[int | None]) -> tuple[int, ...]:
    missing = tuple(n for n, a in enumerate(answers, start=1) if a is None)
    rule = instrument.missing
    answered = len(answers) - len(missing)
    too_many = rule.max_missing is not None and len(missing) > rule.max_missing
    if too_many or answered < rule.min_answered:
        label = instrument.items.label
        verb = "is" if len(missing) == 1 else "are"
        what = f"{_name_items(label, missing)} {verb} unanswered."
        if answered == 0 and len(missing) > 1:
            what += f" No {label} is answered."
        raise AnswerError(instrument.id, what, item=missing[0] if missing else None, rule=rule.rule)
    return missing


def score(instrument: Instrument | str, answers: object) -> ScoreResult:
    """Score one administration. Raises AnswerError (item and rule named) when it can't."""
    if isinstance(instrument, str):
        instrument = get_instrument(instrument)
    values = normalize_answers(instrument, answers)
    missing = _check_missing(instrument, values)
    answered = [a for a in values if a is not None]
    total, count = sum(answered), len(answered)
    response, scoring = instrument.items.response, instrument.scoring
    value: Fraction
    if scoring.method == "value":
        value = Fraction(answered[0])
        calculation = f"{answered[0]}"
    elif scoring.method == "mean":
        value = Fraction(total, count)
        calculation = f"{total} / {count} = {_show(value)}"
    elif scoring.method == "sum":
        value = Fraction(total)
        calculation = (
            " + ".join(str(a) for a in answered) + f" = {total}"
            if count <= 6
            else f"sum of {count} answers = {total}"
        )
    elif scoring.method == "proportional":
        assert scoring.scale_max is not None
        value = Fraction(total * scoring.scale_max, response.max * count)
        calculation = f"{total} / ({response.max} x {count}) x {scoring.scale_max} = {_show(value)}"
    else:  # mean_rescaled: ((mean - min) / (max - min)) x 100
        factor = Fraction(100, response.max - response.min)
        value = (Fraction(total, count) - response.min) * factor
        calculation = f"(({total} / {count}) - {response.min}) x {_show(factor)} = {_show(value)}"
    percent: int | float | None = None
    if scoring.percent_factor is not None:
        percent_value = value * scoring.percent_factor
        percent = _number(percent_value)
        calculation += (
            f"; percent = {_show(value)} x {scoring.percent_factor} = {_show(percent_value)}"
        )
    return ScoreResult(
        instrument=instrument.id,
        name=instrument.name,
        instrument_version=instrument.version,
        library_version=instrument.library_version,
        score=_number(value),
        unit=instrument.unit,
        range=(instrument.range_min, instrument.range_max),
        direction=instrument.direction,
        band=instrument.bands.label_for(value) if instrument.bands else None,
        items_answered=count,
        items_total=len(values),
        missing_items=missing,
        answers=values,
        rule=scoring.formula,
        missing_rule=instrument.missing.rule,
        calculation=calculation,
        percent=percent,
    )


# ---------------------------------------------------------------------------------------
# Meaningful change


Detected = Literal["better", "worse", "none"]
DecidedBy = Literal["absolute", "relative"]


@dataclass(frozen=True)
class AppliedThreshold:
    kind: str  # "MCID", "MDC" or "relative MCID" (value in percent of the baseline)
    id: str
    value: float
    unit: str
    population: str
    source: str
    citation: str
    tag: str
    met: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "id": self.id,
            "value": self.value,
            "unit": self.unit,
            "population": self.population,
            "source": self.source,
            "citation": self.citation,
            "tag": self.tag,
            "met": self.met,
        }


@dataclass(frozen=True)
class ChangeResult:
    instrument: str
    baseline: float
    followup: float
    change: float  # followup - baseline, in score units
    improvement: float  # the change turned so that positive means better
    trend: str  # "improved", "worsened" or "unchanged": the sign, noise or not
    mcid: AppliedThreshold | None
    mdc: AppliedThreshold | None
    meaningful: bool | None  # None: no MCID known, so not decided
    worsened_beyond_mdc: bool | None  # None: no MDC known
    explanation: str
    thresholds_reason: str
    # Beyond measurement error: "better", "worse", or "none" (inside the noise band).
    detected: Detected = "none"
    noise_band: float | None = None  # the size a change must reach to count (MDC, else MCID)
    noise_basis: str = ""  # what the band is: "MDC", or "MCID (no MDC known)"
    relative: AppliedThreshold | None = None
    decided_by: DecidedBy | None = None  # which threshold made the change meaningful
    activity: bool = False  # judged as one named activity (PSFS), not the whole score

    def as_dict(self) -> dict[str, object]:
        return {
            "instrument": self.instrument,
            "baseline": self.baseline,
            "followup": self.followup,
            "change": self.change,
            "improvement": self.improvement,
            "trend": self.trend,
            "mcid": self.mcid.as_dict() if self.mcid else None,
            "mdc": self.mdc.as_dict() if self.mdc else None,
            "meaningful": self.meaningful,
            "decided_by": self.decided_by,
            "relative": self.relative.as_dict() if self.relative else None,
            "detected": self.detected,
            "noise_band": self.noise_band,
            "noise_basis": self.noise_basis,
            "worsened_beyond_mdc": self.worsened_beyond_mdc,
            "explanation": self.explanation,
            "thresholds_reason": self.thresholds_reason,
            "activity": self.activity,
        }


def _score_value(instrument: Instrument, value: float | ScoreResult, which: str) -> float:
    if isinstance(value, ScoreResult):
        if value.instrument != instrument.id:
            raise ValueError(f"{which} is a {value.instrument} score, not {instrument.id}.")
        return float(value.score)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ValueError(f"{which} must be a number.")
    if not instrument.range_min <= value <= instrument.range_max:
        raise ValueError(
            f"{which} {value} is outside the {instrument.id} range "
            f"{instrument.range_min}-{instrument.range_max}."
        )
    return float(value)


def _applied(kind: str, threshold: Threshold, met: bool) -> AppliedThreshold:
    return AppliedThreshold(
        kind=kind,
        id=threshold.id,
        value=threshold.value,
        unit=threshold.unit,
        population=threshold.population,
        source=threshold.source.short,
        citation=threshold.source.citation,
        tag=threshold.tag,
        met=met,
    )


def _cite(threshold: Threshold) -> str:
    return threshold.source.short


def relative_improvement(instrument: Instrument, baseline: float, improvement: float) -> float:
    """The improvement as a percentage of the room the baseline left for it (its distance
    from the best score): ODI 12 -> 3 is 9 of 12, 75 %. 0 when there was no room."""
    room = (instrument.range_max - baseline if instrument.higher_is_better else baseline) - (
        0 if instrument.higher_is_better else instrument.range_min
    )
    if room <= 0:
        return 0.0
    return round(100 * improvement / room, 9) + 0.0


def _relative_met(instrument: Instrument, relative: Threshold, before: float, gain: float) -> bool:
    if gain <= 0:
        return False
    return relative_improvement(instrument, before, gain) >= relative.value - _EPSILON


def _relative_counts(
    instrument: Instrument, defaults: ChangeDefaults, before: float, gain: float
) -> bool:
    """The relative threshold is reached and may decide. It may not where a verified MDC
    says the change is measurement noise: NPRS 3 -> 2 is 33 % of the baseline, but one
    point is inside Childs 2005's MDC of 2 (SEM 1.02), so it is no detectable change. Where
    the MDC comes from secondary sources only ([P]: the ODI's 10) or none is known (RMDQ),
    Ostelo 2008's relative threshold decides at low baselines (ODI 12 -> 3 counts)."""
    relative, mdc = defaults.relative, defaults.mdc
    if relative is None or not _relative_met(instrument, relative, before, gain):
        return False
    return mdc is None or mdc.tag != "V" or gain >= mdc.value - _EPSILON


def detectable_improvement(
    instrument: Instrument | str, baseline: float, improvement: float, *, activity: bool = False
) -> tuple[bool, str]:
    """Whether an improvement of this size from this baseline is beyond measurement error,
    and the rule that says so: the same test ``meaningful_change`` applies (used to check a
    target when a goal is set)."""
    if isinstance(instrument, str):
        instrument = get_instrument(instrument)
    defaults = instrument.defaults_for(activity=activity)
    band, basis = _band(defaults)
    what = f"{instrument.id}{' activity' if activity else ''}"
    if band is None:
        return improvement > 0, f"No MDC or MCID is known for {what}."
    threshold = defaults.mdc or defaults.mcid
    assert threshold is not None
    rule = f"{what}: a change must reach the {basis} of {band:g} points ({_cite(threshold)})"
    if defaults.relative is not None:
        rule += (
            f", or {defaults.relative.value:g} % of the baseline ({_cite(defaults.relative)}; "
            f"{relative_improvement(instrument, baseline, improvement):.3g} % here)"
        )
    if improvement >= band - _EPSILON:
        return True, rule + "."
    if _relative_counts(instrument, defaults, baseline, improvement):
        return True, rule + "."
    return False, rule + " to be told from measurement error."


def _band(defaults: ChangeDefaults) -> tuple[float | None, str]:
    if defaults.mdc is not None:
        return defaults.mdc.value, "MDC"
    if defaults.mcid is not None:
        return defaults.mcid.value, "MCID (no MDC known)"
    return None, ""


def meaningful_change(
    instrument: Instrument | str,
    baseline: float | ScoreResult,
    followup: float | ScoreResult,
    *,
    activity: bool = False,
) -> ChangeResult:
    """Change from baseline to follow-up against the instrument's designated thresholds
    (``activity=True``: one PSFS activity, against the single-activity ones)."""
    if isinstance(instrument, str):
        instrument = get_instrument(instrument)
    before = _score_value(instrument, baseline, "baseline")
    after = _score_value(instrument, followup, "followup")
    change = round(after - before, 9) + 0.0
    improvement = change if instrument.higher_is_better else -change
    improvement = round(improvement, 9) + 0.0  # no negative zero
    trend = "improved" if improvement > 0 else "worsened" if improvement < 0 else "unchanged"
    defaults = instrument.defaults_for(activity=activity)
    mcid, mdc, relative = defaults.mcid, defaults.mdc, defaults.relative
    band, basis = _band(defaults)
    unit = "point" if instrument.unit != "%" else "percentage point"
    unit += "" if abs(improvement) == 1 else "s"
    what = f"{instrument.id} activity" if activity else instrument.id
    said = f"{what} {trend} by {abs(improvement):g} {unit}"
    relative_met = _relative_counts(instrument, defaults, before, improvement)
    detected: Detected
    if band is None:
        detected = "better" if improvement > 0 else "worse" if improvement < 0 else "none"
    elif improvement >= band - _EPSILON or relative_met:
        detected = "better"
    elif -improvement >= band - _EPSILON:
        detected = "worse"
    else:
        detected = "none"
    if band is None:
        noise = "no MDC or MCID is known, so every change counts as a change"
    elif detected == "none":
        noise = f"no detectable change: inside the {basis} of {band:g}"
    elif abs(improvement) >= band - _EPSILON:
        noise = f"beyond measurement error ({basis} {band:g})"
    else:
        noise = f"under the {basis} of {band:g}, but counted by the relative threshold"
    applied_mcid = applied_mdc = applied_relative = None
    worsened_beyond_mdc: bool | None = None
    meaningful: bool | None = None
    decided_by: DecidedBy | None = None
    parts: list[str] = []
    if mdc is not None:
        meets_mdc = improvement >= mdc.value - _EPSILON
        applied_mdc = _applied("MDC", mdc, meets_mdc)
        worsened_beyond_mdc = -improvement >= mdc.value - _EPSILON
    if mcid is None:
        explanation = (
            f"{said}; {noise}. No MCID is known for {what}, so whether the change is "
            "clinically meaningful is not decided."
        )
    else:
        meets_mcid = improvement >= mcid.value - _EPSILON
        applied_mcid = _applied("MCID", mcid, meets_mcid)
        parts.append(f"MCID {mcid.value:g} ({_cite(mcid)}) {'met' if meets_mcid else 'not met'}")
        absolute = meets_mcid
        if mdc is not None and applied_mdc is not None:
            absolute = meets_mcid and applied_mdc.met
            parts.append(
                f"MDC {mdc.value:g} ({_cite(mdc)}) {'met' if applied_mdc.met else 'not met'}"
            )
            applied_text = "the MCID and the MDC were both applied"
        else:
            applied_text = f"no MDC is known for {what}; only the MCID was applied"
        if relative is not None:
            applied_relative = _applied("relative MCID", relative, relative_met)
            share = relative_improvement(instrument, before, max(improvement, 0.0))
            reached = _relative_met(instrument, relative, before, improvement)
            if reached and not relative_met:
                said_relative = (
                    f"reached ({share:.3g} %) but not counted: the change is inside the "
                    "verified MDC"
                )
            else:
                said_relative = f"{'met' if relative_met else 'not met'} ({share:.3g} %)"
            parts.append(
                f"relative MCID {relative.value:g} % of the baseline ({_cite(relative)}) "
                + said_relative
            )
            applied_text += (
                "; absolute or relative, whichever is reached, but never inside a verified "
                "MDC (Palpa change rule)"
            )
        meaningful = absolute or relative_met
        decided_by = "absolute" if absolute else "relative" if relative_met else None
        verdict = "clinically meaningful" if meaningful else "not clinically meaningful"
        if decided_by is not None:
            verdict += f" (decided by the {decided_by} threshold)"
        explanation = f"{said}; {noise}: {verdict}. {'; '.join(parts)}; {applied_text}."
    return ChangeResult(
        instrument=instrument.id,
        baseline=before,
        followup=after,
        change=change,
        improvement=improvement,
        trend=trend,
        mcid=applied_mcid,
        mdc=applied_mdc,
        meaningful=meaningful,
        worsened_beyond_mdc=worsened_beyond_mdc,
        explanation=explanation,
        thresholds_reason=defaults.reason,
        detected=detected,
        noise_band=band,
        noise_basis=basis,
        relative=applied_relative,
        decided_by=decided_by,
        activity=activity,
    )


# ---------------------------------------------------------------------------------------
# Range of motion


@dataclass(frozen=True)
class RomComparison:
    change: float
    comparable: bool
    beyond_error: bool | None  # None: not comparable, or no local MDC
    reason: str


def compare_rom(
    baseline_degrees: float,
    followup_degrees: float,
    *,
    local_mdc: float | None,
    same_rater: bool,
    same_instrument: bool,
    same_position: bool,
) -> RomComparison:
    """The reference's ROM rule: same rater, instrument and position; change > local MDC."""
    change = round(followup_degrees - baseline_degrees, 9) + 0.0
    differs = [
        name
        for name, same in (
            ("rater", same_rater),
            ("instrument", same_instrument),
            ("position", same_position),
        )
        if not same
    ]
    if differs:
        return RomComparison(
            change=change,
            comparable=False,
            beyond_error=None,
            reason=f"Not comparable: a different {', '.join(differs)}. ROM is compared only for "
            "the same rater, instrument and position.",
        )
    if local_mdc is None:
        return RomComparison(
            change=change,
            comparable=True,
            beyond_error=None,
            reason="No local MDC is set, so the change cannot be told from measurement error "
            "(published errors run to 11-25 degrees).",
        )
    if local_mdc <= 0:
        raise ValueError("local_mdc must be positive.")
    beyond = abs(change) > local_mdc
    return RomComparison(
        change=change,
        comparable=True,
        beyond_error=beyond,
        reason=f"Change of {abs(change):g} degrees is {'larger' if beyond else 'not larger'} "
        f"than the local MDC of {local_mdc:g} degrees.",
    )
