"""Model instances from one raw row, for the hottest read paths.

``Model.objects.raw()`` works out the column-to-field mapping and the database
converters on every call; on the API's most frequent reads (bearer token → user, one
patient) that bookkeeping cost more than the query. Here it is worked out once per model
and database and reused. Values pass through the same converters Django applies, so the
instances are the same as the ORM's on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import Model

Converter = Callable[[Any, Any, Any], Any]
_PLANS: dict[tuple[type[Model], str], tuple[list[str], list[tuple[int, list[Converter], Any]]]] = {}


def _plan(
    model: type[Model], alias: str
) -> tuple[list[str], list[tuple[int, list[Converter], Any]]]:
    key = (model, alias)
    plan = _PLANS.get(key)
    if plan is None:
        connection = connections[alias]
        names: list[str] = []
        converting: list[tuple[int, list[Converter], Any]] = []
        for index, field in enumerate(model._meta.concrete_fields):
            names.append(field.attname)
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if found:
                converting.append((index, found, column))
        plan = _PLANS[key] = (names, converting)
    return plan


def columns_of(model: type[Model], alias: str, table_alias: str) -> str:
    """The model's concrete columns, in field order, for a SELECT list."""
    quote = connections[alias].ops.quote_name
    return ", ".join(f"{table_alias}.{quote(str(f.column))}" for f in model._meta.concrete_fields)


def instance_from_row(model: type[Model], alias: str, row: Sequence[Any]) -> Model:
    """An instance of ``model`` from the leading columns of ``row`` (see ``columns_of``)."""
    names, converting = _plan(model, alias)
    values = list(row[: len(names)])
    connection = connections[alias]
    for index, converters, column in converting:
        value = values[index]
        for convert in converters:
            value = convert(value, column, connection)
        values[index] = value
    return model.from_db(alias, names, values)
