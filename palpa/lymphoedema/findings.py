"""What is recorded about the limb besides its size: ISL stage, Stemmer sign, pitting,
skin, and the patient's heaviness and tightness ratings (pure; no database).

The choices live in ``palpa/lymphoedema/data/findings.json`` with a source for each;
``load_findings()`` validates the file once and caches it. A file that is not valid
raises ``FindingsError`` naming the place."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any


class FindingsError(ValueError):
    """The data file is not valid; the message names the place."""


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    source: str  # the citation
    tag: str
    description: str = ""
    alert: str = ""


@dataclass(frozen=True)
class Rating:
    key: str
    label: str
    low: int
    high: int
    source: str


@dataclass(frozen=True)
class Findings:
    version: str
    isl_stages: tuple[Choice, ...]
    stemmer_sign: tuple[Choice, ...]
    pitting: tuple[Choice, ...]
    skin: tuple[Choice, ...]
    ratings: tuple[Rating, ...]

    def codes(self, kind: str) -> tuple[str, ...]:
        return tuple(c.code for c in getattr(self, kind))

    def label(self, kind: str, code: str) -> str:
        return next((c.label for c in getattr(self, kind) if c.code == code), code)

    def alerts(self, skin: list[str]) -> list[str]:
        return [c.alert for c in self.skin if c.code in skin and c.alert]


KINDS = ("isl_stages", "stemmer_sign", "pitting", "skin")
RATINGS = ("heaviness", "tightness")


def _choices(data: dict[str, Any], kind: str, sources: dict[str, str]) -> tuple[Choice, ...]:
    rows = data.get(kind)
    if not isinstance(rows, list) or not rows:
        raise FindingsError(f"{kind}: a non-empty list of choices is required")
    out: list[Choice] = []
    for i, row in enumerate(rows):
        where = f"{kind}[{i}]"
        for key in ("code", "label", "source", "tag"):
            if not isinstance(row.get(key), str) or not row[key]:
                raise FindingsError(f"{where}.{key}: required text")
        if row["source"] not in sources:
            raise FindingsError(f"{where}.source: {row['source']!r} is not among the sources")
        if row["tag"] not in ("V", "P"):
            raise FindingsError(f"{where}.tag: must be V or P")
        if row.get("alert") and not row.get("alert_source"):
            raise FindingsError(f"{where}.alert_source: an alert names its source")
        out.append(
            Choice(
                code=row["code"],
                label=row["label"],
                source=sources[row["source"]],
                tag=row["tag"],
                description=str(row.get("description", "")),
                alert=str(row.get("alert", "")),
            )
        )
    codes = [c.code for c in out]
    if len(set(codes)) != len(codes):
        raise FindingsError(f"{kind}: codes repeat")
    return tuple(out)


def parse(data: dict[str, Any]) -> Findings:
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, dict) or not raw_sources:
        raise FindingsError("sources: required")
    sources = {}
    for key, value in raw_sources.items():
        if not isinstance(value, dict) or not value.get("citation"):
            raise FindingsError(f"sources.{key}.citation: required")
        sources[key] = str(value["citation"])
    ratings = []
    raw_ratings = data.get("ratings")
    if not isinstance(raw_ratings, dict):
        raise FindingsError("ratings: required")
    for key in RATINGS:
        row = raw_ratings.get(key)
        if not isinstance(row, dict):
            raise FindingsError(f"ratings.{key}: required")
        if row.get("source") not in sources:
            raise FindingsError(f"ratings.{key}.source: not among the sources")
        low, high = row.get("min"), row.get("max")
        if not isinstance(low, int) or not isinstance(high, int) or not low < high:
            raise FindingsError(f"ratings.{key}: min and max are whole numbers, min < max")
        ratings.append(Rating(key, str(row.get("label", key)), low, high, sources[row["source"]]))
    if not isinstance(data.get("version"), str):
        raise FindingsError("version: required text")
    return Findings(
        version=data["version"],
        isl_stages=_choices(data, "isl_stages", sources),
        stemmer_sign=_choices(data, "stemmer_sign", sources),
        pitting=_choices(data, "pitting", sources),
        skin=_choices(data, "skin", sources),
        ratings=tuple(ratings),
    )


@lru_cache(maxsize=1)
def _packaged() -> Findings:
    text = resources.files("palpa.lymphoedema").joinpath("data/findings.json").read_text()
    return parse(json.loads(text))


def load_findings(path: Path | None = None) -> Findings:
    if path is None:
        return _packaged()
    return parse(json.loads(path.read_text()))
