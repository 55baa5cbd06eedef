"""Goal status, meaningful change and the non-responder alert: pure functions, no database.

A goal is a predetermined result: a measure (an instrument's score, one PSFS activity, or
one range of motion), its baseline, a target and a due date. ``goal_status`` reads the
measurements taken since the baseline and says where the goal stands today. It is the one
place the rules live; every page, report, API and FHIR resource that shows a goal's status
gets it from here (through ``care.plans.services.goal_progress``).

First the change from baseline to the latest measurement is judged against measurement
error (``palpa.outcomes.scoring.meaningful_change``; for ROM ``compare_rom``): it is
*better* or *worse* only when its size reaches the noise band (the MDC; one PSFS activity
uses the single-activity MDC), or, for an improvement, the relative threshold where the
source gives one (Ostelo 2008) and no verified MDC says the change is noise. Inside the
band it is *no detectable change*. Then:

- **achieved**: the target is reached *and* the change is detectably better (for a
  "meaningful change" target: the change is clinically meaningful). A target reached by a
  change inside the noise band is not achieved;
- **not achieved**: the due date has passed without that;
- **at risk**: detectably worse than the baseline, or behind the straight line from the
  baseline (at the baseline date) to the target (at the due date) by at least the noise
  band, read on the date of the latest measurement;
- **on track**: detectably better and not behind that line;
- **no detectable change**: neither better nor worse beyond measurement error, and not
  behind the line by more than the noise (also a goal not measured since its baseline).

The direction of the instrument is respected (for the ODI lower is better, for the LEFS
and the PSFS higher is better; range of motion improves upwards). For range of motion the
reference's rule applies (``compare_rom``): the same rater, instrument and position, and a
change larger than the clinic's local MDC; a measurement by another rater, instrument or
position is never counted as a change.

``non_responder`` raises the alert the reference asks for: no meaningful change on the
primary measure after N signed treatment notes (6 unless the caller says otherwise).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from palpa.outcomes.library import get_instrument
from palpa.outcomes.scoring import compare_rom, detectable_improvement, meaningful_change

Status = Literal["achieved", "on_track", "no_change", "at_risk", "not_achieved"]
Detected = Literal["better", "worse", "none"]
MeasureKind = Literal["instrument", "psfs_activity", "rom"]
TargetKind = Literal["value", "meaningful_change"]

# Worst first: a higher rank is a better status.
STATUS_RANK: dict[str, int] = {
    "not_achieved": 0,
    "at_risk": 1,
    "no_change": 2,
    "on_track": 3,
    "achieved": 4,
}
STATUS_LABELS: dict[str, str] = {
    "achieved": "Achieved",
    "on_track": "On track",
    "no_change": "No detectable change",
    "at_risk": "At risk",
    "not_achieved": "Not achieved by the due date",
}
DECIDED_BY_LABELS: dict[str, str] = {
    "absolute": "absolute threshold (MCID and MDC in points)",
    "relative": "relative threshold (percent of the baseline)",
    "local_mdc": "the clinic's local MDC for this range of motion",
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

    @property
    def activity(self) -> bool:
        """One PSFS activity: judged by the single-activity thresholds."""
        return self.measure == "psfs_activity"


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
    # Beyond measurement error: "better", "worse" or "none" (inside the noise band).
    detected: Detected = "none"
    noise_band: float | None = None  # the size a change must reach to count
    noise_basis: str = ""  # "MDC", "MCID (no MDC known)", "local MDC", or "" (none known)
    # Which threshold made the change count as meaningful: "absolute" (points), "relative"
    # (percent of the baseline, Ostelo 2008), "local_mdc" (ROM); None when it is not.
    decided_by: str | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def decided_by_label(self) -> str:
        return DECIDED_BY_LABELS.get(self.decided_by or "", "")

    @property
    def rank(self) -> int:
        return STATUS_RANK[self.status]


def _fmt(value: float) -> str:
    return f"{value:g}"


def meaningful_change_target(
    instrument: str, baseline: float, *, activity: bool = False
) -> tuple[float, str]:
    """The value a "change of at least the MCID" target means: baseline moved, in the
    direction of improvement, by the larger of the instrument's default MCID and MDC (one
    PSFS activity: the single-activity ones).

    Raises GoalError when the instrument has no MCID, or the target leaves its range.
    """
    definition = get_instrument(instrument)
    defaults = definition.defaults_for(activity=activity)
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
    if goal.target_kind == "value":
        _check_detectable_target(goal)


def _check_detectable_target(goal: Goal) -> None:
    """Refuse a value target closer to the baseline than measurement error: reaching it
    could never be told from noise (reference A2), so the goal would not be measurable."""
    sign = 1.0 if goal.higher_is_better else -1.0
    required = round(sign * (goal.target - goal.baseline.value), 9) + 0.0
    direction = "higher" if goal.higher_is_better else "lower"
    if goal.measure == "rom":
        mdc = goal.rom_local_mdc
        if mdc is not None and required <= mdc:
            edge = goal.baseline.value + mdc
            raise GoalError(
                "target_value",
                f"The target {_fmt(goal.target)} is {_fmt(required)} degrees from the baseline "
                f"{_fmt(goal.baseline.value)}; the local MDC is {_fmt(mdc)} degrees and a change "
                "must be larger than it to be told from measurement error (reference B). Set "
                f"a target above {_fmt(edge)} degrees, or no local MDC.",
            )
        return
    ok, rule = detectable_improvement(
        goal.instrument, goal.baseline.value, required, activity=goal.activity
    )
    if not ok:
        raise GoalError(
            "target_value",
            f"The target {_fmt(goal.target)} is only {_fmt(required)} points from the baseline "
            f"{_fmt(goal.baseline.value)}: {rule} A target that close could never be shown to "
            f"be reached; set one further from the baseline ({direction} is better).",
        )


@dataclass(frozen=True)
class _Judgement:
    detected: Detected
    band: float | None
    basis: str
    meaningful: bool | None
    explanation: str
    thresholds: tuple[Threshold, ...]
    thresholds_reason: str
    decided_by: str | None


def _judge(goal: Goal, latest: Point) -> _Judgement:
    """The change from the baseline to ``latest``, judged against measurement error."""
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
        detected: Detected
        if not comparison.comparable:
            detected = "none"
        elif comparison.beyond_error is None:  # no local MDC: every change is a change
            detected = (
                "better" if comparison.change > 0 else "worse" if comparison.change < 0 else "none"
            )
        elif comparison.beyond_error:
            detected = "better" if comparison.change > 0 else "worse"
        else:
            detected = "none"
        meaningful = None
        if comparison.beyond_error is not None:
            meaningful = comparison.beyond_error and comparison.change > 0
        return _Judgement(
            detected=detected,
            band=goal.rom_local_mdc if comparison.comparable else None,
            basis="local MDC" if goal.rom_local_mdc is not None and comparison.comparable else "",
            meaningful=meaningful,
            explanation=comparison.reason,
            thresholds=thresholds,
            thresholds_reason="Reference B: compare_rom.",
            decided_by="local_mdc" if meaningful else None,
        )
    result = meaningful_change(
        goal.instrument, goal.baseline.value, latest.value, activity=goal.activity
    )
    applied = tuple(
        Threshold(
            kind=t.kind,
            value=t.value,
            unit=t.unit,
            source=t.source,
            citation=t.citation,
            met=t.met,
        )
        for t in (result.mcid, result.mdc, result.relative)
        if t is not None
    )
    return _Judgement(
        detected=result.detected,
        band=result.noise_band,
        basis=result.noise_basis,
        meaningful=result.meaningful,
        explanation=result.explanation,
        thresholds=applied,
        thresholds_reason=result.thresholds_reason,
        decided_by=result.decided_by,
    )


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
    judged = _judge(goal, latest)
    notes: list[str] = []
    target_met = improvement >= required - _EPSILON
    if goal.target_kind == "meaningful_change" and goal.measure != "rom":
        reached = bool(judged.meaningful)
    else:
        reached = target_met and judged.detected == "better"
    if not taken:
        notes.append("No measurement since the baseline.")
    if target_met and not reached:
        notes.append(
            "The target value is reached, but the change is inside measurement error "
            f"({judged.basis or 'no comparable measurement'}"
            f"{f' {_fmt(judged.band)}' if judged.band is not None else ''}), so it is not "
            "counted as achieved."
        )
    if goal.target_kind == "value" and reached and judged.meaningful is False:
        notes.append(
            "The target is reached, but the change is below the instrument's thresholds "
            "for a clinically meaningful change."
        )
    if reached and judged.decided_by == "relative":
        notes.append(
            "Counted by the relative threshold (percent of the baseline, Ostelo 2008): the "
            "change is under the absolute MCID or MDC in points."
        )
    unit = "degrees" if goal.measure == "rom" else "points"
    where = (
        f"latest {_fmt(latest.value)} on {latest.on.isoformat()}, baseline "
        f"{_fmt(goal.baseline.value)}, target {_fmt(goal.target)} by {goal.due_on.isoformat()}"
    )
    band = judged.band
    shortfall = round(expected - improvement, 9)
    behind = shortfall >= band - _EPSILON if band is not None else shortfall > _EPSILON
    noise = (
        f"{judged.basis} {_fmt(band)} {unit}" if band is not None else "no known measurement error"
    )
    unknown = f"no measurement error is known for {goal.label}, so every change counts as a change"
    status: Status
    if reached:
        status = "achieved"
        if band is None:
            beyond = f" ({unknown})"
        elif judged.decided_by == "relative" and improvement < band - _EPSILON:
            # Never say "beyond measurement error" of a change under the band: the relative
            # threshold counted it (issue 18 review: ODI 6 -> 4 said "beyond ... MDC 10").
            beyond = (
                f", counted by the relative threshold (percent of the baseline, Ostelo 2008) "
                f"though under the {noise}"
            )
        else:
            beyond = f" beyond measurement error ({noise})"
        reason = f"Target reached{beyond}: {where}."
    elif today > goal.due_on:
        status = "not_achieved"
        reason = f"The due date has passed without reaching the target: {where}."
    elif judged.detected == "worse":
        status = "at_risk"
        beyond = f"beyond measurement error ({noise}; " if band is not None else f"({unknown}; "
        reason = (
            f"Worse than the baseline {beyond}made {_fmt(improvement)} {unit} of "
            f"improvement): {where}."
        )
    elif behind and taken:
        status = "at_risk"
        reason = (
            f"Behind the straight line to the target by more than measurement error "
            f"(expected {_fmt(expected)} {unit} of improvement by {latest.on.isoformat()}, "
            f"made {_fmt(improvement)}; {noise}): {where}."
        )
    elif judged.detected == "better":
        status = "on_track"
        better = (
            "Better than the baseline beyond measurement error"
            if band is not None and improvement >= band - _EPSILON
            else "Better than the baseline (counted by the relative threshold, Ostelo 2008)"
            if band is not None
            else f"Better than the baseline ({unknown})"
        )
        reason = (
            f"{better} and not behind the straight "
            f"line to the target (expected {_fmt(expected)} {unit} of improvement by "
            f"{latest.on.isoformat()}, made {_fmt(improvement)}; {noise}): {where}."
        )
    else:
        status = "no_change"
        reason = (
            "Not measured since the baseline"
            if not taken
            else f"No detectable change: the change of {_fmt(improvement)} {unit} is inside "
            f"measurement error ({noise}), neither better nor worse"
        ) + f": {where}."
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
        meaningful=judged.meaningful,
        meaningful_explanation=judged.explanation,
        thresholds=judged.thresholds,
        thresholds_reason=judged.thresholds_reason,
        notes=tuple(notes),
        detected=judged.detected,
        noise_band=band,
        noise_basis=judged.basis,
        decided_by=judged.decided_by,
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
