"""``palpa backup DIR``: the database, uploaded files and a manifest, into a new directory.

See ``palpa.core.backup`` and the README's "Backup and restore"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from palpa.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup or pg_dump), uploaded files and a "
        "manifest (row counts, audit chain heads, version, migrations) into DIR, which must "
        "be new or empty."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR", help="a new or empty directory")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        try:
            manifest = backup(directory)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2 if exc.argument else 1) from exc
        tables = manifest.tables
        self.stdout.write(
            f"backed up to {directory}: {sum(tables.values())} rows in {len(tables)} tables, "
            f"{len(manifest.heads)} audit chain(s), {len(manifest.data['media'])} media file(s)"
        )
