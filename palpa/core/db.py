"""A cursor for the few statements that run on every request (ADR 0007).

On PostgreSQL, Django sends every statement as text with its values inlined, so the
server parses and plans it each time. For the wide statements on the hot path (the bearer
token's user, the patient read with its audit entry, the audit append) planning cost more
than running them. ``hot_cursor`` binds values on the server instead, so psycopg prepares
each statement once per connection (after ``prepare_threshold`` runs, see settings) and
the server reuses the plan.

Everything else about the cursor is Django's: it is the same connection and transaction,
statements are logged and counted like any other (``CaptureQueriesContext``), and driver
errors become ``django.db`` errors. On SQLite, or with ``PALPA_DB_PREPARED_STATEMENTS``
off (behind a pooler that cannot keep prepared statements), it is ``connection.cursor()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import Error, connection

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper


def prepares_statements() -> bool:
    """Whether ``hot_cursor`` statements are kept prepared on this connection."""
    if connection.vendor != "postgresql":
        return False
    return connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold") is not None


def hot_cursor() -> CursorWrapper:
    if not prepares_statements():
        return connection.cursor()
    # Imported only on PostgreSQL: a SQLite installation never loads Django's PostgreSQL
    # backend and psycopg.
    from django.db.backends.postgresql.base import ServerBindingCursor
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.postgres import types
    from psycopg.pq import Format

    # What ``connection.cursor()`` does (``BaseDatabaseWrapper._cursor`` and the
    # PostgreSQL ``create_cursor``), with a server-binding cursor in place of the default
    # client-binding one.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]
        loader = connection.connection.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
        if connection.timezone != getattr(loader, "timezone", connection.timezone):
            register_tzloader(connection.timezone, raw)
        return connection._prepare_cursor(raw)  # type: ignore[attr-defined,no-any-return]


def fetchone_checking_connection(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """Run a request's first statement so that it is also the connection's health check.

    With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before a request's first
    statement on a reused connection, one round trip more on every request. An API
    request's first statement is always its bearer token's lookup, a read that can simply
    be sent again: it runs instead of the check, and if it fails because the connection is
    dead, the connection is replaced and the statement sent once more. A statement that
    fails on a live connection raises as usual. Inside a transaction, or with health checks
    off, it is a plain ``hot_cursor`` statement.
    """
    wrapper: Any = connection  # the health-check flags are not in django-stubs
    checking = (
        wrapper.connection is not None
        and wrapper.health_check_enabled
        and not wrapper.health_check_done
        and not wrapper.in_atomic_block
    )
    if checking:
        wrapper.health_check_done = True  # this statement is the check
        try:
            return _fetchone(sql, params)
        except Error:
            if connection.is_usable():
                raise  # the statement failed, not the connection
            connection.close()
    return _fetchone(sql, params)


def _fetchone(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None
