"""Properties of the engine over generated intakes (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given

from palpa.screening.engine import Result, decision_rank, urgency_rank
from palpa.screening.tests.support import add_facts, facts_docs, run


def covers(bigger: tuple[str, ...], smaller: tuple[str, ...]) -> bool:
    return bigger == ("all_techniques",) or set(smaller) <= set(bigger)


@given(facts_docs, facts_docs)
def test_adding_facts_never_makes_the_result_less_restrictive(
    base: dict[str, Any], extra: dict[str, Any]
) -> None:
    before = run(base)
    after = run(add_facts(base, extra))
    assert decision_rank(after.decision) >= decision_rank(before.decision)
    assert urgency_rank(after.urgency) >= urgency_rank(before.urgency)
    assert {f.rule.id for f in before.findings} <= {f.rule.id for f in after.findings}
    for region, techniques in before.restrictions_by_region.items():
        assert covers(after.restrictions_by_region[region], techniques)


@given(facts_docs)
def test_the_decision_and_urgency_are_the_most_restrictive_over_the_findings(
    doc: dict[str, Any],
) -> None:
    result = run(doc)
    assert decision_rank(result.decision) == max(
        (decision_rank(f.decision) for f in result.findings), default=0
    )
    assert urgency_rank(result.urgency) == max(
        (urgency_rank(f.urgency) for f in result.findings), default=0
    )


@given(facts_docs)
def test_restrictions_by_region_merge_exactly_the_findings_restrictions(
    doc: dict[str, Any],
) -> None:
    result = run(doc)
    merged: dict[str, set[str]] = {}
    for finding in result.findings:
        for region, techniques in finding.restrictions.items():
            merged.setdefault(region, set()).update(techniques)
    assert set(result.restrictions_by_region) == set(merged)
    for region, techniques in result.restrictions_by_region.items():
        if "all_techniques" in merged[region]:
            assert techniques == ("all_techniques",)
        else:
            assert set(techniques) == merged[region]


def as_text(result: Result) -> str:
    return json.dumps(result.as_json(), sort_keys=False)


@given(facts_docs)
def test_the_same_facts_always_give_the_same_result(doc: dict[str, Any]) -> None:
    assert as_text(run(doc)) == as_text(run(json.loads(json.dumps(doc))))


@given(facts_docs)
def test_the_order_of_entries_does_not_change_the_decision(doc: dict[str, Any]) -> None:
    reordered = {k: list(reversed(v)) if isinstance(v, list) else v for k, v in doc.items()}
    first, second = run(doc), run(reordered)
    assert (first.decision, first.urgency) == (second.decision, second.urgency)
    assert first.restrictions_by_region == second.restrictions_by_region
    assert [f.rule.id for f in first.findings] == [f.rule.id for f in second.findings]


@given(facts_docs)
def test_findings_are_ordered_most_restrictive_first_and_every_one_is_explained(
    doc: dict[str, Any],
) -> None:
    result = run(doc)
    keys = [(decision_rank(f.decision), urgency_rank(f.urgency)) for f in result.findings]
    assert keys == sorted(keys, reverse=True)
    for finding in result.findings:
        assert finding.explanation
        assert finding.explanation in result.explanation
    assert result.explanation
