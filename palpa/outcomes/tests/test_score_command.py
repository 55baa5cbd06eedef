"""`palpa score INSTRUMENT --answers JSON`: JSON out, exit status 2 with the item named."""

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
        call_command("score", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_score_prints_the_result_as_json() -> None:
    code, out, err = run("odi", "--answers", "[2, 2, 2, null, 2, 2, 2, 1, 1, 2]")
    assert code == 0
    assert err == ""
    result = json.loads(out)
    assert result["instrument"] == "ODI"
    assert result["score"] == pytest.approx(35.5556, abs=1e-4)
    assert result["unit"] == "%"
    assert result["range"] == [0, 100]
    assert result["direction"] == "higher_is_worse"
    assert result["band"] == "moderate disability"
    assert (result["items_answered"], result["items_total"]) == (9, 10)
    assert result["missing_items"] == [4]
    assert result["rule"] == "sum / (5 x sections answered) x 100"
    assert "at most 1" in result["missing_rule"]


def test_ndi_prints_raw_and_percent() -> None:
    code, out, _ = run("NDI", "--answers", "[3, 3, 3, 2, 2, 2, 2, 2, 2, 2]")
    assert code == 0
    result = json.loads(out)
    assert (result["score"], result["percent"], result["band"]) == (23, 46, "moderate disability")


def test_psfs_takes_the_activity_ratings() -> None:
    code, out, _ = run("PSFS", "--answers", "[3, null, 7]")
    assert code == 0
    assert json.loads(out)["score"] == 5


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("ODI", "--answers", "[6, 0, 0, 0, 0, 0, 0, 0, 0, 0]"),
            "section 1 answer 6 is out of range",
        ),
        (("ODI", "--answers", "[0, 0, 0]"), "expected 10 answers (one per section), got 3"),
        (
            ("QUICKDASH", "--answers", "[1, null, 1, 1, 1, 1, 1, 1, 1, null, 1]"),
            "items 2 and 10 are unanswered. Rule: At least 10 of the 11 items must be answered.",
        ),
        (("LEFS", "--answers", "[4, null" + ", 4" * 18 + "]"), "item 2 is unanswered"),
        (("NPRS", "--answers", "[1.5]"), "rating 1 answer 1.5 is not a whole number"),
        (("NPRS", "--answers", "not json"), "--answers is not valid JSON"),
        (("NPRS",), "--answers is required"),
        (("SF36", "--answers", "[1]"), "Unknown instrument 'SF36'"),
        ((), "name an instrument"),
    ],
)
def test_invalid_input_exits_2_with_the_item_and_rule_on_stderr(
    args: tuple[str, ...], expected: str
) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert expected in err


def test_list_shows_the_instruments() -> None:
    code, out, _ = run("--list")
    assert code == 0
    listing = json.loads(out)
    ids = [i["id"] for i in listing["instruments"]]
    assert {"NPRS", "PEG3", "PSFS", "ODI", "RMDQ", "NDI", "LEFS"} <= set(ids)
    assert {"QUICKDASH", "PROMIS_PI_6A", "GROC"} <= set(ids)
    assert listing["library_version"] == "1.1.0"


def test_the_installed_palpa_command_exits_2_on_stderr() -> None:
    palpa = Path(sys.executable).parent / "palpa"
    ok = subprocess.run(
        [str(palpa), "score", "QuickDASH", "--answers", "[1,2,3,4,5,1,2,3,4,5,3]"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["score"] == 50
    bad = subprocess.run(
        [str(palpa), "score", "QUICKDASH", "--answers", "[1,null,3,4,5,1,2,3,4,5,null]"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "items 2 and 11 are unanswered" in bad.stderr


def test_psfs_with_more_than_five_activities_exits_2_naming_the_rule() -> None:
    code, out, err = run("PSFS", "--answers", "[1,2,3,4,5,6,7]")
    assert code == 2
    assert out == ""
    assert "got 7 activities; at most 5 may be rated" in err
    assert "up to 3 to 5 important activities (Stratford 1995)" in err
    ok, out, _ = run("PSFS", "--answers", "[1,2,3,4,5]")
    assert ok == 0
    assert json.loads(out)["score"] == 3


def test_deeply_nested_answers_exit_2_naming_the_argument_not_a_recursion_error() -> None:
    code, out, err = run("ODI", "--answers", "[" * 5000 + "]" * 5000)
    assert (code, out) == (2, "")
    assert "--answers nests arrays or objects 5000 levels deep; at most 32" in err


def test_control_characters_in_answers_exit_2() -> None:
    code, _, err = run("PSFS", "--answers", '["\\u0007"]')
    assert code == 2
    assert "--answers: [0] contains U+0007" in err


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        (("NPRS", "--answers", "[11]"), "rating 1"),
        (("PSFS", "--answers", "[]"), "at least 1 activity"),
        (("NDI", "--answers", "[1,1,1,1,1,1,1,null,null,null]"), "items 8, 9 and 10"),
        (("NPRS", "--answers", "[1"), "--answers"),
        (("NPRS",), "--answers"),
        (("NOPE", "--answers", "[1]"), "'NOPE'"),
        ((), "name an instrument"),
    ],
)
def test_the_installed_command_ends_each_error_with_one_newline(
    args: tuple[str, ...], argument: str
) -> None:
    """A shell prompt or a log line must not run on after the message (issue 18 review:
    checked on the real process, not only through call_command)."""
    palpa = Path(sys.executable).parent / "palpa"
    bad = subprocess.run([str(palpa), "score", *args], capture_output=True, text=True, check=False)
    assert (bad.returncode, bad.stdout) == (2, "")
    assert argument in bad.stderr
    assert bad.stderr.endswith("\n")
    assert bad.stderr.count("\n") == 1
