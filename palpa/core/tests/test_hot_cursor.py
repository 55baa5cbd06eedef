"""hot_cursor: on PostgreSQL the hot-path statements are prepared once per connection and
reused (ADR 0007); they are still Django statements (counted, errors translated)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from palpa.accounts.models import Organization
from palpa.core.db import hot_cursor, prepares_statements

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
