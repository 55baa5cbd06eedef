"""Screening rule sets: loading and validation (pure; reading the default file is the only I/O).

A rule set is a versioned JSON document (``data/rules.json`` is Palpa's default; an
organization's adjusted copy has the same schema and its own version). ``load_rule_set``
validates everything before anything is used: every rule needs at least one source, every
source is tagged V or P (an unverified [U] fact cannot be a source), every fact a
condition names exists in the fact schema with the kind the operator needs, and every
region and technique is in the set's own lists. Errors name the place
(``rules[4].sources: ...``) and are all reported at once.

Conditions have no negation, so adding a fact can only make more conditions true: the
engine's decision can only become more restrictive as facts are added.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from palpa.screening.facts import Facts, Spec, field_spec

FORMAT = "palpa.screening.rules/1"
DECISIONS = ("PROCEED", "MODIFY", "CLEARANCE", "STOP")
URGENCIES = ("none", "referral", "urgent", "emergency")
EVIDENCE = ("V", "P")
WHOLE_BODY = "whole_body"
ALL_TECHNIQUES = "all_techniques"

Decision = Literal["PROCEED", "MODIFY", "CLEARANCE", "STOP"]
Urgency = Literal["none", "referral", "urgent", "emergency"]
Op = Literal["true", "gt", "gte", "lt", "lte", "in", "has_any", "within", "before"]


# --- conditions ----------------------------------------------------------------------


@dataclass(frozen=True)
class FactTest:
    """A test of one fact. ``op == "true"``: a yes/no fact is yes, an optional fact is
    given, a list is not empty. Paths are relative to the list item inside ``Exists``."""

    path: str
    op: Op
    value: Any = None


@dataclass(frozen=True)
class Exists:
    """Some entry of a list (``conditions``, ``surgeries``...) satisfies ``where``."""

    path: str
    where: Node | None = None


@dataclass(frozen=True)
class AllOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Node, ...]


Node = FactTest | Exists | AllOf | AnyOf


@dataclass(frozen=True)
class Period:
    days: int = 0
    weeks: int = 0
    months: int = 0

    def start(self, as_of: dt.date) -> dt.date:
        """The first day that is *not* within the period (dates after it are within)."""
        day = as_of - dt.timedelta(days=self.days + 7 * self.weeks)
        if self.months:
            month_index = day.year * 12 + day.month - 1 - self.months
            year, month = divmod(month_index, 12)
            month += 1
            last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
            day = dt.date(year, month, min(day.day, last))
        return day

    def words(self) -> str:
        parts = [(self.months, "month"), (self.weeks, "week"), (self.days, "day")]
        return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n)


# --- rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    citation: str
    evidence: str
    url: str = ""
    note: str = ""

    def as_json(self) -> dict[str, str]:
        """What results carry (and staff and patients read): the publication, its
        evidence tag and link. ``note`` is internal to the data file (which row of the
        clinical reference names it, how it was checked) and is left out."""
        out = {"citation": self.citation, "evidence": self.evidence}
        if self.url:
            out["url"] = self.url
        return out


@dataclass(frozen=True)
class Restriction:
    """Techniques restricted on fixed regions, or on regions taken from the matched list
    entries (``regions_from = "surgeries.region"``)."""

    techniques: tuple[str, ...]
    regions: tuple[str, ...] = ()
    regions_from: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    section: str
    when: Node
    decision: Decision
    urgency: Urgency
    restrict: tuple[Restriction, ...]
    rationale: str
    explanation: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class RuleSet:
    name: str
    version: str
    regions: Mapping[str, str]  # code -> plain label, in display order
    techniques: Mapping[str, str]
    rules: tuple[Rule, ...]
    left_out: tuple[Mapping[str, Any], ...] = field(default=())


class RuleSetError(ValueError):
    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


# --- loading -------------------------------------------------------------------------

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = {"format", "name", "version", "description", "regions", "techniques", "left_out"}
_RULE_KEYS = {
    "id",
    "title",
    "section",
    "when",
    "decision",
    "urgency",
    "restrict",
    "rationale",
    "explanation",
    "sources",
}
_OPS: dict[str, tuple[str, ...]] = {
    "gt": ("int",),
    "gte": ("int",),
    "lt": ("int",),
    "lte": ("int",),
    "in": ("code",),
    "has_any": ("codes", "regions"),
    "within": ("date",),
    "before": ("date",),
}


class _Loader:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.regions: dict[str, str] = {}
        self.techniques: dict[str, str] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def text(self, raw: Mapping[str, Any], key: str, path: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{path}.{key}" if path else key, "required text")
            return ""
        return value

    def vocabulary(self, raw: object, path: str, must_have: str) -> dict[str, str]:
        out: dict[str, str] = {}
        if not isinstance(raw, list) or not raw:
            self.fail(path, "expected a non-empty list of {code, label}")
            return out
        for i, entry in enumerate(raw):
            where = f"{path}[{i}]"
            if not isinstance(entry, dict) or set(entry) != {"code", "label"}:
                self.fail(where, "expected {code, label}")
                continue
            code, label = entry["code"], entry["label"]
            if not isinstance(code, str) or not _ID.match(code) or not isinstance(label, str):
                self.fail(where, "code must be lower_snake_case and label text")
            elif code in out:
                self.fail(where, f"{code} listed twice")
            else:
                out[code] = label
        if must_have not in out:
            self.fail(path, f"must include {must_have}")
        return out

    # conditions

    def node(self, raw: object, path: str, root: type) -> Node | None:
        if not isinstance(raw, dict):
            self.fail(path, "expected a condition object")
            return None
        for combinator, cls in (("all", AllOf), ("any", AnyOf)):
            if combinator in raw:
                if set(raw) != {combinator}:
                    self.fail(path, f"'{combinator}' stands alone")
                    return None
                items = raw[combinator]
                if not isinstance(items, list) or not items:
                    self.fail(f"{path}.{combinator}", "expected a non-empty list")
                    return None
                nodes = [
                    self.node(x, f"{path}.{combinator}[{i}]", root) for i, x in enumerate(items)
                ]
                if any(n is None for n in nodes):
                    return None
                return cls(tuple(n for n in nodes if n is not None))
        if "exists" in raw:
            return self.exists(raw, path, root)
        if "fact" in raw:
            return self.fact(raw, path, root)
        self.fail(path, "expected one of all, any, exists, fact")
        return None

    def exists(self, raw: Mapping[str, Any], path: str, root: type) -> Node | None:
        extra = set(raw) - {"exists", "where"}
        if extra:
            self.fail(path, f"unknown keys {sorted(extra)}")
            return None
        target = raw["exists"]
        spec = field_spec(target, root) if isinstance(target, str) else None
        if spec is None or spec.kind != "list" or spec.item is None:
            self.fail(f"{path}.exists", f"{target!r} is not a list of entries in the facts")
            return None
        where = None
        if "where" in raw:
            where = self.node(raw["where"], f"{path}.where", spec.item)
            if where is None:
                return None
        return Exists(target, where)

    def fact(self, raw: Mapping[str, Any], path: str, root: type) -> Node | None:
        target = raw["fact"]
        spec = field_spec(target, root) if isinstance(target, str) else None
        if spec is None:
            self.fail(f"{path}.fact", f"unknown fact {target!r}")
            return None
        ops = set(raw) - {"fact"}
        if not ops:
            return FactTest(target, "true")
        if len(ops) != 1 or next(iter(ops)) not in _OPS:
            self.fail(path, f"expected one operator of {sorted(_OPS)}, got {sorted(ops)}")
            return None
        op = next(iter(ops))
        if spec.kind not in _OPS[op]:
            self.fail(path, f"{op} does not apply to {target} ({spec.kind})")
            return None
        value = self.operand(op, raw[op], spec, f"{path}.{op}")
        return None if value is None else FactTest(target, op, value)  # type: ignore[arg-type]

    def operand(self, op: str, raw: object, spec: Spec, path: str) -> Any:
        if op in ("gt", "gte", "lt", "lte"):
            if not isinstance(raw, int) or isinstance(raw, bool):
                self.fail(path, "expected a whole number")
                return None
            return raw
        if op in ("in", "has_any"):
            if not isinstance(raw, list) or not raw:
                self.fail(path, "expected a non-empty list of codes")
                return None
            allowed = self.regions if spec.kind == "regions" else spec.codes
            bad = [x for x in raw if x not in allowed]
            if bad:
                self.fail(path, f"unknown codes {bad}")
                return None
            return frozenset(raw)
        if not isinstance(raw, dict) or not raw or set(raw) - {"days", "weeks", "months"}:
            self.fail(path, "expected {days|weeks|months: n}")
            return None
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in raw.values()):
            self.fail(path, "expected positive whole numbers")
            return None
        return Period(**raw)

    # rules

    def rule(self, raw: object, path: str) -> Rule | None:
        if not isinstance(raw, dict):
            self.fail(path, "expected a rule object")
            return None
        before = len(self.errors)
        extra = set(raw) - _RULE_KEYS
        if extra:
            self.fail(path, f"unknown keys {sorted(extra)}")
        rule_id = self.text(raw, "id", path)
        if rule_id and not _ID.match(rule_id):
            self.fail(f"{path}.id", "must be lower_snake_case")
        title = self.text(raw, "title", path)
        section = self.text(raw, "section", path)
        rationale = self.text(raw, "rationale", path)
        if rationale and (not rationale.endswith(".") or ". " in rationale[:-1]):
            self.fail(f"{path}.rationale", "must be exactly one sentence ending with a full stop")
        explanation = self.text(raw, "explanation", path)
        decision: Decision = raw.get("decision", "")
        if decision not in DECISIONS:
            self.fail(f"{path}.decision", f"expected one of {', '.join(DECISIONS)}")
        urgency: Urgency = raw.get("urgency", "")
        if urgency not in URGENCIES:
            self.fail(f"{path}.urgency", f"expected one of {', '.join(URGENCIES)}")
        sources = self.sources(raw.get("sources"), f"{path}.sources")
        when = self.node(raw.get("when"), f"{path}.when", Facts) if "when" in raw else None
        if "when" not in raw:
            self.fail(f"{path}.when", "required condition")
        restrict = self.restrictions(raw.get("restrict", []), f"{path}.restrict", when)
        if len(self.errors) > before or when is None:
            return None
        return Rule(
            rule_id,
            title,
            section,
            when,
            decision,
            urgency,
            restrict,
            rationale,
            explanation,
            sources,
        )

    def sources(self, raw: object, path: str) -> tuple[Source, ...]:
        if not isinstance(raw, list) or not raw:
            self.fail(path, "every rule needs at least one source")
            return ()
        out = []
        for i, entry in enumerate(raw):
            where = f"{path}[{i}]"
            if not isinstance(entry, dict) or set(entry) - {"citation", "evidence", "url", "note"}:
                self.fail(where, "expected {citation, evidence, url?, note?}")
                continue
            citation = self.text(entry, "citation", where)
            evidence = entry.get("evidence")
            if evidence not in EVIDENCE:
                self.fail(
                    f"{where}.evidence",
                    "must be V (verified) or P (partly checked); "
                    "an unverified fact cannot be a rule's source",
                )
                continue
            url, note = entry.get("url", ""), entry.get("note", "")
            if not isinstance(url, str) or not isinstance(note, str):
                self.fail(where, "url and note are text")
                continue
            out.append(Source(citation, evidence, url, note))
        return tuple(out)

    def restrictions(self, raw: object, path: str, when: Node | None) -> tuple[Restriction, ...]:
        if not isinstance(raw, list):
            self.fail(path, "expected a list")
            return ()
        lists = _exists_paths(when) if when is not None else set()
        out = []
        for i, entry in enumerate(raw):
            where = f"{path}[{i}]"
            if not isinstance(entry, dict) or set(entry) - {
                "regions",
                "regions_from",
                "techniques",
            }:
                self.fail(where, "expected {regions | regions_from, techniques}")
                continue
            techniques = entry.get("techniques")
            if not isinstance(techniques, list) or not techniques:
                self.fail(f"{where}.techniques", "expected a non-empty list")
                continue
            bad = [t for t in techniques if t not in self.techniques]
            if bad:
                self.fail(f"{where}.techniques", f"unknown techniques {bad}")
            regions, regions_from = entry.get("regions", []), entry.get("regions_from", "")
            if bool(regions) == bool(regions_from):
                self.fail(where, "give either regions or regions_from")
                continue
            if regions:
                unknown = [r for r in regions if r not in self.regions]
                if not isinstance(regions, list) or unknown:
                    self.fail(f"{where}.regions", f"unknown regions {unknown}")
            else:
                list_path, _, item_field = str(regions_from).rpartition(".")
                spec = field_spec(list_path)
                item_spec = (
                    field_spec(item_field, spec.item) if spec and spec.item is not None else None
                )
                if item_spec is None or item_spec.kind not in ("region", "regions"):
                    self.fail(f"{where}.regions_from", f"{regions_from!r} is not a region field")
                elif list_path not in lists:
                    self.fail(
                        f"{where}.regions_from",
                        f"the condition has no 'exists' over {list_path} to take regions from",
                    )
            out.append(Restriction(tuple(techniques), tuple(regions), str(regions_from)))
        return tuple(out)


def _exists_paths(node: Node) -> set[str]:
    if isinstance(node, Exists):
        return {node.path}
    if isinstance(node, AllOf | AnyOf):
        return set().union(*(_exists_paths(n) for n in node.items))
    return set()


def load_rule_set(doc: object) -> RuleSet:
    """Validate a rule-set document (parsed JSON) and return it, or raise ``RuleSetError``."""
    loader = _Loader()
    if not isinstance(doc, dict):
        raise RuleSetError(["(top level): expected an object"])
    extra = set(doc) - _TOP_KEYS - {"rules"}
    if extra:
        loader.fail("(top level)", f"unknown keys {sorted(extra)}")
    if doc.get("format") != FORMAT:
        loader.fail("format", f"expected {FORMAT!r}")
    name = loader.text(doc, "name", "")
    version = loader.text(doc, "version", "")
    loader.regions = loader.vocabulary(doc.get("regions"), "regions", WHOLE_BODY)
    loader.techniques = loader.vocabulary(doc.get("techniques"), "techniques", ALL_TECHNIQUES)
    left_out = doc.get("left_out", [])
    if not isinstance(left_out, list) or not all(
        isinstance(x, dict) and isinstance(x.get("topic"), str) and isinstance(x.get("reason"), str)
        for x in left_out
    ):
        loader.fail("left_out", "expected a list of {topic, reason, ...}")
        left_out = []
    raw_rules = doc.get("rules")
    rules: list[Rule] = []
    if not isinstance(raw_rules, list) or not raw_rules:
        loader.fail("rules", "expected a non-empty list")
    else:
        seen: set[str] = set()
        for i, raw in enumerate(raw_rules):
            rule = loader.rule(raw, f"rules[{i}]")
            rule_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(rule_id, str) and rule_id in seen:
                loader.fail(f"rules[{i}].id", f"{rule_id} is used twice")
            if isinstance(rule_id, str):
                seen.add(rule_id)
            if rule is not None:
                rules.append(rule)
    if loader.errors:
        raise RuleSetError(loader.errors)
    return RuleSet(name, version, loader.regions, loader.techniques, tuple(rules), tuple(left_out))


def default_rule_set_document() -> dict[str, Any]:
    text = resources.files("palpa.screening").joinpath("data/rules.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


@cache
def default_rule_set() -> RuleSet:
    """Palpa's shipped rule set (``data/rules.json``), validated once per process."""
    return load_rule_set(default_rule_set_document())


def _previous_documents() -> dict[str, dict[str, Any]]:
    folder = resources.files("palpa.screening").joinpath("data/previous")
    out: dict[str, dict[str, Any]] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            doc: dict[str, Any] = json.loads(entry.read_text("utf-8"))
            out[str(doc["version"])] = doc
    return out


@cache
def shipped_versions() -> tuple[str, ...]:
    """Every version of Palpa's own rules, oldest first, the one in force last. Earlier
    versions are kept (``data/previous/<version>.json``) so that a screening they produced
    can be shown with the rules that produced it."""
    return (*sorted(_previous_documents()), default_rule_set().version)


@cache
def shipped_rule_set(version: str) -> RuleSet | None:
    """One version of Palpa's own rules (the current or an earlier one), or None."""
    if version == default_rule_set().version:
        return default_rule_set()
    doc = _previous_documents().get(version)
    return load_rule_set(doc) if doc is not None else None
