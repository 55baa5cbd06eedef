"""The technique catalog and the coded body regions, loaded from versioned data files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
SIDES = ("left", "right", "bilateral")


class CatalogError(ValueError):
    """A data file breaks its schema; the message names the file and the entry."""


@dataclass(frozen=True)
class Entry:
    id: str
    label: str


@dataclass(frozen=True)
class Region:
    id: str
    label: str
    paired: bool
    views: tuple[str, ...]

    @property
    def sides(self) -> tuple[str, ...]:
        """The sides a record of this region may name: left, right or bilateral for a
        paired region, none for a midline one (the only source of which sides are offered
        and accepted)."""
        return SIDES if self.paired else ()


@dataclass(frozen=True)
class Catalog:
    version: str
    techniques: dict[str, Entry]
    tools: dict[str, Entry]
    pressures: dict[str, Entry]
    regions_version: str
    regions: dict[str, Region]

    def region_label(self, region: str, side: str = "") -> str:
        label = self.regions[region].label if region in self.regions else region
        return f"{label}, {side}" if side else label


def _entries(doc: dict[str, Any], key: str, name: str) -> dict[str, Entry]:
    items = doc.get(key)
    if not isinstance(items, list) or not items:
        raise CatalogError(f"{name}: '{key}' must be a non-empty list")
    out: dict[str, Entry] = {}
    for item in items:
        if not isinstance(item, dict) or not item.get("id") or not item.get("label"):
            raise CatalogError(f"{name}: every entry of '{key}' needs an id and a label")
        if item["id"] in out:
            raise CatalogError(f"{name}: '{key}' lists {item['id']!r} twice")
        out[item["id"]] = Entry(item["id"], item["label"])
    return out


def _load(name: str) -> dict[str, Any]:
    doc = json.loads((DATA / name).read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not doc.get("version") or not doc.get("source"):
        raise CatalogError(f"{name}: needs a 'version' and a 'source'")
    return doc


@cache
def catalog() -> Catalog:
    techniques = _load("techniques.json")
    regions_doc = _load("body_regions.json")
    regions: dict[str, Region] = {}
    for item in regions_doc.get("regions", []):
        if item["id"] in regions:
            raise CatalogError(f"body_regions.json: {item['id']!r} listed twice")
        regions[item["id"]] = Region(
            item["id"], item["label"], bool(item["paired"]), tuple(item["views"])
        )
    if not regions:
        raise CatalogError("body_regions.json: no regions")
    return Catalog(
        version=str(techniques["version"]),
        techniques=_entries(techniques, "techniques", "techniques.json"),
        tools=_entries(techniques, "tools", "techniques.json"),
        pressures=_entries(techniques, "pressures", "techniques.json"),
        regions_version=str(regions_doc["version"]),
        regions=regions,
    )


def check_region(region: str, side: str) -> list[str]:
    """Problems with a region and side, in words (empty when both are fine)."""
    cat = catalog()
    if region not in cat.regions:
        return [f"{region!r} is not a body region of Palpa's chart."]
    known = cat.regions[region]
    if known.sides and side not in known.sides:
        return [f"{known.label} needs a side: {', '.join(known.sides[:-1])} or {known.sides[-1]}."]
    if not known.sides and side:
        return [f"{known.label} has no side (it is on the midline); leave the side empty."]
    return []


SIDE_WORDS = {"left": "left", "right": "right", "bilateral": "both sides"}


def region_side_choices() -> list[tuple[str, str]]:
    """One choice per region and side a record may name ("Shoulder, left", "Shoulder,
    both sides", "Neck"): a form offers only what ``check_region`` accepts. The value is
    ``region:side`` (``region`` alone on the midline)."""
    out: list[tuple[str, str]] = []
    for region in catalog().regions.values():
        if region.sides:
            out += [(f"{region.id}:{s}", f"{region.label}, {SIDE_WORDS[s]}") for s in region.sides]
        else:
            out.append((region.id, region.label))
    return out


def split_region_side(value: str) -> tuple[str, str]:
    """``shoulder:left`` → (``shoulder``, ``left``); ``neck`` → (``neck``, "")."""
    region, _, side = str(value).partition(":")
    return region, side
