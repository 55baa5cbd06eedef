"""Properties of the units rules (hypothesis): what must hold for any day's minutes."""

from __future__ import annotations

import math
import random

from hypothesis import given
from hypothesis import strategies as st

from palpa.billing.units import Rule, allocate, table_units

TIMED = ("97124", "97140", "97112", "97110")
BOTH: tuple[Rule, ...] = ("cms", "per-code")

minutes = st.integers(min_value=0, max_value=240)
days = st.dictionaries(st.sampled_from(TIMED), minutes, min_size=0, max_size=len(TIMED))
tiny_days = st.dictionaries(
    st.sampled_from(TIMED), st.integers(min_value=0, max_value=7), min_size=1, max_size=4
)


def test_table_function_matches_every_printed_row() -> None:
    rows = [(1, 8, 22), (2, 23, 37), (3, 38, 52), (4, 53, 67)]
    rows += [(5, 68, 82), (6, 83, 97), (7, 98, 112), (8, 113, 127)]
    for units, low, high in rows:
        assert table_units(low - 1) == units - 1
        assert table_units(low) == units
        assert table_units(high) == units
        assert table_units(high + 1) == units + 1


@given(st.integers(min_value=0, max_value=2000))
def test_table_units_follow_the_15_minute_pattern(total: int) -> None:
    units = table_units(total)
    if total < 8:
        assert units == 0
    else:
        assert 15 * units - 7 <= total <= 15 * units + 7


@given(days)
def test_cms_total_units_are_the_tables_count_for_the_total(day: dict[str, int]) -> None:
    allocation = allocate(day)
    total = sum(day.values())
    assert allocation.total_minutes == total
    assert allocation.total_units == table_units(total)
    assert sum(line.units for line in allocation.lines) == allocation.total_units
    # never more than the total minutes allow by the table
    assert allocation.total_units <= (total + 7) // 15


@given(days)
def test_cms_every_code_of_15_minutes_or_more_gets_a_unit(day: dict[str, int]) -> None:
    for line in allocate(day).lines:
        if line.minutes >= 15:
            assert line.units >= 1, line


@given(days)
def test_cms_no_code_gets_more_units_than_its_minutes_can_carry(day: dict[str, int]) -> None:
    for line in allocate(day).lines:
        # full blocks plus at most one unit for the leftover
        assert line.units <= line.minutes // 15 + (1 if line.minutes % 15 else 0)
        assert line.units <= math.ceil(line.minutes / 15)
        assert line.units >= line.minutes // 15


@given(days)
def test_lines_follow_the_input_order_one_per_code(day: dict[str, int]) -> None:
    for rule in BOTH:
        allocation = allocate(day, rule=rule)
        assert [line.code for line in allocation.lines] == list(day)
        assert [line.minutes for line in allocation.lines] == list(day.values())
        assert all(line.reason for line in allocation.lines)


@given(days, st.randoms(use_true_random=False))
def test_order_does_not_change_totals_or_units_per_code(
    day: dict[str, int], rnd: random.Random
) -> None:
    items = list(day.items())
    rnd.shuffle(items)
    shuffled = dict(items)
    for rule in BOTH:
        a = allocate(day, rule=rule)
        b = allocate(shuffled, rule=rule)
        assert (a.total_minutes, a.total_units) == (b.total_minutes, b.total_units)
        # Palpa's tie-break never looks at input order, so per-code units agree too
        assert {x.code: x.units for x in a.lines} == {x.code: x.units for x in b.lines}


@given(days)
def test_per_code_rule_is_the_sum_of_the_table_per_code(day: dict[str, int]) -> None:
    allocation = allocate(day, rule="per-code")
    for line in allocation.lines:
        assert line.units == table_units(line.minutes)
    assert allocation.total_units == sum(table_units(m) for m in day.values())
    assert allocation.total_minutes == sum(day.values())


@given(days)
def test_extra_units_go_to_the_largest_leftovers(day: dict[str, int]) -> None:
    lines = allocate(day).lines
    winners = [x for x in lines if x.units > x.minutes // 15]
    losers = [x for x in lines if x.units == x.minutes // 15 and x.minutes % 15]
    for w in winners:
        for lo in losers:
            assert w.minutes % 15 >= lo.minutes % 15, (w, lo)
            if w.minutes % 15 == lo.minutes % 15:  # tie: more minutes, then lower code
                assert (-w.minutes, w.code) < (-lo.minutes, lo.code)


@given(tiny_days)
def test_services_of_7_minutes_or_less_totalling_8_bill_the_longest(
    day: dict[str, int],
) -> None:
    allocation = allocate(day)
    total = sum(day.values())
    if total < 8:
        assert allocation.total_units == 0
        return
    assert allocation.total_units == table_units(total)
    longest = max(day.values())
    billed = [x for x in allocation.lines if x.units]
    assert all(x.units == 1 for x in billed)
    assert any(x.minutes == longest for x in billed)
    if allocation.total_units == 1:
        assert billed[0].minutes == longest


@given(st.sampled_from(TIMED), st.integers(min_value=0, max_value=7))
def test_a_single_service_under_8_minutes_is_not_billable(code: str, mins: int) -> None:
    for rule in BOTH:
        assert allocate({code: mins}, rule=rule).total_units == 0


@given(st.sampled_from(TIMED), minutes)
def test_one_code_alone_gets_the_same_units_under_both_rules(code: str, mins: int) -> None:
    cms = allocate({code: mins})
    per_code = allocate({code: mins}, rule="per-code")
    assert cms.total_units == per_code.total_units == table_units(mins)
