"""Money: a Decimal amount with its currency, rounded in one place.

Every amount Palpa stores or shows is a ``Decimal`` with two places and an ISO 4217
currency code beside it. Rounding happens here only: ``round_money`` rounds half up to
cents (0.005 -> 0.01), the rule for every price x units, refund and adjustment.
Pure: no database, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
DEFAULT_CURRENCY = "USD"
MAX_AMOUNT = Decimal("99999999.99")  # what a DecimalField(max_digits=10, decimal_places=2) holds


def round_money(value: Decimal | int | str) -> Decimal:
    """The one rounding rule: half up to cents."""
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{value!r} is not an amount of money.") from exc


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", round_money(self.amount))
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"{self.currency!r} is not an ISO 4217 currency code (e.g. USD).")

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"Cannot add {other.currency} to {self.currency}.")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def times(self, units: int) -> Money:
        return Money(self.amount * units, self.currency)

    def __str__(self) -> str:
        sign = "-" if self.amount < 0 else ""
        return f"{sign}{abs(self.amount):,.2f} {self.currency}"


def zero(currency: str = DEFAULT_CURRENCY) -> Money:
    return Money(Decimal(0), currency)
