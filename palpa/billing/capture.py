"""Turning one visit's technique entries into charge lines: a pure rule module.

Input: the note's techniques in order (technique id, minutes), the code of each technique
(the organization's map over the code book's defaults; ``None`` = not billed), the timed
codes, the payer's unit rule, prices per code and unit, the payer's modifiers and how many
diagnoses the visit has. Output: one line per code (in the order the codes first appear),
minutes summed per code, units (timed codes by ``palpa.billing.units.allocate``; untimed
codes 1 unit per session), modifiers on timed lines, diagnosis pointers (1-based, primary
first, at most ``max_pointers``), price x units rounded once, and the problems a biller
must look at. No database, no I/O (beyond the code book ``allocate`` reads once).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from palpa.billing.money import round_money
from palpa.billing.units import Rule, UnitsError, allocate

CLAIM_FORM_FILE = Path(__file__).resolve().parent / "data" / "claim_form.json"


@dataclass(frozen=True)
class Line:
    code: str
    timed: bool
    minutes: int
    units: int
    modifiers: tuple[str, ...]
    pointers: tuple[int, ...]
    techniques: tuple[str, ...]
    unit_price: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class Draft:
    lines: tuple[Line, ...]
    total: Decimal
    problems: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ClaimForm:
    default_place_of_service: str
    places_of_service: Mapping[str, str]
    max_diagnoses: int
    max_pointers: int


@cache
def claim_form() -> ClaimForm:
    doc: dict[str, Any] = json.loads(CLAIM_FORM_FILE.read_text(encoding="utf-8"))
    pos = doc["place_of_service"]
    places = {str(c["code"]): str(c["label"]) for c in pos["codes"]}
    if pos["default"] not in places or not pos.get("source"):
        raise ValueError("claim_form.json: the default place of service must be listed, sourced")
    diagnoses = doc["diagnoses"]
    return ClaimForm(
        default_place_of_service=str(pos["default"]),
        places_of_service=places,
        max_diagnoses=int(diagnoses["max_per_claim"]),
        max_pointers=int(diagnoses["max_pointers_per_line"]),
    )


def _label(technique: str) -> str:
    return technique.replace("_", " ")


def build_charge(
    techniques: Sequence[tuple[str, int]],
    *,
    code_for: Mapping[str, str | None],
    timed_codes: Collection[str],
    rule: Rule,
    prices: Mapping[str, Decimal],
    modifiers: Sequence[str] = (),
    diagnoses: int,
    max_pointers: int = 4,
) -> Draft:
    problems: list[str] = []
    minutes: dict[str, int] = {}
    mapped: dict[str, list[str]] = {}
    for technique, spent in techniques:
        code = code_for.get(technique)
        if not code:
            problems.append(
                f"{_label(technique).capitalize()} ({spent} min) has no billing code: not billed."
            )
            continue
        minutes[code] = minutes.get(code, 0) + spent
        if technique not in mapped.setdefault(code, []):
            mapped[code].append(technique)

    timed = {code: m for code, m in minutes.items() if code in timed_codes}
    units: dict[str, int] = {}
    notes: list[str] = []
    if timed:
        try:
            allocation = allocate(timed, rule=rule)
        except UnitsError as exc:
            problems.append(f"Units could not be counted: {exc}.")
        else:
            units = {line.code: line.units for line in allocation.lines}
            notes.extend(allocation.notes)
            notes.extend(f"{line.code}: {line.reason}" for line in allocation.lines)
    if not diagnoses:
        problems.append("No diagnosis to point to: link the note to a signed plan of care.")
    pointers = tuple(range(1, min(diagnoses, max_pointers) + 1))

    lines: list[Line] = []
    for code, spent in minutes.items():
        is_timed = code in timed_codes
        count = units.get(code, 0) if is_timed else 1
        price = prices.get(code)
        if price is None:
            problems.append(f"No price for {code}: add it to the fee schedule or price list.")
        if is_timed and count == 0:
            problems.append(f"{code}: {spent} min earn no unit under the {rule} rule.")
        amount = round_money((price or Decimal(0)) * count)
        lines.append(
            Line(
                code=code,
                timed=is_timed,
                minutes=spent,
                units=count,
                modifiers=tuple(modifiers) if is_timed and count else (),
                pointers=pointers,
                techniques=tuple(mapped[code]),
                unit_price=price,
                amount=amount,
            )
        )
    total = round_money(sum((line.amount for line in lines), Decimal(0)))
    return Draft(tuple(lines), total, tuple(problems), tuple(notes))


def price_per_service(draft: Draft, price: Decimal) -> Draft:
    """A self-pay visit priced per service: the total is ``price``, whatever the units;
    the lines keep their codes and units (the superbill lists them for the patient's
    claim) and share the price in proportion to their units, cent by cent (largest
    remainder, ties to the earlier line), so the lines add up to the total. Without a
    line with units the lines carry nothing and the total is still the price."""
    total = round_money(price)
    weights = [line.units for line in draft.lines]
    whole = sum(weights)
    cents = int(total * 100)
    shares = [0] * len(weights)
    if whole:
        exact = [Decimal(cents) * w / whole for w in weights]
        shares = [int(x) for x in exact]  # floors (all non-negative)
        left = cents - sum(shares)
        order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
        for i in order[:left]:
            shares[i] += 1
    lines = tuple(
        Line(
            code=line.code,
            timed=line.timed,
            minutes=line.minutes,
            units=line.units,
            modifiers=line.modifiers,
            pointers=line.pointers,
            techniques=line.techniques,
            unit_price=None,
            amount=round_money(Decimal(share) / 100),
        )
        for line, share in zip(draft.lines, shares, strict=True)
    )
    problems = tuple(p for p in draft.problems if not p.startswith("No price for "))
    return Draft(lines, total, problems, draft.notes)
