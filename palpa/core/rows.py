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
from django.db.models import Field, Model, signals

from palpa.core.db import hot_cursor

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


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field), f"{model.__name__}.{name} is not a concrete field"
    return field


_GET_SQL: dict[tuple[type[Model], str, tuple[str, ...]], str] = {}


def get_by(model: type[Model], alias: str, **equals: Any) -> Model | None:
    """The one row of ``model`` whose fields equal ``equals`` (a unique lookup), or None:
    one statement, prepared on PostgreSQL (``core.db.hot_cursor``), no queryset compiled.
    Values are prepared by their fields as the ORM would."""
    connection = connections[alias]
    names = tuple(sorted(equals))
    key = (model, alias, names)
    sql = _GET_SQL.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        where = " AND ".join(f"m.{quote(str(_field(model, n).column))} = %s" for n in names)
        columns = columns_of(model, alias, "m")
        table = quote(model._meta.db_table)
        # Identifiers come from the model; every value is a parameter.
        sql = _GET_SQL[key] = f"SELECT {columns} FROM {table} m WHERE {where} LIMIT 2"  # noqa: S608
    params = [_field(model, n).get_db_prep_value(equals[n], connection) for n in names]
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if len(rows) > 1:
        raise model.MultipleObjectsReturned(f"{model.__name__} {equals}: more than one row")  # type: ignore[attr-defined]
    return instance_from_row(model, alias, rows[0]) if rows else None


_INSERT_SQL: dict[tuple[type[Model], str], tuple[str, list[Any]]] = {}


def insert(instance: Model, alias: str) -> None:
    """INSERT a new instance as ``save()`` would (the same fields, ``pre_save`` for
    ``auto_now``, the same value preparation), as one prepared statement without compiling
    a query each time. Models with save signal receivers, parents, database defaults or
    expression values, or returning fields other than an automatic primary key, go through
    ``save(force_insert=True)`` instead, so nothing is skipped."""

    model = type(instance)
    meta = model._meta
    connection = connections[alias]
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    returning = meta.db_returning_fields
    simple = (
        not meta.parents
        and not signals.pre_save.has_listeners(model)
        and not signals.post_save.has_listeners(model)
        and returning == [meta.auto_field]
        and instance.pk is None
        and connection.features.can_return_columns_from_insert
        and not any(getattr(f, "generated", False) for f in fields)
    )
    values = [f.pre_save(instance, add=True) for f in fields] if simple else []
    if not simple or any(hasattr(v, "resolve_expression") for v in values):
        instance.save(force_insert=True, using=alias)
        return
    key = (model, alias)
    cached = _INSERT_SQL.get(key)
    if cached is None:
        quote = connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({}) RETURNING {}".format(  # noqa: S608 (model's)
            quote(meta.db_table),
            ", ".join(quote(str(f.column)) for f in fields),
            ", ".join(["%s"] * len(fields)),
            quote(str(meta.pk.column)),
        )
        cached = _INSERT_SQL[key] = (sql, fields)
    sql, fields = cached
    params = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    assert row is not None
    instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = alias
