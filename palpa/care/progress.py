"""Goal status, meaningful change and the non-responder alert: pure functions, no database.

A goal is a predetermined result: a measure (an instrument's score, one PSFS activity, or
one range of motion), its baseline, a target and a due date. ``goal_status`` reads the
measurements taken since the baseline and says where the goal stands today:

- **achieved**: the latest measurement reaches the target (for a "meaningful change"
  target: the change from baseline reaches both the MCID and the MDC);
- **not achieved**: the due date has passed and the latest measurement does not reach it;
- **on track**: the latest measurement is at or ahead of the straight line from the
  baseline (at the baseline date) to the target (at the due date), read on the date it
  was taken;
- **at risk**: behind that line, or worse than the baseline.

The direction of the instrument is respected (for the ODI lower is better, for the LEFS
and the PSFS higher is better; range of motion improves upwards). Whether a change is
*clinically meaningful* is ``palpa.outcomes.scoring.meaningful_change``: it must reach
both the instrument's MCID and its MDC, and the thresholds applied, with their sources,
are returned. For range of motion the reference's rule applies instead
(``compare_rom``): the same rater, instrument and position, and a change larger than the
clinic's local MDC.

``non_responder`` raises the alert the reference asks for: no meaningful change on the
primary measure after N signed treatment notes (6 unless the caller says otherwise).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from palpa.outcomes.library import get_instrument
from palpa.outcomes.scoring import compare_rom, meaningful_change

Status = Literal["achieved", "on_track", "at_risk", "not_achieved"]
MeasureKind = Literal["instrument", "psfs_activity", "rom"]
TargetKind = Literal["value", "meaningful_change"]

# Worst first: a higher rank is a better status.
STATUS_RANK: dict[str, int] = {"not_achieved": 0, "at_risk": 1, "on_track": 2, "achieved": 3}
STATUS_LABELS: dict[str, str] = {
    "achieved": "Achieved",
    "on_track": "On track",
    "at_risk": "At risk",
    "not_achieved": "Not achieved by the due date",
}
DEFAULT_NON_RESPONDER_NOTES = 6
_EPSILON = 1e-9


class GoalError(ValueError):
    """A goal that cannot be set; ``field`` names the input that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Point:
    """One measurement: its date and value (ROM: who, with what, in which position)."""

    on: dt.date
    value: float
    rater: str = ""
    instrument: str = ""
    position: str = ""


@dataclass(frozen=True)
class Goal:
    measure: MeasureKind
    label: str
    baseline: Point
    target: float
    target_kind: TargetKind
    due_on: dt.date
    instrument: str = ""  # NPRS, ODI ...; PSFS for a PSFS activity; empty for ROM
    rom_local_mdc: float | None = None

    @property
    def higher_is_better(self) -> bool:
        if self.measure == "rom":
            return True
        return get_instrument(self.instrument).higher_is_better


@dataclass(frozen=True)
class Threshold:
    kind: str  # MCID, MDC, or local ROM MDC
    value: float
    unit: str
    source: str
    citation: str
    met: bool


@dataclass(frozen=True)
class GoalProgress:
    status: Status
    label: str
    reason: str
    baseline: float
    baseline_on: dt.date
    latest: float
    latest_on: dt.date
    measurements: int
    target: float
    target_kind: TargetKind
    due_on: dt.date
    improvement: float  # direction-adjusted: positive is better
    required: float  # the improvement the target asks for
    expected: float  # where the straight line stood on the latest measurement's date
    meaningful: bool | None  # None: no threshold known, or not comparable
    meaningful_explanation: str
    thresholds: tuple[Threshold, ...] = field(default_factory=tuple)
    thresholds_reason: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def rank(self) -> int:
        return STATUS_RANK[self.status]


def _fmt(value: float) -> str:
    return f"{value:g}"


def meaningful_change_target(instrument: str, baseline: float) -> tuple[float, str]:
    """The value a "change of at least the MCID" target means: baseline moved, in the
    direction of improvement, by the larger of the instrument's default MCID and MDC.

    Raises GoalError when the instrument has no MCID, or the target leaves its range.
    """
    definition = get_instrument(instrument)
    defaults = definition.change_defaults
    if defaults.mcid is None:
        raise GoalError(
            "target_kind",
            f"{definition.id} has no verified MCID, so a 'meaningful change' target cannot be "
            f"set; give a target value instead. ({defaults.reason})",
        )
    step = defaults.mcid.value
    basis = f"MCID {_fmt(defaults.mcid.value)} ({defaults.mcid.source.short})"
    if defaults.mdc is not None:
        step = max(step, defaults.mdc.value)
        basis += f" and MDC {_fmt(defaults.mdc.value)} ({defaults.mdc.source.short})"
    else:
        basis += f"; no MDC is known for {definition.id}"
    target = baseline + step if definition.higher_is_better else baseline - step
    target = round(target, 9) + 0.0
    if not definition.range_min <= target <= definition.range_max:
        raise GoalError(
            "target_kind",
            f"From a baseline of {_fmt(baseline)}, a change of {_fmt(step)} would leave the "
            f"{definition.id} range {definition.range_min}-{definition.range_max}; "
            "set a target value instead.",
        )
    return target, f"change of at least {_fmt(step)}: {basis}"


def check_target(goal: Goal) -> None:
    """Refuse a target that is not an improvement on the baseline or is out of range."""
    if goal.measure != "rom":
        definition = get_instrument(goal.instrument)
        if not definition.range_min <= goal.target <= definition.range_max:
            raise GoalError(
                "target_value",
                f"The target {_fmt(goal.target)} is outside the {definition.id} range "
                f"{definition.range_min}-{definition.range_max}.",
            )
    better = (
        goal.target > goal.baseline.value
        if goal.higher_is_better
        else (goal.target < goal.baseline.value)
    )
    if not better:
        direction = "higher" if goal.higher_is_better else "lower"
        raise GoalError(
            "target_value",
            f"The target must be better than the baseline {_fmt(goal.baseline.value)}: "
            f"for {goal.label}, {direction} is better.",
        )
    if goal.due_on <= goal.baseline.on:
        raise GoalError("due_on", "The due date comes after the baseline measurement.")


def _meaningful(goal: Goal, latest: Point) -> tuple[bool | None, str, tuple[Threshold, ...], str]:
    if goal.measure == "rom":
        base = goal.baseline
        comparison = compare_rom(
            base.value,
            latest.value,
            local_mdc=goal.rom_local_mdc,
            same_rater=base.rater == latest.rater,
            same_instrument=base.instrument == latest.instrument,
            same_position=base.position == latest.position,
        )
        thresholds: tuple[Threshold, ...] = ()
        if goal.rom_local_mdc is not None and comparison.comparable:
            thresholds = (
                Threshold(
                    kind="local MDC",
                    value=goal.rom_local_mdc,
                    unit="degrees",
                    source="clinic",
                    citation="The clinic's local MDC for this measurement (reference B).",
                    met=bool(comparison.beyond_error),
                ),
            )
        meaningful = None
        if comparison.beyond_error is not None:
            meaningful = comparison.beyond_error and comparison.change > 0
        return meaningful, comparison.reason, thresholds, "Reference B: compare_rom."
    result = meaningful_change(goal.instrument, goal.baseline.value, latest.value)
    applied = tuple(
        Threshold(
            kind=t.kind,
            value=t.value,
            unit=t.unit,
            source=t.source,
            citation=t.citation,
            met=t.met,
        )
        for t in (result.mcid, result.mdc)
        if t is not None
    )
    return result.meaningful, result.explanation, applied, result.thresholds_reason


def goal_status(goal: Goal, series: Sequence[Point], today: dt.date) -> GoalProgress:
    """Where the goal stands on ``today``, from the measurements taken since the baseline."""
    taken = [p for p in series if goal.baseline.on <= p.on <= today]
    taken.sort(key=lambda p: p.on)  # stable: same-day measurements keep the caller's order
    latest = taken[-1] if taken else goal.baseline
    sign = 1.0 if goal.higher_is_better else -1.0
    improvement = round(sign * (latest.value - goal.baseline.value), 9) + 0.0
    required = round(sign * (goal.target - goal.baseline.value), 9) + 0.0
    span = (goal.due_on - goal.baseline.on).days
    elapsed = (latest.on - goal.baseline.on).days
    fraction = 1.0 if span <= 0 else min(max(elapsed / span, 0.0), 1.0)
    expected = round(required * fraction, 9) + 0.0
    meaningful, explanation, thresholds, thresholds_reason = _meaningful(goal, latest)
    notes: list[str] = []
    if goal.target_kind == "meaningful_change":
        reached = bool(meaningful) if goal.measure != "rom" else improvement >= required - _EPSILON
    else:
        reached = improvement >= required - _EPSILON
    if not taken:
        notes.append("No measurement since the baseline.")
    if goal.target_kind == "value" and reached and meaningful is False:
        notes.append(
            "The target is reached, but the change is below the instrument's thresholds "
            "for a clinically meaningful change."
        )
    unit = "degrees" if goal.measure == "rom" else "points"
    where = (
        f"latest {_fmt(latest.value)} on {latest.on.isoformat()}, baseline "
        f"{_fmt(goal.baseline.value)}, target {_fmt(goal.target)} by {goal.due_on.isoformat()}"
    )
    status: Status
    if reached:
        status = "achieved"
        reason = f"Target reached: {where}."
    elif today > goal.due_on:
        status = "not_achieved"
        reason = f"The due date has passed without reaching the target: {where}."
    elif improvement >= expected - _EPSILON:
        status = "on_track"
        reason = (
            f"At or ahead of the straight line to the target (expected {_fmt(expected)} "
            f"{unit} of improvement by {latest.on.isoformat()}, made {_fmt(improvement)}): "
            f"{where}."
        )
    else:
        status = "at_risk"
        behind = (
            "Worse than the baseline"
            if improvement < 0
            else "Behind the straight line to the target"
        )
        reason = (
            f"{behind} (expected {_fmt(expected)} {unit} of improvement by "
            f"{latest.on.isoformat()}, made {_fmt(improvement)}): {where}."
        )
    return GoalProgress(
        status=status,
        label=goal.label,
        reason=reason,
        baseline=goal.baseline.value,
        baseline_on=goal.baseline.on,
        latest=latest.value,
        latest_on=latest.on,
        measurements=len(taken),
        target=goal.target,
        target_kind=goal.target_kind,
        due_on=goal.due_on,
        improvement=improvement,
        required=required,
        expected=expected,
        meaningful=meaningful,
        meaningful_explanation=explanation,
        thresholds=thresholds,
        thresholds_reason=thresholds_reason,
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class NonResponder:
    alert: bool
    decided: bool
    signed_notes: int
    after_notes: int
    reason: str
    suggestion: str


def non_responder(
    primary: GoalProgress | None,
    *,
    signed_notes: int,
    after_notes: int = DEFAULT_NON_RESPONDER_NOTES,
) -> NonResponder:
    """Alert when, after ``after_notes`` signed treatment notes, the primary measure shows
    no clinically meaningful change from its baseline."""
    if after_notes < 1:
        raise ValueError("after_notes must be at least 1.")

    def answer(alert: bool, decided: bool, reason: str, suggestion: str = "") -> NonResponder:
        return NonResponder(alert, decided, signed_notes, after_notes, reason, suggestion)

    if primary is None:
        return answer(False, False, "The plan has no primary goal to judge the response by.")
    if signed_notes < after_notes:
        return answer(
            False,
            True,
            f"{signed_notes} of {after_notes} signed treatment notes so far; the response "
            "is judged after that.",
        )
    if primary.meaningful is None:
        return answer(
            False,
            False,
            f"Whether {primary.label} changed meaningfully cannot be decided: "
            f"{primary.meaningful_explanation}",
        )
    if primary.meaningful:
        return answer(
            False,
            True,
            f"{primary.label} changed meaningfully after {signed_notes} signed treatment notes.",
        )
    if primary.measurements == 0:
        return answer(
            True,
            True,
            f"After {signed_notes} signed treatment notes, {primary.label} has not been "
            "measured again since the baseline.",
            f"Re-assess {primary.label} now; if it has not changed meaningfully, re-evaluate "
            "the plan or refer the patient back to the physician.",
        )
    return answer(
        True,
        True,
        f"No clinically meaningful change in {primary.label} after {signed_notes} signed "
        f"treatment notes ({primary.meaningful_explanation})",
        "Re-evaluate the patient and revise the plan of care, or refer the patient back to "
        "the referring physician.",
    )


def reassessment_due(
    *,
    since: dt.date,
    notes_since: int,
    today: dt.date,
    every_visits: int | None,
    every_days: int | None,
) -> tuple[bool, str]:
    """Whether the plan's re-assessment interval (visits or days) has come round."""
    if every_visits is not None and notes_since >= every_visits:
        return (
            True,
            f"{notes_since} signed visits since {since.isoformat()} (every {every_visits}).",
        )
    days = (today - since).days
    if every_days is not None and days >= every_days:
        return True, f"{days} days since {since.isoformat()} (every {every_days} days)."
    return False, f"Last measured {since.isoformat()}; {notes_since} signed visits since."
