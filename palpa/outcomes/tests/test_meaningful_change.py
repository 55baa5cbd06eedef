"""meaningful_change: direction-adjusted improvement against the designated MCID and MDC."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palpa.outcomes.library import load_library
from palpa.outcomes.scoring import meaningful_change, score


def test_odi_fall_of_12_meets_both_the_mcid_and_the_mdc() -> None:
    result = meaningful_change("ODI", 40, 28)
    assert result.change == -12
    assert result.improvement == 12
    assert result.trend == "improved"
    assert result.meaningful is True
    assert result.mcid is not None
    assert result.mcid.value == 10
    assert result.mcid.met
    assert result.mcid.source == "Ostelo 2008"
    assert result.mdc is not None
    assert result.mdc.tag == "P"
    assert result.decided_by == "absolute"
    assert result.detected == "better"
    assert "the MCID and the MDC were both applied" in result.explanation


def test_a_change_below_the_mdc_is_not_meaningful_even_above_the_mcid() -> None:
    result = meaningful_change("QUICKDASH", 60, 45)  # 15: >= MIC 13.4, < SDC 17.1
    assert result.mcid is not None
    assert result.mcid.met
    assert result.mdc is not None
    assert not result.mdc.met
    assert result.meaningful is False


def test_without_an_mdc_only_the_mcid_is_applied_and_the_result_says_so() -> None:
    result = meaningful_change("RMDQ", 12, 6)
    assert result.meaningful is True
    assert result.mdc is None
    assert result.worsened_beyond_mdc is None
    assert "only the MCID was applied" in result.explanation


def test_without_an_mcid_meaningfulness_is_not_decided() -> None:
    for instrument, before, after in [("PEG3", 7, 3), ("PROMIS_PI_6A", 24, 12), ("GROC", 0, 5)]:
        result = meaningful_change(instrument, before, after)
        assert result.meaningful is None
        assert result.mcid is None
        assert "not decided" in result.explanation


def test_higher_is_better_scales_improve_upwards() -> None:
    result = meaningful_change("LEFS", 40, 50)
    assert result.improvement == 10
    assert result.meaningful is True
    worse = meaningful_change("LEFS", 50, 40)
    assert worse.trend == "worsened"
    assert worse.meaningful is False
    assert worse.worsened_beyond_mdc is True


def test_ndi_applies_clelands_mcid_in_raw_points_and_vernons_mdc() -> None:
    # Cleland 2008: 19 percentage points = 9.5 raw (percent = raw x 2, Vernon & Mior 1991);
    # Vernon's 5 raw points stay as the MDC.
    result = meaningful_change("NDI", 20, 10)
    assert result.mcid is not None
    assert result.mcid.value == 9.5
    assert result.mcid.unit == "points"
    assert result.mcid.source == "Cleland 2008"
    assert result.mdc is not None
    assert result.mdc.value == 5
    assert result.meaningful is True
    five = meaningful_change("NDI", 20, 15)  # Vernon's old MCID: beyond noise, not important
    assert five.meaningful is False
    assert five.detected == "better"


def test_score_results_can_be_compared_directly() -> None:
    before = score("ODI", [3, 3, 3, 3, None, 3, 3, 3, 3, 3])  # 60 %
    after = score("ODI", [2, 2, 1, 2, 2, 2, 2, 1, 2, 2])  # 36 %
    result = meaningful_change("ODI", before, after)
    assert result.improvement == pytest.approx(24)
    with pytest.raises(ValueError, match="is a ODI score, not NDI"):
        meaningful_change("NDI", before, after)


def test_scores_outside_the_range_are_refused() -> None:
    with pytest.raises(ValueError, match="followup 11 is outside the NPRS range 0-10"):
        meaningful_change("NPRS", 5, 11)


def test_the_fractional_scores_of_a_missing_section_do_not_miss_the_threshold() -> None:
    before = score("ODI", [2, 2, 2, None, 2, 2, 2, 2, 2, 3])  # 19/45 = 42.22
    after = score("ODI", [1, 2, 2, None, 1, 1, 1, 1, 1, 1])  # 11/45 = 24.44 (17.78 less)
    assert meaningful_change("ODI", before, after).meaningful is True


@given(
    instrument_id=st.sampled_from(list(load_library().ids())),
    data=st.data(),
)
def test_improvement_follows_the_direction_and_flags_only_past_both_thresholds(
    instrument_id: str, data: st.DataObject
) -> None:
    instrument = load_library().get(instrument_id)
    values = st.integers(instrument.range_min, instrument.range_max)
    before, after = data.draw(values), data.draw(values)
    result = meaningful_change(instrument, before, after)
    sign = 1 if instrument.higher_is_better else -1
    assert result.improvement == sign * (after - before)
    reverse = meaningful_change(instrument, after, before)
    assert reverse.improvement == -result.improvement
    if result.meaningful:
        assert result.mcid is not None
        if result.decided_by == "absolute":
            assert result.improvement >= result.mcid.value
            if result.mdc is not None:
                assert result.improvement >= result.mdc.value
        else:
            # Ostelo's "or 30 %": only where the source gives a relative threshold.
            assert result.decided_by == "relative"
            assert result.relative is not None
            assert result.relative.met
            room = before - instrument.range_min
            if instrument.higher_is_better:
                room = instrument.range_max - before
            assert result.improvement >= result.relative.value / 100 * room - 1e-9
            # Never inside a verified MDC.
            if result.mdc is not None and result.mdc.tag == "V":
                assert result.improvement >= result.mdc.value
    if result.mcid is None:
        assert result.meaningful is None


# ---------------------------------------------------------------------------------------
# Issue 18: relative thresholds, the noise band, one PSFS activity (reference A2)


def test_odi_12_to_3_is_meaningful_by_ostelos_relative_threshold() -> None:
    # Ostelo 2008: "10 points or 30 %". 9 points is under 10, but 75 % of the baseline.
    result = meaningful_change("ODI", 12, 3)
    assert result.meaningful is True
    assert result.decided_by == "relative"
    assert result.relative is not None
    assert result.relative.met
    assert result.relative.value == 30
    assert result.relative.source == "Ostelo 2008"
    assert result.mcid is not None
    assert not result.mcid.met
    assert result.detected == "better"
    assert "counted by the relative threshold" in result.explanation


def test_odi_80_to_70_is_meaningful_by_the_absolute_threshold() -> None:
    result = meaningful_change("ODI", 80, 70)  # 10 points, 12.5 %
    assert result.meaningful is True
    assert result.decided_by == "absolute"
    assert result.relative is not None
    assert not result.relative.met


def test_the_relative_threshold_is_a_share_of_the_baseline_and_only_for_improvement() -> None:
    assert meaningful_change("ODI", 40, 30).decided_by == "absolute"
    below = meaningful_change("ODI", 40, 32)  # 8 points, 20 %
    assert below.meaningful is False
    assert below.decided_by is None
    assert meaningful_change("RMDQ", 10, 7).decided_by == "relative"  # 3 points, 30 %
    worse = meaningful_change("ODI", 3, 12)
    assert worse.meaningful is False
    assert worse.detected == "none"  # 9 points worse: inside the MDC of 10


def test_instruments_whose_source_gives_no_relative_threshold_never_use_one() -> None:
    for instrument, before, after in [("NDI", 10, 6), ("LEFS", 70, 76), ("QUICKDASH", 20, 5)]:
        result = meaningful_change(instrument, before, after)
        assert result.relative is None
        assert result.decided_by is None
        assert result.meaningful is False


def test_nprs_changes_of_one_point_are_no_detectable_change_either_way() -> None:
    # Childs 2005: MDC 2 on the 0-10 NPRS.
    for before, after in [(5, 4), (6, 7), (6, 6)]:
        result = meaningful_change("NPRS", before, after)
        assert result.detected == "none", (before, after)
        assert result.meaningful is False
        assert "no detectable change" in result.explanation
    assert meaningful_change("NPRS", 6, 8).detected == "worse"
    assert meaningful_change("NPRS", 6, 4).detected == "better"


def test_a_relative_change_inside_a_verified_mdc_is_still_noise() -> None:
    # NPRS 3 -> 2 is 33 % of the baseline (Ostelo's 30 %), but one point is inside
    # Childs 2005's verified MDC of 2: no detectable change, not meaningful.
    for before, after in [(3, 2), (2, 1), (1, 0)]:
        result = meaningful_change("NPRS", before, after)
        assert result.detected == "none", (before, after)
        assert result.meaningful is False
        assert result.decided_by is None
        assert "reached" in result.explanation
        assert "inside the verified MDC" in result.explanation
    # Two points from a low baseline: beyond the MDC, and meaningful.
    assert meaningful_change("NPRS", 3, 1).decided_by == "absolute"
    # The ODI's MDC comes from secondary sources only ([P]): Ostelo's relative rule decides.
    assert meaningful_change("ODI", 12, 3).decided_by == "relative"


def test_ndi_10_to_8_is_inside_the_mdc() -> None:
    result = meaningful_change("NDI", 10, 8)
    assert result.detected == "none"
    assert result.meaningful is False


def test_without_an_mdc_the_mcid_is_the_noise_band() -> None:
    result = meaningful_change("RMDQ", 12, 10)
    assert result.noise_basis == "MCID (no MDC known)"
    assert result.noise_band == 5
    assert result.detected == "none"


def test_one_psfs_activity_is_judged_by_the_single_activity_mdc() -> None:
    # The PSFS form (Stratford 1995): MDC90 2 points for the average, 3 for one activity.
    average = meaningful_change("PSFS", 4, 7)
    assert average.meaningful is True
    assert average.mdc is not None
    assert average.mdc.value == 2
    one = meaningful_change("PSFS", 4, 6, activity=True)
    assert one.mdc is not None
    assert one.mdc.value == 3
    assert one.mdc.source == "PSFS form (Stratford 1995)"
    assert one.detected == "none"
    assert one.meaningful is False
    assert one.activity
    assert meaningful_change("PSFS", 4, 7, activity=True).meaningful is True
    with pytest.raises(ValueError, match="no single-activity thresholds"):
        meaningful_change("NDI", 20, 10, activity=True)


@given(
    instrument_id=st.sampled_from(list(load_library().ids())),
    data=st.data(),
)
def test_the_noise_band_is_symmetric_and_never_meaningful_inside_it_by_absolute_points(
    instrument_id: str, data: st.DataObject
) -> None:
    instrument = load_library().get(instrument_id)
    values = st.integers(instrument.range_min, instrument.range_max)
    before, after = data.draw(values), data.draw(values)
    result = meaningful_change(instrument, before, after)
    band = result.noise_band
    if band is None:
        return
    if abs(result.improvement) < band and result.decided_by != "relative":
        assert result.detected == "none"
        assert not result.meaningful
    if result.detected == "worse":
        assert -result.improvement >= band
    if result.decided_by == "absolute":
        assert result.improvement >= band
    # Mirror the change around the baseline: an equal worsening is detected exactly when
    # the improvement is, by absolute points.
    mirrored = before - (after - before)
    inside = instrument.range_min <= mirrored <= instrument.range_max
    if inside and result.detected == "better" and result.improvement >= band:
        assert meaningful_change(instrument, before, mirrored).detected == "worse"
