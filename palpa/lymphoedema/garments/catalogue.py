"""Compression garments as data (pure; no database): the garment types, the knits, the
compression classes by a named standard with their pressure ranges, and the default
replacement interval, each with its source and tag.

The file is ``palpa/lymphoedema/data/garments.json``; ``load_garments()`` validates it
once and caches it. A file that is not valid raises ``GarmentDataError`` naming the
place."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any


class GarmentDataError(ValueError):
    """The data file is not valid; the message names the place."""


@dataclass(frozen=True)
class Source:
    short: str
    citation: str


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    source: Source
    tag: str
    region: str = ""  # garment types: arm | leg | any


@dataclass(frozen=True)
class CompressionClass:
    code: str
    label: str
    min_mmhg: int
    max_mmhg: int | None

    @property
    def range(self) -> str:
        """ "23-32 mmHg", or "49 mmHg and above"."""
        if self.max_mmhg is None:
            return f"{self.min_mmhg} mmHg and above"
        return f"{self.min_mmhg}-{self.max_mmhg} mmHg"


@dataclass(frozen=True)
class Standard:
    code: str
    label: str
    source: Source
    tag: str
    classes: tuple[CompressionClass, ...]

    def klass(self, code: str) -> CompressionClass | None:
        return next((c for c in self.classes if c.code == code), None)


@dataclass(frozen=True)
class Replacement:
    default_months: int
    min_months: int
    max_months: int
    reminder_days: int
    source: Source
    tag: str
    note: str


@dataclass(frozen=True)
class GarmentData:
    version: str
    garment_types: tuple[Choice, ...]
    knits: tuple[Choice, ...]
    standards: tuple[Standard, ...]
    replacement: Replacement

    def codes(self, kind: str) -> tuple[str, ...]:
        return tuple(c.code for c in getattr(self, kind))

    def label(self, kind: str, code: str) -> str:
        return next((c.label for c in getattr(self, kind) if c.code == code), code)

    def standard(self, code: str) -> Standard | None:
        return next((s for s in self.standards if s.code == code), None)

    def class_line(self, standard: str, klass: str) -> str:
        """ "RAL-GZG class II (23-32 mmHg)"."""
        found = self.standard(standard)
        c = found.klass(klass) if found else None
        if found is None or c is None:
            return f"{standard} class {klass}"
        return f"{found.label} class {c.code} ({c.range})"


TAGS = ("V", "P")
REGIONS = ("arm", "leg", "any")


def _text(row: dict[str, Any], key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GarmentDataError(f"{where}.{key}: required text")
    return value


def _source(row: dict[str, Any], where: str, sources: dict[str, Source]) -> tuple[Source, str]:
    key = _text(row, "source", where)
    if key not in sources:
        raise GarmentDataError(f"{where}.source: {key!r} is not among the sources")
    tag = _text(row, "tag", where)
    if tag not in TAGS:
        raise GarmentDataError(f"{where}.tag: must be V or P")
    return sources[key], tag


def _choices(data: dict[str, Any], kind: str, sources: dict[str, Source]) -> tuple[Choice, ...]:
    rows = data.get(kind)
    if not isinstance(rows, list) or not rows:
        raise GarmentDataError(f"{kind}: a non-empty list is required")
    out = []
    for i, row in enumerate(rows):
        where = f"{kind}[{i}]"
        if not isinstance(row, dict):
            raise GarmentDataError(f"{where}: an object is required")
        source, tag = _source(row, where, sources)
        region = str(row.get("region", ""))
        if kind == "garment_types" and region not in REGIONS:
            raise GarmentDataError(f"{where}.region: must be one of {', '.join(REGIONS)}")
        out.append(
            Choice(_text(row, "code", where), _text(row, "label", where), source, tag, region)
        )
    codes = [c.code for c in out]
    if len(set(codes)) != len(codes):
        raise GarmentDataError(f"{kind}: codes repeat")
    return tuple(out)


def _whole(row: dict[str, Any], key: str, where: str, *, optional: bool = False) -> int | None:
    value = row.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise GarmentDataError(f"{where}.{key}: a whole number greater than 0 is required")
    return value


def _standards(data: dict[str, Any], sources: dict[str, Source]) -> tuple[Standard, ...]:
    rows = data.get("standards")
    if not isinstance(rows, list) or not rows:
        raise GarmentDataError("standards: a non-empty list is required")
    out = []
    for i, row in enumerate(rows):
        where = f"standards[{i}]"
        source, tag = _source(row, where, sources)
        raw = row.get("classes")
        if not isinstance(raw, list) or not raw:
            raise GarmentDataError(f"{where}.classes: a non-empty list is required")
        classes = []
        previous_top = 0
        for j, c in enumerate(raw):
            at = f"{where}.classes[{j}]"
            low = _whole(c, "min_mmhg", at)
            high = _whole(c, "max_mmhg", at, optional=True)
            assert low is not None
            if high is not None and high < low:
                raise GarmentDataError(f"{at}: max_mmhg is below min_mmhg")
            if low <= previous_top:
                raise GarmentDataError(f"{at}: classes rise and do not overlap")
            if high is None and j != len(raw) - 1:
                raise GarmentDataError(f"{at}: only the last class is open-ended")
            previous_top = high if high is not None else low
            classes.append(CompressionClass(_text(c, "code", at), _text(c, "label", at), low, high))
        codes = [c.code for c in classes]
        if len(set(codes)) != len(codes):
            raise GarmentDataError(f"{where}.classes: codes repeat")
        out.append(
            Standard(
                _text(row, "code", where), _text(row, "label", where), source, tag, tuple(classes)
            )
        )
    return tuple(out)


def _replacement(data: dict[str, Any], sources: dict[str, Source]) -> Replacement:
    row = data.get("replacement")
    if not isinstance(row, dict):
        raise GarmentDataError("replacement: required")
    source, tag = _source(row, "replacement", sources)
    default = _whole(row, "default_months", "replacement")
    low = _whole(row, "min_months", "replacement")
    high = _whole(row, "max_months", "replacement")
    days = _whole(row, "reminder_days", "replacement")
    assert default is not None
    assert low is not None
    assert high is not None
    assert days is not None
    if not low <= default <= high:
        raise GarmentDataError("replacement.default_months: must lie within min and max")
    return Replacement(default, low, high, days, source, tag, str(row.get("note", "")))


def parse(data: dict[str, Any]) -> GarmentData:
    if not isinstance(data, dict):
        raise GarmentDataError("the file holds one object")
    raw = data.get("sources")
    if not isinstance(raw, dict) or not raw:
        raise GarmentDataError("sources: required")
    sources = {}
    for key, value in raw.items():
        if not isinstance(value, dict):
            raise GarmentDataError(f"sources.{key}: an object is required")
        sources[key] = Source(
            _text(value, "short", f"sources.{key}"), _text(value, "citation", f"sources.{key}")
        )
    return GarmentData(
        version=_text(data, "version", "file"),
        garment_types=_choices(data, "garment_types", sources),
        knits=_choices(data, "knits", sources),
        standards=_standards(data, sources),
        replacement=_replacement(data, sources),
    )


@lru_cache(maxsize=1)
def _packaged() -> GarmentData:
    text = resources.files("palpa.lymphoedema").joinpath("data/garments.json").read_text()
    return parse(json.loads(text))


def load_garments(path: Path | None = None) -> GarmentData:
    if path is None:
        return _packaged()
    return parse(json.loads(path.read_text(encoding="utf-8")))
