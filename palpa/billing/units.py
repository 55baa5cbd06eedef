"""Billing units for timed 15-minute codes: a pure rule module (no database, no I/O).

``allocate({"97110": 33, "97140": 7})`` turns the minutes of each timed code performed on
one day into billable units, under one of two rules:

``cms`` (Medicare Claims Processing Manual, Pub. 100-04, Ch. 5, section 20.2):
    1. The unit count comes from the *total* timed minutes: 8-22 minutes = 1 unit,
       23-37 = 2, ... (n units for 15n - 7 to 15n + 7 minutes).
    2. A single timed service under 8 minutes alone is not billable (total < 8).
    3. A code performed 15 minutes or more gets at least 1 unit (its full blocks).
    4. Each code first gets its full 15-minute blocks; the remaining units go, one each,
       to the codes with the most leftover minutes.
    5. Several services each 7 minutes or less that total 8 or more: 1 unit to the
       longest (this is step 4 when no code has a full block).
    Tie-break (CMS says "either"; Palpa decides, so results never depend on input order):
    equal leftover minutes go first to the code with more total minutes, then to the
    lower code (text order, e.g. 97110 before 97140). Every tie decided this way is
    named in the notes.

``per-code`` (CPT midpoint rule, used by some commercial payers): each code on its own
    earns 1 unit from 8 of its minutes, then 1 more at each further 15 minutes with the
    same midpoint (the CMS table applied per code, never pooled).

Timed codes only: untimed codes (e.g. 97010, 1 unit per session, Medicare status B) are not
this module's job, and ``allocate`` refuses them with :class:`UnitsError`, as it refuses
codes the code book (``palpa/billing/data/codes.json``) does not list as timed. The code
book is read once through :func:`palpa.billing.codes.load_codes`; nothing else is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from palpa.billing.codes import CODE_FORMAT, load_codes, valid_code_format

Rule = Literal["cms", "per-code"]
RULES: tuple[str, ...] = get_args(Rule)
UNIT_MINUTES = 15
# One code's timed minutes for one day: at most the minutes in a day. Larger numbers are
# typing slips (or attacks), not treatment time.
MAX_MINUTES = 24 * 60
MINIMUM_MINUTES = 8


class UnitsError(ValueError):
    """Bad input to ``allocate``; the message names the code (or rule) and the rule broken."""


@dataclass(frozen=True)
class CodeUnits:
    code: str
    minutes: int
    units: int
    reason: str  # plain-English why, e.g. "2 full 15-minute blocks (30 of 33 min)"


@dataclass(frozen=True)
class Allocation:
    rule: Rule
    total_minutes: int  # total timed minutes
    total_units: int
    lines: tuple[CodeUnits, ...]  # one per code given, in input order
    notes: tuple[str, ...]  # e.g. "total 7 timed minutes < 8: nothing billable"


def table_units(minutes: int) -> int:
    """Units for a number of timed minutes by the CMS table: 0 below 8, then 1 for 8-22,
    2 for 23-37, ... (n for 15n - 7 to 15n + 7)."""
    if minutes < MINIMUM_MINUTES:
        return 0
    return (minutes + UNIT_MINUTES // 2) // UNIT_MINUTES


def table_range(units: int) -> tuple[int, int]:
    """The total minutes that give ``units`` units by the table (units >= 1)."""
    return UNIT_MINUTES * units - 7, UNIT_MINUTES * units + 7


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _check(minutes_by_code: Mapping[str, int], rule: str) -> None:
    if rule not in RULES:
        raise UnitsError(f"rule {rule!r} is unknown; use one of: {', '.join(RULES)}")
    book = load_codes()
    for code, minutes in minutes_by_code.items():
        if not valid_code_format(code):
            raise UnitsError(f"code {code!r} (rule {rule}): a code must be {CODE_FORMAT}")
        known = book.codes.get(code)
        if known is not None and not known.timed:
            raise UnitsError(
                f"code {code} (rule {rule}): {code} ({known.label}) is untimed; units are counted "
                "for timed 15-minute codes only"
            )
        if known is None:
            raise UnitsError(
                f"code {code} (rule {rule}): {code} is not a timed code in Palpa's code book "
                f"(timed codes: {', '.join(book.timed_codes())}); units are counted only for "
                "timed 15-minute codes listed in palpa/billing/data/codes.json"
            )
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise UnitsError(
                f"code {code} (rule {rule}): minutes {minutes!r} must be a whole number"
            )
        if minutes < 0:
            raise UnitsError(f"code {code} (rule {rule}): minutes {minutes} must be 0 or more")
        if minutes > MAX_MINUTES:
            raise UnitsError(
                f"code {code} (rule {rule}): minutes {minutes} must be at most {MAX_MINUTES} "
                "(the minutes in a day)"
            )


def allocate(minutes_by_code: Mapping[str, int], *, rule: Rule = "cms") -> Allocation:
    """Units per timed code for one day's minutes, under ``rule`` ("cms" or "per-code").

    Lines follow the input order; raises :class:`UnitsError` for an unknown rule, a code
    in the wrong format, an untimed or unknown code, or minutes that are not a whole
    number of 0 or more.
    """
    _check(minutes_by_code, rule)
    if rule == "per-code":
        return _per_code(minutes_by_code)
    return _cms(minutes_by_code)


def _per_code(minutes_by_code: Mapping[str, int]) -> Allocation:
    lines: list[CodeUnits] = []
    for code, minutes in minutes_by_code.items():
        units = table_units(minutes)
        if units:
            low, high = table_range(units)
            reason = (
                f"{minutes} min of {code} = {_plural(units, 'unit')} "
                f"({low}-{high} min per code, 8-minute midpoint)"
            )
        elif minutes:
            reason = f"{minutes} min of {code} < 8: not billable under the per-code rule"
        else:
            reason = "0 min: nothing to bill"
        lines.append(CodeUnits(code, minutes, units, reason))
    total_minutes = sum(minutes_by_code.values())
    total_units = sum(line.units for line in lines)
    notes = [
        f"per-code rule: each code's own minutes are converted separately "
        f"({total_minutes} timed minutes in all, {_plural(total_units, 'unit')})"
    ]
    return Allocation("per-code", total_minutes, total_units, tuple(lines), tuple(notes))


def _cms(minutes_by_code: Mapping[str, int]) -> Allocation:
    codes = list(minutes_by_code)
    total_minutes = sum(minutes_by_code.values())
    total_units = table_units(total_minutes)
    notes: list[str] = []
    if total_units == 0:
        notes.append(
            f"total {total_minutes} timed minutes < 8: nothing billable"
            if total_minutes
            else "no timed minutes: nothing billable"
        )
        lines = tuple(
            CodeUnits(
                code,
                minutes_by_code[code],
                0,
                f"{minutes_by_code[code]} min; the day's total of {total_minutes} timed "
                "minutes is under 8"
                if minutes_by_code[code]
                else "0 min: nothing to bill",
            )
            for code in codes
        )
        return Allocation("cms", total_minutes, 0, lines, tuple(notes))

    low, high = table_range(total_units)
    notes.append(
        f"total {total_minutes} timed minutes = {_plural(total_units, 'unit')} "
        f"(CMS table: {low}-{high} min)"
    )
    blocks = {code: minutes_by_code[code] // UNIT_MINUTES for code in codes}
    leftover = {code: minutes_by_code[code] % UNIT_MINUTES for code in codes}
    remaining = total_units - sum(blocks.values())
    # Largest leftover first; ties to more total minutes, then the lower code.
    order = sorted(
        (code for code in codes if leftover[code] > 0),
        key=lambda c: (-leftover[c], -minutes_by_code[c], c),
    )
    extra = set(order[:remaining])
    if len(extra) < remaining:  # cannot happen: remaining <= codes with leftovers
        raise AssertionError("CMS allocation left units unassigned")
    if remaining and len(order) > remaining:
        last = order[remaining - 1]
        tied = [c for c in order if leftover[c] == leftover[last]]
        if len(tied) > 1 and any(c not in extra for c in tied):
            winners = [c for c in tied if c in extra]
            notes.append(
                f"tie on {leftover[last]} leftover minutes between {', '.join(tied)}: "
                f"the unit goes to {', '.join(winners)} (Palpa's tie-break: more total "
                "minutes, then the lower code)"
            )
    if all(blocks[c] == 0 for c in codes) and len([c for c in codes if minutes_by_code[c]]) > 1:
        why = (
            "every service 7 minutes or less"
            if all(minutes_by_code[c] <= 7 for c in codes)
            else "no service reaches a full 15-minute block"
        )
        to = (
            "1 unit to the longest"
            if total_units == 1
            else (f"{total_units} units to the {total_units} longest, 1 each")
        )
        notes.append(f"{why}, total {total_minutes} min: {to}")

    lines_out: list[CodeUnits] = []
    for code in codes:
        minutes = minutes_by_code[code]
        units = blocks[code] + (1 if code in extra else 0)
        parts: list[str] = []
        if blocks[code]:
            parts.append(
                f"{_plural(blocks[code], 'full 15-minute block')} "
                f"({UNIT_MINUTES * blocks[code]} of {minutes} min)"
            )
        if code in extra:
            rank = (
                "the largest leftover of the day"
                if remaining == 1
                else f"one of the {remaining} largest leftovers of the day"
            )
            if any(leftover[c] == leftover[code] and c not in extra for c in codes):
                rank += "; won the tie-break, see notes"
            parts.append(f"1 unit for {leftover[code]} leftover min ({rank})")
        elif leftover[code]:
            if not remaining:
                why = "no units remain after the full blocks"
            elif any(leftover[c] == leftover[code] for c in extra):
                why = "lost the tie-break, see notes"
            else:
                why = f"the remaining {_plural(remaining, 'unit')} went to larger leftovers"
            parts.append(f"{leftover[code]} leftover min earn no unit ({why})")
        reason = "; ".join(parts) if parts else "0 min: nothing to bill"
        lines_out.append(CodeUnits(code, minutes, units, reason))
    assert sum(line.units for line in lines_out) == total_units
    return Allocation("cms", total_minutes, total_units, tuple(lines_out), tuple(notes))
