"""The CMS worked examples (Pub. 100-04, Ch. 5, section 20.2, as in Palpa's clinical
reference, section E) and edge cases, under both rules, with their reasons and notes."""

from __future__ import annotations

import pytest

from palpa.billing.units import Allocation, CodeUnits, Rule, UnitsError, allocate


def units(allocation: Allocation) -> dict[str, int]:
    return {line.code: line.units for line in allocation.lines}


def test_cms_example_33_min_exercise_and_7_min_manual_therapy() -> None:
    allocation = allocate({"97110": 33, "97140": 7})
    assert allocation.rule == "cms"
    assert (allocation.total_minutes, allocation.total_units) == (40, 3)
    assert units(allocation) == {"97110": 2, "97140": 1}
    assert allocation.lines[0] == CodeUnits(
        "97110",
        33,
        2,
        "2 full 15-minute blocks (30 of 33 min); 3 leftover min earn no unit "
        "(the remaining 1 unit went to larger leftovers)",
    )
    assert allocation.lines[1].reason == (
        "1 unit for 7 leftover min (the largest leftover of the day)"
    )
    assert allocation.notes == ("total 40 timed minutes = 3 units (CMS table: 38-52 min)",)


def test_cms_example_24_min_neuromuscular_and_23_min_exercise() -> None:
    allocation = allocate({"97112": 24, "97110": 23})
    assert (allocation.total_minutes, allocation.total_units) == (47, 3)
    assert units(allocation) == {"97112": 2, "97110": 1}


def test_per_code_rule_on_the_cms_examples_counts_each_code_alone() -> None:
    # The per-code rule is a different rule: it does not pool minutes, so it differs
    # from the CMS results on these examples (that difference is why it is per payer).
    first = allocate({"97110": 33, "97140": 7}, rule="per-code")
    assert units(first) == {"97110": 2, "97140": 0}
    assert first.total_units == 2
    assert first.lines[1].reason == "7 min of 97140 < 8: not billable under the per-code rule"
    second = allocate({"97112": 24, "97110": 23}, rule="per-code")
    assert units(second) == {"97112": 2, "97110": 2}
    assert second.total_units == 4
    assert second.lines[0].reason == (
        "24 min of 97112 = 2 units (23-37 min per code, 8-minute midpoint)"
    )


@pytest.mark.parametrize(
    ("mins", "expected"),
    [(0, 0), (7, 0), (8, 1), (22, 1), (23, 2), (37, 2), (38, 3), (127, 8), (128, 9)],
)
def test_one_code_at_the_table_edges(mins: int, expected: int) -> None:
    rules: tuple[Rule, ...] = ("cms", "per-code")
    for rule in rules:
        allocation = allocate({"97124": mins}, rule=rule)
        assert allocation.total_units == expected
        assert allocation.lines[0].units == expected


def test_7_minutes_alone_is_not_billable_and_says_so() -> None:
    allocation = allocate({"97124": 7})
    assert allocation.total_units == 0
    assert allocation.notes == ("total 7 timed minutes < 8: nothing billable",)
    assert allocation.lines[0].reason == "7 min; the day's total of 7 timed minutes is under 8"


def test_no_codes_and_zero_minutes_bill_nothing() -> None:
    empty = allocate({})
    assert (empty.total_minutes, empty.total_units, empty.lines) == (0, 0, ())
    assert empty.notes == ("no timed minutes: nothing billable",)
    zero = allocate({"97140": 0, "97110": 30})
    assert units(zero) == {"97140": 0, "97110": 2}
    assert zero.lines[0].reason == "0 min: nothing to bill"


def test_two_tiny_services_totalling_8_bill_one_unit_to_the_longer() -> None:
    allocation = allocate({"97140": 3, "97124": 5})
    assert units(allocation) == {"97140": 0, "97124": 1}
    assert "every service 7 minutes or less, total 8 min: 1 unit to the longest" in (
        allocation.notes
    )


def test_many_tiny_services_can_earn_more_than_one_unit() -> None:
    allocation = allocate({"97124": 7, "97140": 7, "97112": 7, "97110": 6})
    assert (allocation.total_minutes, allocation.total_units) == (27, 2)
    # the three 7-minute services tie; equal minutes, so the lower codes win
    assert units(allocation) == {"97124": 1, "97140": 0, "97112": 1, "97110": 0}
    assert "every service 7 minutes or less, total 27 min: 2 units to the 2 longest, 1 each" in (
        allocation.notes
    )


def test_tie_on_leftover_goes_to_more_minutes_then_to_the_lower_code() -> None:
    # 20 + 20 = 40 min = 3 units; 1 block each, leftovers tie at 5 -> lower code
    tie = allocate({"97112": 20, "97110": 20})
    assert units(tie) == {"97112": 1, "97110": 2}
    assert tie.notes[-1] == (
        "tie on 5 leftover minutes between 97110, 97112: the unit goes to 97110 "
        "(Palpa's tie-break: more total minutes, then the lower code)"
    )
    assert tie.lines[0].reason.endswith("earn no unit (lost the tie-break, see notes)")
    assert tie.lines[1].reason.endswith("won the tie-break, see notes)")
    # 35 + 5 = 40 min = 3 units; leftovers tie at 5 -> the code with more minutes
    by_minutes = allocate({"97124": 5, "97140": 35})
    assert units(by_minutes) == {"97124": 0, "97140": 3}


def test_leftover_beats_block_count() -> None:
    # 44 min (2 blocks, 14 left) + 10 min: 54 min = 4 units -> 3 + 1
    allocation = allocate({"97110": 44, "97140": 10})
    assert units(allocation) == {"97110": 3, "97140": 1}
    # 15 + 7 + 7 = 29 min = 2 units; the 15-minute code keeps its unit
    allocation = allocate({"97110": 15, "97140": 7, "97124": 7})
    assert units(allocation) == {"97110": 1, "97140": 0, "97124": 1}


def test_a_code_of_15_minutes_keeps_its_unit_beside_larger_leftovers() -> None:
    allocation = allocate({"97112": 15, "97140": 14, "97124": 14})
    # 43 min = 3 units: 1 block for 97112, then 14 and 14 leftovers take the other 2
    assert units(allocation) == {"97112": 1, "97140": 1, "97124": 1}


@pytest.mark.parametrize(
    ("day", "rule", "message"),
    [
        ({"9714": 10}, "cms", "code '9714' (rule cms): a code must be 5 digits"),
        ({"97140": -1}, "cms", "code 97140 (rule cms): minutes -1 must be 0 or more"),
        ({"97140": 7.5}, "per-code", "code 97140 (rule per-code): minutes 7.5 must be a whole"),
        ({"97140": True}, "cms", "code 97140 (rule cms): minutes True must be a whole"),
        ({"97010": 10}, "cms", "code 97010 (rule cms): 97010 (Hot or cold packs) is untimed"),
        ({"97161": 10}, "cms", "code 97161 (rule cms): 97161 is not a timed code"),
        ({"97140": 10}, "medicare", "rule 'medicare' is unknown; use one of: cms, per-code"),
    ],
)
def test_bad_input_is_refused_naming_the_code_and_rule(
    day: dict[str, int], rule: str, message: str
) -> None:
    with pytest.raises(UnitsError) as exc:
        allocate(day, rule=rule)  # type: ignore[arg-type]
    assert message in str(exc.value)
    assert isinstance(exc.value, ValueError)
