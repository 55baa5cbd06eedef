"""The limb-volume rule file: every formula and threshold has its source and tag, and a
broken file is refused naming the place."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from palpa.lymphoedema.rules import FORMULAS, RulesError, load_rules, parse_rules


def packaged() -> dict[str, Any]:
    text = resources.files("palpa.lymphoedema").joinpath("data", "limb_volume.json").read_text()
    return dict(json.loads(text))


def test_the_packaged_rules_load_with_a_source_for_every_fact() -> None:
    rules = load_rules()
    assert rules.version == "1.0.0"
    assert set(rules.formulas) == set(FORMULAS)
    for formula in rules.formulas.values():
        assert formula.source.citation
    assert rules.formulas["segment_volume"].formula == "V = h·(C1² + C1·C2 + C2²)/(12π)"
    assert rules.formulas["segment_volume"].tag == "V"
    assert rules.formulas["relative_volume_change"].tag == "P"
    assert rules.thresholds["interlimb_volume_percent"].value == 10
    assert rules.thresholds["interlimb_circumference_cm"].value == 2
    assert {t.tag for t in rules.thresholds.values()} == {"P"}
    assert (rules.limits.circumference_max_cm, rules.limits.interval_max_cm) == (150, 20)


def test_a_file_read_from_a_path_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "limb_volume.json"
    path.write_text(json.dumps(packaged()), encoding="utf-8")
    assert load_rules(path).version == "1.0.0"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid JSON"):
        load_rules(path)


def _broken(change: str) -> dict[str, Any]:
    data = packaged()
    if change == "missing formula":
        del data["formulas"]["relative_volume_change"]
    elif change == "unknown source":
        data["formulas"]["excess_volume"]["source"] = "nobody"
    elif change == "bad tag":
        data["thresholds"]["interlimb_volume_percent"]["tag"] = "U"
    elif change == "P without evidence":
        data["formulas"]["relative_volume_change"]["evidence"] = "verified"
    elif change == "limits as a clinical fact":
        data["input_limits"]["tag"] = "V"
    elif change == "one point":
        data["input_limits"]["min_points"] = 1
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("missing formula", "formula 'relative_volume_change' is missing"),
        ("unknown source", "formulas.excess_volume: source 'nobody' is not in 'sources'"),
        ("bad tag", "interlimb_volume_percent: 'tag' 'U' must be one of V, P"),
        ("P without evidence", "must say 'partly verified: ...'"),
        ("limits as a clinical fact", "'tag' must be 'palpa_decision'"),
        ("one point", "'min_points' must be at least 2"),
    ],
)
def test_a_broken_rule_file_is_refused_naming_the_place(change: str, message: str) -> None:
    with pytest.raises(RulesError, match=__import__("re").escape(message)):
        parse_rules(_broken(change))
