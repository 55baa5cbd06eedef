"""Django's SQLite backend with one change: ``flush`` leaves row triggers unfired.

On PostgreSQL Django's ``flush`` (also the test runner's, after transactional tests)
empties tables with ``TRUNCATE``, which fires no row triggers. SQLite has no TRUNCATE and
Django uses ``DELETE FROM``, which fires ``BEFORE DELETE`` triggers, such as the audit
log's append-only one (ADR 0008). Here ``flush`` drops the triggers of the tables it
empties, empties them and creates the triggers again, all in the flush's transaction, so
it does on SQLite what it does on PostgreSQL. Every other statement is unchanged.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from django.db.backends.sqlite3 import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self,
        style: Any,
        tables: Any,
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        statements: list[str] = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if not statements:
            return statements
        flushed = set(tables)
        if allow_cascade:  # the tables Django's own flush reaches (see super())
            flushed = set(chain.from_iterable(self._references_graph(t) for t in tables))  # type: ignore[attr-defined]
        with self.connection.cursor() as cursor:
            marks = ", ".join(["%s"] * len(flushed))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "  # noqa: S608
                f"AND tbl_name IN ({marks}) ORDER BY name",
                sorted(flushed),
            )
            triggers = [(str(name), str(sql)) for name, sql in cursor.fetchall()]
        drop = [f"DROP TRIGGER {self.quote_name(name)};" for name, _ in triggers]
        return [*drop, *statements, *(sql for _, sql in triggers)]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
