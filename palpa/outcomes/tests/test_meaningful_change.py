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
    assert "both the MCID and the MDC were applied" in result.explanation


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


def test_ndi_thresholds_are_raw_points() -> None:
    result = meaningful_change("NDI", 20, 15)
    assert result.mcid is not None
    assert result.mcid.unit == "points"
    assert result.meaningful is True
    assert meaningful_change("NDI", 20, 16).meaningful is False


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
        assert result.improvement >= result.mcid.value
        if result.mdc is not None:
            assert result.improvement >= result.mdc.value
    if result.mcid is None:
        assert result.meaningful is None
