"""The screening engine: intake facts + a rule set -> decision. Pure and deterministic.

``screen(facts, rule_set)`` evaluates every rule, keeps those whose condition holds as
findings, and returns the most restrictive decision and urgency over the findings
(PROCEED when none), the restrictions merged per body region, the rule-set version and
a plain-language explanation a therapist can read aloud. Findings are ordered by
decision, then urgency (most restrictive first), then their order in the rule set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from palpa.screening.facts import (
    CODE_LABELS,
    Facts,
    describe_item,
    field_spec,
    join_words,
)
from palpa.screening.rules import (
    ALL_TECHNIQUES,
    DECISIONS,
    URGENCIES,
    WHOLE_BODY,
    AllOf,
    Decision,
    Exists,
    FactTest,
    Node,
    Rule,
    RuleSet,
    Urgency,
)


@dataclass(frozen=True)
class Evidence:
    """A fact that made a rule's condition true: its path and plain words for it."""

    path: str
    label: str


@dataclass(frozen=True)
class Finding:
    rule: Rule
    restrictions: Mapping[str, tuple[str, ...]]
    evidence: tuple[Evidence, ...]
    explanation: str

    @property
    def decision(self) -> Decision:
        return self.rule.decision

    @property
    def urgency(self) -> Urgency:
        return self.rule.urgency

    def as_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule.id,
            "title": self.rule.title,
            "decision": self.rule.decision,
            "urgency": self.rule.urgency,
            "regions": list(self.restrictions),
            "restrictions": {region: list(t) for region, t in self.restrictions.items()},
            "matched_facts": [e.path for e in self.evidence],
            "rationale": self.rule.rationale,
            "sources": [s.as_json() for s in self.rule.sources],
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class Result:
    rule_set_version: str
    as_of: str
    decision: Decision
    urgency: Urgency
    findings: tuple[Finding, ...]
    restrictions_by_region: Mapping[str, tuple[str, ...]]
    explanation: str

    def as_json(self) -> dict[str, Any]:
        return {
            "rule_set_version": self.rule_set_version,
            "as_of": self.as_of,
            "decision": self.decision,
            "urgency": self.urgency,
            "findings": [f.as_json() for f in self.findings],
            "restrictions_by_region": {
                region: list(t) for region, t in self.restrictions_by_region.items()
            },
            "explanation": self.explanation,
        }


def decision_rank(decision: str) -> int:
    return DECISIONS.index(decision)


def urgency_rank(urgency: str) -> int:
    return URGENCIES.index(urgency)


# --- condition evaluation ------------------------------------------------------------


@dataclass
class _Match:
    evidence: dict[str, Evidence]  # by path, in the order found
    items: dict[str, dict[int, object]]  # list path -> index -> matched entry

    def merge(self, other: _Match) -> None:
        for path, ev in other.evidence.items():
            self.evidence.setdefault(path, ev)
        for path, entries in other.items.items():
            self.items.setdefault(path, {}).update(entries)


class _Evaluator:
    def __init__(self, facts: Facts, rule_set: RuleSet) -> None:
        self.facts = facts
        self.regions = rule_set.regions

    def eval(self, node: Node, obj: object, prefix: str) -> _Match | None:
        if isinstance(node, FactTest):
            return self.test(node, obj, prefix)
        if isinstance(node, Exists):
            entries = _resolve(obj, node.path)
            matched: dict[int, object] = {}
            evidence: dict[str, Evidence] = {}
            for i, item in enumerate(entries or ()):
                path = f"{prefix}{node.path}[{i}]"
                if node.where is None or self.eval(node.where, item, f"{path}.") is not None:
                    matched[i] = item
                    evidence[path] = Evidence(path, describe_item(item, self.regions))
            return _Match(evidence, {node.path: matched}) if matched else None
        results = [self.eval(n, obj, prefix) for n in node.items]
        if isinstance(node, AllOf) and any(r is None for r in results):
            return None
        found = [r for r in results if r is not None]
        if not found:
            return None
        total = _Match({}, {})
        for r in found:
            total.merge(r)
        return total

    def test(self, node: FactTest, obj: object, prefix: str) -> _Match | None:
        value = _resolve(obj, node.path)
        op, operand = node.op, node.value
        ok: bool
        if value is None:
            ok = False
        elif op == "true":
            ok = _given(value)
        elif op == "gt":
            ok = value > operand
        elif op == "gte":
            ok = value >= operand
        elif op == "lt":
            ok = value < operand
        elif op == "lte":
            ok = value <= operand
        elif op == "in":
            ok = value in operand
        elif op == "has_any":
            ok = bool(set(value) & operand)
        elif op == "within":
            ok = value > operand.start(self.facts.as_of)
        else:  # before: at least the period before as_of
            ok = value <= operand.start(self.facts.as_of)
        if not ok:
            return None
        path = prefix + node.path
        return _Match({path: Evidence(path, self.label(node, value, obj))}, {})

    def label(self, node: FactTest, value: Any, obj: object) -> str:
        spec = field_spec(node.path, type(obj))
        name = spec.label if spec is not None else node.path
        if node.op == "has_any":
            words = self.regions if spec is not None and spec.kind == "regions" else CODE_LABELS
            hits = [words.get(c, c) for c in value if c in node.value]
            return f"{name}: {join_words(hits)}"
        if node.op in ("gt", "gte", "lt", "lte", "in"):
            return f"{name} {CODE_LABELS.get(value, value)}"
        if node.op in ("within", "before"):
            return f"{name} {value.isoformat()}"
        return name


def _given(value: object) -> bool:
    """A yes/no fact is yes; text or a list is not empty; anything else is present."""
    if isinstance(value, bool | str | tuple | list):
        return bool(value)
    return True


def _resolve(obj: object, path: str) -> Any:
    for part in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


# --- restrictions --------------------------------------------------------------------


def _ordered(raw: Mapping[str, set[str]], rule_set: RuleSet) -> dict[str, tuple[str, ...]]:
    """Regions and techniques in the rule set's order (anything else after, by code);
    a region with ``all_techniques`` lists only that."""
    out: dict[str, tuple[str, ...]] = {}
    for region in sorted(raw, key=lambda r: _position(rule_set.regions, r)):
        techniques = raw[region]
        if ALL_TECHNIQUES in techniques:
            out[region] = (ALL_TECHNIQUES,)
        else:
            out[region] = tuple(sorted(techniques, key=lambda t: _position(rule_set.techniques, t)))
    return out


def _position(order: Mapping[str, str], code: str) -> tuple[int, str]:
    keys = list(order)
    return (keys.index(code), "") if code in order else (len(keys), code)


def _restrictions(rule: Rule, match: _Match, rule_set: RuleSet) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in rule.restrict:
        regions: list[str] = list(r.regions)
        if r.regions_from:
            list_path, _, item_field = r.regions_from.rpartition(".")
            for _, item in sorted(match.items.get(list_path, {}).items()):
                value = getattr(item, item_field)
                regions.extend([value] if isinstance(value, str) else value)
        for region in regions:
            out.setdefault(region, set()).update(r.techniques)
    return out


# --- words ---------------------------------------------------------------------------


def _restriction_sentences(
    restrictions: Mapping[str, Sequence[str]], rule_set: RuleSet
) -> list[str]:
    groups: dict[tuple[str, ...], list[str]] = {}
    for region, techniques in restrictions.items():
        groups.setdefault(tuple(techniques), []).append(region)
    sentences = []
    for techniques, regions in groups.items():
        everywhere = WHOLE_BODY in regions
        places = [f"your {rule_set.regions[r]}" for r in regions if r != WHOLE_BODY]
        if techniques == (ALL_TECHNIQUES,):
            if everywhere:
                sentences.append("We will not give any massage today.")
            else:
                sentences.append(f"We will not massage {join_words(places)}.")
            continue
        what = join_words([rule_set.techniques[t] for t in techniques], "or")
        where = "anywhere on your body" if everywhere else f"on {join_words(places)}"
        sentences.append(f"We will not use {what} {where}.")
    return sentences


_OPENING = {
    "CLEARANCE": "Before we treat you, we need your doctor's approval (a medical clearance).",
    "MODIFY": "We can go ahead with your massage, with some changes to keep you safe.",
}
_URGENCY_WORDS = {
    "emergency": (
        "This is an emergency: get emergency care now (call 911 or your local emergency "
        "number), as explained below."
    ),
    "urgent": "Please see a doctor urgently, before any more massage.",
    "referral": "Please see your doctor about this; we can send them what we found.",
    "none": "",
}


def _opening(decision: str, restrictions: Mapping[str, Sequence[str]]) -> str:
    if decision == "STOP":
        if restrictions.get(WHOLE_BODY) == (ALL_TECHNIQUES,):
            return "We cannot give you a massage today."
        return "Part of your treatment must not be given today, as explained below."
    if decision == "PROCEED":
        if restrictions:
            return "We can go ahead with your massage, with the usual precautions below."
        return "We can go ahead with your massage: nothing in your health history stops us."
    return _OPENING[decision]


def _finding_explanation(
    rule: Rule,
    evidence: Iterable[Evidence],
    restrictions: Mapping[str, Sequence[str]],
    rule_set: RuleSet,
) -> str:
    parts = [rule.explanation.strip()]
    labels = [e.label for e in evidence]
    if labels:
        parts.append(f"From your health history: {'; '.join(labels)}.")
    parts.extend(_restriction_sentences(restrictions, rule_set))
    return " ".join(parts)


# --- the engine ----------------------------------------------------------------------


def screen(facts: Facts, rule_set: RuleSet) -> Result:
    """Apply ``rule_set`` to ``facts``. Deterministic: the same input gives the same result."""
    evaluator = _Evaluator(facts, rule_set)
    order = {rule.id: i for i, rule in enumerate(rule_set.rules)}
    findings: list[Finding] = []
    merged: dict[str, set[str]] = {}
    for rule in rule_set.rules:
        match = evaluator.eval(rule.when, facts, "")
        if match is None:
            continue
        raw = _restrictions(rule, match, rule_set)
        for region, techniques in raw.items():
            merged.setdefault(region, set()).update(techniques)
        restrictions = _ordered(raw, rule_set)
        evidence = tuple(match.evidence.values())
        findings.append(
            Finding(
                rule,
                restrictions,
                evidence,
                _finding_explanation(rule, evidence, restrictions, rule_set),
            )
        )
    findings.sort(
        key=lambda f: (-decision_rank(f.decision), -urgency_rank(f.urgency), order[f.rule.id])
    )
    decision: Decision = max((f.decision for f in findings), key=decision_rank, default="PROCEED")
    urgency: Urgency = max((f.urgency for f in findings), key=urgency_rank, default="none")
    by_region = _ordered(merged, rule_set)
    words = [_opening(decision, by_region), _URGENCY_WORDS[urgency]]
    words.extend(f.explanation for f in findings)
    return Result(
        rule_set_version=rule_set.version,
        as_of=facts.as_of.isoformat(),
        decision=decision,
        urgency=urgency,
        findings=tuple(findings),
        restrictions_by_region=by_region,
        explanation=" ".join(w for w in words if w),
    )
