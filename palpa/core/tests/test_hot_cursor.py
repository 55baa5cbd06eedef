"""hot_cursor: on PostgreSQL the hot-path statements are prepared once per connection and
reused (ADR 0007); they are still Django statements (counted, errors translated). An API
request's token lookup doubles as the connection health check."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, ProgrammingError, connection
from django.test.utils import CaptureQueriesContext

from palpa.accounts.models import Organization, User
from palpa.accounts.services import issue_token, user_for_token
from palpa.core.db import fetchone_checking_connection, hot_cursor, prepares_statements

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def _select() -> str:
    table = connection.ops.quote_name(Organization._meta.db_table)
    return f"SELECT id, name FROM {table} WHERE id = %s AND name <> %s"


def _prepared_like(fragment: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return [row[0] for row in cursor.fetchall()]


@on_postgresql
def test_a_statement_run_often_is_prepared_and_answers_the_same(org: Organization) -> None:
    assert prepares_statements()
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    answers = []
    for _ in range(threshold + 2):
        with hot_cursor() as cursor:
            cursor.execute(_select(), [org.pk, "no such name"])
            answers.append(cursor.fetchone())
    assert answers == [(org.pk, org.name)] * (threshold + 2)
    prepared = _prepared_like("AND name <> $2")
    assert len(prepared) == 1  # one plan on the server, bound by parameters
    assert "WHERE id = $1" in prepared[0]


@on_postgresql
def test_statements_are_counted_and_errors_are_djangos(org: Organization) -> None:
    with CaptureQueriesContext(connection) as queries, hot_cursor() as cursor:
        cursor.execute(_select(), [org.pk, "x"])
    assert len(queries.captured_queries) == 1
    table = connection.ops.quote_name(Organization._meta.db_table)
    with pytest.raises(IntegrityError), hot_cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (id) VALUES (%s)", [org.pk])


def test_without_postgresql_it_is_the_plain_cursor(org: Organization) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("this checks the other databases")
    assert not prepares_statements()
    with hot_cursor() as cursor:
        cursor.execute(_select(), [org.pk, "x"])
        assert cursor.fetchone() == (org.pk, org.name)


server_connection = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="connection health checks concern a server connection; SQLite is a local file",
)


def _new_request() -> None:
    """What Django does between requests: the next request's first statement must check
    the reused connection."""
    connection.close_if_unusable_or_obsolete()


@server_connection
@pytest.mark.django_db(transaction=True)
def test_a_token_lookup_is_the_requests_health_check(
    therapist: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = issue_token(actor=therapist, name="health")
    wrapper: Any = connection
    wrapper.health_check_enabled = True
    _new_request()
    assert wrapper.health_check_done is False
    checks: list[bool] = []
    real_is_usable = connection.is_usable

    def is_usable() -> bool:
        checks.append(True)
        return real_is_usable()

    monkeypatch.setattr(connection, "is_usable", is_usable)
    assert user_for_token(issued.secret) == therapist
    assert checks == []  # no SELECT 1 before it: the lookup was the check
    assert wrapper.health_check_done is True


@server_connection
@pytest.mark.django_db(transaction=True)
def test_a_dead_connection_is_replaced_and_the_lookup_sent_again(therapist: User) -> None:
    issued = issue_token(actor=therapist, name="dead connection")
    wrapper: Any = connection
    wrapper.health_check_enabled = True
    connection.ensure_connection()
    old_pid = wrapper.connection.info.backend_pid
    dsn = wrapper.connection.info.dsn
    _new_request()
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as admin:  # the server drops our connection
        admin.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    assert user_for_token(issued.secret) == therapist
    assert wrapper.connection.info.backend_pid != old_pid


@server_connection
@pytest.mark.django_db(transaction=True)
def test_a_failing_statement_on_a_live_connection_raises(therapist: User) -> None:
    wrapper: Any = connection
    wrapper.health_check_enabled = True
    connection.ensure_connection()
    pid = wrapper.connection.info.backend_pid
    _new_request()
    with pytest.raises(ProgrammingError):
        fetchone_checking_connection("SELECT no_such_column FROM accounts_user", [])
    assert wrapper.connection.info.backend_pid == pid  # the connection was kept
