"""The ICD-10-CM subset is generated from the official release files, reproducibly."""

from __future__ import annotations

from typing import Any

import pytest

from palpa.core.icd10 import DATA, parse_code_set
from palpa.core.icd10_build import BuildError, Range, build, build_from_package, render

TABULAR = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <version>2099</version>
  <introduction/>
  <chapter><name>13</name><section id="M50-M54">
    <diag><name>M54</name><desc>Dorsalgia</desc>
      <diag><name>M54.0</name><desc>Panniculitis of the back</desc>
        <diag><name>M54.00</name><desc>Panniculitis, site unspecified</desc></diag>
      </diag>
      <diag><name>M54.5</name><desc>Low back pain</desc>
        <diag><name>M54.50</name><desc>Low back pain, unspecified</desc>
          <inclusionTerm><note>Lumbago NOS</note></inclusionTerm></diag>
        <diag><name>M54.59</name><desc>Other low back pain</desc></diag>
      </diag>
      <diag><name>M54.6</name><desc>Pain in thoracic spine</desc></diag>
    </diag>
  </section></chapter>
  <chapter><name>19</name><section id="S10-S19">
    <diag><name>S13</name><desc>Sprain at neck level</desc>
      <sevenChrDef><extension char="A">initial encounter</extension>
        <extension char="D">subsequent encounter</extension>
        <extension char="S">sequela</extension></sevenChrDef>
      <diag><name>S13.4</name><desc>Sprain of ligaments of cervical spine</desc></diag>
    </diag>
  </section></chapter>
</ICD10CM.tabular>
"""
CODES = ["M54", "M545", "M5450", "M5459", "M546", "M5400", "S134XXA", "S134XXD", "S134XXS"]
RELEASE: dict[str, Any] = {"version": "2099-01-01", "name": "test", "tabular_file": "t.xml"}
SELECTION = (
    Range("M54", "Back pain", "test", ("back pain",), exclude=("M54.0",), excluded_because="x"),
    Range("S13.4", "Sprains", "test", ("whiplash",)),
)


def _build(**kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "tabular_xml": TABULAR,
        "all_codes": CODES,
        "release": RELEASE,
        "selection": SELECTION,
    }
    options.update(kwargs)
    return build(**options)


def test_billable_leaves_are_picked_with_their_official_titles_and_the_release() -> None:
    data = _build()
    codes = {c["code"]: c for c in data["codes"]}
    assert list(codes) == ["M54.50", "M54.59", "M54.6", "S13.4XX"]
    assert codes["M54.50"]["title"] == "Low back pain, unspecified"
    assert codes["M54.50"]["terms"] == ["Lumbago NOS", "back pain"]
    assert codes["S13.4XX"]["seventh_character_required"] is True
    assert all(c["billable"] for c in codes.values())
    assert data["categories"] == [
        {
            "code": "M54.5",
            "title": "Low back pain",
            "billable": False,
            "subcodes": ["M54.50", "M54.59"],
        }
    ]
    assert data["release"]["tabular_version"] == "2099"
    assert data["selection"][0]["exclude"] == ["M54.0"]
    data["not_billable"] = []  # M54.5's replacements are not all in this small release
    parse_code_set(data)  # what is generated loads


def test_the_build_refuses_files_that_do_not_hold_the_selection() -> None:
    with pytest.raises(BuildError, match=r"M54\.6 is not in the list of all codes"):
        _build(all_codes=[c for c in CODES if c != "M546"])
    with pytest.raises(BuildError, match=r"S13\.4XXD is not in the list of all codes"):
        _build(all_codes=[c for c in CODES if c != "S134XXD"])
    with pytest.raises(BuildError, match="M99 is not in the Tabular List"):
        _build(selection=(Range("M99", "x", "x"),))
    with pytest.raises(BuildError, match="not A, D and S"):
        _build(tabular_xml=TABULAR.replace('char="S"', 'char="Q"'))


def test_the_committed_subset_is_exactly_a_fresh_build_of_the_official_release() -> None:
    pytest.importorskip("simple_icd_10_cm")
    assert build_from_package() == DATA.read_text(encoding="utf-8")


def test_render_puts_one_code_on_a_line() -> None:
    text = render(_build())
    assert '    {"code": "M54.6", "label": "Pain in thoracic spine"' in text
