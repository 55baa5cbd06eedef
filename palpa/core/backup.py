"""Backup and restore of a whole installation: the database, uploaded files and a manifest.

A backup is a directory:

- ``database.sqlite3`` (SQLite: Python's ``sqlite3`` online backup API, a consistent copy
  while Palpa runs) or ``database.pgdump`` (PostgreSQL: ``pg_dump -Fc`` of a snapshot);
- ``media/``: a copy of ``MEDIA_ROOT`` (scanned prescriptions, clearance letters);
- ``manifest.json``: Palpa's version, the time, the database file's SHA-256, the row count
  of every table, the audit chain heads, the applied migrations, and every media file
  with its size and SHA-256. Counts and heads come from the same snapshot as the copy.

``restore`` checks the backup before touching anything (manifest, checksums, vendor,
migrations this Palpa knows), refuses a database or media directory that holds data
unless forced, replaces the database in one transaction (PostgreSQL: ``pg_restore`` piped
into ``psql --single-transaction``), puts the media in place, then checks that every
count and audit head matches the manifest, records the restore in the audit checkpoint
file and verifies the audit log (ADR 0008).

The audit key is not in a backup (it is not in the database): keep it, and the
checkpoint file, apart from the backups.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from palpa.audit import checkpoints
from palpa.audit.chain import GENESIS
from palpa.audit.verification import verify_all

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA = "media"
#: Tables that ``migrate`` fills by itself: rows there do not make a database "in use".
BOOKKEEPING = frozenset({"django_migrations", "django_content_type", "auth_permission"})
HEADS_TABLE = "audit_auditchainhead"


class BackupError(Exception):
    """A backup or restore that cannot go on; ``argument`` names the command-line argument
    at fault (exit 2), or is empty for a refusal or failure (exit 1)."""

    def __init__(self, message: str, *, argument: str = "") -> None:
        super().__init__(f"{argument}: {message}" if argument else message)
        self.argument = argument


def palpa_version() -> str:
    try:
        return metadata.version("palpa")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables() -> list[str]:
    """Every table of an installed model that exists in the database."""
    return list(connection.introspection.django_table_names(only_existing=True))


def _snapshot_facts(cursor: Any, tables: list[str]) -> dict[str, Any]:
    """Row counts, audit heads and applied migrations, through ``cursor`` (one snapshot)."""
    quote = connection.ops.quote_name
    counts: dict[str, int] = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (introspected)
        counts[table] = int(cursor.fetchone()[0])
    cursor.execute(
        f"SELECT organization_id, last_seq, last_hash FROM {quote(HEADS_TABLE)} ORDER BY id"  # noqa: S608
    )
    heads: list[dict[str, Any]] = []
    seen: set[int | None] = set()
    for org_id, seq, last_hash in cursor.fetchall():
        if org_id in seen:
            continue  # a second system head is never used (ADR 0007)
        seen.add(org_id)
        heads.append({"organization": org_id, "seq": int(seq), "hash": str(last_hash)})
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, id")
    migrations: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        migrations.setdefault(str(app), []).append(str(name))
    return {"tables": counts, "audit_heads": heads, "migrations": migrations}


def _media_files(root: Path) -> list[dict[str, Any]]:
    if not root.is_dir():
        return []
    return [
        {
            "path": path.relative_to(root).as_posix(),
            "bytes": path.stat().st_size,
            "sha256": _sha256(path),
        }
        for path in sorted(root.rglob("*"))
        if path.is_file()
    ]


# --- PostgreSQL tools ------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools of the server's "
            "version or newer (Debian: apt-get install postgresql-client)"
        )
    return found


def _pg_environment() -> dict[str, str]:
    """The connection settings as libpq's environment variables (no password on a
    command line)."""
    given = connection.settings_dict
    env = dict(os.environ)
    for name, key in (
        ("PGDATABASE", "NAME"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
    ):
        if given.get(key):
            env[name] = str(given[key])
    options = given.get("OPTIONS", {})
    for name, key in (("PGSSLMODE", "sslmode"), ("PGSSLROOTCERT", "sslrootcert")):
        if options.get(key):
            env[name] = str(options[key])
    return env


def _run(command: list[str], **kwargs: Any) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


# --- backup ----------------------------------------------------------------------------


@dataclass
class Manifest:
    data: dict[str, Any]

    @property
    def tables(self) -> dict[str, int]:
        return dict(self.data["tables"])

    @property
    def heads(self) -> list[dict[str, Any]]:
        return list(self.data["audit_heads"])


def _empty_target(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(
            f"{directory} exists and is not an empty directory; a backup goes into a new one",
            argument="DIR",
        )
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create {directory}: {exc.strerror}", argument="DIR") from exc


def _backup_sqlite(directory: Path) -> dict[str, Any]:
    target = directory / SQLITE_FILE
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)  # a consistent copy, even while others write
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        cursor = copy.cursor()
        names = {
            str(row[0])
            for row in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        facts = _snapshot_facts(cursor, [t for t in _tables() if t in names])
    finally:
        copy.close()
    return facts


def _backup_postgresql(directory: Path) -> dict[str, Any]:
    """Counts and ``pg_dump`` from one exported snapshot, so they agree exactly."""
    pg_dump = _tool("pg_dump")
    if connection.in_atomic_block:
        raise BackupError("a backup cannot run inside another transaction")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = str(cursor.fetchone()[0])
        facts = _snapshot_facts(cursor, _tables())
        _run(
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                "--file",
                str(directory / PG_FILE),
            ],
            env=_pg_environment(),
        )
    return facts


def backup(directory: Path, *, now: dt.datetime | None = None) -> Manifest:
    """Write a backup into ``directory`` (new or empty) and return its manifest."""
    _empty_target(directory)
    vendor = connection.vendor
    if vendor == "sqlite":
        facts, name = _backup_sqlite(directory), SQLITE_FILE
    elif vendor == "postgresql":
        facts, name = _backup_postgresql(directory), PG_FILE
    else:  # pragma: no cover - Palpa runs on these two
        raise BackupError(f"no backup for a {vendor} database")
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.is_dir():
        shutil.copytree(media_root, directory / MEDIA)
    database = directory / name
    data = {
        "format": FORMAT,
        "palpa_version": palpa_version(),
        "created_at": (now or timezone.now()).isoformat(),
        "database": {
            "vendor": vendor,
            "file": name,
            "bytes": database.stat().st_size,
            "sha256": _sha256(database),
        },
        **facts,
        "media": _media_files(directory / MEDIA),
    }
    # Written last: a directory with a manifest is a complete backup.
    (directory / MANIFEST).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return Manifest(data)


# --- restore ---------------------------------------------------------------------------


def read_manifest(directory: Path) -> Manifest:
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a directory", argument="DIR")
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise BackupError(
            f"{directory} has no {MANIFEST}: not a Palpa backup", argument="DIR"
        ) from exc
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}", argument="DIR") from exc
    needed = ("format", "database", "tables", "audit_heads", "migrations", "media", "created_at")
    if not isinstance(data, dict) or any(k not in data for k in needed):
        raise BackupError(f"{path} is not a Palpa backup manifest", argument="DIR")
    if data["format"] != FORMAT or isinstance(data["format"], bool):
        raise BackupError(
            f"{path} has format {data['format']!r}; this Palpa reads {FORMAT}", argument="DIR"
        )
    wrong = _malformed(data)
    if wrong:
        raise BackupError(f"{path} is damaged: {wrong}", argument="DIR")
    return Manifest(data)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_relative(value: Any) -> bool:
    """A path inside the backup: relative, no ``..``, no empty or hidden step."""
    if not isinstance(value, str) or not value or "\x00" in value or value.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in value.split("/"))


def _malformed(data: dict[str, Any]) -> str:
    """What in a manifest is not of the shape ``backup`` writes ("" when all is)."""
    database = data["database"]
    if not isinstance(database, dict):
        return "'database' is not an object"
    for key in ("vendor", "file", "sha256"):
        if not isinstance(database.get(key), str):
            return f"'database.{key}' is missing or not text"
    if not _is_relative(database["file"]) or "/" in database["file"]:
        return "'database.file' is not a file name"
    if not isinstance(data["created_at"], str):
        return "'created_at' is not text"
    tables = data["tables"]
    if not isinstance(tables, dict) or not all(_is_count(v) for v in tables.values()):
        return "'tables' is not a map of table names to row counts"
    migrations = data["migrations"]
    if not isinstance(migrations, dict) or not all(
        isinstance(names, list) and all(isinstance(n, str) for n in names)
        for names in migrations.values()
    ):
        return "'migrations' is not a map of apps to migration names"
    heads = data["audit_heads"]
    if not isinstance(heads, list) or not all(
        isinstance(h, dict)
        and (h.get("organization") is None or _is_count(h.get("organization")))
        and _is_count(h.get("seq"))
        and isinstance(h.get("hash"), str)
        for h in heads
    ):
        return "'audit_heads' is not a list of chain heads (organization, seq, hash)"
    media = data["media"]
    if not isinstance(media, list) or not all(
        isinstance(m, dict) and _is_relative(m.get("path")) and isinstance(m.get("sha256"), str)
        for m in media
    ):
        return "'media' is not a list of files (a relative path and its SHA-256 each)"
    return ""


def _check_backup(directory: Path, manifest: Manifest) -> Path:
    """The backup is whole, for this database, and from migrations this Palpa knows."""
    database = manifest.data["database"]
    if database.get("vendor") != connection.vendor:
        raise BackupError(
            f"this is a {database.get('vendor')} backup; the configured database is "
            f"{connection.vendor} (set DATABASE_URL accordingly)",
            argument="DIR",
        )
    path = directory / str(database.get("file", ""))
    if not path.is_file() or _sha256(path) != database.get("sha256"):
        raise BackupError(f"{path} is missing or damaged (its SHA-256 differs)", argument="DIR")
    if connection.vendor == "sqlite":
        _check_sqlite_file(path)
    for media in manifest.data["media"]:
        file = directory / MEDIA / media["path"]
        if file.is_symlink() or not file.is_file() or _sha256(file) != media["sha256"]:
            raise BackupError(f"media file {media['path']} is missing or damaged", argument="DIR")
    listed = {str(m["path"]) for m in manifest.data["media"]}
    root = directory / MEDIA
    present = sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_symlink() or not p.is_dir()
    )
    extra = [p for p in present if p not in listed]
    if extra:
        raise BackupError(
            f"media file {extra[0]} is not in the manifest (added to the backup afterwards)",
            argument="DIR",
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [
        f"{app}.{name}"
        for app, names in manifest.data["migrations"].items()
        for name in names
        if (app, name) not in known
    ]
    if unknown:
        raise BackupError(
            f"the backup was made by a newer Palpa ({manifest.data.get('palpa_version')}): "
            f"migrations unknown here: {', '.join(unknown[:5])}",
            argument="DIR",
        )
    return path


def _check_sqlite_file(path: Path) -> None:
    """The backup's database opens as SQLite and passes SQLite's quick check (a file whose
    checksum was written to match it can still be something else)."""
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            (result,) = source.execute("PRAGMA quick_check").fetchone()
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite database ({exc})", argument="DIR") from exc
    if result != "ok":
        raise BackupError(f"{path} fails SQLite's check: {result}", argument="DIR")


def in_use() -> list[str]:
    """What holds data now: tables with rows (beyond what ``migrate`` fills) and media."""
    found: list[str] = []
    with connection.cursor() as cursor:
        quote = connection.ops.quote_name
        for table in sorted(set(_tables()) - BOOKKEEPING):
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (introspected)
            rows = int(cursor.fetchone()[0])
            if rows:
                found.append(f"{table} ({rows} rows)")
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(p.is_file() for p in media.rglob("*")):
        found.append(f"{media} (uploaded files)")
    return found


def _restore_sqlite(path: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(path)
    try:
        source.backup(connection.connection)  # replaces every page, in one step
    finally:
        source.close()


def _restore_postgresql(path: Path) -> None:
    """Drop every table and load the dump, all in one transaction: a failure leaves the
    database as it was."""
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    quote = connection.ops.quote_name
    tables = connection.introspection.table_names()
    drop = f"DROP TABLE IF EXISTS {', '.join(quote(t) for t in tables)} CASCADE;" if tables else ""
    connection.close()  # this process holds nothing while the tables go
    env = _pg_environment()
    listing = subprocess.Popen(  # noqa: S603
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--clean",
            "--if-exists",
            "--file",
            "-",
            str(path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert listing.stdout is not None
    command = [psql, "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--single-transaction"]
    if drop:
        command += ["--command", drop]
    loaded = subprocess.run(  # noqa: S603
        [*command, "--file", "-"], stdin=listing.stdout, capture_output=True, env=env, check=False
    )
    listing.stdout.close()
    listing_errors = listing.stderr.read().decode() if listing.stderr else ""
    if listing.wait() != 0:
        raise BackupError(f"pg_restore failed: {listing_errors.strip()[-2000:]}")
    if loaded.returncode != 0:
        errors = loaded.stderr.decode().strip()[-2000:]
        raise BackupError(f"psql failed; the database was left as it was: {errors}")
    connection.close()


@contextmanager
def _staged_media(directory: Path) -> Iterator[Path | None]:
    """The backup's media copied next to MEDIA_ROOT first, swapped in by the caller."""
    source = directory / MEDIA
    root = Path(settings.MEDIA_ROOT)
    staging = root.with_name(f".{root.name}.restoring")
    shutil.rmtree(staging, ignore_errors=True)
    if source.is_dir():
        shutil.copytree(source, staging)
        yield staging
    else:
        yield None
    shutil.rmtree(staging, ignore_errors=True)


def _swap_media(staging: Path | None) -> None:
    root = Path(settings.MEDIA_ROOT)
    old = root.with_name(f".{root.name}.replaced")
    shutil.rmtree(old, ignore_errors=True)
    if root.exists():
        root.rename(old)
    if staging is not None:
        staging.rename(root)
    else:
        root.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(old, ignore_errors=True)


@dataclass
class Restored:
    manifest: Manifest
    replaced: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    audit: list[str] = field(default_factory=list)
    checkpoint_lines: int = 0


def _compare(manifest: Manifest) -> list[str]:
    problems: list[str] = []
    with connection.cursor() as cursor:
        now = _snapshot_facts(cursor, [t for t in _tables() if t in manifest.tables])
    for table, expected in manifest.tables.items():
        got = now["tables"].get(table)
        if got != expected:
            problems.append(f"table {table}: {got} rows restored, the manifest says {expected}")
    if now["audit_heads"] != manifest.heads:
        problems.append("the audit chain heads differ from the manifest's")
    return problems


def _record_restore(manifest: Manifest) -> int:
    """A signed ``restore`` line per chain in the checkpoint file: the chains were set
    back to the backup on purpose (ADR 0008). A chain checkpointed before but absent from
    the backup is recorded at #0."""
    path = settings.PALPA_AUDIT_CHECKPOINT_FILE
    previous = checkpoints.read(path)
    names: dict[int | None, str] = {c.organization_id: c.name for c in previous.checkpoints}
    chains: dict[int | None, tuple[int | None, str, int, str]] = {
        org_id: (org_id, names.get(org_id, ""), 0, GENESIS) for org_id in previous.chains()
    }
    for head in manifest.heads:
        org_id = head["organization"]
        chains[org_id] = (org_id, names.get(org_id, ""), head["seq"], head["hash"])
    lines = checkpoints.restore_lines(chains.values(), backup_at=manifest.data["created_at"])
    checkpoints.append(path, lines)
    return len(lines)


def restore(directory: Path, *, force: bool = False) -> Restored:
    """Restore the backup in ``directory`` over the configured database and media."""
    manifest = read_manifest(directory)
    database = _check_backup(directory, manifest)
    if connection.in_atomic_block:
        raise BackupError("a restore cannot run inside another transaction")
    replaced = in_use()
    if replaced and not force:
        raise BackupError(
            "the database or media directory holds data: "
            + "; ".join(replaced[:5])
            + ("; …" if len(replaced) > 5 else "")
            + ". Restoring would replace it: give --force to do so",
            argument="--force",
        )
    restored = Restored(manifest, replaced=replaced)
    with _staged_media(directory) as staging:
        if connection.vendor == "sqlite":
            _restore_sqlite(database)
        else:
            _restore_postgresql(database)
        _swap_media(staging)
    ContentType.objects.clear_cache()  # ids cached from the database as it was
    restored.problems = _compare(manifest)
    restored.checkpoint_lines = _record_restore(manifest)
    found = checkpoints.read(settings.PALPA_AUDIT_CHECKPOINT_FILE)
    for report in verify_all(found):
        restored.audit.extend(p.message for p in report.problems)
    restored.audit.extend(f"checkpoint line {p.line}: {p.message}" for p in found.problems)
    return restored
