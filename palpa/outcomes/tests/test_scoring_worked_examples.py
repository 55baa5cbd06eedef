"""Worked examples, computed by hand from the published formulas (reference A1)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from palpa.outcomes.scoring import AnswerError, score

# --- ODI: sum / (5 x sections answered) x 100 ----------------------------------------------


def test_odi_all_ten_sections_is_the_sum_times_two() -> None:
    result = score("ODI", [0, 1, 2, 3, 4, 5, 0, 1, 2, 3])  # sum 21
    assert result.score == 42
    assert result.band == "severe disability"
    assert (result.items_answered, result.items_total) == (10, 10)
    assert result.unit == "%"
    assert result.direction == "higher_is_worse"


def test_odi_published_example_16_of_50_is_32_percent() -> None:
    result = score("ODI", [2, 2, 2, 2, 2, 2, 1, 1, 1, 1])  # sum 16
    assert result.score == 32
    assert result.band == "moderate disability"


def test_odi_one_missing_section_takes_5_off_the_denominator() -> None:
    # Published example: 16 / 45 x 100 = 35.5 %; never 16 / 50 (the FHIRPath trap).
    result = score("ODI", [2, 2, 2, None, 2, 2, 2, 1, 1, 2])  # sum 16, 9 answered
    assert result.score == pytest.approx(float(Fraction(1600, 45)))
    assert result.score == pytest.approx(35.56, abs=0.01)
    assert result.missing_items == (4,)
    assert (result.items_answered, result.items_total) == (9, 10)
    assert result.band == "moderate disability"
    assert "16 / (5 x 9) x 100" in result.calculation


def test_odi_two_missing_sections_are_refused_naming_both() -> None:
    with pytest.raises(AnswerError) as caught:
        score("ODI", [2, None, 2, None, 2, 2, 2, 1, 1, 2])
    assert caught.value.item == 2
    assert "sections 2 and 4" in str(caught.value)
    assert "at most 1" in str(caught.value)


def test_odi_bands_at_their_edges() -> None:
    def odi(total: int) -> str | None:
        answers = [5] * (total // 5) + ([total % 5] if total % 5 else [])
        return score("ODI", answers + [0] * (10 - len(answers))).band

    assert odi(10) == "minimal disability"  # 20 %
    assert odi(11) == "moderate disability"  # 22 %
    assert odi(20) == "moderate disability"  # 40 %
    assert odi(21) == "severe disability"  # 42 %
    assert odi(31) == "crippled"  # 62 %
    assert odi(41) == "bed-bound or exaggerating symptoms"  # 82 %


# --- NDI: raw = sum / (5 x answered) x 50, percent = raw x 2 -----------------------------


def test_ndi_all_answered_reports_raw_and_percent() -> None:
    result = score("NDI", [3, 3, 3, 2, 2, 2, 2, 2, 2, 2])  # sum 23
    assert result.score == 23
    assert result.percent == 46
    assert result.range == (0, 50)
    assert result.band == "moderate disability"


def test_ndi_one_missing_item_takes_the_mean_of_the_others() -> None:
    result = score("NDI", [3, 3, 3, 2, 2, None, 2, 2, 2, 1])  # sum 20 over 9
    # Vernon: 20 + 20/9 = 22.22 = 20 / 45 x 50; percent 44.44
    assert result.score == pytest.approx(20 + 20 / 9)
    assert result.percent == pytest.approx(44.444, abs=1e-3)
    assert result.band == "moderate disability"


def test_ndi_two_missing_items() -> None:
    result = score("NDI", [None, 3, 3, 2, 2, None, 2, 1, 1, 1])  # sum 15 over 8
    assert result.score == pytest.approx(18.75)
    assert result.percent == pytest.approx(37.5)
    assert result.missing_items == (1, 6)


def test_ndi_three_missing_items_are_refused() -> None:
    with pytest.raises(AnswerError) as caught:
        score("NDI", [None, 3, None, 2, 2, None, 2, 1, 1, 1])
    assert "items 1, 3 and 6" in str(caught.value)


def test_ndi_bands_are_vernons_raw_bands_not_the_pacio_percent_bands() -> None:
    def ndi(total: int) -> str | None:
        answers = [5] * (total // 5) + ([total % 5] if total % 5 else [])
        return score("NDI", answers + [0] * (10 - len(answers))).band

    assert ndi(4) == "no disability"
    assert ndi(5) == "mild disability"
    assert ndi(14) == "mild disability"
    assert ndi(15) == "moderate disability"
    assert ndi(24) == "moderate disability"
    assert ndi(25) == "severe disability"
    assert ndi(34) == "severe disability"  # 68 %: PACIO would say 'complete'
    assert ndi(35) == "complete disability"


def test_ndi_fractional_raw_score_is_rounded_before_banding() -> None:
    result = score("NDI", [1, 1, 1, 1, 0, 0, 0, 0, 0, None])  # 4 / 45 x 50 = 4.44
    assert result.score == pytest.approx(4.444, abs=1e-3)
    assert result.band == "no disability"


# --- QuickDASH: ((sum / n) - 1) x 25, n >= 10 of 11 ---------------------------------------


def test_quickdash_all_eleven_answered() -> None:
    assert score("QUICKDASH", [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 3]).score == 50  # 33/11 = 3
    assert score("QUICKDASH", [1] * 11).score == 0
    assert score("QUICKDASH", [5] * 11).score == 100


def test_quickdash_one_missing_uses_the_ten_answered() -> None:
    result = score("QUICKDASH", [3, 2, 2, 2, 2, 2, 3, 2, 3, None, 2])  # 23 / 10
    assert result.score == pytest.approx(32.5)  # (2.3 - 1) x 25
    assert (result.items_answered, result.items_total) == (10, 11)


def test_quickdash_two_missing_are_refused() -> None:
    with pytest.raises(AnswerError) as caught:
        score("QUICKDASH", [3, 2, None, 2, 2, 2, 3, 2, 3, None, 2])
    assert caught.value.item == 3
    assert "items 3 and 10" in str(caught.value)
    assert "10 of the 11" in str(caught.value)


def test_quickdash_modules_need_all_four() -> None:
    assert score("QUICKDASH_WORK", [1, 2, 3, 4]).score == pytest.approx(37.5)
    with pytest.raises(AnswerError):
        score("QUICKDASH_SPORTS", [1, 2, None, 4])


# --- RMDQ: count of yes ------------------------------------------------------------------


def test_rmdq_counts_the_yes_answers() -> None:
    answers: list[object] = [*([1] * 7), *([0] * 17)]
    assert score("RMDQ", answers).score == 7


def test_rmdq_accepts_true_false_and_not_applicable_scores_as_no() -> None:
    answers: list[object] = [True, False, "not applicable", "NA", True] + [0] * 19
    result = score("RMDQ", answers)
    assert result.score == 2
    assert result.items_answered == 24


def test_rmdq_refuses_an_unanswered_statement() -> None:
    with pytest.raises(AnswerError) as caught:
        score("RMDQ", [1] * 23 + [None])
    assert caught.value.item == 24
    assert "statement 24" in str(caught.value)


# --- LEFS: sum of 20 items, 0-4 ----------------------------------------------------------


def test_lefs_is_the_sum_and_higher_is_better() -> None:
    result = score("LEFS", [3] * 10 + [2] * 10)
    assert result.score == 50
    assert result.range == (0, 80)
    assert result.direction == "higher_is_better"


def test_lefs_refuses_a_missing_item_and_an_out_of_range_answer() -> None:
    with pytest.raises(AnswerError, match="item 5 is unanswered"):
        score("LEFS", [4, 4, 4, 4, None] + [4] * 15)
    with pytest.raises(AnswerError, match="item 2 answer 5 is out of range 0 to 4"):
        score("LEFS", [4, 5] + [4] * 18)


# --- PSFS: mean of the rated activities ---------------------------------------------------


def test_psfs_is_the_mean_of_the_rated_activities() -> None:
    assert score("PSFS", [3, 5, 7]).score == 5
    assert score("PSFS", [4, 5]).score == pytest.approx(4.5)
    result = score("PSFS", [2, None, 6])
    assert result.score == 4
    assert (result.items_answered, result.items_total) == (2, 3)
    assert result.answers == (2, None, 6)  # each activity's own score is kept


def test_psfs_refuses_no_ratings_and_out_of_range() -> None:
    with pytest.raises(AnswerError, match="at least 1 activity"):
        score("PSFS", [])
    with pytest.raises(
        AnswerError, match=r"activities 1 and 2 are unanswered\. No activity is answered"
    ):
        score("PSFS", [None, None])
    with pytest.raises(AnswerError, match="activity 1 answer 11 is out of range 0 to 10"):
        score("PSFS", [11])


# --- The others ---------------------------------------------------------------------------


def test_peg_is_the_mean_of_three_and_needs_all_three() -> None:
    assert score("PEG3", [4, 5, 9]).score == 6
    assert score("peg-3", [5, 6, 6]).score == pytest.approx(17 / 3)
    with pytest.raises(AnswerError, match="item 2 is unanswered"):
        score("PEG3", [4, None, 9])


def test_promis_pain_interference_is_the_raw_sum_without_t_score() -> None:
    result = score("PROMIS_PI_6A", [2, 3, 3, 4, 2, 1])
    assert result.score == 15
    assert result.range == (6, 30)
    assert result.unit == "raw points"
    assert "No T-score" in result.rule
    with pytest.raises(AnswerError, match="item 6 is unanswered"):
        score("PROMIS_PI_6A", [2, 3, 3, 4, 2, None])
    with pytest.raises(AnswerError, match="out of range 1 to 5"):
        score("PROMIS_PI_6A", [0, 3, 3, 4, 2, 1])


def test_nprs_and_groc_are_their_single_rating() -> None:
    assert score("NPRS", [7]).score == 7
    assert score("GROC", [-7]).score == -7
    assert score("GROC", [5]).direction == "higher_is_better"
    with pytest.raises(AnswerError, match="out of range -7 to 7"):
        score("GROC", [8])
    with pytest.raises(AnswerError, match="rating 1 is unanswered"):
        score("NPRS", [None])


def test_answers_must_be_a_list_of_whole_numbers() -> None:
    with pytest.raises(AnswerError, match="not a list"):
        score("NPRS", 7)
    with pytest.raises(AnswerError, match="expected 1 answers"):
        score("NPRS", [])
    with pytest.raises(AnswerError, match=r"2\.5 is not a whole number"):
        score("NPRS", [2.5])
    with pytest.raises(AnswerError, match="true is not valid"):
        score("NPRS", [True])
    assert score("NPRS", [3.0]).score == 3
