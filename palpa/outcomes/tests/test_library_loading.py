"""The instrument library loads from the package and refuses bad data with clear errors."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from palpa.outcomes.library import (
    LibraryError,
    UnknownInstrument,
    load_library,
    parse_library,
)

EXPECTED_IDS = {
    "NPRS",
    "PEG3",
    "PSFS",
    "ODI",
    "RMDQ",
    "NDI",
    "LEFS",
    "QUICKDASH",
    "PROMIS_PI_6A",
    "GROC",
}


def _raw() -> dict[str, Any]:
    text = resources.files("palpa.outcomes").joinpath("data", "instruments.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def _instrument(data: dict[str, Any], instrument_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in data["instruments"] if i["id"] == instrument_id)
    return found


def test_the_data_files_ship_inside_the_package() -> None:
    folder = resources.files("palpa.outcomes").joinpath("data")
    assert folder.joinpath("instruments.json").is_file()
    assert folder.joinpath("rom_norms.json").is_file()


def test_the_packaged_library_is_versioned_and_has_every_instrument_of_the_issue() -> None:
    library = load_library()
    assert library.version == "1.1.0"
    assert set(library.ids()) >= EXPECTED_IDS
    assert load_library() is library  # cached


def test_instruments_are_found_ignoring_case_and_punctuation() -> None:
    library = load_library()
    assert library.get("odi").id == "ODI"
    assert library.get("QuickDASH").id == "QUICKDASH"
    assert library.get("promis-pi-6a").id == "PROMIS_PI_6A"
    assert library.get("PEG-3").id == "PEG3"
    with pytest.raises(UnknownInstrument, match="known instruments: NPRS"):
        library.get("SF36")


def test_every_threshold_and_default_has_a_source_and_a_shippable_tag() -> None:
    for instrument in load_library().instruments.values():
        for threshold in instrument.thresholds:
            assert threshold.source.citation
            assert threshold.tag in ("V", "P")
            assert threshold.population
        defaults = instrument.change_defaults
        assert defaults.reason
        for chosen in (defaults.mcid, defaults.mdc):
            if chosen is not None:
                assert chosen.unit == "points"


def test_item_text_ships_only_where_the_license_allows() -> None:
    library = load_library()
    shipped = {i.id for i in library.instruments.values() if i.license.text_shipped}
    assert shipped == {"NPRS", "GROC", "PSFS"}
    for instrument in library.instruments.values():
        if not instrument.license.text_shipped:
            assert instrument.items.text is None
            assert instrument.instructions is None


def test_only_verified_loinc_codes_ship() -> None:
    codes = {i.id: [c.code for c in i.loinc] for i in load_library().instruments.values()}
    assert codes["NPRS"] == ["72514-3"]
    assert all(not v for k, v in codes.items() if k != "NPRS")


def test_the_psfs_repository_loinc_claim_is_not_used() -> None:
    assert "89210-7" not in json.dumps([i["loinc"] for i in _raw()["instruments"]])


def test_a_clinic_can_attach_its_licensed_text_and_scoring_does_not_change() -> None:
    odi = load_library().get("ODI")
    licensed = odi.with_licensed_text([f"Section {n} text" for n in range(1, 11)])
    assert licensed.items.text_origin == "licensee"
    assert licensed.items.text is not None
    assert licensed.items.text[0] == "Section 1 text"
    assert odi.items.text is None
    with pytest.raises(ValueError, match="expected text for 10 items, got 2"):
        odi.with_licensed_text(["a", "b"])


def test_a_library_file_at_a_path_loads(tmp_path: Path) -> None:
    path = tmp_path / "instruments.json"
    path.write_text(json.dumps(_raw()))
    assert load_library(path).get("NDI").range_max == 50
    path.write_text("{not json")
    with pytest.raises(LibraryError, match="not valid JSON"):
        load_library(path)


Mutation = Callable[[dict[str, Any]], None]


def _drop_threshold_source(d: dict[str, Any]) -> None:
    del _instrument(d, "ODI")["thresholds"][0]["source"]


def _unknown_threshold_source(d: dict[str, Any]) -> None:
    _instrument(d, "ODI")["thresholds"][0]["source"] = "nobody2099"


def _unverified_threshold(d: dict[str, Any]) -> None:
    _instrument(d, "LEFS")["thresholds"][0]["tag"] = "U"


def _bad_range(d: dict[str, Any]) -> None:
    _instrument(d, "ODI")["range"]["max"] = 50


def _empty_answer_range(d: dict[str, Any]) -> None:
    _instrument(d, "NPRS")["items"]["response"]["min"] = 10


def _band_gap(d: dict[str, Any]) -> None:
    _instrument(d, "NDI")["bands"]["bands"][1]["min"] = 6


def _bands_short_of_the_range(d: dict[str, Any]) -> None:
    _instrument(d, "ODI")["bands"]["bands"].pop()


def _licensed_text(d: dict[str, Any]) -> None:
    _instrument(d, "ODI")["items"]["text"] = [f"s{n}" for n in range(10)]


def _partly_verified_loinc(d: dict[str, Any]) -> None:
    _instrument(d, "ODI")["loinc"] = [
        {"code": "97909-6", "part": "score", "source": "sralab_odi", "tag": "P"}
    ]


def _default_in_unverified_unit(d: dict[str, Any]) -> None:
    _instrument(d, "NDI")["change_defaults"]["mcid"] = "young2009_mcid"


def _default_is_a_range(d: dict[str, Any]) -> None:
    _instrument(d, "QUICKDASH")["change_defaults"]["mcid"] = "rysstad2020"


def _default_of_the_wrong_kind(d: dict[str, Any]) -> None:
    _instrument(d, "LEFS")["change_defaults"]["mdc"] = "binkley1999_mcid"


def _proration_of_a_raw_sum(d: dict[str, Any]) -> None:
    _instrument(d, "LEFS")["missing"]["max_missing"] = 2


def _published_rule_without_source(d: dict[str, Any]) -> None:
    del _instrument(d, "QUICKDASH")["missing"]["source"]


def _duplicate_id(d: dict[str, Any]) -> None:
    d["instruments"].append(copy.deepcopy(_instrument(d, "NPRS")))


def _no_version(d: dict[str, Any]) -> None:
    del d["version"]


def _relative_in_points(d: dict[str, Any]) -> None:
    _instrument(d, "ODI")["change_defaults"]["relative"] = "fritz2001"


def _relative_from_another_source(d: dict[str, Any]) -> None:
    _instrument(d, "ODI")["change_defaults"]["mcid"] = "fritz2001"


def _percent_points_without_a_percent_scale(d: dict[str, Any]) -> None:
    odi = _instrument(d, "ODI")
    odi["thresholds"][2]["unit"] = "percent_scale_points"
    odi["change_defaults"]["mcid"] = odi["thresholds"][2]["id"]


def _activity_count_without_its_source(d: dict[str, Any]) -> None:
    del _instrument(d, "PSFS")["items"]["count_source"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_drop_threshold_source, r"instruments\[ODI\]\.thresholds\[ostelo2008_points\]: 'source'"),
        (_unknown_threshold_source, "names 'nobody2099', which is not in 'sources'"),
        (_unverified_threshold, "only facts tagged V .* or P .* may be shipped"),
        (_bad_range, r"declared range 0-50 does not match .* \(0-100\)"),
        (_empty_answer_range, "answer range 10-10 is empty"),
        (_band_gap, "band starts at 6; expected 5"),
        (_bands_short_of_the_range, "bands must cover the whole range 0-100"),
        (_licensed_text, "license does not allow text"),
        (_partly_verified_loinc, "only LOINC codes the reference marks verified"),
        (_default_in_unverified_unit, "young2009_mcid' in 'unverified'"),
        (_default_is_a_range, "a range; a default must be one value"),
        (_default_of_the_wrong_kind, "is a mcid, not a mdc"),
        (_proration_of_a_raw_sum, "a raw sum cannot be scored with missing items"),
        (_published_rule_without_source, r"missing: 'source' is missing"),
        (_duplicate_id, r"instruments\[NPRS\]: duplicate id"),
        (_no_version, "'version' is missing"),
        (_relative_in_points, "it must be an MCID in percent of baseline"),
        (_relative_from_another_source, "beside an absolute MCID from the same source"),
        (_percent_points_without_a_percent_scale, "in percentage points; the score has none"),
        (_activity_count_without_its_source, "'count_source' is missing"),
    ],
)
def test_bad_data_is_refused_with_a_message_naming_the_place(
    mutate: Mutation, message: str
) -> None:
    data = _raw()
    mutate(data)
    with pytest.raises(LibraryError, match=message):
        parse_library(data)


def test_scoring_and_library_are_pure_python_without_django() -> None:
    code = (
        "import sys, palpa.outcomes.scoring, palpa.outcomes.library; "
        "sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_every_shown_citation_names_a_publication_and_the_reference_row_stays_internal() -> None:
    """Issue 18 review: the NDI's MDC (shown with every NDI goal's thresholds) cited "as
    recorded [V] in the Palpa clinical reference"; the row is now an internal note."""
    library = load_library()
    for instrument in library.instruments.values():
        defaults = instrument.defaults_for(activity=False)
        for threshold in (defaults.mcid, defaults.mdc, defaults.relative):
            if threshold is not None:
                assert "clinical reference" not in threshold.source.citation.lower()
    ndi_mdc = library.get("NDI").defaults_for(activity=False).mdc
    assert ndi_mdc is not None
    assert ndi_mdc.source.citation.startswith("Vernon H (NDI author)")
    assert "A2, NDI row" in ndi_mdc.source.note


def test_a_source_citing_the_internal_reference_is_refused() -> None:
    data = _raw()
    data["sources"]["childs2005"]["citation"] = "As recorded in the Palpa clinical reference."
    with pytest.raises(LibraryError, match="cites Palpa's clinical reference"):
        parse_library(data)
