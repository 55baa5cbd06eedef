"""docs/screening.md documents every fact, code and rule, and its example is valid."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from palpa.screening.facts import CONDITION_CODES, Facts, spec_of
from palpa.screening.rules import default_rule_set
from palpa.screening.tests.support import run

DOC = (Path(__file__).resolve().parents[3] / "docs" / "screening.md").read_text(encoding="utf-8")


def fact_paths(cls: type, prefix: str = "") -> list[str]:
    paths = []
    for f in dataclasses.fields(cls):
        spec = spec_of(f)
        paths.append(prefix + f.name)
        if spec.kind == "object" and spec.item is not None:
            paths += fact_paths(spec.item, f"{prefix}{f.name}.")
        if spec.kind == "list" and spec.item is not None:
            paths += fact_paths(spec.item, f"{prefix}{f.name}[].")
    return paths


def test_every_fact_is_documented_field_by_field() -> None:
    missing = [p for p in fact_paths(Facts) if f"| `{p}` |" not in DOC]
    assert missing == []


def test_every_condition_code_is_documented() -> None:
    assert [c for c in CONDITION_CODES if f"| `{c}` |" not in DOC] == []


def test_every_rule_is_documented() -> None:
    assert [r.id for r in default_rule_set().rules if f"| `{r.id}` |" not in DOC] == []


def test_the_documented_example_is_valid_and_comes_out_as_described() -> None:
    match = re.search(r"### Example\n\n```json\n(.*?)```", DOC, re.S)
    assert match is not None
    doc = json.loads(match.group(1))
    as_of = doc.pop("as_of")
    assert as_of == "2026-03-02"
    result = run(doc)
    assert (result.decision, result.urgency) == ("STOP", "referral")
    assert {"lymphedema_mld_stop", "cancer_active", "lbp_cancer_flags"} <= {
        f.rule.id for f in result.findings
    }
