"""Condition groups: an episode's ICD-10-CM code to the group the analysis compares.

Pure (no database). The grouping is data (``data/condition_groups.json``): code prefixes
with their official Tabular List titles, each naming its group and source. The file is
checked when it loads (every group declared, every source named, no prefix twice, every
prefix a category or code of Palpa's ICD-10-CM subset with that very title), so a typo
fails at once instead of silently moving episodes to "other". The longest matching prefix
wins; a code that no prefix matches, or no code at all, is in the group ``other``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from palpa.core.icd10 import CodeSet, code_set

DATA = Path(__file__).resolve().parent / "data" / "condition_groups.json"
OTHER = "other"


class ConditionGroupsError(ValueError):
    """The condition-group file breaks its rules; the message names the entry."""


@dataclass(frozen=True)
class Prefix:
    prefix: str
    title: str
    group: str
    source: str


@dataclass(frozen=True)
class ConditionGroups:
    version: str
    labels: dict[str, str]  # group id -> label, in the file's order
    prefixes: tuple[Prefix, ...]  # longest first

    def group_of(self, code: str) -> str:
        """The group of an ICD-10-CM code (with or without its 7th character)."""
        wanted = code.strip().upper()
        for entry in self.prefixes:
            if wanted.startswith(entry.prefix):
                return entry.group
        return OTHER


def _fail(message: str) -> ConditionGroupsError:
    return ConditionGroupsError(f"condition_groups.json: {message}")


def _official_title(codes: CodeSet, prefix: str) -> str | None:
    """The subset's title for a prefix: a category's, or a code's (S codes are stored with
    their X placeholders)."""
    if prefix in codes.categories:
        return codes.categories[prefix].title
    for code, entry in codes.codes.items():
        if code == prefix or code.rstrip("X") == prefix:
            return entry.label
    return None


def parse_condition_groups(doc: Any, codes: CodeSet) -> ConditionGroups:
    if not isinstance(doc, dict):
        raise _fail("the document is an object")
    version = doc.get("version")
    if not isinstance(version, str) or not version:
        raise _fail("'version' is required")
    sources = doc.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise _fail("'sources' names at least one source")
    labels: dict[str, str] = {}
    for i, group in enumerate(doc.get("groups") or []):
        gid, label = group.get("id"), group.get("label")
        if not isinstance(gid, str) or not gid or not isinstance(label, str) or not label:
            raise _fail(f"groups[{i}]: an id and a label are required")
        if gid in labels:
            raise _fail(f"groups[{i}]: {gid!r} is declared twice")
        labels[gid] = label
    if OTHER not in labels:
        raise _fail(f"the group {OTHER!r} (codes no prefix matches) must be declared")
    prefixes: list[Prefix] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc.get("prefixes") or []):
        where = f"prefixes[{i}]"
        try:
            entry = Prefix(
                prefix=str(raw["prefix"]).strip().upper(),
                title=str(raw["title"]),
                group=str(raw["group"]),
                source=str(raw["source"]),
            )
        except (KeyError, TypeError):
            raise _fail(f"{where}: prefix, title, group and source are required") from None
        if entry.prefix in seen:
            raise _fail(f"{where}: {entry.prefix} is listed twice")
        seen.add(entry.prefix)
        if entry.group not in labels or entry.group == OTHER:
            raise _fail(f"{where}: {entry.prefix}: unknown group {entry.group!r}")
        if entry.source not in sources:
            raise _fail(f"{where}: {entry.prefix}: unknown source {entry.source!r}")
        official = _official_title(codes, entry.prefix)
        if official is None:
            raise _fail(
                f"{where}: {entry.prefix} is neither a category nor a code of the ICD-10-CM "
                f"subset {codes.version}"
            )
        if official != entry.title:
            raise _fail(
                f"{where}: {entry.prefix} is titled {official!r} in the Tabular List, "
                f"not {entry.title!r}"
            )
        prefixes.append(entry)
    if not prefixes:
        raise _fail("'prefixes' lists at least one prefix")
    prefixes.sort(key=lambda p: (-len(p.prefix), p.prefix))
    return ConditionGroups(version=version, labels=labels, prefixes=tuple(prefixes))


@cache
def condition_groups() -> ConditionGroups:
    return parse_condition_groups(json.loads(DATA.read_text(encoding="utf-8")), code_set())


def group_of(code: str) -> str:
    """The condition group of a code; ``other`` for a code outside every group or none."""
    return condition_groups().group_of(code) if code else OTHER
