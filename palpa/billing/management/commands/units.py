"""``palpa units [--rule cms|per-code] CODE=MINUTES ...``: billing units as JSON.

Prints the allocation of one day's timed minutes to units (see ``palpa.billing.units``):
total minutes, units per code with the reason, total units and notes. Bad input exits
with status 2 and one line on stderr naming the argument and the rule: a missing ``=``,
a code in the wrong format, an untimed or unknown code, minutes that are not a whole
number from 0 to 1440 (the minutes in a day) in the digits 0-9, control characters, or a
code given twice. A code given twice is refused rather than
summed: the minutes of one code are added up before they are entered, so a repeated code
is far more likely a typing slip than a second block.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn, cast

from django.core.management.base import BaseCommand, CommandParser

from palpa.billing.codes import CODE_FORMAT, load_codes, valid_code_format
from palpa.billing.units import MAX_MINUTES, RULES, Allocation, Rule, UnitsError, allocate
from palpa.core.cli_input import InputError, text_argument

EXIT_INVALID = 2
MINUTES = re.compile(r"[0-9]{1,6}")  # ASCII digits only (not full-width or superscript)


class Command(BaseCommand):
    help = (
        "Billing units for timed codes: palpa units [--rule cms|per-code] 97110=33 97140=7. "
        "Prints the allocation as JSON; bad input exits with status 2."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rule",
            default="cms",
            help="cms (total timed minutes, Medicare; the default) or per-code (CPT midpoint "
            "rule, each code on its own)",
        )
        parser.add_argument(
            "pairs",
            nargs="*",
            metavar="CODE=MINUTES",
            help="a timed code and its minutes for the day, e.g. 97140=23; one per code",
        )

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        self.stderr.flush()
        raise SystemExit(EXIT_INVALID)

    def handle(self, *args: Any, **options: Any) -> None:
        rule = options["rule"]
        if rule not in RULES:
            self._fail(f"palpa units: --rule {rule!r} is unknown; use one of: {', '.join(RULES)}")
        pairs: list[str] = options["pairs"]
        if not pairs:
            self._fail(f"palpa units (rule {rule}): give at least one CODE=MINUTES, e.g. 97110=33")
        minutes_by_code: dict[str, int] = {}
        for arg in pairs:
            try:
                text_argument(arg, argument=f"argument {arg!a}", max_length=40)
            except InputError as exc:
                self._fail(f"palpa units (rule {rule}): {exc}")
            code, sep, raw = arg.partition("=")
            code, raw = code.strip(), raw.strip()
            if not sep:
                self._fail(
                    f"palpa units (rule {rule}): argument {arg!r} has no '='; "
                    "write CODE=MINUTES, e.g. 97140=23"
                )
            if not valid_code_format(code):
                self._fail(
                    f"palpa units (rule {rule}): argument {arg!r}: code {code!r} must be "
                    f"{CODE_FORMAT}"
                )
            if not MINUTES.fullmatch(raw) or int(raw) > MAX_MINUTES:
                self._fail(
                    f"palpa units (rule {rule}): argument {arg!r}: minutes {raw!r} must be a "
                    f"whole number from 0 to {MAX_MINUTES} written with the digits 0-9"
                )
            if code in minutes_by_code:
                self._fail(
                    f"palpa units (rule {rule}): argument {arg!r}: code {code} is given twice; "
                    "give each code once with its total minutes for the day"
                )
            minutes_by_code[code] = int(raw)
        try:
            allocation = allocate(minutes_by_code, rule=cast(Rule, rule))
        except UnitsError as exc:
            self._fail(f"palpa units: {exc}")
        self.stdout.write(json.dumps(as_dict(allocation), indent=2, ensure_ascii=False))


def as_dict(allocation: Allocation) -> dict[str, Any]:
    book = load_codes()
    return {
        "rule": allocation.rule,
        "rule_source": book.rules[allocation.rule].source.citation,
        "codes_version": book.version,
        "total_minutes": allocation.total_minutes,
        "total_units": allocation.total_units,
        "lines": [
            {
                "code": line.code,
                "label": book.codes[line.code].label,
                "minutes": line.minutes,
                "units": line.units,
                "reason": line.reason,
            }
            for line in allocation.lines
        ],
        "notes": list(allocation.notes),
    }
