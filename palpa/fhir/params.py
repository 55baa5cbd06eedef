"""Parsing FHIR search values: dates with prefixes, tokens, references, strings.

Pure functions (no database): each returns what the search needs or raises FhirError
(400) naming the parameter and the rule it breaks.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from palpa.core.text import TextError, clean_text
from palpa.fhir.errors import FhirError

# FHIR elements whose text may span lines (narrative); every other string is one line.
MULTILINE_ELEMENTS = frozenset({"text", "div", "note", "comment", "description"})
MAX_OFFSET = 1_000_000
_WHOLE = re.compile(r"[0-9]{1,12}")

DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
_DATE = re.compile(
    r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2})"
    r"(T(?P<time>\d{2}:\d{2}(:\d{2}(\.\d+)?)?)(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
NOTHING = Q(pk__in=[])
EVERYTHING = Q(pk__isnull=False)


@dataclass(frozen=True)
class DateRange:
    """A search value as the half-open range [start, end) it stands for, with its prefix."""

    prefix: str
    start: dt.datetime
    end: dt.datetime


def _add_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def parse_date(name: str, raw: str) -> DateRange:
    prefix = "eq"
    text = raw
    if len(raw) > 2 and raw[:2] in (*DATE_PREFIXES, "ap"):
        prefix, text = raw[:2], raw[2:]
    if prefix == "ap":
        raise FhirError(400, f"{name}: the 'ap' (approximately) prefix is not supported.")
    match = _DATE.match(text)
    if match is None:
        raise FhirError(
            400,
            f"{name}={raw!r}: a date is YYYY, YYYY-MM, YYYY-MM-DD or a dateTime with a time "
            f"zone, optionally after a prefix ({', '.join(DATE_PREFIXES)}).",
        )
    try:
        year = int(match["year"])
        if match["time"]:
            zone = match["tz"] or "Z"
            value = dt.datetime.fromisoformat(
                f"{text[:10]}T{match['time']}{'+00:00' if zone == 'Z' else zone}"
            )
            if match["tz"] is None:
                value = value.replace(tzinfo=dt.UTC)
            # The value stands for its precision: a minute, a second, or its fraction.
            seconds, _, fraction = match["time"][3:].partition(".")
            if fraction:
                width = dt.timedelta(microseconds=10 ** max(0, 6 - len(fraction)))
            else:
                width = dt.timedelta(seconds=1 if seconds.count(":") else 60)
            return DateRange(prefix, value, value + width)
        if match["day"]:
            first = dt.date(year, int(match["month"]), int(match["day"]))
            last = first + dt.timedelta(days=1)
        elif match["month"]:
            first = dt.date(year, int(match["month"]), 1)
            last = _add_month(first)
        else:
            first, last = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    except ValueError as exc:
        raise FhirError(400, f"{name}={raw!r}: not a real date ({exc}).") from exc
    return DateRange(
        prefix,
        dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC),
        dt.datetime.combine(last, dt.time(), tzinfo=dt.UTC),
    )


def _ceil_day(value: dt.datetime) -> dt.date:
    day = value.date()
    return day if value.time() == dt.time() else day + dt.timedelta(days=1)


def date_q(field: str, value: DateRange, *, date_only: bool) -> Q:
    """The condition a stored value must meet (FHIR's range rules).

    A stored date stands for its whole day; a stored time stamp for its instant. Against a
    stored date, ``eq`` with a time in the search value matches the day containing it.
    """
    low: dt.date | dt.datetime = value.start
    high: dt.date | dt.datetime = value.end
    above: dt.date | dt.datetime = value.end
    below: dt.date | dt.datetime = value.start
    if date_only:
        low, high = value.start.date(), _ceil_day(value.end)
        above, below = value.end.date(), _ceil_day(value.start)
    if value.prefix == "eq":
        return Q(**{f"{field}__gte": low, f"{field}__lt": high})
    if value.prefix == "ne":
        return ~Q(**{f"{field}__gte": low, f"{field}__lt": high})
    if value.prefix in ("gt", "sa"):
        return Q(**{f"{field}__gte": above})
    if value.prefix == "ge":
        return Q(**{f"{field}__gte": low})
    if value.prefix in ("lt", "eb"):
        return Q(**{f"{field}__lt": below})
    return Q(**{f"{field}__lt": high})  # le


# (lookup such as "gte" or "lt", day) -> the condition on a period's last day.
EndCondition = Callable[[str, dt.date], Q]


def period_q(start: str, end: str | EndCondition, value: DateRange) -> Q:
    """The condition a stored period of whole days ``[start, end]`` (both days included)
    must meet, by FHIR's rules for a period against a search range: ``eq`` the period lies
    within the range, ``ne`` it does not; ``gt`` it ends after the range, ``lt`` it starts
    before it; ``ge`` it ends in or after the range, ``le`` it starts before or in it;
    ``sa`` it starts after the range ends, ``eb`` it ends before the range starts."""
    low, high = value.start.date(), _ceil_day(value.end)
    above, below = value.end.date(), _ceil_day(value.start)

    def last(lookup: str, day: dt.date) -> Q:
        return end(lookup, day) if callable(end) else Q(**{f"{end}__{lookup}": day})

    within = Q(**{f"{start}__gte": low}) & last("lt", high)
    conditions: dict[str, Callable[[], Q]] = {
        "eq": lambda: within,
        "ne": lambda: ~within,
        "gt": lambda: last("gte", above),
        "lt": lambda: Q(**{f"{start}__lt": below}),
        "ge": lambda: last("gte", low),
        "le": lambda: Q(**{f"{start}__lt": high}),
        "sa": lambda: Q(**{f"{start}__gte": high}),
        "eb": lambda: last("lt", low),
    }
    return conditions[value.prefix]()


def instant_in(when: dt.datetime, value: DateRange) -> bool:
    """Whether a stored instant meets a search value (FHIR's rules: ``lt`` before the
    range starts, ``gt`` at or after it ends, ``le``/``ge`` include the range)."""
    inside = value.start <= when < value.end
    return {
        "eq": inside,
        "ne": not inside,
        "gt": when >= value.end,
        "sa": when >= value.end,
        "ge": when >= value.start,
        "lt": when < value.start,
        "eb": when < value.start,
        "le": when < value.end,
    }[value.prefix]


def parse_token(raw: str) -> tuple[str | None, str]:
    """``system|code`` -> (system, code); ``code`` -> (None, code); ``|code`` -> ("", code)."""
    if "|" in raw:
        system, _, code = raw.partition("|")
        return system, code
    return None, raw


def token_q(values: list[str], match: Callable[[str | None, str], Q | None]) -> Q:
    """OR over the comma-separated values; a value ``match`` does not know matches nothing."""
    found = NOTHING
    for raw in values:
        system, code = parse_token(raw)
        condition = match(system, code)
        if condition is not None:
            found |= condition
    return found


def parse_reference(name: str, raw: str, resource_type: str) -> uuid.UUID | None:
    """``Type/id``, a full URL ending in it, or a bare id -> the id as a UUID (None: an id
    that cannot exist here, which matches nothing)."""
    text = raw.rstrip("/")
    if "/" in text:
        parts = text.split("/")
        if len(parts) >= 2 and parts[-2] != resource_type:
            raise FhirError(400, f"{name}={raw!r}: expected a reference to a {resource_type}.")
        text = parts[-1]
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def parse_uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def string_q(fields: list[str], values: list[str], modifier: str) -> Q:
    lookup = {"": "istartswith", "exact": "exact", "contains": "icontains"}[modifier]
    found = NOTHING
    for value in values:
        for field in fields:
            found |= Q(**{f"{field}__{lookup}": value})
    return found


def split_values(raw: str) -> list[str]:
    r"""Comma-separated values (OR); ``\,`` is a literal comma."""
    parts = re.split(r"(?<!\\),", raw)
    return [part.replace("\\,", ",") for part in parts if part != ""]


def clean_param(name: str, raw: str) -> str:
    """A search parameter's name or value under the text rule (``palpa.core.text``): one
    line, NFC, at most 1,000 characters; 400 naming the parameter and the rule."""
    try:
        return clean_text(raw, multiline=False)
    except TextError as exc:
        label = "a parameter name" if name == "" else repr(name)
        raise FhirError(400, f"{label}: {exc.message}.", expression=name or "") from exc


def parse_whole(name: str, raw: str, *, low: int, high: int) -> int:
    """A whole number in ``[low, high]`` written in ASCII digits; 400 otherwise."""
    if not _WHOLE.fullmatch(raw):
        raise FhirError(400, f"{name}={raw!r}: a whole number (digits 0-9) is expected.")
    value = int(raw)
    if not low <= value <= high:
        raise FhirError(400, f"{name}={raw!r}: must be from {low} to {high}.")
    return value


def check_strings(document: object, path: str = "Bundle") -> None:
    """Every string (and key) of a FHIR JSON document under the text rule; 400 naming the
    element's path and the rule. Narrative elements may span lines."""
    if isinstance(document, dict):
        for key, value in document.items():
            where = f"{path}.{key}"
            if isinstance(key, str):
                try:
                    clean_text(key, multiline=False, max_length=200)
                except TextError as exc:
                    raise FhirError(400, f"{path}: a key {exc.message}.", expression=path) from exc
            if isinstance(value, str):
                try:
                    clean_text(value, multiline=key in MULTILINE_ELEMENTS)
                except TextError as exc:
                    raise FhirError(400, f"{where}: {exc.message}.", expression=where) from exc
            else:
                check_strings(value, where)
    elif isinstance(document, list):
        for index, item in enumerate(document):
            if isinstance(item, str):
                try:
                    clean_text(item, multiline=False)
                except TextError as exc:
                    where = f"{path}[{index}]"
                    raise FhirError(400, f"{where}: {exc.message}.", expression=where) from exc
            else:
                check_strings(item, f"{path}[{index}]")
