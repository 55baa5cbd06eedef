"""Pure rules: money rounding (half up to cents, in one place) and turning a visit's
techniques into charge lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palpa.billing.capture import build_charge, claim_form
from palpa.billing.money import Money, round_money
from palpa.billing.units import allocate

TIMED = ("97110", "97112", "97124", "97140")
CODES = {
    "swedish": "97124",
    "deep_tissue": "97124",
    "myofascial_release": "97140",
    "neuromuscular_reeducation": "97112",
    "therapeutic_exercise": "97110",
    "reflexology": None,
}
PRICES = {"97110": Decimal("31.00"), "97112": Decimal("32.00"), "97124": Decimal("25.00")}


@pytest.mark.parametrize(
    ("value", "rounded"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("-2.675", "-2.68"), ("7", "7.00")],
)
def test_money_rounds_half_up_to_cents(value: str, rounded: str) -> None:
    assert round_money(value) == Decimal(rounded)
    assert str(round_money(value)) == rounded


def test_money_keeps_its_currency() -> None:
    assert str(Money(Decimal("1234.5")) + Money(Decimal("0.5"))) == "1,235.00 USD"
    with pytest.raises(ValueError, match="Cannot add EUR to USD"):
        Money(Decimal(1)) + Money(Decimal(1), "EUR")
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(Decimal(1), "usd")
    assert Money(Decimal("12.50")).times(3) == Money(Decimal("37.50"))


@given(st.decimals(min_value=-(10**6), max_value=10**6, allow_nan=False, places=4))
def test_rounding_moves_an_amount_by_at_most_half_a_cent(value: Decimal) -> None:
    rounded = round_money(value)
    assert abs(rounded - value) <= Decimal("0.005")
    assert rounded == round_money(rounded)


def test_the_default_place_of_service_is_office() -> None:
    form = claim_form()
    assert form.default_place_of_service == "11"
    assert form.places_of_service["11"] == "Office"
    assert form.max_pointers == 4


def test_a_visit_becomes_one_line_per_code_with_pointers_and_modifiers() -> None:
    draft = build_charge(
        [("therapeutic_exercise", 24), ("swedish", 10), ("deep_tissue", 13), ("reflexology", 5)],
        code_for=CODES,
        timed_codes=TIMED,
        rule="cms",
        prices=PRICES,
        modifiers=["GP"],
        diagnoses=6,
    )
    assert [(ln.code, ln.minutes, ln.units, ln.pointers) for ln in draft.lines] == [
        ("97110", 24, 2, (1, 2, 3, 4)),  # 47 min = 3 units; 97110 leftover 9 > 97124's 8
        ("97124", 23, 1, (1, 2, 3, 4)),
    ]
    assert all(ln.modifiers == ("GP",) for ln in draft.lines)
    assert draft.total == Decimal("87.00")
    assert draft.problems == ("Reflexology (5 min) has no billing code: not billed.",)


techniques = st.lists(
    st.tuples(st.sampled_from(sorted(CODES)), st.integers(min_value=1, max_value=90)),
    max_size=6,
)


@given(techniques, st.sampled_from(["cms", "per-code"]), st.integers(0, 12))
def test_lines_add_up_and_keep_every_billed_minute(
    visit: list[tuple[str, int]], rule: str, diagnoses: int
) -> None:
    draft = build_charge(
        visit,
        code_for=CODES,
        timed_codes=TIMED,
        rule=rule,  # type: ignore[arg-type]
        prices=PRICES,
        diagnoses=diagnoses,
    )
    billed = sum(m for t, m in visit if CODES[t])
    assert sum(ln.minutes for ln in draft.lines) == billed
    assert len({ln.code for ln in draft.lines}) == len(draft.lines)
    assert draft.total == sum((ln.amount for ln in draft.lines), Decimal(0))
    for line in draft.lines:
        assert line.amount == round_money((line.unit_price or 0) * line.units)
        assert line.pointers == tuple(range(1, min(diagnoses, 4) + 1))
    minutes = {ln.code: ln.minutes for ln in draft.lines}
    if minutes:  # the units are the engine's, untouched
        expected = {c.code: c.units for c in allocate(minutes, rule=rule).lines}  # type: ignore[arg-type]
        assert {ln.code: ln.units for ln in draft.lines} == expected
    if any(ln.unit_price is None for ln in draft.lines):
        assert any("No price for 97140" in p for p in draft.problems)


@pytest.mark.parametrize("typed", ["1e309", "-" + "9" * 30, "9" * 20, "1E+28"])
def test_an_amount_too_large_to_round_is_refused_naming_the_field(typed: str) -> None:
    from django.core.exceptions import ValidationError

    from palpa.billing.services import parse_amount

    with pytest.raises(ValidationError) as refused:
        parse_amount(typed, "amount", signed=True)
    assert refused.value.message_dict == {"amount": ["The amount is at most 99999999.99."]}
