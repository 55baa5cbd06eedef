"""Palpa's bundled subset of ICD-10-CM: search and validation. Pure: no Django, no database.

It sits in ``core`` because diagnoses are recorded on referrals (line 3) as well as on
evaluations and plans of care (line 6); ``palpa.care.icd10`` re-exports it.

The subset lives in ``palpa/core/data/icd10cm_subset.json``, generated from the official
CDC/CMS release files by ``bin/icd10cm-subset`` (``palpa/core/icd10_build.py`` says which
code ranges and why): each billable code with its official title, its billable flag and
its source, and the release it came from. Codes from chapter 19 (the S codes) need a 7th
character (A, D or S); where the code is shorter than six characters, "X" placeholders pad
it (``S13.4XXD``). A category with subdivisions is not billable and is refused naming its
subcodes; codes that are no longer billable (M54.5 since 1 October 2021) are refused with
the reason and the codes to use instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "icd10cm_subset.json"
TAGS = ("V", "P")
_CODE_LIKE = re.compile(r"^[A-Z][0-9]")


class CodeSetError(ValueError):
    """The data file breaks its schema; the message names the entry."""


class Icd10Error(ValueError):
    """A code that cannot be recorded; ``rule`` says which rule refused it."""

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Seventh:
    character: str
    label: str


@dataclass(frozen=True)
class SubsetCode:
    """One entry of the subset. For chapter-19 codes ``code`` is the 6-character base."""

    code: str
    label: str
    group: str
    terms: tuple[str, ...]
    source: str
    tag: str
    seventh_required: bool

    @property
    def display(self) -> str:
        return f"{self.code}_" if self.seventh_required else self.code


@dataclass(frozen=True)
class NotBillable:
    code: str
    reason: str
    use_instead: tuple[str, ...]


@dataclass(frozen=True)
class Category:
    """A code with subdivisions: not billable; ``subcodes`` are the billable ones below it."""

    code: str
    title: str
    subcodes: tuple[str, ...]


@dataclass(frozen=True)
class CodeSet:
    version: str
    codes: dict[str, SubsetCode]
    sevenths: dict[str, Seventh]
    seventh_source: str
    not_billable: dict[str, NotBillable]
    sources: dict[str, str]
    categories: dict[str, Category] = field(default_factory=dict)
    release: str = ""


@dataclass(frozen=True)
class Diagnosis:
    """A validated, recordable code: ``code`` is complete (with its 7th character)."""

    code: str
    label: str
    base: str
    seventh: str
    tag: str
    source: str
    version: str


def _fail(message: str) -> CodeSetError:
    return CodeSetError(f"icd10cm_subset.json: {message}")


def parse_code_set(doc: Any) -> CodeSet:
    """Validate the parsed JSON and build the code set. Raises CodeSetError."""
    if not isinstance(doc, dict) or not doc.get("version") or not doc.get("source"):
        raise _fail("needs a 'version' and a 'source'")
    sources = doc.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise _fail("'sources' must name at least one source")
    citations = {key: str(value.get("citation", "")) for key, value in sources.items()}
    seventh_doc = doc.get("seventh_characters") or {}
    if seventh_doc.get("source") not in citations:
        raise _fail("'seventh_characters' needs a source from 'sources'")
    sevenths = {
        str(v["character"]): Seventh(str(v["character"]), str(v["label"]))
        for v in seventh_doc.get("values", [])
    }
    if set(sevenths) != {"A", "D", "S"}:
        raise _fail("'seventh_characters' must list A, D and S")
    codes: dict[str, SubsetCode] = {}
    for index, item in enumerate(doc.get("codes", [])):
        where = f"codes[{index}]"
        if not isinstance(item, dict) or not item.get("code") or not item.get("label"):
            raise _fail(f"{where} needs a code and a label")
        code = str(item["code"])
        if code in codes:
            raise _fail(f"{code} is listed twice")
        if item.get("source") not in citations:
            raise _fail(f"{code}: 'source' must name an entry of 'sources'")
        if item.get("tag") not in TAGS:
            raise _fail(f"{code}: 'tag' must be V or P; unverified codes are not shipped")
        if item.get("billable", True) is not True:
            raise _fail(f"{code}: only billable codes are recordable; list it under categories")
        seventh = bool(item.get("seventh_character_required", False))
        if seventh and len(code.replace(".", "")) != 6:
            raise _fail(f"{code}: a code needing a 7th character has 6 (with 'X' placeholders)")
        if not re.fullmatch(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?", code):
            raise _fail(f"{code}: not an ICD-10-CM code shape")
        codes[code] = SubsetCode(
            code=code,
            label=str(item["label"]),
            group=str(item.get("group", "")),
            terms=tuple(str(t) for t in item.get("terms", [])),
            source=str(item["source"]),
            tag=str(item["tag"]),
            seventh_required=seventh,
        )
    if not codes:
        raise _fail("no codes")
    categories: dict[str, Category] = {}
    for item in doc.get("categories", []):
        code = str(item.get("code", ""))
        subcodes = tuple(str(c) for c in item.get("subcodes", []))
        if item.get("billable") is not False or not subcodes or code in codes:
            raise _fail(f"category {code}: a category is not billable and names its subcodes")
        missing = [c for c in subcodes if c not in codes]
        if missing:
            raise _fail(f"category {code}: subcodes {', '.join(missing)} are not in 'codes'")
        categories[code] = Category(code, str(item.get("title", "")), subcodes)
    not_billable: dict[str, NotBillable] = {}
    for item in doc.get("not_billable", []):
        instead = tuple(str(c) for c in item.get("use_instead", []))
        unknown = [c for c in instead if c not in codes]
        if unknown or item.get("source") not in citations:
            raise _fail(f"not_billable {item.get('code')}: sources and replacements must exist")
        not_billable[str(item["code"])] = NotBillable(
            str(item["code"]), str(item["reason"]), instead
        )
    return CodeSet(
        version=str(doc["version"]),
        codes=codes,
        sevenths=sevenths,
        seventh_source=str(seventh_doc["source"]),
        not_billable=not_billable,
        sources=citations,
        categories=categories,
        release=str((doc.get("release") or {}).get("name", "")),
    )


@cache
def code_set() -> CodeSet:
    return parse_code_set(json.loads(DATA.read_text(encoding="utf-8")))


def normalize(text: str) -> str:
    """Upper case, no spaces; a dot after the third character when one is missing."""
    code = re.sub(r"\s+", "", text).upper().rstrip("_")
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    return code


def _seventh_choices(cs: CodeSet) -> str:
    return ", ".join(f"{s.character} ({s.label})" for s in cs.sevenths.values())


def _diagnosis(cs: CodeSet, entry: SubsetCode, seventh: str = "") -> Diagnosis:
    label = entry.label
    if seventh:
        label = f"{label}, {cs.sevenths[seventh].label.split(':')[0]}"
    return Diagnosis(
        code=entry.code + seventh,
        label=label,
        base=entry.code,
        seventh=seventh,
        tag=entry.tag,
        source=cs.sources[entry.source],
        version=cs.version,
    )


def validate(text: str) -> Diagnosis:
    """The recordable code for ``text``, or Icd10Error saying what is wrong and what to use."""
    cs = code_set()
    code = normalize(text)
    if not code:
        raise Icd10Error("Enter an ICD-10-CM code.", rule="required")
    if code in cs.not_billable:
        stop = cs.not_billable[code]
        raise Icd10Error(
            f"{stop.reason} Use {', '.join(stop.use_instead)}.", rule="not_billable_since"
        )
    if code in cs.codes and not cs.codes[code].seventh_required:
        return _diagnosis(cs, cs.codes[code])
    for entry in cs.codes.values():
        if not entry.seventh_required:
            continue
        base, stem = entry.code, entry.code.rstrip("X")
        if code == base or (code.startswith(stem) and set(code[len(stem) :]) <= {"X"}):
            raise Icd10Error(
                f"{base} needs a 7th character: {_seventh_choices(cs)}; "
                f"for example {base}D for a therapy visit during recovery.",
                rule="seventh_character_required",
            )
        if code.startswith(base) and len(code) == len(base) + 1:
            seventh = code[-1]
            if seventh not in cs.sevenths:
                raise Icd10Error(
                    f"{code}: the 7th character {seventh!r} is not valid here; use "
                    f"{_seventh_choices(cs)}.",
                    rule="seventh_character_value",
                )
            return _diagnosis(cs, entry, seventh)
        rest = code[len(stem) :]
        if (
            code.startswith(stem)
            and rest
            and rest[-1] in cs.sevenths
            and set(rest[:-1]) <= {"X"}
            and len(code) < len(base) + 1
        ):
            raise Icd10Error(
                f"{code} is missing its 'X' placeholders: the 7th character goes in the 7th "
                f"place, so write {base}{rest[-1]}.",
                rule="placeholder_x",
            )
    category = cs.categories.get(code)
    if category is not None:
        shown = [cs.codes[c].display for c in category.subcodes]
        raise Icd10Error(
            f"{code} ({category.title}) is a category, not a billable code; use one of "
            f"{', '.join(shown)}.",
            rule="incomplete_code",
        )
    narrower = sorted(c.display for c in cs.codes.values() if c.code.startswith(code))
    if narrower:
        raise Icd10Error(
            f"{code} is not a complete code; use one of {', '.join(narrower)}.",
            rule="incomplete_code",
        )
    raise Icd10Error(
        f"{code} is not in Palpa's ICD-10-CM subset for medical massage "
        f"({', '.join(sorted({c.group for c in cs.codes.values()}))}).",
        rule="not_in_subset",
    )


@dataclass(frozen=True)
class Hit:
    code: str  # as shown: 'S13.4XX_' where a 7th character is still to be chosen
    label: str
    group: str
    tag: str
    seventh_required: bool
    seventh_characters: tuple[Seventh, ...]
    not_billable: bool = False
    note: str = ""


def _words(entry: SubsetCode) -> list[str]:
    text = " ".join((entry.code, entry.label, entry.group, *entry.terms)).lower()
    return re.findall(r"[a-z0-9.]+", text)


def search(query: str, *, limit: int = 25) -> list[Hit]:
    """Codes whose code starts with ``query``, or whose words start with every query word."""
    cs = code_set()
    text = query.strip()
    squashed = normalize(text).replace(".", "")
    hits: list[Hit] = []
    if text and _CODE_LIKE.match(text.upper()):
        for stop in cs.not_billable.values():
            if stop.code.replace(".", "") == squashed:
                hits.append(Hit(stop.code, "Not billable", "", "V", False, (), True, stop.reason))
        matches = [
            c
            for c in cs.codes.values()
            if c.code.replace(".", "").startswith(squashed)
            or (c.seventh_required and squashed.startswith(c.code.replace(".", "")))
        ]
    else:
        wanted = re.findall(r"[a-z0-9.]+", text.lower())
        matches = [
            c
            for c in cs.codes.values()
            if all(any(w.startswith(q) for w in _words(c)) for q in wanted)
        ]
    sevenths = tuple(cs.sevenths.values())
    for c in matches:
        hits.append(
            Hit(
                code=c.display,
                label=c.label,
                group=c.group,
                tag=c.tag,
                seventh_required=c.seventh_required,
                seventh_characters=sevenths if c.seventh_required else (),
            )
        )
    return hits[:limit]
