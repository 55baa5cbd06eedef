"""`palpa screen FILE|-`: prints the engine's result as JSON; bad facts exit 2 naming the field."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from palpa.screening.rules import default_rule_set_document


def run_command(*args: str) -> tuple[dict[str, object], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("screen", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


def fail_command(*args: str) -> tuple[int | str | None, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as info:
        call_command("screen", *args, stdout=out, stderr=err)
    assert out.getvalue() == ""
    return info.value.code, err.getvalue()


def write(tmp_path: Path, doc: object, name: str = "facts.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def test_screen_prints_the_result_as_json(tmp_path: Path) -> None:
    facts = {"as_of": "2026-03-02", "medications": [{"name": "apixaban", "kind": "anticoagulant"}]}
    result, err = run_command(write(tmp_path, facts))
    assert err == ""
    assert list(result) == [
        "rule_set_version",
        "as_of",
        "decision",
        "urgency",
        "findings",
        "restrictions_by_region",
        "explanation",
    ]
    assert result["decision"] == "MODIFY"
    assert result["rule_set_version"] == "palpa-default-3"
    findings = result["findings"]
    assert isinstance(findings, list)
    assert set(findings[0]) >= {
        "rule_id", "decision", "urgency", "regions", "restrictions", "rationale", "sources",
        "explanation",
    }  # fmt: skip


def test_screen_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"as_of": "2026-03-02", "pregnancy": {}}'))
    result, _ = run_command("-")
    assert result["decision"] == "PROCEED"


def test_an_unknown_fact_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, {"as_of": "2026-03-02", "red_flags": {"low_back": {"saddle": True}}})
    code, err = fail_command(path)
    assert code == 2
    assert "red_flags.low_back.saddle: unknown fact" in err


def test_a_malformed_fact_exits_2_naming_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"as_of": "yesterday"}'))
    code, err = fail_command("-")
    assert code == 2
    assert "as_of: expected an ISO date (YYYY-MM-DD), got 'yesterday'" in err


def test_invalid_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text("{not json")
    code, err = fail_command(str(path))
    assert code == 2
    assert "not valid JSON" in err


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    code, err = fail_command(str(tmp_path / "nope.json"))
    assert code == 2
    assert "cannot read" in err


def test_an_organizations_rule_set_can_be_given(tmp_path: Path) -> None:
    doc = default_rule_set_document()
    doc["version"] = "acme-7"
    rules = write(tmp_path, doc, "rules.json")
    result, _ = run_command(write(tmp_path, {"as_of": "2026-03-02"}), "--rules", rules)
    assert result["rule_set_version"] == "acme-7"


def test_an_invalid_rule_set_exits_2(tmp_path: Path) -> None:
    doc = default_rule_set_document()
    del doc["rules"][0]["sources"]
    rules = write(tmp_path, doc, "rules.json")
    code, err = fail_command(write(tmp_path, {"as_of": "2026-03-02"}), "--rules", rules)
    assert code == 2
    assert "rules[0].sources: every rule needs at least one source" in err


def test_a_deeply_nested_facts_file_exits_2_not_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text("[" * 5000 + "]" * 5000)
    code, err = fail_command(str(path))
    assert code == 2
    assert f"{path} nests arrays or objects 5000 levels deep; at most 32" in err


def test_a_deeply_nested_rule_set_exits_2(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text('{"rules": ' + "[" * 3000 + "]" * 3000 + "}")
    code, err = fail_command(write(tmp_path, {"as_of": "2026-03-02"}), "--rules", str(rules))
    assert code == 2
    assert "--rules" in err
    assert "levels deep" in err


def test_a_control_character_in_a_fact_exits_2_naming_it(tmp_path: Path) -> None:
    code, err = fail_command(write(tmp_path, {"as_of": "2026-03-02", "notes\u0000": 1}))
    assert code == 2
    assert "contains U+0000" in err
