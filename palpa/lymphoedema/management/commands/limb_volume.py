"""``palpa limb-volume --interval CM --affected C1,C2,… [--unaffected C1,C2,…]``.

Prints each limb's volume in mL (truncated-cone model, see ``palpa.lymphoedema.volumes``)
and, with ``--unaffected``, the excess volume in mL and % and the inter-limb difference
against the diagnostic thresholds, as JSON; each number carries its formula, source and
tag. Circumferences are in cm from the distal landmark up, ``--interval`` cm apart.

The module is ``limb_volume.py``: Django would load a ``limb-volume.py`` too, but such a
module cannot be imported by name (tests, mypy skips it), so ``palpa/cli.py`` maps
``palpa limb-volume`` to ``limb_volume``, and ``palpa limb_volume`` works too.
Bad input exits with status 2 and one line on stderr naming the argument and the
rule: a missing interval, a number that is not plain decimal cm, a circumference that is
not greater than 0 and at most the input limit, too few or too many points, or a
different number of points on the two limbs.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from palpa.core.cli_input import InputError, text_argument
from palpa.lymphoedema.rules import load_rules
from palpa.lymphoedema.volumes import (
    MeasurementSet,
    VolumeInputError,
    check_circumferences,
    check_interval,
    excess_percent,
    excess_volume,
    interlimb_difference,
    volume,
)

EXIT_INVALID = 2
NAME = "palpa limb-volume"
# Plain decimal numbers in the digits 0-9 (no signs, exponents, nan or full-width digits);
# a leading minus is matched so that the message can say "greater than 0".
NUMBER = re.compile(r"-?[0-9]{1,6}(\.[0-9]{1,6})?")
LANDMARK = "distal landmark"


class Command(BaseCommand):
    help = (
        "Limb volumes from circumferences: palpa limb-volume --interval 4 --affected "
        "22,24,27,30 --unaffected 21,23,25,28. Prints the volumes (mL) and the excess "
        "volume (mL and %) as JSON; bad input exits with status 2."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", metavar="CM", help="distance between measuring points in cm, e.g. 4"
        )
        parser.add_argument(
            "--affected",
            metavar="C1,C2,…",
            help="the affected limb's circumferences in cm, from the distal landmark up",
        )
        parser.add_argument(
            "--unaffected",
            metavar="C1,C2,…",
            help="the other limb's circumferences in cm at the same points (optional)",
        )

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        self.stderr.flush()
        raise SystemExit(EXIT_INVALID)

    def _number(self, raw: str, argument: str) -> float:
        text = raw.strip()
        if not NUMBER.fullmatch(text):
            self._fail(
                f"{NAME}: {argument}: {raw.strip()!r} is not a number of centimetres; write "
                "plain decimals with the digits 0-9 and a point, e.g. 23.5"
            )
        return float(text)

    def _list(self, raw: str, argument: str) -> tuple[float, ...]:
        parts = raw.split(",")
        values: list[float] = []
        for point, part in enumerate(parts, start=1):
            if not part.strip():
                self._fail(
                    f"{NAME}: {argument}: point {point} is empty; separate the circumferences "
                    "with commas, e.g. 22,24.5,27"
                )
            values.append(self._number(part, f"{argument} point {point}"))
        return tuple(values)

    def handle(self, *args: Any, **options: Any) -> None:
        rules = load_rules()
        raw_args: dict[str, str | None] = {
            "--interval": options["interval"],
            "--affected": options["affected"],
            "--unaffected": options["unaffected"],
        }
        for argument, raw in raw_args.items():
            if raw is None:
                continue
            try:
                text_argument(raw, argument=argument, max_length=1000)
            except InputError as exc:
                self._fail(f"{NAME}: {exc}")
        if raw_args["--interval"] is None:
            self._fail(
                f"{NAME}: --interval is required: the distance between measuring points in "
                "cm, e.g. --interval 4"
            )
        if raw_args["--affected"] is None:
            self._fail(
                f"{NAME}: --affected is required: the affected limb's circumferences in cm "
                "from the distal landmark up, e.g. --affected 22,24,27,30"
            )
        try:
            interval = check_interval(
                self._number(raw_args["--interval"], "--interval"),
                argument="--interval",
                rules=rules,
            )
            affected = check_circumferences(
                self._list(raw_args["--affected"], "--affected"), argument="--affected", rules=rules
            )
            unaffected = None
            if raw_args["--unaffected"] is not None:
                unaffected = check_circumferences(
                    self._list(raw_args["--unaffected"], "--unaffected"),
                    argument="--unaffected",
                    rules=rules,
                )
        except VolumeInputError as exc:
            self._fail(f"{NAME}: {exc}")
        if unaffected is not None and len(unaffected) != len(affected):
            self._fail(
                f"{NAME}: --unaffected: {len(unaffected)} circumferences given but --affected "
                f"has {len(affected)}; measure both limbs at the same points"
            )
        self.stdout.write(
            json.dumps(result(interval, affected, unaffected), indent=2, ensure_ascii=False)
        )


def result(
    interval: float, affected: tuple[float, ...], unaffected: tuple[float, ...] | None
) -> dict[str, Any]:
    """The command's JSON document."""
    rules = load_rules()
    limb = MeasurementSet("affected limb", LANDMARK, interval, affected)
    payload: dict[str, Any] = {
        "rules_version": rules.version,
        "interval_cm": interval,
        "points": len(affected),
        "affected": {"circumferences_cm": list(affected), "volume": volume(limb).as_dict()},
    }
    if unaffected is None:
        payload["unaffected"] = None
        payload["note"] = (
            "No --unaffected limb: excess volume needs the other limb measured at the same points."
        )
        return payload
    other = MeasurementSet("unaffected limb", LANDMARK, interval, unaffected)
    payload["unaffected"] = {
        "circumferences_cm": list(unaffected),
        "volume": volume(other).as_dict(),
    }
    payload["excess_volume"] = excess_volume(limb, other).as_dict()
    payload["excess_percent"] = excess_percent(limb, other).as_dict()
    payload["interlimb_difference"] = interlimb_difference(limb, other).as_dict()
    payload["display"] = "mL and % rounded to one decimal for display; computed unrounded."
    return payload
