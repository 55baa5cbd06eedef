"""The base of every API *input* schema: the text rule and strict scalars, applied once.

Every request body, query and form schema derives from ``InputSchema`` (JSON bodies) or
``TextInputSchema`` (query strings and forms, where every value arrives as text). One
validator, run before pydantic's own for every field, applies:

- the text rule (``palpa.core.text``) to every string, also inside lists and JSON
  objects: one line unless the field is ``Text`` (multi-line); the field's
  ``max_length`` or the rule's default;
- strict scalars: a boolean is ``true``/``false`` (a JSON boolean in a body, the words
  in a query string), an integer is a whole number (not ``"5"`` or ``5.0`` in a body,
  ASCII digits in a query), a date is an ISO date ``YYYY-MM-DD`` and a date-time ISO
  8601 (never a number of seconds: ``0`` is not 1970-01-01).

Errors are pydantic errors whose ``type`` names the rule (``text_control_character``,
``bool_strict``, ``date_iso``, ...), so the API answers 422 with ``loc`` naming the field.
Response schemas stay plain ``ninja.Schema``: what Palpa sends is not re-checked. They
read the model itself (endpoints return the record, not a dict): ``public_id()`` names
the record's own id, ``public_id("patient")`` a related record's; the resolvers
``public_id_or_none("x")`` (an optional relation's id) and ``shown("x")`` (``str(obj.x)``,
a person's display name) fill a ``resolve_<field>``. ``extended(Out, read, x=...)``
adds to a record already read the values only the endpoint knows (a one-time URL).
Parameters declared on an endpoint function use the annotated types below (``Line``,
``QueryBool``, ``QueryDate``), which carry the same validator.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Union

from annotated_types import MaxLen
from ninja import Schema as NinjaSchema
from pydantic import (
    AliasPath,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from palpa.core.text import TextError, clean_text

MAX_OFFSET = 1_000_000  # far past any real list; keeps SQL OFFSET in range


class _Multiline:
    """Marks a string field as multi-line text (tab and line breaks allowed)."""

    def __repr__(self) -> str:
        return "MULTILINE"


MULTILINE = _Multiline()

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|z|[+-][0-9]{2}:?[0-9]{2})?"
)
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?")
_INT = re.compile(r"-?[0-9]{1,40}")
_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,6})?")


def _error(rule: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(rule, message)


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The type under ``Annotated`` and ``X | None``, with the ``Annotated`` metadata."""
    metadata: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            metadata.extend(annotation.__metadata__)
            annotation = annotation.__origin__
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, metadata


def _max_length(metadata: list[Any]) -> int | None:
    for item in metadata:
        if isinstance(item, MaxLen):
            return int(item.max_length)
        limit = getattr(item, "max_length", None)
        if isinstance(limit, int):
            return limit
    return None


def _text(value: str, *, multiline: bool, max_length: int | None, where: str = "") -> str:
    try:
        return clean_text(value, multiline=multiline, max_length=max_length)
    except TextError as exc:
        raise _error(exc.rule, f"{where}{exc.message}") from None


MAX_JSON_DEPTH = 32  # free-form JSON (answers, facts, rule sets) nests no deeper


def _any_json(value: Any, *, multiline: bool, where: str = "", depth: int = 0) -> Any:
    """Free-form JSON (answers, facts): every string and every key under the rule."""
    if isinstance(value, str):
        return _text(value, multiline=multiline, max_length=None, where=where)
    if isinstance(value, (list, dict)) and depth >= MAX_JSON_DEPTH:
        raise _error("json_too_deep", f"{where}nests more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, list):
        return [
            _any_json(item, multiline=multiline, where=f"{where}item {i}: ", depth=depth + 1)
            for i, item in enumerate(value)
        ]
    if isinstance(value, dict):
        return {
            (
                _text(key, multiline=False, max_length=200, where=f"{where}key: ")
                if isinstance(key, str)
                else key
            ): _any_json(item, multiline=multiline, where=f"{where}{key!s:.40}: ", depth=depth + 1)
            for key, item in value.items()
        }
    return value


def check(value: Any, annotation: Any, *, textual: bool, where: str = "") -> Any:
    """``value`` as the boundary accepts it for a field of type ``annotation`` (before
    pydantic's own validation), or a pydantic error naming the rule."""
    if value is None:
        return value
    kind, metadata = _unwrap(annotation)
    multiline = any(item is MULTILINE for item in metadata)
    origin = typing.get_origin(kind)
    if kind is str:
        if isinstance(value, str):
            return _text(value, multiline=multiline, max_length=_max_length(metadata), where=where)
        return value
    if kind is bool:
        if isinstance(value, bool):
            return value
        if textual and isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        raise _error("bool_strict", f"{where}must be true or false")
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if textual and isinstance(value, str) and _INT.fullmatch(value):
            return int(value)
        raise _error("int_strict", f"{where}must be a whole number (digits 0-9)")
    if kind in (float, Decimal):
        if isinstance(value, bool):
            raise _error("number_strict", f"{where}must be a number")
        if isinstance(value, str) and not _DECIMAL.fullmatch(value):
            raise _error("number_strict", f"{where}must be a number such as 12.5")
        return value
    if kind is dt.datetime:
        if isinstance(value, dt.datetime) or (
            isinstance(value, str) and _DATETIME.fullmatch(value)
        ):
            return value
        raise _error(
            "datetime_iso", f"{where}must be an ISO 8601 date-time, e.g. 2026-03-09T14:00:00Z"
        )
    if kind is dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str) and _DATE.fullmatch(value):
            return value
        raise _error("date_iso", f"{where}must be an ISO date, YYYY-MM-DD")
    if kind is dt.time:
        if isinstance(value, dt.time) or (isinstance(value, str) and _TIME.fullmatch(value)):
            return value
        raise _error("time_iso", f"{where}must be a time, HH:MM")
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return value  # validated by its own (input) schema
    if origin is Literal:
        return value  # one of a fixed set: anything else is refused by pydantic
    if origin in (list, tuple, set, frozenset) and isinstance(value, list):
        args = typing.get_args(kind)
        item_type = args[0] if args else Any
        if multiline:
            item_type = Annotated[item_type, MULTILINE]
        return [
            check(item, item_type, textual=textual, where=f"{where}item {i}: ")
            for i, item in enumerate(value)
        ]
    if origin is dict and isinstance(value, dict):
        args = typing.get_args(kind)
        item_type = args[1] if len(args) == 2 else Any
        return {
            (
                _text(key, multiline=False, max_length=200, where=f"{where}key: ")
                if isinstance(key, str)
                else key
            ): check(item, item_type, textual=textual, where=f"{where}{key!s:.40}: ")
            for key, item in value.items()
        }
    if kind is Any or kind is object or origin in (Union, types.UnionType, dict, list):
        return _any_json(value, multiline=multiline, where=where)
    return value  # UUID, enums: parsed strictly by pydantic


class InputSchema(NinjaSchema):
    """An API input read from a JSON body: see the module."""

    textual_input: ClassVar[bool] = False

    @field_validator("*", mode="before")
    @classmethod
    def _boundary(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.field_name
        if name is None:
            return value
        field = cls.model_fields[name]
        annotation = (
            Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
        )
        return check(value, annotation, textual=cls.textual_input)


class TextInputSchema(InputSchema):
    """An API input read from a query string or a form: every value arrives as text."""

    textual_input: ClassVar[bool] = True


def _line(value: Any) -> Any:
    return check(value, str, textual=True)


def _query_bool(value: Any) -> Any:
    return check(value, bool, textual=True)


def _query_date(value: Any) -> Any:
    return check(value, dt.date, textual=True)


# For parameters declared on an endpoint function (not in a schema).
Line = Annotated[str, BeforeValidator(_line)]
QueryBool = Annotated[bool, BeforeValidator(_query_bool)]
QueryDate = Annotated[dt.date, BeforeValidator(_query_date)]
# Multi-line text in a schema field: ``notes: Text = Field("", max_length=4000)``.
Text = Annotated[str, MULTILINE]
# A local wall-clock time (no offset). JSON Schema's "time" format requires an offset, so
# the published schema says what is really sent and read: HH:MM or HH:MM:SS.
LocalTime = Annotated[
    dt.time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?$",
            "description": "Local wall-clock time, HH:MM or HH:MM:SS",
        }
    ),
]
# Paging: every limit and offset is bounded.
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]


# --- reading models in response schemas ------------------------------------------------


def public_id(of: str | None = None) -> Any:
    """A response field read from the record's ``public_id`` (``of=None``) or from the
    ``public_id`` of its relation ``of`` (dotted for a relation's relation). Only
    validation reads the alias: the published key stays the field's name."""
    alias: str | AliasPath = "public_id" if of is None else AliasPath(*of.split("."), "public_id")
    return Field(validation_alias=alias)


def public_id_or_none(attribute: str) -> Any:
    """A ``resolve_<field>`` giving the ``public_id`` of an optional relation, or ``None``
    (the field stays required in the published schema, its value nullable)."""

    def resolve(obj: Any) -> Any:
        related = getattr(obj, attribute)
        return related.public_id if related is not None else None

    return staticmethod(resolve)


def shown(attribute: str) -> Any:
    """A ``resolve_<field>`` giving ``str()`` of the record's ``attribute`` (a person's
    display name, ``"None"`` when empty as ``str(None)``)."""

    def resolve(obj: Any) -> str:
        return str(getattr(obj, attribute))

    return staticmethod(resolve)


def extended[S: BaseModel](schema: type[S], read: BaseModel, **extra: Any) -> S:
    """``schema`` (a subclass of ``read``'s schema) with ``read``'s values and ``extra``:
    a record read by its schema plus what only the endpoint knows. Both are validated
    already, so the instance is built without validating again."""
    return schema.model_construct(**dict(read), **extra)
