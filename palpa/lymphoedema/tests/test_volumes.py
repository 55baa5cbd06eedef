"""Limb volumes by the truncated-cone model and the change measures (pure functions)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palpa.lymphoedema.volumes import (
    ChangeUndefined,
    MeasurementSet,
    NotComparable,
    VolumeInputError,
    absolute_change_percent,
    excess,
    excess_change_percent,
    excess_percent,
    excess_volume,
    interlimb_difference,
    limb_volume,
    percent_change,
    percent_of,
    relative_volume_change,
    rvc,
    segment_volume,
    volume,
)

circumference = st.floats(min_value=1, max_value=150, allow_nan=False, allow_infinity=False)
interval = st.floats(min_value=0.5, max_value=20, allow_nan=False, allow_infinity=False)
limb = st.lists(circumference, min_size=2, max_size=15)
few = settings(max_examples=40)


def arm(*circumferences: float, name: str = "left arm", landmark: str = "wrist") -> MeasurementSet:
    return MeasurementSet(name, landmark, 4.0, tuple(circumferences))


def test_worked_example_of_one_limb_and_its_excess() -> None:
    """By hand, 4 cm apart, affected 22, 24, 27, 30 cm:
    segments 22-24: 4·(484 + 528 + 576)/(12π) = 6352/(12π) = 168.49 mL;
    24-27: 4·(576 + 648 + 729)/(12π) = 7812/(12π) = 207.22 mL;
    27-30: 4·(729 + 810 + 900)/(12π) = 9756/(12π) = 258.79 mL; sum 23920/(12π) = 634.50 mL.
    Unaffected 21, 23, 25, 28 cm: 4·(1453 + 1729 + 2109)/(12π) = 21164/(12π) = 561.39 mL.
    Excess 73.11 mL... exactly (23920 - 21164)/(12π) = 2756/(12π) = 73.105 mL, which is
    2756/21164 = 13.02 % of the unaffected limb."""
    assert segment_volume(22, 24, 4) == pytest.approx(6352 / (12 * math.pi), rel=1e-12)
    affected, unaffected = arm(22, 24, 27, 30), arm(21, 23, 25, 28, name="right arm")
    assert affected.volume_ml == pytest.approx(23920 / (12 * math.pi), rel=1e-12)
    assert volume(affected).display() == 634.5
    assert unaffected.volume_ml == pytest.approx(21164 / (12 * math.pi), rel=1e-12)
    assert excess_volume(affected, unaffected).value == pytest.approx(2756 / (12 * math.pi))
    assert excess_volume(affected, unaffected).display() == 73.1
    assert excess_percent(affected, unaffected).value == pytest.approx(2756 / 21164 * 100)
    assert excess_percent(affected, unaffected).display() == 13.0


def test_each_measure_carries_its_formula_source_and_tag() -> None:
    affected, unaffected = arm(22, 24, 27, 30), arm(21, 23, 25, 28, name="right arm")
    shown = volume(affected).as_dict()
    assert shown["unit"] == "mL"
    assert shown["source_short"] == "Mayrovitz 2007"
    assert "1362" in shown["source"]
    assert shown["tag"] == "V"
    rvc_measure = relative_volume_change((affected, unaffected), (affected, unaffected)).as_dict()
    assert rvc_measure["formula"] == "RVC = (A2·U1)/(U2·A1) \N{MINUS SIGN} 1"
    assert rvc_measure["tag"] == "P"
    assert rvc_measure["evidence"].startswith("partly verified")
    assert rvc_measure["value"] == 0


@few
@given(c=circumference, h=interval, n=st.integers(min_value=1, max_value=20))
def test_a_cylinder_is_n_h_c_squared_over_4_pi(c: float, h: float, n: int) -> None:
    assert limb_volume([c] * (n + 1), h) == pytest.approx(n * h * c * c / (4 * math.pi), rel=1e-12)


@few
@given(c_top=circumference, h=interval, n=st.integers(min_value=1, max_value=20))
def test_a_cone_from_its_apex_is_pi_r_squared_height_over_3(c_top: float, h: float, n: int) -> None:
    circumferences = [c_top * i / n for i in range(n + 1)]  # 0 at the apex, linear
    r, height = c_top / (2 * math.pi), n * h
    assert limb_volume(circumferences, h) == pytest.approx(math.pi * r * r * height / 3, rel=1e-12)


@few
@given(cs=limb, h=interval, data=st.data())
def test_volume_grows_with_every_circumference(
    cs: list[float], h: float, data: st.DataObject
) -> None:
    point = data.draw(st.integers(min_value=0, max_value=len(cs) - 1))
    bigger = list(cs)
    bigger[point] += data.draw(st.floats(min_value=0.01, max_value=10))
    assert limb_volume(bigger, h) > limb_volume(cs, h)


@few
@given(cs=st.lists(circumference, min_size=3, max_size=15), h=interval, data=st.data())
def test_splitting_a_limb_at_a_point_sums_the_two_parts(
    cs: list[float], h: float, data: st.DataObject
) -> None:
    split = data.draw(st.integers(min_value=1, max_value=len(cs) - 2))
    parts = limb_volume(cs[: split + 1], h) + limb_volume(cs[split:], h)
    assert parts == pytest.approx(limb_volume(cs, h), rel=1e-12)


@few
@given(a1=st.floats(100, 5000), u1=st.floats(100, 5000), a2=st.floats(100, 5000))
def test_rvc_is_zero_when_nothing_changes_and_follows_the_affected_ratio(
    a1: float, u1: float, a2: float
) -> None:
    assert rvc(a1, u1, a1, u1) == pytest.approx(0, abs=1e-12)
    # The unaffected limb unchanged: RVC is the affected limb's own relative change.
    assert rvc(a1, u1, a2, u1) == pytest.approx(a2 / a1 - 1, rel=1e-9, abs=1e-12)
    # Both limbs growing in proportion (e.g. weight gain) is no change.
    assert rvc(a1, u1, a1 * 1.1, u1 * 1.1) == pytest.approx(0, abs=1e-12)


@few
@given(a=st.floats(100, 5000), u=st.floats(100, 5000))
def test_excess_identities(a: float, u: float) -> None:
    assert excess(a, u) == a - u
    assert excess(u, u) == 0
    assert percent_of(excess(a, u), u) == pytest.approx((a / u - 1) * 100, rel=1e-9, abs=1e-9)
    assert percent_change(u, u) == 0


def test_percent_change_in_excess_volume_since_the_start() -> None:
    """Start: excess 2756/(12π) mL (above). Now the affected arm is 21, 23, 26, 29 cm:
    4·(1453 + 1803 + 2271)/(12π) = 22108/(12π); excess (22108 - 21164)/(12π) = 944/(12π).
    Change: (944 - 2756)/2756 = -65.75 %."""
    right_start = arm(21, 23, 25, 28, name="right arm")
    start = (arm(22, 24, 27, 30), right_start)
    now = (arm(21, 23, 26, 29), arm(21, 23, 25, 28, name="right arm"))
    change = excess_change_percent(start, now)
    assert change.value == pytest.approx((944 - 2756) / 2756 * 100)
    assert change.display() == -65.7
    with pytest.raises(ChangeUndefined, match="excess greater than 0 at the start"):
        excess_change_percent((right_start, right_start), now)


def test_absolute_change_for_a_bilateral_case() -> None:
    before, after = arm(22, 24, 27, 30), arm(21, 23, 26, 29)
    change = absolute_change_percent(before, after)
    assert change.value == pytest.approx((22108 - 23920) / 23920 * 100)
    assert change.formula.source.short == "EWMA 2014"


def test_interlimb_difference_against_the_thresholds() -> None:
    result = interlimb_difference(arm(22, 24, 27, 30), arm(21, 23, 25, 28, name="right arm"))
    assert result.meets_volume_threshold  # 13.0 % >= 10 %
    assert (result.largest_circumference_difference_cm, result.at_point) == (2, 3)
    assert result.meets_circumference_threshold
    assert result.volume_threshold.tag == "P"
    small = interlimb_difference(arm(30.3, 32.3), arm(30.3, 30.3, name="right arm"))
    assert small.meets_circumference_threshold  # 32.3 - 30.3 is 2 cm, not 1.9999…
    assert 32.3 - 30.3 < 2
    assert not small.meets_volume_threshold  # 6.7 %
    assert small.at_point == 2


@pytest.mark.parametrize(
    ("other", "named"),
    [
        (arm(21, 23, 25, 28, name="right arm", landmark="elbow"), "landmark (wrist vs elbow)"),
        (MeasurementSet("right arm", "wrist", 5.0, (21, 23, 25, 28)), "interval (4 cm vs 5 cm)"),
        (arm(21, 23, 25, name="right arm"), "number of points (4 vs 3)"),
    ],
)
def test_sets_taken_differently_are_not_compared(other: MeasurementSet, named: str) -> None:
    with pytest.raises(NotComparable, match=re.escape(named)):
        excess_volume(arm(22, 24, 27, 30), other)
    with pytest.raises(NotComparable, match="measurements of the left arm and the right arm"):
        excess_volume(arm(22, 24, 27, 30), other)
    same_arm = MeasurementSet(
        "left arm", other.landmark, other.interval_cm, other.circumferences_cm
    )
    with pytest.raises(
        NotComparable, match=f"Two measurements of the left arm .*{re.escape(named)}"
    ):
        absolute_change_percent(arm(22, 24, 27, 30), same_arm)


@pytest.mark.parametrize(
    ("interval_cm", "circumferences", "message"),
    [
        (0.0, (20.0, 21.0), "left arm interval: 0 cm is not allowed"),
        (25.0, (20.0, 21.0), "at most 20 cm"),
        (4.0, (20.0,), "1 circumference(s) given; give from 2 to 50"),
        (4.0, (20.0, -1.0), "point 2 is -1 cm; a circumference must be greater than 0"),
        (4.0, (20.0, 0.0), "point 2 is 0 cm"),
        (
            4.0,
            (200.0, 21.0),
            "point 1 is 200 cm; a circumference must be greater than 0 and at most 150",
        ),
        (4.0, (20.0, math.nan), "point 2 is nan cm"),
    ],
)
def test_a_measurement_set_outside_the_limits_is_refused_naming_the_rule(
    interval_cm: float, circumferences: tuple[float, ...], message: str
) -> None:
    with pytest.raises(VolumeInputError, match=re.escape(message)):
        MeasurementSet("left arm", "wrist", interval_cm, circumferences)
