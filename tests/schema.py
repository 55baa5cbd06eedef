"""The test databases' schema: migrated once, then copied.

Creating a test database runs every migration (Django's and Palpa's, over a hundred),
which takes about a minute of CPU per test process, most of it Django rendering the
model state between operations. The result depends only on the migrations' text, Django
and the database engine, so the first process that needs it migrates as usual and keeps
a copy named by a hash of those (``schema_key``); every other process (the other
pytest-xdist worker, and later runs while no migration changes) copies it instead of
migrating: the same tables, indexes, triggers and the rows the migrations and their
``post_migrate`` handlers wrote.

- SQLite (an in-memory database per process): the copy is a database file in
  ``<PALPA_DATA_DIR>/test-schema/``, restored with SQLite's backup API.
- PostgreSQL: the copy is a template database beside the test databases
  (``test_<name>_schema_<key>``); a worker's database is dropped and created again from it
  (``CREATE DATABASE ... TEMPLATE``).

A lock file in the same folder makes the processes take turns: one migrates, the others
wait for its copy. A copy left by an older set of migrations is removed when a new one is
kept. ``--reuse-db`` and ``--no-migrations`` are left to pytest-django as they were.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper


def schema_key(vendor: str, engine_module: str) -> str:
    """A hash of what the migrated schema is made of: Django's version, the engine (and
    its module's source, Palpa's SQLite backend being one) and every migration file."""
    from django.db.migrations.loader import MigrationLoader

    digest = hashlib.sha256()
    digest.update(f"{django.get_version()}|{vendor}".encode())
    engine = importlib.import_module(engine_module)
    if engine.__file__:
        digest.update(Path(engine.__file__).read_bytes())
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for key in sorted(loader.disk_migrations):
        module = sys.modules[type(loader.disk_migrations[key]).__module__]
        digest.update(repr(key).encode())
        if module.__file__:
            digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def _key(connection: BaseDatabaseWrapper) -> str:
    return schema_key(connection.vendor, type(connection).__module__)


def kept_sqlite_schema() -> Path | None:
    """The kept SQLite schema of Palpa's SQLite engine (``palpa.core.sqlite``, the one
    used without ``DATABASE_URL``), when a test run has kept one for these migrations: a
    database file with every migration applied."""
    kept = _folder() / f"sqlite-{schema_key('sqlite', 'palpa.core.sqlite.base')}.sqlite3"
    return kept if kept.exists() else None


def _folder() -> Path:
    folder = Path(settings.DATA_DIR) / "test-schema"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def _turn(name: str) -> Iterator[None]:
    """One process at a time (the pytest-xdist workers, or two runs side by side)."""
    with (_folder() / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _sqlite_in_memory(connection: BaseDatabaseWrapper) -> bool:
    from django.db.backends.sqlite3.creation import DatabaseCreation

    return connection.vendor == "sqlite" and DatabaseCreation.is_in_memory_db(
        connection.settings_dict["NAME"]
    )


def _migrate_sqlite(connection: BaseDatabaseWrapper, migrate: Callable[[], None]) -> None:
    key = _key(connection)
    kept = _folder() / f"sqlite-{key}.sqlite3"
    with _turn("sqlite"):
        connection.ensure_connection()
        if kept.exists():
            source = sqlite3.connect(f"file:{kept}?mode=ro", uri=True)
            try:
                source.backup(connection.connection)
            finally:
                source.close()
            return
        migrate()
        partial = kept.with_suffix(".partial")
        target = sqlite3.connect(partial)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        partial.replace(kept)
        for old in _folder().glob("sqlite-*.sqlite3"):
            if old != kept:
                old.unlink(missing_ok=True)


def _migrate_postgresql(connection: BaseDatabaseWrapper, migrate: Callable[[], None]) -> None:
    key = _key(connection)
    name = connection.settings_dict["NAME"]
    prefix = re.sub(r"_gw\d+$", "", name)[: 63 - 24] + "_schema_"
    template = prefix + key
    quote = connection.ops.quote_name
    with _turn(f"postgresql-{prefix}"):
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"])
            templates = {row[0] for row in cursor.fetchall()}
            if template in templates:
                cursor.execute(f"DROP DATABASE {quote(name)}")
                try:
                    cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")
                    return
                except DatabaseError:  # the template in use by a run elsewhere: migrate
                    cursor.execute(f"CREATE DATABASE {quote(name)}")
        migrate()
        connection.close()
        with connection._nodb_cursor() as cursor:
            try:
                for old in templates - {template}:
                    cursor.execute(f"DROP DATABASE IF EXISTS {quote(old)}")
                if template not in templates:
                    cursor.execute(f"CREATE DATABASE {quote(template)} TEMPLATE {quote(name)}")
            except DatabaseError:  # another run keeps it, or still reads the old one
                pass


@contextmanager
def migrated_once() -> Iterator[None]:
    """While test databases are created: their ``migrate`` copies the kept schema when
    there is one, and keeps a copy when there is not."""
    from django.core import management

    real = management.call_command

    def call_command(command_name: Any, *args: Any, **options: Any) -> Any:
        if command_name != "migrate" or args:
            return real(command_name, *args, **options)
        connection = connections[options.get("database", "default")]

        def migrate() -> None:
            real(command_name, **options)

        if _sqlite_in_memory(connection):
            _migrate_sqlite(connection, migrate)
        elif connection.vendor == "postgresql":
            _migrate_postgresql(connection, migrate)
        else:
            migrate()
        return None

    management.call_command = call_command
    try:
        yield
    finally:
        management.call_command = real
