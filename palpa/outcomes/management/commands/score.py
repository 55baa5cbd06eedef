"""``palpa score INSTRUMENT --answers JSON``: score one administration and print JSON.

Answers are a JSON list in item order, ``null`` for an unanswered item (PSFS: the activity
ratings). Invalid answers (out of range, wrong count, too many missing) print a message
naming the item and the rule to stderr and exit with status 2. ``palpa score --list``
lists the instruments.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from palpa.core.cli_input import InputError, load_json
from palpa.outcomes.library import UnknownInstrument, load_library
from palpa.outcomes.scoring import AnswerError, score

EXIT_INVALID = 2


class Command(BaseCommand):
    help = (
        "Score an outcome instrument: palpa score ODI --answers '[0,1,2,null,...]'. "
        "Prints the result as JSON; invalid answers exit with status 2. "
        "'palpa score --list' lists the instruments."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "instrument", nargs="?", help="instrument id, e.g. ODI, NDI, QUICKDASH (any case)"
        )
        parser.add_argument(
            "--answers",
            help="JSON list in item order, null for unanswered (PSFS: the activity ratings)",
        )
        parser.add_argument("--list", action="store_true", help="list the instruments and exit")

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        self.stderr.flush()
        raise SystemExit(EXIT_INVALID)

    def _emit(self, payload: object) -> None:
        self.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False))

    def handle(self, *args: Any, **options: Any) -> None:
        library = load_library()
        if options["list"]:
            self._emit(
                {
                    "library_version": library.version,
                    "instruments": [
                        {
                            "id": ins.id,
                            "name": ins.name,
                            "version": ins.version,
                            "items": ins.items.count,
                            "range": [ins.range_min, ins.range_max],
                            "unit": ins.unit,
                            "direction": ins.direction,
                            "text_shipped": ins.license.text_shipped,
                            "license": ins.license.terms,
                        }
                        for ins in library.instruments.values()
                    ],
                }
            )
            return
        if not options["instrument"]:
            self._fail(
                "palpa score: name an instrument (e.g. palpa score ODI --answers '[...]') "
                f"or use --list. Instruments: {', '.join(library.ids())}."
            )
        try:
            instrument = library.get(options["instrument"])
        except UnknownInstrument as exc:
            self._fail(f"palpa score: {exc}")
        if options["answers"] is None:
            self._fail(
                f"palpa score {instrument.id}: --answers is required: a JSON list of "
                f"{instrument.items.count or 'the'} answers in item order, null for unanswered."
            )
        try:
            answers = load_json(options["answers"], argument="--answers")
        except InputError as exc:
            self._fail(f"palpa score {instrument.id}: {exc}.")
        try:
            result = score(instrument, answers)
        except AnswerError as exc:
            self._fail(str(exc))
        self._emit(result.as_dict())
