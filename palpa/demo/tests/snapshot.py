"""The rows a piece of work added to the database, taken as a snapshot and put back.

The demo clinic takes tens of seconds to build through the services; its tests only read
it. So each test worker builds it once (inside a transaction it rolls back), keeps the
rows it added as a snapshot, and each test module puts them back inside its own
transaction (rolled back at the module's end): the same rows, primary keys, hashes and
timestamps, without running the services again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, models


def _tables() -> list[type[models.Model]]:
    """Every table Django manages, many-to-many tables included, in dependency order as
    the app registry lists them (constraint checks are deferred while loading anyway)."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


@dataclass(frozen=True)
class Marks:
    """How far each table went before the work: the highest integer key, or the set of
    keys of a table whose key is not an integer."""

    highest: dict[type[models.Model], int]
    keys: dict[type[models.Model], frozenset[Any]]


def _integer_key(model: type[models.Model]) -> bool:
    return isinstance(model._meta.pk, models.AutoField | models.BigAutoField)


def marks() -> Marks:
    highest: dict[type[models.Model], int] = {}
    keys: dict[type[models.Model], frozenset[Any]] = {}
    for model in _tables():
        rows = model._base_manager.all()
        if _integer_key(model):
            highest[model] = rows.aggregate(top=models.Max("pk"))["top"] or 0
        else:
            keys[model] = frozenset(rows.values_list("pk", flat=True))
    return Marks(highest, keys)


def _added_since(before: Marks) -> Iterator[models.Model]:
    for model in _tables():
        rows = model._base_manager.order_by("pk")
        if model in before.highest:
            yield from rows.filter(pk__gt=before.highest[model]).iterator()
        else:
            yield from rows.exclude(pk__in=before.keys[model]).iterator()


def changed_since(before: Marks) -> list[str]:
    """Tables whose rows from before the work changed in number: a snapshot of added rows
    would miss such a change, so taking one refuses it."""
    return [
        model._meta.db_table
        for model in _tables()
        if model in before.keys
        and not before.keys[model] <= set(model._base_manager.values_list("pk", flat=True))
    ]


def rows_added_since(before: Marks) -> str:
    """The rows added since ``before`` as JSON (Django's serialization, exact values)."""
    return str(serializers.serialize("json", _added_since(before)))


def put_back(snapshot: str) -> int:
    """Insert the snapshot's rows as they were (keys included), table by table; the
    foreign keys are checked once at the end. Returns how many rows."""
    by_model: dict[type[models.Model], list[models.Model]] = {}
    for item in serializers.deserialize("json", snapshot, ignorenonexistent=False):
        by_model.setdefault(type(item.object), []).append(item.object)
    with connection.constraint_checks_disabled():
        for model, objects in by_model.items():
            fields = model._meta.local_concrete_fields
            for start in range(0, len(objects), 500):
                # raw, as loaddata saves: the values exactly as stored (no auto_now, no
                # defaults), without the model's save() and its signals.
                rows = model._base_manager.all()
                rows._insert(objects[start : start + 500], fields=fields, raw=True)  # type: ignore[attr-defined]
    connection.check_constraints(table_names=[m._meta.db_table for m in by_model])
    # Keys are counted on: the rows may come from another worker's database, whose
    # PostgreSQL sequences went further than this one's (SQLite moves on by itself).
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(by_model)):
            cursor.execute(sql)
    return sum(len(objects) for objects in by_model.values())
