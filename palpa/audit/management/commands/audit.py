"""``palpa audit``: verify the audit log, write signed checkpoints, make a new audit key.

- ``palpa audit verify [--checkpoints FILE | --no-checkpoints]``
- ``palpa audit checkpoint [--to FILE | --to -]``
- ``palpa audit new-key``

See ADR 0008 and docs/architecture.md (Audit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from palpa.accounts.models import Organization
from palpa.audit import checkpoints
from palpa.audit.keys import new_key
from palpa.audit.verification import DASH, ChainReport, verify_all


class Command(BaseCommand):
    help = (
        "Audit log tools: 'verify' checks every chain's links, MACs and checkpoints; "
        "'checkpoint' appends signed checkpoints of every chain outside the database; "
        "'new-key' prints a new audit key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify",
            help="check every chain (links, hashes, MACs, head) against the checkpoints",
        )
        given = verify.add_mutually_exclusive_group()
        given.add_argument(
            "--checkpoints",
            metavar="FILE",
            help="checkpoint lines to check against (default: PALPA_AUDIT_CHECKPOINT_FILE)",
        )
        given.add_argument(
            "--no-checkpoints",
            action="store_true",
            help="check the database alone (removed newest entries go unnoticed)",
        )
        checkpoint = sub.add_parser(
            "checkpoint", help="append a signed checkpoint of every chain whose head moved"
        )
        checkpoint.add_argument(
            "--to",
            metavar="FILE",
            help="file to append to (default: PALPA_AUDIT_CHECKPOINT_FILE); '-' prints every "
            "chain's line to standard output for another append-only store",
        )
        sub.add_parser("new-key", help="print a new random audit key (for PALPA_AUDIT_KEY)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "new-key":
            self.stdout.write(new_key())
        elif action == "checkpoint":
            self._checkpoint(options["to"] or settings.PALPA_AUDIT_CHECKPOINT_FILE)
        else:
            self._verify(options["checkpoints"], options["no_checkpoints"])

    def _checkpoint(self, target: str) -> None:
        if target != "-" and Path(target).is_dir():
            raise CommandError(f"--to: {target} is a directory, not a file", returncode=2)
        try:
            taken = checkpoints.write(target, emit=self.stdout.write)
        except OSError as exc:
            raise CommandError(
                f"--to: cannot write {target}: {exc.strerror}", returncode=2
            ) from exc
        for refused in taken.refused:
            self.stderr.write(f"not checkpointed: {refused}")
        if target != "-":
            self.stdout.write(
                f"{len(taken.checkpoints)} checkpoint(s) appended to {target}; "
                f"{taken.unchanged} chain(s) unchanged since their last checkpoint"
            )
        if taken.refused:
            raise CommandError(f"{len(taken.refused)} chain(s) not checkpointed")

    def _verify(self, path: str | None, without: bool) -> None:
        found: checkpoints.CheckpointFile | None = None
        if not without:
            if path is not None and not Path(path).is_file():
                raise CommandError(f"--checkpoints: no such file: {path}", returncode=2)
            source = path or settings.PALPA_AUDIT_CHECKPOINT_FILE
            try:
                found = checkpoints.read(source)
            except OSError as exc:
                option = "--checkpoints" if path else "PALPA_AUDIT_CHECKPOINT_FILE"
                raise CommandError(
                    f"{option}: cannot read {source}: {exc.strerror or exc}", returncode=2
                ) from exc
        names = dict(Organization.objects.values_list("pk", "name"))
        problems = 0
        for report in verify_all(found):
            problems += len(report.problems)
            self._report(report, names)
        if found is None:
            self.stdout.write("checkpoints not checked (--no-checkpoints)")
        elif found.missing:
            self.stdout.write(
                f"warning: no checkpoint file at {found.path}: removed newest entries or a "
                "deleted chain cannot be detected (run `palpa audit checkpoint`)"
            )
        else:
            for line in found.problems:
                problems += 1
                self.stdout.write(
                    f"BROKEN: checkpoint file {found.path}: line {line.line}: {line.message}"
                )
        if problems:
            raise CommandError(f"{problems} problem(s) in the audit log")
        self.stdout.write(self.style.SUCCESS("audit log intact"))

    def _report(self, report: ChainReport, names: dict[int, str]) -> None:
        org_id = report.organization_id
        if org_id is None:
            who = "system"
        else:
            who = names.get(org_id) or report.name or "?"
            who = f"{who} (organization {org_id})" if org_id not in names else who
        span = f" (#1{DASH}#{report.last_seq})" if report.entries else ""
        summary = f"{who}: {report.entries} entries{span}"
        if report.last_checkpoint is not None:
            summary += (
                f"; {report.checkpoints} checkpoint(s), the last at "
                f"#{report.last_checkpoint.seq} ({report.last_checkpoint.at.isoformat()})"
            )
        if report.ok:
            self.stdout.write(f"intact: {summary}")
        else:
            self.stdout.write(f"BROKEN: {summary}")
            for problem in report.problems:
                self.stdout.write(f"  - {problem.message}")
        if report.unsigned is not None:
            first, last = report.unsigned
            self.stdout.write(
                f"  note: entries #{first}{DASH}#{last} were written before audit MACs "
                "(not signed; protected by checkpoints from the first one on)"
            )
        for note in report.notes:
            self.stdout.write(f"  note: {note}")
