"""Palpa's billing code book, loaded from ``palpa/billing/data/codes.json`` and validated.

The file lists the billing codes Palpa knows (numbers and Palpa's own short labels; CPT
descriptors are the AMA's copyright and are never shipped), the default technique-to-code
map, the CMS timed-minutes units table and the allocation rules, with a ``source`` (an id
in the file's ``sources``) and a ``tag`` for every fact. Loading refuses the whole file,
with a :class:`CodesError` naming the entry and the rule, when:

- an entry has no source, or names a source the file does not define;
- a tag is not ``V``, ``P`` or ``palpa_decision``;
- a code is neither 5 digits (CPT) nor a letter and 4 digits (HCPCS level II), or is
  listed twice;
- a timed code has no 15-minute unit, or an untimed one declares a unit;
- a technique is not in the care technique catalogue (``palpa/care/data/techniques.json``),
  is mapped twice, or is mapped to a code the file does not list as timed;
- the units table does not follow the 15-minute pattern with its 8-minute minimum;
- a modifier rule ships by default without a verified (``V``) source.

No Django and no database: ``load_codes()`` reads the packaged file once and caches it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

from palpa.care.catalog import catalog

DATA_FILE = Path(__file__).resolve().parent / "data" / "codes.json"
CODE_PATTERN = re.compile(r"^(?:[0-9]{5}|[A-Z][0-9]{4})$")
CODE_FORMAT = "5 digits (CPT, e.g. 97140) or a capital letter and 4 digits (HCPCS, e.g. G0283)"
TAGS: tuple[str, ...] = ("V", "P", "palpa_decision")
KINDS: tuple[str, ...] = ("timed", "untimed")
RULES: tuple[str, ...] = ("cms", "per-code")

Tag = Literal["V", "P", "palpa_decision"]


class CodesError(ValueError):
    """The code book breaks its schema; the message names the file, the entry and the rule."""


@dataclass(frozen=True)
class Source:
    id: str
    citation: str
    section: str
    url: str = ""
    # Where the fact was taken from Palpa's internal clinical reference: for maintainers
    # only, never shown (the citation is the primary publication).
    note: str = ""


@dataclass(frozen=True)
class BillingCode:
    code: str
    label: str
    timed: bool
    unit_minutes: int | None
    source: Source
    tag: Tag
    medicare_status: str = ""
    separately_payable: bool = True
    patient_billable_under_medicare: bool = True
    note: str = ""


@dataclass(frozen=True)
class TechniqueCode:
    """The default code for a technique; ``code`` is None when it is self-pay only."""

    technique: str
    code: str | None
    source: Source
    tag: Tag
    note: str = ""


@dataclass(frozen=True)
class UnitsRow:
    units: int
    min: int
    max: int


@dataclass(frozen=True)
class UnitsTable:
    unit_minutes: int
    minimum_minutes: int
    rows: tuple[UnitsRow, ...]
    beyond: str
    source: Source
    tag: Tag


@dataclass(frozen=True)
class RuleInfo:
    rule: str
    summary: str
    source: Source
    tag: Tag


@dataclass(frozen=True)
class Modifiers:
    default_rules: tuple[Mapping[str, Any], ...]
    per_payer: bool
    note: str
    source: Source
    tag: Tag


@dataclass(frozen=True)
class CodeBook:
    version: str
    sources: Mapping[str, Source]
    codes: Mapping[str, BillingCode]
    techniques: Mapping[str, TechniqueCode]
    units_table: UnitsTable
    rules: Mapping[str, RuleInfo]
    modifiers: Modifiers

    def timed_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.codes.values() if c.timed)

    def code_for_technique(self, technique: str) -> str | None:
        """The default code for a technique, or None (self-pay only, or not mapped)."""
        entry = self.techniques.get(technique)
        return entry.code if entry else None


def valid_code_format(code: object) -> bool:
    return isinstance(code, str) and CODE_PATTERN.fullmatch(code) is not None


def _str(entry: Mapping[str, Any], key: str, where: str, *, name: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CodesError(f"{name}: {where}: '{key}' must be a non-empty text")
    return value


def _sourced(
    entry: Mapping[str, Any], where: str, sources: Mapping[str, Source], *, name: str
) -> tuple[Source, Tag]:
    source_id = entry.get("source")
    if not source_id:
        raise CodesError(f"{name}: {where} has no 'source'; every fact needs one")
    if source_id not in sources:
        raise CodesError(
            f"{name}: {where} names source {source_id!r}, which is not defined in 'sources'"
        )
    tag = entry.get("tag")
    if tag not in TAGS:
        raise CodesError(f"{name}: {where} has tag {tag!r}; allowed: {', '.join(TAGS)}")
    return sources[source_id], cast(Tag, tag)


def _sources(doc: Mapping[str, Any], name: str) -> dict[str, Source]:
    raw = doc.get("sources")
    if not isinstance(raw, dict) or not raw:
        raise CodesError(f"{name}: 'sources' must be a non-empty object of id -> source")
    out: dict[str, Source] = {}
    for sid, item in raw.items():
        if not isinstance(item, dict):
            raise CodesError(f"{name}: source {sid!r} must be an object")
        out[sid] = Source(
            id=sid,
            citation=_str(item, "citation", f"source {sid!r}", name=name),
            section=_str(item, "section", f"source {sid!r}", name=name),
            url=str(item.get("url", "")),
            note=str(item.get("note", "")),
        )
        if "clinical reference" in out[sid].citation.lower():
            raise CodesError(
                f"{name}: source {sid!r} cites Palpa's clinical reference; cite the primary "
                "publication and keep the reference row in its 'note'"
            )
    return out


def _codes(
    doc: Mapping[str, Any], sources: Mapping[str, Source], name: str
) -> dict[str, BillingCode]:
    raw = doc.get("codes")
    if not isinstance(raw, list) or not raw:
        raise CodesError(f"{name}: 'codes' must be a non-empty list")
    out: dict[str, BillingCode] = {}
    for item in raw:
        if not isinstance(item, dict):
            raise CodesError(f"{name}: every entry of 'codes' must be an object")
        code = item.get("code")
        if not isinstance(code, str) or not valid_code_format(code):
            raise CodesError(f"{name}: code {code!r} must be {CODE_FORMAT}")
        where = f"code {code}"
        if code in out:
            raise CodesError(f"{name}: {where} is listed twice")
        kind = item.get("kind")
        if kind not in KINDS:
            raise CodesError(f"{name}: {where}: 'kind' must be one of {', '.join(KINDS)}")
        unit = item.get("unit_minutes")
        if kind == "timed" and (isinstance(unit, bool) or unit != 15):
            raise CodesError(f"{name}: {where} is timed, so 'unit_minutes' must be 15")
        if kind == "untimed" and unit is not None:
            raise CodesError(f"{name}: {where} is untimed, so 'unit_minutes' must be null")
        source, tag = _sourced(item, where, sources, name=name)
        out[code] = BillingCode(
            code=code,
            label=_str(item, "label", where, name=name),
            timed=kind == "timed",
            unit_minutes=unit,
            source=source,
            tag=tag,
            medicare_status=str(item.get("medicare_status", "")),
            separately_payable=bool(item.get("separately_payable", True)),
            patient_billable_under_medicare=bool(item.get("patient_billable_under_medicare", True)),
            note=str(item.get("note", "")),
        )
    return out


def _techniques(
    doc: Mapping[str, Any],
    sources: Mapping[str, Source],
    codes: Mapping[str, BillingCode],
    known: Collection[str],
    name: str,
) -> dict[str, TechniqueCode]:
    raw = doc.get("techniques")
    if not isinstance(raw, list):
        raise CodesError(f"{name}: 'techniques' must be a list")
    out: dict[str, TechniqueCode] = {}
    for item in raw:
        if not isinstance(item, dict):
            raise CodesError(f"{name}: every entry of 'techniques' must be an object")
        technique = item.get("technique")
        if not isinstance(technique, str) or technique not in known:
            raise CodesError(
                f"{name}: technique {technique!r} is not in the care technique catalogue "
                f"(known: {', '.join(sorted(known))})"
            )
        where = f"technique {technique!r}"
        if technique in out:
            raise CodesError(f"{name}: {where} is mapped twice")
        code = item.get("code")
        if code is not None:
            if not valid_code_format(code):
                raise CodesError(f"{name}: {where} maps to {code!r}, which must be {CODE_FORMAT}")
            if code not in codes or not codes[code].timed:
                raise CodesError(
                    f"{name}: {where} maps to {code}, which is not a timed code listed in 'codes'"
                )
        source, tag = _sourced(item, where, sources, name=name)
        out[technique] = TechniqueCode(technique, code, source, tag, str(item.get("note", "")))
    return out


def _units_table(doc: Mapping[str, Any], sources: Mapping[str, Source], name: str) -> UnitsTable:
    raw = doc.get("units_table")
    if not isinstance(raw, dict):
        raise CodesError(f"{name}: 'units_table' must be an object")
    where = "units_table"
    unit, minimum = raw.get("unit_minutes"), raw.get("minimum_minutes")
    if unit != 15 or minimum != 8:
        raise CodesError(
            f"{name}: {where}: 15-minute units with an 8-minute minimum expected, "
            f"got unit_minutes={unit!r}, minimum_minutes={minimum!r}"
        )
    rows_raw = raw.get("rows")
    if not isinstance(rows_raw, list) or not rows_raw:
        raise CodesError(f"{name}: {where}: 'rows' must be a non-empty list")
    rows: list[UnitsRow] = []
    for index, row in enumerate(rows_raw, start=1):
        expected = {"units": index, "min": 15 * index - 7, "max": 15 * index + 7}
        if not isinstance(row, dict) or {k: row.get(k) for k in expected} != expected:
            raise CodesError(
                f"{name}: {where}: row {index} must be {expected} "
                f"(the 15-minute pattern from 8 minutes), got {row!r}"
            )
        rows.append(UnitsRow(index, expected["min"], expected["max"]))
    source, tag = _sourced(raw, where, sources, name=name)
    return UnitsTable(15, 8, tuple(rows), _str(raw, "beyond", where, name=name), source, tag)


def _rules(doc: Mapping[str, Any], sources: Mapping[str, Source], name: str) -> dict[str, RuleInfo]:
    raw = doc.get("rules")
    if not isinstance(raw, list):
        raise CodesError(f"{name}: 'rules' must be a list")
    out: dict[str, RuleInfo] = {}
    for item in raw:
        if not isinstance(item, dict):
            raise CodesError(f"{name}: every entry of 'rules' must be an object")
        rule = item.get("rule")
        if not isinstance(rule, str) or rule not in RULES or rule in out:
            raise CodesError(
                f"{name}: rule {rule!r} must be one of {', '.join(RULES)}, each listed once"
            )
        source, tag = _sourced(item, f"rule {rule!r}", sources, name=name)
        out[rule] = RuleInfo(rule, _str(item, "summary", f"rule {rule!r}", name=name), source, tag)
    missing = [r for r in RULES if r not in out]
    if missing:
        raise CodesError(f"{name}: 'rules' lacks {', '.join(missing)}")
    return out


def _modifiers(doc: Mapping[str, Any], sources: Mapping[str, Source], name: str) -> Modifiers:
    raw = doc.get("modifiers")
    if not isinstance(raw, dict):
        raise CodesError(f"{name}: 'modifiers' must be an object")
    source, tag = _sourced(raw, "modifiers", sources, name=name)
    rules_raw = raw.get("default_rules", [])
    if not isinstance(rules_raw, list):
        raise CodesError(f"{name}: modifiers: 'default_rules' must be a list")
    for index, rule in enumerate(rules_raw, start=1):
        if not isinstance(rule, dict):
            raise CodesError(f"{name}: modifiers: default rule {index} must be an object")
        _, rule_tag = _sourced(rule, f"modifiers default rule {index}", sources, name=name)
        if rule_tag != "V":
            raise CodesError(
                f"{name}: modifiers default rule {index} has tag {rule_tag!r}; a modifier rule "
                "ships by default only with a verified source (tag 'V')"
            )
    return Modifiers(
        default_rules=tuple(rules_raw),
        per_payer=bool(raw.get("per_payer", True)),
        note=_str(raw, "note", "modifiers", name=name),
        source=source,
        tag=tag,
    )


def parse_codes(doc: object, *, techniques: Collection[str], name: str = "codes.json") -> CodeBook:
    """Validate a code-book document; ``techniques`` are the ids of the care catalogue."""
    if not isinstance(doc, dict):
        raise CodesError(f"{name}: must be a JSON object")
    version = doc.get("version")
    if not isinstance(version, str) or not version or not doc.get("source"):
        raise CodesError(f"{name}: needs a 'version' and a 'source'")
    sources = _sources(doc, name)
    codes = _codes(doc, sources, name)
    return CodeBook(
        version=version,
        sources=sources,
        codes=codes,
        techniques=_techniques(doc, sources, codes, techniques, name),
        units_table=_units_table(doc, sources, name),
        rules=_rules(doc, sources, name),
        modifiers=_modifiers(doc, sources, name),
    )


@cache
def load_codes() -> CodeBook:
    """The packaged code book, validated once and cached."""
    try:
        doc = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CodesError(f"codes.json: not valid JSON ({exc})") from exc
    return parse_codes(doc, techniques=tuple(catalog().techniques))
