"""Goal status, meaningful change and the non-responder alert: the pure rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

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


def test_behind_the_straight_line_by_more_than_the_mdc_is_at_risk() -> None:
    # ODI 60 -> 30 over 42 days: halfway the line expects 15 points; the MDC is 10.
    goal = _goal("ODI", baseline=60, target=30)
    behind = goal_status(goal, [Point(_on(21), 56)], _on(22))
    assert behind.status == "at_risk"
    assert behind.expected == 15
    assert "behind the straight line" in behind.reason.lower()
    ahead = goal_status(goal, [Point(_on(21), 50)], _on(22))  # 10 better, 5 behind the line
    assert ahead.status == "on_track"
    assert ahead.detected == "better"


def test_worse_than_the_baseline_is_at_risk() -> None:
    result = goal_status(_goal(), [Point(_on(7), 8)], _on(8))
    assert result.status == "at_risk"
    assert result.improvement == -2
    assert result.reason.startswith("Worse than the baseline")


def test_without_a_new_measurement_the_goal_shows_no_detectable_change_and_says_so() -> None:
    result = goal_status(_goal(), [], _on(10))
    assert result.status == "no_change"
    assert result.status_label == "No detectable change"
    assert result.reason.startswith("Not measured since the baseline")
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
    assert "MDC 2 (PSFS form (Stratford 1995))" in basis
    target, basis = meaningful_change_target("PSFS", 3, activity=True)
    assert target == 6  # one activity: the single-activity MDC of 3
    target, basis = meaningful_change_target("NDI", 24)
    assert target == 14.5  # Cleland 2008: 19 percentage points = 9.5 raw


def test_meaningful_change_needs_both_mcid_and_mdc_and_names_their_sources() -> None:
    goal = _goal("ODI", baseline=40, target=30, kind="meaningful_change")
    result = goal_status(goal, [Point(_on(28), 28)], _on(29))
    assert result.status == "achieved"
    assert result.meaningful is True
    kinds = {t.kind: t for t in result.thresholds}
    assert set(kinds) == {"MCID", "MDC", "relative MCID"}
    assert kinds["MCID"].source == "Ostelo 2008"
    assert kinds["MDC"].met
    assert result.decided_by == "absolute"
    assert "the MCID and the MDC were both applied" in result.meaningful_explanation
    assert result.thresholds_reason


def test_a_value_target_reached_beyond_the_mdc_but_below_the_mcid_is_flagged() -> None:
    # NDI 20 -> 14: 6 raw points, beyond Vernon's MDC (5), under Cleland's MCID (9.5).
    goal = _goal("NDI", baseline=20, target=14)
    check_target(goal)
    result = goal_status(goal, [Point(_on(20), 14)], _on(21))
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
    activity = instrument.id == "PSFS" and draw(st.booleans())
    goal = Goal(
        measure="psfs_activity" if activity else "instrument",
        label=instrument.id,
        baseline=Point(START, float(baseline)),
        target=float(target),
        target_kind=kind,  # type: ignore[arg-type]
        due_on=START + dt.timedelta(days=span),
        instrument=instrument.id,
    )
    if kind == "meaningful_change" and activity:
        try:
            target, _ = meaningful_change_target(instrument.id, baseline, activity=True)
        except GoalError:
            assume(False)
            raise
        goal = replace(goal, target=float(target))
    try:
        check_target(goal)  # a target inside measurement error is refused when it is set
    except GoalError:
        assume(False)
        raise
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


# ---------------------------------------------------------------------------------------
# Issue 18: measurement error, relative thresholds, one PSFS activity (reference A2)


def test_ndi_10_to_8_against_a_target_of_8_is_refused_and_never_achieved() -> None:
    goal = _goal("NDI", baseline=10, target=8)
    with pytest.raises(GoalError, match="MDC of 5 points \\(Vernon\\)") as caught:
        check_target(goal)
    assert caught.value.field == "target_value"
    assert "could never be shown to be reached" in str(caught.value)
    result = goal_status(goal, [Point(_on(14), 8)], _on(15))
    assert result.status == "no_change"
    assert result.detected == "none"
    assert any("inside measurement error" in note for note in result.notes)


def test_nprs_5_to_4_one_day_later_is_not_achieved() -> None:
    goal = _goal(baseline=5, target=4)
    with pytest.raises(GoalError, match="MDC of 2 points \\(Childs 2005\\)"):
        check_target(goal)
    result = goal_status(goal, [Point(_on(1), 4)], _on(1))
    assert result.status != "achieved"
    assert result.status == "no_change"


def test_nprs_unchanged_at_6_one_day_later_is_not_at_risk() -> None:
    result = goal_status(_goal(), [Point(_on(1), 6)], _on(1))
    assert result.status == "no_change"
    assert result.detected == "none"


def test_nprs_6_to_7_in_the_first_week_is_no_detectable_change() -> None:
    result = goal_status(_goal(), [Point(_on(5), 7)], _on(6))
    assert result.status == "no_change"
    assert result.improvement == -1
    assert "No detectable change" in result.reason
    assert "Worse than the baseline" not in result.reason
    worse = goal_status(_goal(), [Point(_on(5), 8)], _on(6))  # 2 points: the MDC
    assert worse.status == "at_risk"
    assert worse.reason.startswith("Worse than the baseline beyond measurement error")


def test_odi_12_to_3_achieves_by_the_relative_threshold_and_says_so() -> None:
    goal = _goal("ODI", baseline=12, target=3)
    check_target(goal)  # 9 points is under the MDC, but 75 % of the baseline
    result = goal_status(goal, [Point(_on(28), 3)], _on(29))
    assert result.status == "achieved"
    assert result.meaningful is True
    assert result.decided_by == "relative"
    assert result.decided_by_label.startswith("relative threshold")
    assert any("relative threshold" in note for note in result.notes)
    big = goal_status(_goal("ODI", baseline=80, target=70), [Point(_on(28), 70)], _on(29))
    assert big.decided_by == "absolute"
    assert big.status == "achieved"


def test_a_psfs_activity_is_judged_by_the_single_activity_mdc() -> None:
    goal = Goal(
        measure="psfs_activity",
        label="PSFS: Running 10 km",
        baseline=Point(START, 4),
        target=7,
        target_kind="value",
        due_on=DUE,
        instrument="PSFS",
    )
    check_target(goal)
    with pytest.raises(GoalError, match="MDC of 3 points"):
        check_target(replace(goal, target=6))
    two = goal_status(goal, [Point(_on(21), 6)], _on(22))  # 2: the average's MDC, not one's
    assert two.detected == "none"
    assert two.status == "no_change"
    assert two.noise_band == 3
    three = goal_status(goal, [Point(_on(21), 7)], _on(22))
    assert three.status == "achieved"
    assert three.meaningful is True


def test_a_rom_target_inside_the_local_mdc_is_refused() -> None:
    with pytest.raises(GoalError, match="local MDC is 10 degrees") as caught:
        check_target(replace(_rom_goal(local_mdc=10), target=70))
    assert caught.value.field == "target_value"
    check_target(_rom_goal(local_mdc=10))  # 20 degrees


@st.composite
def noise_cases(draw: st.DrawFn) -> tuple[Goal, float]:
    goal, _series, _today = draw(cases())
    return goal, draw(st.floats(0, 50, allow_nan=False))


@given(noise_cases(), st.integers(0, 200))
def test_the_noise_band_is_symmetric_around_the_baseline(
    case: tuple[Goal, float], days: int
) -> None:
    goal, size = case
    instrument = get_instrument(goal.instrument)
    up = goal.baseline.value + size
    down = goal.baseline.value - size
    assume(instrument.range_min <= down and up <= instrument.range_max)
    better, worse = (up, down) if instrument.higher_is_better else (down, up)
    today = min(START + dt.timedelta(days=days), goal.due_on)
    gain = goal_status(goal, [Point(today, better)], today)
    loss = goal_status(goal, [Point(today, worse)], today)
    if gain.decided_by != "relative" and not (
        gain.detected == "better" and size < (gain.noise_band or 0)
    ):
        # By absolute points the band is the same on both sides.
        assert (gain.detected == "better") == (loss.detected == "worse"), (size, gain, loss)
    if size < (loss.noise_band or 0):
        assert loss.detected == "none"
        assert not loss.reason.startswith("Worse than the baseline")


@given(cases())
def test_a_goal_is_never_achieved_inside_the_mdc_unless_the_relative_threshold_decides(
    case: tuple[Goal, list[Point], dt.date],
) -> None:
    goal, series, today = case
    result = goal_status(goal, series, today)
    if result.status == "achieved" and result.noise_band is not None:
        assert result.improvement >= result.noise_band - 1e-9 or result.decided_by == "relative"
    if result.detected == "none":
        assert result.status != "achieved"


# --- a second independent review (issue 18): cases not given in the issue -------------


def _activity(baseline: float, target: float) -> Goal:
    return replace(_goal("PSFS", baseline, target), measure="psfs_activity")


@pytest.mark.parametrize(
    ("instrument", "baseline", "latest", "status", "detected"),
    [
        ("NPRS", 6, 8, "at_risk", "worse"),  # 2 points worse: reaches Childs' MDC of 2
        ("NPRS", 6, 7, "no_change", "none"),  # inside the MDC
        ("LEFS", 40, 31, "at_risk", "worse"),  # higher is better: 9 down reaches the MDC 9
        ("LEFS", 40, 32, "no_change", "none"),
        ("ODI", 40, 50, "at_risk", "worse"),  # lower is better: 10 up reaches the MDC 10
        ("ODI", 40, 48, "no_change", "none"),
        ("QUICKDASH", 50, 67.1, "at_risk", "worse"),  # van Kampen's SDC 17.1, exactly
        ("QUICKDASH", 50, 67, "no_change", "none"),
    ],
)
def test_worsening_counts_only_beyond_the_mdc_in_the_instrument_s_direction(
    instrument: str, baseline: float, latest: float, status: str, detected: str
) -> None:
    # measured again on the baseline day, so the straight line expects nothing yet and
    # only the change from the baseline is judged
    target = {"NPRS": 3, "LEFS": 60, "ODI": 20, "QUICKDASH": 30}[instrument]
    result = goal_status(_goal(instrument, baseline, target), [Point(_on(0), latest)], _on(0))
    assert (result.status, result.detected) == (status, detected)


def test_a_value_target_exactly_at_the_mdc_is_accepted_and_reached_is_achieved() -> None:
    goal = _goal("LEFS", 40, 49)  # Binkley 1999: MDC 9
    check_target(goal)
    assert goal_status(goal, [Point(_on(14), 49)], _on(14)).status == "achieved"
    with pytest.raises(GoalError, match="MDC of 9 points"):
        check_target(_goal("LEFS", 40, 48))


def test_one_psfs_activity_uses_the_single_activity_mdc_of_3() -> None:
    assert goal_status(_activity(3, 6), [Point(_on(14), 5)], _on(14)).status == "no_change"
    assert goal_status(_activity(3, 6), [Point(_on(14), 6)], _on(14)).status == "achieved"
    with pytest.raises(GoalError, match="PSFS activity: a change must reach the MDC of 3"):
        check_target(_activity(3, 5))
    # the average of the activities uses 2 (and the MCID 2.3 for meaningfulness)
    assert goal_status(_goal("PSFS", 3, 6), [Point(_on(14), 5.3)], _on(14)).detected == "better"


def test_a_relative_decision_never_says_beyond_measurement_error() -> None:
    """ODI 6 -> 4 is 33 % of the baseline (Ostelo 2008) but 2 points, under the MDC of 10:
    palpa-default wording said "Target reached beyond measurement error (MDC 10 points)"."""
    result = goal_status(_goal("ODI", 6, 4), [Point(_on(14), 4)], _on(14))
    assert (result.status, result.decided_by) == ("achieved", "relative")
    assert "beyond measurement error" not in result.reason
    assert "counted by the relative threshold" in result.reason
    assert "under the MDC 10 points" in result.reason


def test_without_a_known_measurement_error_the_reason_says_so() -> None:
    """PROMIS PI raw and PEG3 have no verified MDC or MCID: every change counts, and the
    words must not claim one was beyond measurement error."""
    worse = goal_status(_goal("PROMIS_PI_6A", 20, 15), [Point(_on(14), 21)], _on(14))
    assert (worse.status, worse.noise_band) == ("at_risk", None)
    assert "beyond measurement error" not in worse.reason
    assert "no measurement error is known for PROMIS_PI_6A" in worse.reason
    reached = goal_status(_goal("PEG3", 5, 3), [Point(_on(14), 3)], _on(14))
    assert reached.status == "achieved"
    assert "beyond measurement error" not in reached.reason
    assert reached.meaningful is None


def test_relative_thresholds_at_low_baselines_where_the_source_gives_them() -> None:
    """Ostelo 2008: RMDQ 5 points or 30 %; NPRS 2 points or 30 %, but NPRS 3 -> 2 stays
    inside Childs' verified MDC of 2 and is refused as a target."""
    rmdq = goal_status(_goal("RMDQ", 6, 4), [Point(_on(14), 4)], _on(14))
    assert (rmdq.status, rmdq.decided_by) == ("achieved", "relative")
    with pytest.raises(GoalError, match="MDC of 2 points"):
        check_target(_goal("NPRS", 3, 2))
