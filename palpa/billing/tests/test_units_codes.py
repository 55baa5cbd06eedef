"""The code book (palpa/billing/data/codes.json): what ships, and what loading refuses."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from palpa.billing.codes import DATA_FILE, CodesError, load_codes, parse_codes
from palpa.care.catalog import catalog

TECHNIQUES = tuple(catalog().techniques)


def raw() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return doc


def test_the_shipped_code_book_loads_with_a_source_for_every_fact() -> None:
    book = load_codes()
    assert book.version == "2026.1"
    assert book.timed_codes() == ("97124", "97140", "97112", "97110")
    for code in book.timed_codes():
        assert book.codes[code].unit_minutes == 15
    assert all(c.source.citation for c in book.codes.values())
    assert all(t.source.citation for t in book.techniques.values())
    assert "Pub. 100-04, Chapter 5" in book.units_table.source.citation
    assert "20.2" in book.units_table.source.citation
    assert book.rules["cms"].tag == "V"
    assert book.rules["per-code"].tag == "P"


def test_97010_is_untimed_medicare_status_b_and_not_billable_to_the_patient() -> None:
    code = load_codes().codes["97010"]
    assert not code.timed
    assert code.unit_minutes is None
    assert code.medicare_status == "B"
    assert not code.separately_payable
    assert not code.patient_billable_under_medicare
    assert "Palmetto GBA" in code.source.citation


def test_no_cpt_descriptor_text_ships_only_palpas_short_labels() -> None:
    for code in load_codes().codes.values():
        assert len(code.label) <= 30, code
        assert "each 15 minutes" not in code.label.lower()


def test_every_care_technique_has_a_billing_decision() -> None:
    book = load_codes()
    assert set(book.techniques) == set(TECHNIQUES)
    expected = {
        "swedish": "97124",
        "deep_tissue": "97124",
        "myofascial_release": "97140",
        "soft_tissue_mobilization": "97140",
        "manual_lymphatic_drainage": "97140",
        "trigger_point": "97140",
        "neuromuscular_reeducation": "97112",
        "therapeutic_exercise": "97110",
        "reflexology": None,
        "acupressure": None,
        "stretching": None,
        "tool_assisted": None,
    }
    assert {t: book.code_for_technique(t) for t in book.techniques} == expected
    for technique in ("reflexology", "acupressure", "stretching", "tool_assisted"):
        entry = book.techniques[technique]
        assert entry.tag == "palpa_decision"
        assert "self-pay only" in entry.source.citation
    assert book.code_for_technique("no_such_technique") is None


def test_modifiers_ship_no_default_rule_and_say_why() -> None:
    modifiers = load_codes().modifiers
    assert modifiers.default_rules == ()
    assert modifiers.per_payer
    assert "UNVERIFIED" in modifiers.source.citation
    assert "per-payer" in modifiers.source.citation


def test_the_units_table_is_the_cms_table() -> None:
    table = load_codes().units_table
    assert [(r.units, r.min, r.max) for r in table.rows] == [
        (1, 8, 22),
        (2, 23, 37),
        (3, 38, 52),
        (4, 53, 67),
        (5, 68, 82),
        (6, 83, 97),
        (7, 98, 112),
        (8, 113, 127),
    ]


def _drop_code_source(d: dict[str, Any]) -> None:
    del d["codes"][0]["source"]


def _unknown_source(d: dict[str, Any]) -> None:
    d["techniques"][0]["source"] = "nowhere"


def _bad_code(d: dict[str, Any]) -> None:
    d["codes"][0]["code"] = "9712"


def _lower_hcpcs(d: dict[str, Any]) -> None:
    d["codes"][0]["code"] = "g0283"


def _duplicate_code(d: dict[str, Any]) -> None:
    d["codes"].append(copy.deepcopy(d["codes"][0]))


def _unknown_technique(d: dict[str, Any]) -> None:
    d["techniques"][0]["technique"] = "hot_stone"


def _technique_twice(d: dict[str, Any]) -> None:
    d["techniques"].append(copy.deepcopy(d["techniques"][0]))


def _technique_to_untimed(d: dict[str, Any]) -> None:
    d["techniques"][0]["code"] = "97010"


def _timed_without_unit(d: dict[str, Any]) -> None:
    d["codes"][0]["unit_minutes"] = 10


def _bad_tag(d: dict[str, Any]) -> None:
    d["codes"][0]["tag"] = "U"


def _bad_row(d: dict[str, Any]) -> None:
    d["units_table"]["rows"][1]["max"] = 38


def _unverified_modifier(d: dict[str, Any]) -> None:
    d["modifiers"]["default_rules"] = [
        {"modifier": "59", "codes": ["97124", "97140"], "source": "ama_cpt", "tag": "P"}
    ]


def _no_version(d: dict[str, Any]) -> None:
    del d["version"]


def _rule_missing(d: dict[str, Any]) -> None:
    d["rules"].pop()


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (_drop_code_source, "codes.json: code 97124 has no 'source'; every fact needs one"),
        (_unknown_source, "technique 'swedish' names source 'nowhere', which is not defined"),
        (_bad_code, "code '9712' must be 5 digits (CPT, e.g. 97140) or a capital letter"),
        (_lower_hcpcs, "code 'g0283' must be 5 digits"),
        (_duplicate_code, "code 97124 is listed twice"),
        (_unknown_technique, "technique 'hot_stone' is not in the care technique catalogue"),
        (_technique_twice, "technique 'swedish' is mapped twice"),
        (_technique_to_untimed, "maps to 97010, which is not a timed code listed in 'codes'"),
        (_timed_without_unit, "code 97124 is timed, so 'unit_minutes' must be 15"),
        (_bad_tag, "code 97124 has tag 'U'; allowed: V, P, palpa_decision"),
        (_bad_row, "units_table: row 2 must be {'units': 2, 'min': 23, 'max': 37}"),
        (_unverified_modifier, "a modifier rule ships by default only with a verified source"),
        (_no_version, "needs a 'version' and a 'source'"),
        (_rule_missing, "'rules' lacks per-code"),
    ],
)
def test_loading_refuses_a_broken_code_book_naming_the_entry(
    break_it: Callable[[dict[str, Any]], None], message: str
) -> None:
    doc = raw()
    parse_codes(doc, techniques=TECHNIQUES)  # the shipped file is valid
    break_it(doc)
    with pytest.raises(CodesError) as exc:
        parse_codes(doc, techniques=TECHNIQUES)
    assert message in str(exc.value)


def test_hcpcs_letter_and_4_digits_is_a_valid_code() -> None:
    doc = raw()
    doc["codes"].append(
        {
            "code": "G0283",
            "label": "Electrical stimulation",
            "kind": "untimed",
            "unit_minutes": None,
            "source": "ama_cpt",
            "tag": "P",
        }
    )
    assert "G0283" in parse_codes(doc, techniques=TECHNIQUES).codes


def test_every_fact_cites_its_primary_source_and_keeps_the_reference_row_internal() -> None:
    """Issue 18 review: the code book cited "Palpa clinical reference, section E". Each
    citation is now the publication (CMS Pub. 100-04, the AMA's CPT, Palmetto GBA); the
    reference row stays only in the source's note."""
    book = load_codes()
    for source in book.sources.values():
        assert "clinical reference" not in source.citation.lower(), source.id
        assert source.note, source.id
    assert "American Medical Association, CPT" in book.codes["97124"].source.citation
    assert "American Medical Association, CPT" in book.rules["per-code"].source.citation
    assert book.units_table.source.citation.startswith("CMS, Medicare Claims Processing")
    assert "Palmetto GBA" in book.codes["97010"].source.citation
    assert "clinical reference (internal), E" in book.codes["97124"].source.note


def test_a_source_citing_the_internal_reference_is_refused_naming_it() -> None:
    doc = raw()
    doc["sources"]["ama_cpt"]["citation"] = "Palpa clinical reference, section E"
    with pytest.raises(CodesError, match="source 'ama_cpt' cites Palpa's clinical reference"):
        parse_codes(doc, techniques=TECHNIQUES)
