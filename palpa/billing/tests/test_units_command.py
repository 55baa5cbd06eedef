"""`palpa units [--rule cms|per-code] CODE=MINUTES ...`: JSON out; bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("units", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_units_prints_the_cms_allocation_as_json() -> None:
    code, out, err = run("97110=33", "97140=7")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["rule"] == "cms"
    assert "Pub. 100-04" in result["rule_source"]
    assert result["codes_version"] == "2026.1"
    assert (result["total_minutes"], result["total_units"]) == (40, 3)
    assert [(x["code"], x["label"], x["minutes"], x["units"]) for x in result["lines"]] == [
        ("97110", "Therapeutic exercise", 33, 2),
        ("97140", "Manual therapy", 7, 1),
    ]
    assert result["lines"][0]["reason"].startswith("2 full 15-minute blocks (30 of 33 min)")
    assert result["notes"] == ["total 40 timed minutes = 3 units (CMS table: 38-52 min)"]


def test_units_per_code_rule() -> None:
    code, out, _ = run("--rule", "per-code", "97112=24", "97110=23")
    assert code == 0
    result = json.loads(out)
    assert result["rule"] == "per-code"
    assert result["total_units"] == 4
    assert [x["units"] for x in result["lines"]] == [2, 2]


def test_units_under_8_minutes_prints_zero_with_the_note() -> None:
    code, out, _ = run("97124=7")
    assert code == 0
    result = json.loads(out)
    assert result["total_units"] == 0
    assert result["notes"] == ["total 7 timed minutes < 8: nothing billable"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("97110",), "palpa units (rule cms): argument '97110' has no '='"),
        (("9711=3",), "argument '9711=3': code '9711' must be 5 digits"),
        (("97110=abc",), "argument '97110=abc': minutes 'abc' must be a whole number"),
        (("97110=2.5",), "argument '97110=2.5': minutes '2.5' must be a whole number"),
        (("97110=-3",), "argument '97110=-3': minutes '-3' must be a whole number from 0 to 1440"),
        (("97110=", "97140=3"), "argument '97110=': minutes '' must be a whole number"),
        (
            ("--rule", "per-code", "97110=3", "97110=4"),
            "palpa units (rule per-code): argument '97110=4': code 97110 is given twice",
        ),
        (("97010=10",), "code 97010 (rule cms): 97010 (Hot or cold packs) is untimed"),
        (("97161=10",), "code 97161 (rule cms): 97161 is not a timed code"),
        (("--rule", "medicare", "97110=3"), "--rule 'medicare' is unknown"),
        ((), "give at least one CODE=MINUTES"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_argument_and_rule(
    args: tuple[str, ...], expected: str
) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert expected in err
    assert err.strip().count("\n") == 0


def test_the_palpa_console_command_runs_units() -> None:
    palpa = Path(sys.executable).with_name("palpa")
    ok = subprocess.run(
        [str(palpa), "units", "--rule", "cms", "97112=24", "97110=23"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["total_units"] == 3
    bad = subprocess.run(
        [str(palpa), "units", "97110=1.5"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "minutes '1.5' must be a whole number" in bad.stderr


@pytest.mark.parametrize(
    ("argument", "shown"),
    [
        ("97124=99999999999999999999999", "'97124=99999999999999999999999'"),
        ("97124=1441", "'97124=1441'"),
        ("97124=\uff13\uff10", "'97124=\uff13\uff10'"),  # full-width 30
        ("97124=\u00b2", "'97124=\u00b2'"),  # superscript 2
        ("\uff19\uff17\uff11\uff12\uff14=30", "'\uff19\uff17\uff11\uff12\uff14=30'"),
    ],
)
def test_minutes_past_a_day_or_in_other_digits_are_refused_naming_the_argument(
    argument: str, shown: str
) -> None:
    code, out, err = run(argument)
    assert (code, out) == (2, "")
    assert f"argument {shown}" in err
    assert "97124" in err or "code" in err


def test_minutes_up_to_a_day_are_counted() -> None:
    code, out, _ = run("97124=1440")
    assert code == 0
    assert json.loads(out)["total_units"] == 96


def test_a_control_character_in_an_argument_is_refused() -> None:
    code, _, err = run("97124=3\u001b0")
    assert code == 2
    assert "contains U+001B" in err
