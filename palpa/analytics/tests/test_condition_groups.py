"""Condition groups are data, checked on load against the ICD-10-CM subset's own titles."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from palpa.analytics.conditions import (
    DATA,
    ConditionGroupsError,
    group_of,
    parse_condition_groups,
)
from palpa.core.icd10 import code_set


def _doc() -> dict[str, Any]:
    return copy.deepcopy(json.loads(DATA.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("M54.50", "low-back-pain"),
        ("M54.42", "low-back-pain"),
        ("M54.16", "low-back-pain"),
        ("M54.12", "neck-pain"),
        ("S13.4XXD", "neck-pain"),
        ("M25.512", "shoulder"),
        ("G44.229", "headache"),
        ("I97.2", "lymphoedema"),
        ("M79.12", "myalgia-fibromyalgia"),
        ("M25.561", "other"),  # knee pain: no group of its own
        ("Z99.9", "other"),  # outside the subset
        ("", "other"),
    ],
)
def test_a_code_falls_in_the_group_of_its_longest_prefix(code: str, group: str) -> None:
    assert group_of(code) == group


def test_every_prefix_of_the_shipped_file_carries_its_tabular_list_title() -> None:
    groups = parse_condition_groups(_doc(), code_set())
    assert len(groups.prefixes) == len(_doc()["prefixes"])
    assert "other" in groups.labels


def test_a_prefix_with_a_wrong_title_fails_to_load_naming_the_official_one() -> None:
    doc = _doc()
    doc["prefixes"][0]["title"] = "Backache"
    with pytest.raises(ConditionGroupsError, match="titled 'Low back pain'"):
        parse_condition_groups(doc, code_set())


def test_a_prefix_outside_the_subset_fails_to_load() -> None:
    doc = _doc()
    doc["prefixes"].append(
        {"prefix": "Z99", "title": "x", "group": "other-thing", "source": "icd10cm_tabular"}
    )
    with pytest.raises(ConditionGroupsError, match="unknown group"):
        parse_condition_groups(doc, code_set())
    doc["prefixes"][-1]["group"] = "shoulder"
    with pytest.raises(ConditionGroupsError, match="neither a category nor a code"):
        parse_condition_groups(doc, code_set())


def test_a_prefix_listed_twice_or_with_an_unnamed_source_fails_to_load() -> None:
    doc = _doc()
    doc["prefixes"].append(dict(doc["prefixes"][0]))
    with pytest.raises(ConditionGroupsError, match="listed twice"):
        parse_condition_groups(doc, code_set())
    doc = _doc()
    doc["prefixes"][0]["source"] = "memory"
    with pytest.raises(ConditionGroupsError, match="unknown source"):
        parse_condition_groups(doc, code_set())
