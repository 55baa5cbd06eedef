"""Limb volumes from circumferences and the change measures (pure: no database, no I/O
beyond the packaged rule file, read once by ``rules.load_rules``).

Units: circumferences and intervals in cm in, volumes in mL out (1 cm³ = 1 mL). Numbers
are floats throughout (sums with ``math.fsum``); they are rounded only for display
(``Measure.as_dict``: mL and % to one decimal, RVC to three decimals).

Two levels:

- plain numbers (``segment_volume``, ``limb_volume``, ``excess``, ``percent_of``,
  ``percent_change``, ``rvc``) for the geometry and the identities; and
- measurement sets (``MeasurementSet``) in, ``Measure`` out: each number carries its
  formula, source, tag and evidence from the rule file. Sets taken with a different
  landmark, interval or number of points are never compared: ``NotComparable`` says
  what differs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from palpa.lymphoedema.rules import Formula, LimbVolumeRules, Threshold, load_rules

DISPLAY_DIGITS = {"mL": 1, "%": 1, "ratio": 3, "cm": 1}


class VolumeInputError(ValueError):
    """A measurement outside the input limits; the message names the argument and rule."""

    def __init__(self, argument: str, message: str) -> None:
        self.argument = argument
        super().__init__(f"{argument}: {message}")


class NotComparable(ValueError):
    """Two measurement sets taken differently; the message names what differs."""


class ChangeUndefined(ValueError):
    """A change measure whose starting value makes it meaningless (e.g. no excess)."""


# ---------------------------------------------------------------------------------------
# Plain numbers


def segment_volume(c1: float, c2: float, h: float) -> float:
    """Volume (mL) of a truncated cone with end circumferences c1, c2 (cm), h cm long:
    h·(c1² + c1·c2 + c2²)/(12π)."""
    if c1 < 0 or c2 < 0 or h < 0:
        raise ValueError("circumferences and segment length must not be negative")
    return h * (c1 * c1 + c1 * c2 + c2 * c2) / (12 * math.pi)


def limb_volume(circumferences: Sequence[float], interval: float) -> float:
    """Sum of the segment volumes between consecutive circumferences ``interval`` cm apart."""
    if len(circumferences) < 2:
        raise ValueError("a limb volume needs at least 2 circumferences")
    return math.fsum(
        segment_volume(c1, c2, interval) for c1, c2 in itertools.pairwise(circumferences)
    )


def excess(affected: float, unaffected: float) -> float:
    """Excess volume: affected - unaffected (mL)."""
    return affected - unaffected


def percent_of(part: float, whole: float) -> float:
    """``part`` as % of ``whole`` (whole > 0)."""
    if whole <= 0:
        raise ChangeUndefined(f"a percentage of {whole:g} is undefined; it must be greater than 0")
    return part / whole * 100


def percent_change(before: float, after: float) -> float:
    """(after - before) / before x 100; ``before`` must be greater than 0."""
    if before <= 0:
        raise ChangeUndefined(
            f"a % change from {before:g} is undefined; the starting value must be greater than 0"
        )
    return (after - before) / before * 100


def rvc(a1: float, u1: float, a2: float, u2: float) -> float:
    """Relative volume change: (A2·U1)/(U2·A1) - 1 (1 = baseline, 2 = now)."""
    if min(a1, u1, a2, u2) <= 0:
        raise ChangeUndefined("RVC needs four volumes greater than 0")
    return (a2 * u1) / (u2 * a1) - 1


# ---------------------------------------------------------------------------------------
# Validation (input limits from the rule file: sanity checks, not clinical facts)


def check_interval(value: float, *, argument: str, rules: LimbVolumeRules | None = None) -> float:
    limits = (rules or load_rules()).limits
    if not math.isfinite(value) or not 0 < value <= limits.interval_max_cm:
        raise VolumeInputError(
            argument,
            f"{value:g} cm is not allowed; the interval must be greater than 0 and at most "
            f"{limits.interval_max_cm:g} cm",
        )
    return value


def check_circumferences(
    values: Sequence[float], *, argument: str, rules: LimbVolumeRules | None = None
) -> tuple[float, ...]:
    limits = (rules or load_rules()).limits
    if not limits.min_points <= len(values) <= limits.max_points:
        raise VolumeInputError(
            argument,
            f"{len(values)} circumference(s) given; give from {limits.min_points} to "
            f"{limits.max_points}, from the distal landmark up",
        )
    for point, value in enumerate(values, start=1):
        if not math.isfinite(value) or not 0 < value <= limits.circumference_max_cm:
            raise VolumeInputError(
                argument,
                f"point {point} is {value:g} cm; a circumference must be greater than 0 and "
                f"at most {limits.circumference_max_cm:g} cm",
            )
    return tuple(values)


@dataclass(frozen=True)
class MeasurementSet:
    """One limb's circumferences (cm, from the distal landmark up, ``interval_cm`` apart)."""

    limb: str
    landmark: str
    interval_cm: float
    circumferences_cm: tuple[float, ...]

    def __post_init__(self) -> None:
        check_interval(self.interval_cm, argument=f"{self.limb} interval")
        check_circumferences(self.circumferences_cm, argument=f"{self.limb} circumferences")

    @property
    def volume_ml(self) -> float:
        return limb_volume(self.circumferences_cm, self.interval_cm)


def check_comparable(first: MeasurementSet, second: MeasurementSet) -> None:
    """Refuse to compare sets taken with a different landmark, interval or point count."""
    differences: list[str] = []
    if first.landmark.strip().casefold() != second.landmark.strip().casefold():
        differences.append(f"landmark ({first.landmark} vs {second.landmark})")
    if first.interval_cm != second.interval_cm:
        differences.append(f"interval ({first.interval_cm:g} cm vs {second.interval_cm:g} cm)")
    if len(first.circumferences_cm) != len(second.circumferences_cm):
        differences.append(
            f"number of points ({len(first.circumferences_cm)} vs {len(second.circumferences_cm)})"
        )
    if differences:
        which = (
            f"Two measurements of the {first.limb}"
            if first.limb == second.limb
            else f"The measurements of the {first.limb} and the {second.limb}"
        )
        raise NotComparable(
            f"{which} were taken differently and are not compared: {'; '.join(differences)} "
            "differ. Measure at the same points from the same landmark every time "
            "(Mayrovitz 2007)."
        )


# ---------------------------------------------------------------------------------------
# Measures with their sources


@dataclass(frozen=True)
class Measure:
    """A number with its unit, formula, source, tag and evidence."""

    value: float
    formula: Formula

    @property
    def unit(self) -> str:
        return self.formula.unit

    def display(self) -> float:
        return round(self.value, DISPLAY_DIGITS.get(self.unit, 3))

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.display(),
            "unit": self.unit,
            "formula": self.formula.formula,
            "source": self.formula.source.citation,
            "source_short": self.formula.source.short,
            "tag": self.formula.tag,
            "evidence": self.formula.evidence,
        }


def _formula(key: str, rules: LimbVolumeRules | None) -> Formula:
    return (rules or load_rules()).formulas[key]


def volume(limb: MeasurementSet, *, rules: LimbVolumeRules | None = None) -> Measure:
    return Measure(limb.volume_ml, _formula("limb_volume", rules))


def excess_volume(
    affected: MeasurementSet, unaffected: MeasurementSet, *, rules: LimbVolumeRules | None = None
) -> Measure:
    check_comparable(affected, unaffected)
    return Measure(
        excess(affected.volume_ml, unaffected.volume_ml), _formula("excess_volume", rules)
    )


def excess_percent(
    affected: MeasurementSet, unaffected: MeasurementSet, *, rules: LimbVolumeRules | None = None
) -> Measure:
    check_comparable(affected, unaffected)
    value = percent_of(excess(affected.volume_ml, unaffected.volume_ml), unaffected.volume_ml)
    return Measure(value, _formula("excess_percent", rules))


def excess_change_percent(
    start: tuple[MeasurementSet, MeasurementSet],
    now: tuple[MeasurementSet, MeasurementSet],
    *,
    rules: LimbVolumeRules | None = None,
) -> Measure:
    """% change in excess volume since the start of the episode; each pair is
    (affected, unaffected). Undefined when there was no excess at the start."""
    for pair in (start, now):
        check_comparable(*pair)
    check_comparable(start[0], now[0])
    e1 = excess(start[0].volume_ml, start[1].volume_ml)
    e2 = excess(now[0].volume_ml, now[1].volume_ml)
    if e1 <= 0:
        raise ChangeUndefined(
            f"the excess volume at the start was {e1:.1f} mL; a % change in excess volume "
            "needs an excess greater than 0 at the start"
        )
    return Measure(percent_change(e1, e2), _formula("excess_change_percent", rules))


def relative_volume_change(
    baseline: tuple[MeasurementSet, MeasurementSet],
    now: tuple[MeasurementSet, MeasurementSet],
    *,
    rules: LimbVolumeRules | None = None,
) -> Measure:
    """RVC against a pre-treatment baseline of both limbs; each pair is (affected, unaffected)."""
    for pair in (baseline, now):
        check_comparable(*pair)
    check_comparable(baseline[0], now[0])
    value = rvc(baseline[0].volume_ml, baseline[1].volume_ml, now[0].volume_ml, now[1].volume_ml)
    return Measure(value, _formula("relative_volume_change", rules))


def absolute_change_percent(
    before: MeasurementSet, after: MeasurementSet, *, rules: LimbVolumeRules | None = None
) -> Measure:
    """% change in one limb's absolute volume (bilateral cases: no comparator limb)."""
    check_comparable(before, after)
    return Measure(
        percent_change(before.volume_ml, after.volume_ml),
        _formula("absolute_change_percent", rules),
    )


@dataclass(frozen=True)
class InterlimbDifference:
    percent: Measure
    volume_threshold: Threshold
    meets_volume_threshold: bool
    largest_circumference_difference_cm: float
    at_point: int  # 1 = the distal landmark
    circumference_threshold: Threshold
    meets_circumference_threshold: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "difference_percent": self.percent.as_dict(),
            "volume_threshold": _threshold_dict(self.volume_threshold),
            "meets_volume_threshold": self.meets_volume_threshold,
            "largest_circumference_difference_cm": round(
                self.largest_circumference_difference_cm, 1
            ),
            "at_point": self.at_point,
            "circumference_threshold": _threshold_dict(self.circumference_threshold),
            "meets_circumference_threshold": self.meets_circumference_threshold,
        }


def _threshold_dict(threshold: Threshold) -> dict[str, Any]:
    return {
        "value": threshold.value,
        "unit": threshold.unit,
        "rule": threshold.rule,
        "source": threshold.source.citation,
        "source_short": threshold.source.short,
        "tag": threshold.tag,
        "evidence": threshold.evidence,
    }


def _at_least(value: float, threshold: float) -> bool:
    """``value >= threshold`` without float noise deciding it (32.3 - 30.3 is 2 cm)."""
    return round(value, 9) >= threshold


def interlimb_difference(
    affected: MeasurementSet, unaffected: MeasurementSet, *, rules: LimbVolumeRules | None = None
) -> InterlimbDifference:
    """The inter-limb volume difference (% of the unaffected limb) and the largest
    circumference difference at one point, each against its diagnostic threshold."""
    check_comparable(affected, unaffected)
    book = rules or load_rules()
    percent = percent_of(excess(affected.volume_ml, unaffected.volume_ml), unaffected.volume_ml)
    diffs = [
        a - u for a, u in zip(affected.circumferences_cm, unaffected.circumferences_cm, strict=True)
    ]
    index = max(range(len(diffs)), key=lambda i: diffs[i])
    volume_threshold = book.thresholds["interlimb_volume_percent"]
    circumference_threshold = book.thresholds["interlimb_circumference_cm"]
    return InterlimbDifference(
        percent=Measure(percent, book.formulas["interlimb_difference_percent"]),
        volume_threshold=volume_threshold,
        meets_volume_threshold=_at_least(percent, volume_threshold.value),
        largest_circumference_difference_cm=diffs[index],
        at_point=index + 1,
        circumference_threshold=circumference_threshold,
        meets_circumference_threshold=_at_least(diffs[index], circumference_threshold.value),
    )
