"""`palpa limb-volume --interval CM --affected C1,… [--unaffected C1,…]`: JSON out; bad
input exits 2 with one line on stderr naming the argument and the rule."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from palpa.cli import ALIASES


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("limb_volume", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_both_limbs_print_their_volumes_and_the_excess_with_sources() -> None:
    """The worked example of test_volumes: 634.5 mL and 561.4 mL, excess 73.1 mL, 13.0 %."""
    code, out, err = run(
        "--interval", "4", "--affected", "22,24,27,30", "--unaffected", "21,23,25,28"
    )
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["interval_cm"] == 4
    assert result["points"] == 4
    assert result["affected"]["volume"]["value"] == 634.5
    assert result["affected"]["volume"]["unit"] == "mL"
    assert result["unaffected"]["volume"]["value"] == 561.4
    assert result["excess_volume"]["value"] == 73.1
    assert result["excess_percent"] == {
        **result["excess_percent"],
        "value": 13.0,
        "unit": "%",
        "tag": "V",
        "source_short": "EWMA 2014",
    }
    interlimb = result["interlimb_difference"]
    assert interlimb["meets_volume_threshold"] is True
    assert interlimb["volume_threshold"]["tag"] == "P"
    assert interlimb["volume_threshold"]["evidence"].startswith("partly verified")
    assert (interlimb["largest_circumference_difference_cm"], interlimb["at_point"]) == (2, 3)
    assert result["rules_version"] == "1.0.0"


def test_one_limb_alone_prints_its_volume_and_says_excess_needs_the_other() -> None:
    code, out, _ = run("--interval", "4", "--affected", "22, 24.5, 27")
    assert code == 0
    result = json.loads(out)
    assert result["affected"]["circumferences_cm"] == [22, 24.5, 27]
    assert result["unaffected"] is None
    assert "excess_volume" not in result
    assert "--unaffected" in result["note"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--affected", "22,24"), "--interval is required"),
        (("--interval", "4"), "--affected is required"),
        (("--interval", "0", "--affected", "22,24"), "--interval: 0 cm is not allowed"),
        (
            ("--interval", "21", "--affected", "22,24"),
            "--interval: 21 cm is not allowed; the interval must be greater than 0 and at "
            "most 20 cm",
        ),
        (
            ("--interval", "four", "--affected", "22,24"),
            "--interval: 'four' is not a number of centimetres",
        ),
        (
            ("--interval", "4", "--affected", "22,-24"),
            "--affected: point 2 is -24 cm; a circumference must be greater than 0",
        ),
        (
            ("--interval", "4", "--affected", "22,240"),
            "--affected: point 2 is 240 cm; a circumference must be greater than 0 and at "
            "most 150 cm",
        ),
        (("--interval", "4", "--affected", "22,nan"), "--affected point 2: 'nan' is not a number"),
        (("--interval", "4", "--affected", "22,1e3"), "--affected point 2: '1e3' is not a number"),
        (("--interval", "4", "--affected", "22,,24"), "--affected: point 2 is empty"),
        (
            ("--interval", "4", "--affected", "22"),
            "--affected: 1 circumference(s) given; give from 2 to 50",
        ),
        (
            ("--interval", "4", "--affected", "22,24", "--unaffected", "0,24"),
            "--unaffected: point 1 is 0 cm",
        ),
        (
            ("--interval", "4", "--affected", "22,24,26", "--unaffected", "21,23"),
            "--unaffected: 2 circumferences given but --affected has 3; measure both limbs "
            "at the same points",
        ),
        (("--interval", "4", "--affected", "22,\x0724"), "--affected contains U+0007"),
    ],
)
def test_bad_input_exits_2_naming_the_argument_and_the_rule(
    args: tuple[str, ...], expected: str
) -> None:
    code, out, err = run(*args)
    assert (code, out) == (2, "")
    assert err.startswith("palpa limb-volume: ")
    assert expected in err


def test_the_hyphenated_name_is_mapped_to_the_command_module() -> None:
    assert ALIASES["limb-volume"] == "limb_volume"


def test_the_installed_palpa_limb_volume_command() -> None:
    """Once through the console script: the hyphenated name works, JSON on stdout, and an
    error is one line on stderr with exit status 2."""
    palpa = Path(sys.executable).parent / "palpa"
    ok = subprocess.run(
        [
            str(palpa),
            "limb-volume",
            "--interval",
            "4",
            "--affected",
            "22,24,27,30",
            "--unaffected",
            "21,23,25,28",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["excess_percent"]["value"] == 13.0
    bad = subprocess.run(
        [str(palpa), "limb-volume", "--affected", "22,24"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (bad.returncode, bad.stdout) == (2, "")
    assert "--interval is required" in bad.stderr
    assert bad.stderr.endswith("\n")
    assert bad.stderr.count("\n") == 1
