"""Goal status, meaningful change and the non-responder alert: the pure rules."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from palpa.care.progress import (
    STATUS_RANK,
    Goal,
    GoalError,
    GoalProgress,
    Point,
    check_target,
    goal_status,
    meaningful_change_target,
    non_responder,
    reassessment_due,
)
from palpa.outcomes.library import get_instrument

START = dt.date(2026, 1, 5)
DUE = START + dt.timedelta(days=42)


def _goal(
    instrument: str = "NPRS",
    baseline: float = 6,
    target: float = 3,
    kind: str = "value",
    due: dt.date = DUE,
) -> Goal:
    return Goal(
        measure="instrument",
        label=instrument,
        baseline=Point(START, baseline),
        target=target,
        target_kind=kind,  # type: ignore[arg-type]
        due_on=due,
        instrument=instrument,
    )


def _on(days: int) -> dt.date:
    return START + dt.timedelta(days=days)


def test_a_target_reached_is_achieved() -> None:
    result = goal_status(_goal(), [Point(_on(14), 5), Point(_on(28), 3)], _on(30))
    assert result.status == "achieved"
    assert result.latest == 3
    assert result.improvement == 3
    assert result.measurements == 2


def test_behind_the_straight_line_is_at_risk_and_ahead_of_it_on_track() -> None:
    # Halfway to the due date the line expects 1.5 points of the 3 asked for.
    behind = goal_status(_goal(), [Point(_on(21), 5)], _on(22))
    assert behind.status == "at_risk"
    assert behind.expected == 1.5
    assert "behind the straight line" in behind.reason.lower()
    ahead = goal_status(_goal(), [Point(_on(21), 4)], _on(22))
    assert ahead.status == "on_track"


def test_worse_than_the_baseline_is_at_risk() -> None:
    result = goal_status(_goal(), [Point(_on(7), 8)], _on(8))
    assert result.status == "at_risk"
    assert result.improvement == -2
    assert result.reason.startswith("Worse than the baseline")


def test_without_a_new_measurement_the_goal_is_on_track_and_says_so() -> None:
    result = goal_status(_goal(), [], _on(10))
    assert result.status == "on_track"
    assert result.latest_on == START
    assert result.notes == ("No measurement since the baseline.",)


def test_past_the_due_date_without_the_target_is_not_achieved() -> None:
    result = goal_status(_goal(), [Point(_on(40), 4)], _on(43))
    assert result.status == "not_achieved"
    assert result.status_label == "Not achieved by the due date"


def test_measurements_after_today_or_before_the_baseline_are_ignored() -> None:
    result = goal_status(
        _goal(), [Point(_on(-3), 0), Point(_on(10), 5), Point(_on(20), 2)], _on(12)
    )
    assert result.latest == 5
    assert result.measurements == 1


def test_direction_is_respected_for_higher_is_better_scales() -> None:
    goal = _goal("LEFS", baseline=40, target=55)
    assert goal_status(goal, [Point(_on(30), 56)], _on(31)).status == "achieved"
    assert goal_status(goal, [Point(_on(30), 35)], _on(31)).status == "at_risk"


def test_a_meaningful_change_target_is_the_larger_of_mcid_and_mdc() -> None:
    target, basis = meaningful_change_target("ODI", 40)
    assert target == 30
    assert "MCID 10 (Ostelo 2008)" in basis
    target, basis = meaningful_change_target("QUICKDASH", 60)
    assert target == pytest.approx(42.9)  # MDC (SDC) 17.1 is the larger
    target, basis = meaningful_change_target("PSFS", 3)
    assert target == pytest.approx(5.3)
    assert "no MDC is known for PSFS" in basis


def test_meaningful_change_needs_both_mcid_and_mdc_and_names_their_sources() -> None:
    goal = _goal("ODI", baseline=40, target=30, kind="meaningful_change")
    result = goal_status(goal, [Point(_on(28), 28)], _on(29))
    assert result.status == "achieved"
    assert result.meaningful is True
    kinds = {t.kind: t for t in result.thresholds}
    assert set(kinds) == {"MCID", "MDC"}
    assert kinds["MCID"].source == "Ostelo 2008"
    assert kinds["MDC"].met
    assert "both the MCID and the MDC were applied" in result.meaningful_explanation
    assert result.thresholds_reason


def test_a_value_target_reached_below_the_thresholds_is_flagged() -> None:
    result = goal_status(_goal(baseline=6, target=5), [Point(_on(20), 5)], _on(21))
    assert result.status == "achieved"
    assert result.meaningful is False
    assert any("below the instrument's thresholds" in note for note in result.notes)


def test_instruments_without_an_mcid_refuse_a_meaningful_change_target() -> None:
    with pytest.raises(GoalError, match="no verified MCID") as caught:
        meaningful_change_target("PEG3", 7)
    assert caught.value.field == "target_kind"
    with pytest.raises(GoalError, match="would leave the NPRS range"):
        meaningful_change_target("NPRS", 1)


def test_a_target_must_improve_on_the_baseline_within_the_range_and_after_it() -> None:
    with pytest.raises(GoalError, match="lower is better"):
        check_target(_goal(baseline=6, target=7))
    with pytest.raises(GoalError, match="outside the NPRS range"):
        check_target(_goal(baseline=6, target=-1))
    with pytest.raises(GoalError, match="due date"):
        check_target(_goal(due=START))


def _rom_goal(local_mdc: float | None = 10) -> Goal:
    return Goal(
        measure="rom",
        label="thoracolumbar spine flexion",
        baseline=Point(START, 60, rater="7", instrument="inclinometer", position="standing"),
        target=80,
        target_kind="value",
        due_on=DUE,
        rom_local_mdc=local_mdc,
    )


def test_rom_counts_a_change_only_for_the_same_rater_instrument_and_position() -> None:
    same = Point(_on(21), 75, rater="7", instrument="inclinometer", position="standing")
    result = goal_status(_rom_goal(), [same], _on(22))
    assert result.meaningful is True
    assert result.thresholds[0].kind == "local MDC"
    assert result.status == "on_track"
    other = Point(_on(21), 75, rater="8", instrument="inclinometer", position="standing")
    result = goal_status(_rom_goal(), [other], _on(22))
    assert result.meaningful is None
    assert "different rater" in result.meaningful_explanation
    without = goal_status(_rom_goal(local_mdc=None), [same], _on(22))
    assert without.meaningful is None
    assert "No local MDC" in without.meaningful_explanation


def _progress(meaningful: bool | None, measurements: int = 2) -> GoalProgress:
    return GoalProgress(
        status="at_risk",
        label="ODI",
        reason="",
        baseline=40,
        baseline_on=START,
        latest=36,
        latest_on=_on(30),
        measurements=measurements,
        target=30,
        target_kind="meaningful_change",
        due_on=DUE,
        improvement=4,
        required=10,
        expected=7,
        meaningful=meaningful,
        meaningful_explanation="ODI improved by 4 points: not clinically meaningful.",
    )


def test_the_non_responder_alert_waits_for_six_signed_notes_by_default() -> None:
    assert not non_responder(_progress(False), signed_notes=5).alert
    alert = non_responder(_progress(False), signed_notes=6)
    assert alert.alert
    assert alert.after_notes == 6
    assert "refer the patient back" in alert.suggestion


def test_the_non_responder_threshold_is_configurable_per_call() -> None:
    assert non_responder(_progress(False), signed_notes=4, after_notes=4).alert
    assert not non_responder(_progress(False), signed_notes=4, after_notes=8).alert
    with pytest.raises(ValueError, match="at least 1"):
        non_responder(_progress(False), signed_notes=4, after_notes=0)


def test_no_alert_after_a_meaningful_change_and_none_when_it_cannot_be_decided() -> None:
    assert not non_responder(_progress(True), signed_notes=10).alert
    undecided = non_responder(_progress(None), signed_notes=10)
    assert not undecided.alert
    assert not undecided.decided
    assert not non_responder(None, signed_notes=10).alert


def test_without_a_re_assessment_the_alert_asks_for_one() -> None:
    alert = non_responder(_progress(False, measurements=0), signed_notes=6)
    assert alert.alert
    assert alert.suggestion.startswith("Re-assess ODI now")


def test_re_assessment_is_due_after_n_visits_or_n_days() -> None:
    due, why = reassessment_due(
        since=START, notes_since=6, today=_on(10), every_visits=6, every_days=None
    )
    assert due
    assert "6 signed visits" in why
    due, _ = reassessment_due(
        since=START, notes_since=2, today=_on(30), every_visits=6, every_days=30
    )
    assert due
    due, _ = reassessment_due(
        since=START, notes_since=2, today=_on(29), every_visits=6, every_days=30
    )
    assert not due


# ---------------------------------------------------------------------------------------
# Properties

INSTRUMENTS = ["NPRS", "ODI", "NDI", "LEFS", "PSFS", "QUICKDASH", "RMDQ"]


@st.composite
def cases(draw: st.DrawFn) -> tuple[Goal, list[Point], dt.date]:
    instrument = get_instrument(draw(st.sampled_from(INSTRUMENTS)))
    low, high = instrument.range_min, instrument.range_max
    better = 1 if instrument.higher_is_better else -1
    baseline = draw(st.integers(low, high))
    kind = draw(st.sampled_from(["value", "meaningful_change"]))
    if kind == "meaningful_change":
        try:
            target, _ = meaningful_change_target(instrument.id, baseline)
        except GoalError:
            assume(False)
            raise
    else:
        bound = high if better > 0 else low
        assume(bound != baseline)
        target = draw(st.integers(min(baseline, bound), max(baseline, bound)))
        assume(target != baseline)
    span = draw(st.integers(1, 120))
    today = START + dt.timedelta(days=draw(st.integers(0, span + 60)))
    days = draw(st.lists(st.integers(0, (today - START).days), min_size=1, max_size=6))
    values = draw(st.lists(st.integers(low, high), min_size=len(days), max_size=len(days)))
    series = [
        Point(START + dt.timedelta(days=d), float(v)) for d, v in zip(days, values, strict=True)
    ]
    goal = Goal(
        measure="instrument",
        label=instrument.id,
        baseline=Point(START, float(baseline)),
        target=float(target),
        target_kind=kind,  # type: ignore[arg-type]
        due_on=START + dt.timedelta(days=span),
        instrument=instrument.id,
    )
    return goal, series, today


def _move_latest(goal: Goal, series: list[Point], today: dt.date, step: float) -> list[Point]:
    """The same series with its latest measurement moved ``step`` toward the target."""
    ordered = sorted(series, key=lambda p: p.on)
    latest = ordered[-1]
    instrument = get_instrument(goal.instrument)
    sign = 1 if instrument.higher_is_better else -1
    moved = min(max(latest.value + sign * step, instrument.range_min), instrument.range_max)
    return [*ordered[:-1], Point(latest.on, moved)]


@given(cases(), st.floats(0, 100, allow_nan=False))
def test_moving_the_latest_measurement_toward_the_target_never_worsens_the_status(
    case: tuple[Goal, list[Point], dt.date], step: float
) -> None:
    goal, series, today = case
    before = goal_status(goal, series, today)
    after = goal_status(goal, _move_latest(goal, series, today, step), today)
    assert STATUS_RANK[after.status] >= STATUS_RANK[before.status]


@given(cases())
def test_once_the_latest_measurement_meets_the_target_the_goal_is_achieved(
    case: tuple[Goal, list[Point], dt.date],
) -> None:
    goal, series, today = case
    ordered = sorted(series, key=lambda p: p.on)
    met = [*ordered[:-1], Point(ordered[-1].on, goal.target)]
    result = goal_status(goal, met, today)
    assert result.status == "achieved"
    if goal.target_kind == "meaningful_change":
        assert result.meaningful is True


@given(cases())
def test_a_goal_not_achieved_by_its_due_date_is_never_on_track(
    case: tuple[Goal, list[Point], dt.date],
) -> None:
    goal, series, today = case
    result = goal_status(goal, series, today)
    if today > goal.due_on:
        assert result.status in ("achieved", "not_achieved")
    else:
        assert result.status != "not_achieved"
