"""The limb-volume rules: formulas, thresholds and input limits, each with its source.

The data lives in ``palpa/lymphoedema/data/limb_volume.json`` (versioned). ``load_rules()``
reads the packaged file once, validates it and caches it; ``load_rules(path)`` reads
another file afresh (tests, a reviewer's draft). A file that is not valid raises
``RulesError`` naming the place and the rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, cast

Tag = Literal["V", "P"]
TAGS: tuple[str, ...] = ("V", "P")

# Every formula and threshold volumes.py uses; the file must define each one.
FORMULAS: tuple[str, ...] = (
    "segment_volume",
    "limb_volume",
    "excess_volume",
    "excess_percent",
    "excess_change_percent",
    "relative_volume_change",
    "absolute_change_percent",
    "interlimb_difference_percent",
)
THRESHOLDS: tuple[str, ...] = ("interlimb_volume_percent", "interlimb_circumference_cm")


class RulesError(ValueError):
    """The data file is not a valid rule set; the message names the place."""


@dataclass(frozen=True)
class Source:
    id: str
    short: str
    citation: str


@dataclass(frozen=True)
class Formula:
    key: str
    formula: str
    unit: str
    source: Source
    tag: Tag
    evidence: str


@dataclass(frozen=True)
class Threshold:
    key: str
    value: float
    unit: str
    rule: str
    source: Source
    tag: Tag
    evidence: str


@dataclass(frozen=True)
class InputLimits:
    """Palpa's sanity limits on typed measurements (not clinical facts)."""

    circumference_max_cm: float
    interval_max_cm: float
    min_points: int
    max_points: int
    source: Source


@dataclass(frozen=True)
class LimbVolumeRules:
    version: str
    sources: Mapping[str, Source]
    formulas: Mapping[str, Formula]
    thresholds: Mapping[str, Threshold]
    limits: InputLimits


class _Obj:
    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            raise RulesError(f"{where}: must be an object")
        self.data = cast(dict[str, object], value)
        self.where = where

    def fail(self, message: str) -> RulesError:
        return RulesError(f"{self.where}: {message}")

    def string(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"'{key}' must be a non-empty string")
        return value

    def number(self, key: str) -> float:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(f"'{key}' must be a number greater than 0")
        return float(value)

    def integer(self, key: str) -> int:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(f"'{key}' must be a whole number greater than 0")
        return value

    def obj(self, key: str) -> _Obj:
        return _Obj(self.data.get(key), f"{self.where}.{key}")

    def tag(self) -> Tag:
        tag = self.data.get("tag")
        if tag not in TAGS:
            raise self.fail(f"'tag' {tag!r} must be one of {', '.join(TAGS)}")
        return cast(Tag, tag)

    def source(self, sources: Mapping[str, Source]) -> Source:
        key = self.string("source")
        if key not in sources:
            raise self.fail(f"source {key!r} is not in 'sources'")
        return sources[key]


def parse_rules(data: object) -> LimbVolumeRules:
    """Validate the rule set (parsed JSON) and build it. Raises RulesError."""
    root = _Obj(data, "limb_volume.json")
    version = root.string("version")
    raw_sources = root.obj("sources")
    sources: dict[str, Source] = {}
    for key in raw_sources.data:
        entry = raw_sources.obj(key)
        sources[key] = Source(
            id=key, short=entry.string("short"), citation=entry.string("citation")
        )
    raw_formulas = root.obj("formulas")
    formulas: dict[str, Formula] = {}
    for key in FORMULAS:
        if key not in raw_formulas.data:
            raise raw_formulas.fail(f"formula '{key}' is missing")
        entry = raw_formulas.obj(key)
        tag = entry.tag()
        evidence = entry.string("evidence")
        if tag == "P" and not evidence.startswith("partly verified"):
            raise entry.fail("a formula tagged P must say 'partly verified: ...' in 'evidence'")
        formulas[key] = Formula(
            key=key,
            formula=entry.string("formula"),
            unit=entry.string("unit"),
            source=entry.source(sources),
            tag=tag,
            evidence=evidence,
        )
    if unknown := set(raw_formulas.data) - set(FORMULAS):
        raise raw_formulas.fail(f"unknown formulas: {', '.join(sorted(unknown))}")
    raw_thresholds = root.obj("thresholds")
    thresholds: dict[str, Threshold] = {}
    for key in THRESHOLDS:
        if key not in raw_thresholds.data:
            raise raw_thresholds.fail(f"threshold '{key}' is missing")
        entry = raw_thresholds.obj(key)
        tag = entry.tag()
        evidence = entry.string("evidence")
        if tag == "P" and not evidence.startswith("partly verified"):
            raise entry.fail("a threshold tagged P must say 'partly verified: ...' in 'evidence'")
        thresholds[key] = Threshold(
            key=key,
            value=entry.number("value"),
            unit=entry.string("unit"),
            rule=entry.string("rule"),
            source=entry.source(sources),
            tag=tag,
            evidence=evidence,
        )
    raw_limits = root.obj("input_limits")
    if raw_limits.data.get("tag") != "palpa_decision":
        raise raw_limits.fail("input limits are Palpa's decision: 'tag' must be 'palpa_decision'")
    limits = InputLimits(
        circumference_max_cm=raw_limits.number("circumference_max_cm"),
        interval_max_cm=raw_limits.number("interval_max_cm"),
        min_points=raw_limits.integer("min_points"),
        max_points=raw_limits.integer("max_points"),
        source=raw_limits.source(sources),
    )
    if limits.min_points < 2:
        raise raw_limits.fail("'min_points' must be at least 2 (one segment needs two points)")
    if limits.max_points < limits.min_points:
        raise raw_limits.fail("'max_points' must be at least 'min_points'")
    return LimbVolumeRules(
        version=version, sources=sources, formulas=formulas, thresholds=thresholds, limits=limits
    )


def _read(path: Path | None) -> object:
    if path is not None:
        text = path.read_text(encoding="utf-8")
    else:
        text = (
            resources.files("palpa.lymphoedema")
            .joinpath("data", "limb_volume.json")
            .read_text(encoding="utf-8")
        )
    try:
        return cast(object, json.loads(text))
    except json.JSONDecodeError as exc:
        raise RulesError(f"limb_volume.json: not valid JSON ({exc})") from exc


def load_rules(path: Path | None = None) -> LimbVolumeRules:
    """The packaged rules, validated and cached; or the file at ``path``, read afresh."""
    if path is not None:
        return parse_rules(_read(path))
    return _packaged_rules()


@lru_cache(maxsize=1)
def _packaged_rules() -> LimbVolumeRules:
    return parse_rules(_read(None))
