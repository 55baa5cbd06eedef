"""``palpa restore DIR [--force]``: put a backup made by ``palpa backup`` in place.

See ``palpa.core.backup`` and the README's "Backup and restore"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from palpa.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by 'palpa backup': checks it first, refuses a database or "
        "media directory that holds data unless --force, then checks the row counts and "
        "audit heads against the manifest and verifies the audit log. Stop the web servers "
        "and workers first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR", help="a directory made by palpa backup")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database and media directory that hold data",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        try:
            restored = restore(directory, force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2 if exc.argument else 1) from exc
        manifest = restored.manifest
        if restored.replaced:
            self.stdout.write(f"replaced: {'; '.join(restored.replaced)}")
        self.stdout.write(
            f"restored the backup of {manifest.data['created_at']} "
            f"(Palpa {manifest.data.get('palpa_version')}): "
            f"{sum(manifest.tables.values())} rows in {len(manifest.tables)} tables, "
            f"{len(manifest.data['media'])} media file(s)"
        )
        for problem in restored.problems:
            self.stdout.write(f"MISMATCH: {problem}")
        self.stdout.write(
            f"{restored.checkpoint_lines} restore line(s) added to the audit checkpoint file"
        )
        for problem in restored.audit:
            self.stdout.write(f"AUDIT: {problem}")
        if restored.problems or restored.audit:
            raise CommandError(
                f"restored, but {len(restored.problems)} count(s) and {len(restored.audit)} "
                "audit problem(s) do not match: see above"
            )
        self.stdout.write(self.style.SUCCESS("counts match the manifest; audit log intact"))
        self.stdout.write("if this Palpa is newer than the backup, run `palpa migrate` now")
