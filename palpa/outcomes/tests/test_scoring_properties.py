"""Hypothesis properties of scoring: bounds, monotonicity and the missing-item rules."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palpa.outcomes.library import Instrument, load_library
from palpa.outcomes.scoring import AnswerError, score

INSTRUMENTS = list(load_library().instruments.values())
IDS = [i.id for i in INSTRUMENTS]


def _allowed_missing(instrument: Instrument, count: int) -> int:
    rule = instrument.missing
    return rule.max_missing if rule.max_missing is not None else count - rule.min_answered


@st.composite
def administrations(draw: st.DrawFn, instrument: Instrument) -> list[int | None]:
    """A valid administration: answers in range, missing items within the rule."""
    count = instrument.items.count or draw(
        st.integers(instrument.items.min_count, instrument.items.max_count or 8)
    )
    response = instrument.items.response
    values: list[int | None] = list(
        draw(st.lists(st.integers(response.min, response.max), min_size=count, max_size=count))
    )
    k = draw(st.integers(0, _allowed_missing(instrument, count)))
    for index in draw(st.sets(st.integers(0, count - 1), min_size=k, max_size=k)):
        values[index] = None
    return values


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
@given(data=st.data())
def test_every_valid_administration_scores_within_the_range(
    instrument: Instrument, data: st.DataObject
) -> None:
    answers = data.draw(administrations(instrument))
    result = score(instrument, answers)
    assert instrument.range_min <= result.score <= instrument.range_max
    assert result.items_answered == sum(a is not None for a in answers)
    assert result.items_total == len(answers)
    assert result.missing_items == tuple(n for n, a in enumerate(answers, 1) if a is None)
    json.dumps(result.as_dict())  # always printable as JSON


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
@given(data=st.data())
def test_raising_one_answer_raises_the_score(instrument: Instrument, data: st.DataObject) -> None:
    answers = data.draw(administrations(instrument))
    top = instrument.items.response.max
    raisable = [i for i, a in enumerate(answers) if a is not None and a < top]
    if not raisable:
        return
    index = data.draw(st.sampled_from(raisable))
    higher = list(answers)
    value = higher[index]
    assert value is not None
    higher[index] = value + 1
    assert score(instrument, higher).score > score(instrument, answers).score


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
@given(data=st.data())
def test_one_missing_item_too_many_is_refused_naming_the_first(
    instrument: Instrument, data: st.DataObject
) -> None:
    count = instrument.items.count or data.draw(st.integers(1, instrument.items.max_count or 8))
    allowed = _allowed_missing(instrument, count)
    if allowed + 1 > count:
        return
    response = instrument.items.response
    answers: list[int | None] = list(
        data.draw(st.lists(st.integers(response.min, response.max), min_size=count, max_size=count))
    )
    gaps = sorted(
        data.draw(st.sets(st.integers(0, count - 1), min_size=allowed + 1, max_size=allowed + 1))
    )
    for index in gaps:
        answers[index] = None
    with pytest.raises(AnswerError) as caught:
        score(instrument, answers)
    assert caught.value.item == gaps[0] + 1
    assert caught.value.rule == instrument.missing.rule
    assert f"{gaps[0] + 1}" in str(caught.value)


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
@given(data=st.data())
def test_an_out_of_range_answer_is_refused_naming_the_item(
    instrument: Instrument, data: st.DataObject
) -> None:
    answers: list[int | None] = list(data.draw(administrations(instrument)))
    response = instrument.items.response
    index = data.draw(st.integers(0, len(answers) - 1))
    bad = data.draw(
        st.one_of(st.integers(max_value=response.min - 1), st.integers(min_value=response.max + 1))
    )
    answers[index] = bad
    with pytest.raises(AnswerError) as caught:
        score(instrument, answers)
    assert caught.value.item == index + 1
    assert f"{instrument.items.label} {index + 1} answer {bad} is out of range" in str(caught.value)


@pytest.mark.parametrize("instrument_id", ["ODI", "NDI"])
@given(data=st.data())
def test_odi_and_ndi_proration_equals_filling_each_gap_with_the_mean(
    instrument_id: str, data: st.DataObject
) -> None:
    instrument = load_library().get(instrument_id)
    answers = data.draw(administrations(instrument))
    answered = [a for a in answers if a is not None]
    mean = Fraction(sum(answered), len(answered))
    filled = sum(answered) + mean * (len(answers) - len(answered))  # Vernon's rule
    assert instrument.scoring.scale_max is not None
    expected = filled / 50 * instrument.scoring.scale_max
    assert score(instrument, answers).score == pytest.approx(float(expected))


@given(data=st.data())
def test_quickdash_scores_with_at_most_one_missing(data: st.DataObject) -> None:
    answers = data.draw(st.lists(st.integers(1, 5) | st.none(), min_size=11, max_size=11))
    missing = answers.count(None)
    if missing <= 1:
        answered = [a for a in answers if a is not None]
        expected = (Fraction(sum(answered), len(answered)) - 1) * 25
        assert score("QUICKDASH", answers).score == pytest.approx(float(expected))
    else:
        with pytest.raises(AnswerError, match="10 of the 11"):
            score("QUICKDASH", answers)


@pytest.mark.parametrize("instrument_id", ["ODI", "NDI"])
@given(data=st.data())
def test_bands_never_go_down_as_the_score_goes_up(instrument_id: str, data: st.DataObject) -> None:
    instrument = load_library().get(instrument_id)
    assert instrument.bands is not None
    order = [b.label for b in instrument.bands.bands]
    one = score(instrument, data.draw(administrations(instrument)))
    two = score(instrument, data.draw(administrations(instrument)))
    low, high = sorted([one, two], key=lambda r: r.score)
    assert low.band is not None
    assert high.band is not None
    assert order.index(low.band) <= order.index(high.band)


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_a_wrong_count_is_refused_without_an_item(instrument: Instrument) -> None:
    if instrument.items.count is None:
        return
    with pytest.raises(AnswerError) as caught:
        score(instrument, [instrument.items.response.min] * (instrument.items.count + 1))
    assert caught.value.item is None
    assert f"expected {instrument.items.count} answers" in str(caught.value)
