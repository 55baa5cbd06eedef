"""``palpa screen FILE|-``: screen intake facts (JSON) and print the engine's result as JSON.

Exit status 0 with the result on stdout; 2 with a message on stderr, naming each bad field,
when the facts (or a ``--rules`` file) are malformed or name unknown facts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from palpa.core.cli_input import MAX_JSON_CHARS, InputError, load_json
from palpa.screening.engine import screen
from palpa.screening.facts import FactsError, parse_facts
from palpa.screening.rules import RuleSetError, default_rule_set, load_rule_set


class Command(BaseCommand):
    help = (
        "Screen intake facts against the safety rules and print the decision as JSON. "
        "FILE is a JSON document of facts (see docs/screening.md), or - for standard input. "
        "Exits 2 when the facts are malformed or name an unknown fact."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="facts JSON file, or - for standard input")
        parser.add_argument(
            "--rules",
            type=Path,
            default=None,
            help="a rule-set JSON file of the same schema (default: Palpa's rules)",
        )

    def fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        raise SystemExit(2)

    def read(self, name: str) -> str:
        """The file's text (``-``: standard input), at most MAX_JSON_CHARS + 1 characters."""
        label = "standard input" if name == "-" else name
        try:
            if name == "-":
                return sys.stdin.read(MAX_JSON_CHARS + 1)
            with Path(name).open(encoding="utf-8") as handle:
                return handle.read(MAX_JSON_CHARS + 1)
        except (OSError, UnicodeDecodeError) as exc:
            self.fail(f"{label}: cannot read ({exc})")

    def handle(self, *args: Any, **options: Any) -> None:
        rules: Path | None = options["rules"]
        try:
            if rules is None:
                rule_set = default_rule_set()
            else:
                rule_set = load_rule_set(
                    load_json(self.read(str(rules)), argument=f"--rules {rules}")
                )
        except InputError as exc:
            self.fail(str(exc))
        except RuleSetError as exc:
            self.fail(f"rule set is invalid:\n{exc}")
        name: str = options["file"]
        label = "standard input" if name == "-" else name
        try:
            raw = load_json(self.read(name), argument=label)
        except InputError as exc:
            self.fail(str(exc))
        try:
            facts = parse_facts(raw, regions=rule_set.regions)
        except FactsError as exc:
            self.fail(f"{label}: invalid facts:\n{exc}")
        result = screen(facts, rule_set)
        self.stdout.write(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
