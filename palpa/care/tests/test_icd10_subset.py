"""The bundled ICD-10-CM subset: search by code or words, and validation of what is recorded."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palpa.care.icd10 import (
    DATA,
    CodeSetError,
    Icd10Error,
    code_set,
    normalize,
    parse_code_set,
    search,
    validate,
)

REFERENCE_E = {
    "M54.50",
    "M54.51",
    "M54.59",
    "M54.2",
    "M79.10",
    "M79.11",
    "M79.12",
    "M79.18",
    "M79.7",
    "M62.830",
    "M62.831",
    "M62.838",
    "S13.4XX",
    "S16.1XX",
    "S33.5XX",
    "S39.012",
    "I89.0",
    "I97.2",
    "Q82.0",
}


def test_the_subset_holds_reference_e_and_the_referral_codes_from_the_official_release() -> None:
    cs = code_set()
    assert set(cs.codes) >= REFERENCE_E
    assert {"M54.6", "M54.16", "M53.1", "M79.602", "M25.511", "G44.209", "S23.3XX"} <= set(cs.codes)
    assert {c.code for c in cs.codes.values() if c.seventh_required} == {
        "S13.4XX",
        "S13.8XX",
        "S16.1XX",
        "S23.3XX",
        "S29.012",
        "S33.5XX",
        "S39.012",
    }
    assert all(c.source == "cms_tabular" and c.tag == "V" for c in cs.codes.values())
    assert "April 1, 2026" in cs.release
    # Left out, with the reason in the selection: emergencies and non-massage diagnoses.
    assert not {"M79.A11", "M62.82", "M54.00", "M79.3"} & set(cs.codes)


def test_every_code_carries_its_official_title_and_billable_flag() -> None:
    doc = json.loads(DATA.read_text(encoding="utf-8"))
    assert doc["release"]["carried_by"].startswith("PyPI package simple-icd-10-cm 1.5.0")
    assert set(doc["release"]["sha256"]) == {
        "icd10c-tabular-April-1-2026.xml",
        "code-list-April-2026.txt",
    }
    assert all(c["billable"] is True and c["title"] == c["label"] for c in doc["codes"])
    assert all(c["billable"] is False for c in doc["categories"])
    thoracic = validate("M54.6")
    assert thoracic.label == "Pain in thoracic spine"
    assert validate("M54.6").source.startswith("ICD-10-CM Tabular List of Diseases and Injuries")


def test_a_category_is_refused_as_not_billable_naming_its_codes() -> None:
    with pytest.raises(Icd10Error, match=r"M79\.1 \(Myalgia\) is a category") as caught:
        validate("M79.1")
    assert caught.value.rule == "incomplete_code"
    assert "M79.10, M79.11, M79.12, M79.18" in str(caught.value)
    with pytest.raises(Icd10Error, match="is a category"):
        validate("M62.83")


def test_m54_5_is_refused_as_not_billable_since_october_2021() -> None:
    with pytest.raises(Icd10Error, match="not billable since 1 October 2021") as caught:
        validate("M54.5")
    assert caught.value.rule == "not_billable_since"
    assert "M54.50, M54.51, M54.59" in str(caught.value)


@pytest.mark.parametrize("typed", ["M54.50", "m5450", " M54.50 "])
def test_a_listed_code_is_recorded_in_canonical_form(typed: str) -> None:
    diagnosis = validate(typed)
    assert diagnosis.code == "M54.50"
    assert diagnosis.label == "Low back pain, unspecified"
    assert diagnosis.seventh == ""
    assert diagnosis.version == code_set().version


def test_chapter_19_codes_need_a_7th_character() -> None:
    for typed in ("S13.4XX", "S13.4", "S39.012", "S13.4XX_"):
        with pytest.raises(Icd10Error, match="needs a 7th character") as caught:
            validate(typed)
        assert caught.value.rule == "seventh_character_required"


@pytest.mark.parametrize(
    ("typed", "code", "seventh"),
    [
        ("S13.4XXA", "S13.4XXA", "A"),
        ("s161xxd", "S16.1XXD", "D"),
        ("S33.5XXS", "S33.5XXS", "S"),
        ("S39.012D", "S39.012D", "D"),
    ],
)
def test_a_7th_character_completes_the_code(typed: str, code: str, seventh: str) -> None:
    diagnosis = validate(typed)
    assert diagnosis.code == code
    assert diagnosis.seventh == seventh
    assert diagnosis.base == code[:-1]


def test_a_missing_x_placeholder_is_named_with_the_code_to_write() -> None:
    with pytest.raises(Icd10Error, match=r"write S13\.4XXD") as caught:
        validate("S13.4D")
    assert caught.value.rule == "placeholder_x"
    with pytest.raises(Icd10Error, match=r"write S33\.5XXA"):
        validate("S33.5XA")


def test_an_invalid_7th_character_is_refused() -> None:
    with pytest.raises(Icd10Error, match="7th character 'Q'") as caught:
        validate("S13.4XXQ")
    assert caught.value.rule == "seventh_character_value"


def test_a_category_points_to_its_complete_codes_and_unknown_codes_are_refused() -> None:
    with pytest.raises(Icd10Error, match=r"use one of M62\.830, M62\.831, M62\.838"):
        validate("M62.83")
    with pytest.raises(Icd10Error, match="not in Palpa's ICD-10-CM subset") as caught:
        validate("J45.909")
    assert caught.value.rule == "not_in_subset"
    with pytest.raises(Icd10Error, match="Enter an ICD-10-CM code"):
        validate("  ")


def test_search_by_code_prefix_ignores_the_dot() -> None:
    assert [h.code for h in search("M79.1")] == ["M79.10", "M79.11", "M79.12", "M79.18"]
    assert [h.code for h in search("m791")] == ["M79.10", "M79.11", "M79.12", "M79.18"]


def test_searching_m54_5_shows_it_is_not_billable_next_to_its_replacements() -> None:
    hits = search("M54.5")
    assert hits[0].code == "M54.5"
    assert hits[0].not_billable
    assert "1 October 2021" in hits[0].note
    assert [h.code for h in hits[1:]] == ["M54.50", "M54.51", "M54.59"]


def test_search_by_words_matches_labels_and_terms() -> None:
    assert [h.code for h in search("whiplash")] == ["S13.4XX_", "S16.1XX_"]
    assert {h.code for h in search("myofascial")} == {"M79.10", "M79.11", "M79.12", "M79.18"}
    assert [h.code for h in search("mastectomy lymph")] == ["I97.2"]
    assert search("appendicitis") == []


def test_search_offers_the_7th_characters_where_one_is_needed() -> None:
    (hit,) = search("S39.012D")
    assert hit.code == "S39.012_"
    assert [s.character for s in hit.seventh_characters] == ["A", "D", "S"]
    assert search("")[0].code == "M54.50"
    assert len(search("", limit=3)) == 3


@given(st.sampled_from(sorted(REFERENCE_E)), st.sampled_from(["A", "D", "S"]))
def test_every_listed_code_validates_in_its_own_search_result(base: str, seventh: str) -> None:
    entry = code_set().codes[base]
    typed = base + seventh if entry.seventh_required else base
    diagnosis = validate(typed)
    assert normalize(typed) == diagnosis.code
    assert any(h.code.rstrip("_") == diagnosis.base for h in search(diagnosis.code))


def test_a_code_without_a_verified_tag_is_refused_on_load() -> None:
    doc = json.loads(DATA.read_text(encoding="utf-8"))
    doc["codes"][0]["tag"] = "U"
    with pytest.raises(CodeSetError, match="unverified codes are not shipped"):
        parse_code_set(doc)
    doc = json.loads(DATA.read_text(encoding="utf-8"))
    doc["categories"] = []
    index = next(i for i, c in enumerate(doc["codes"]) if c["code"] == "S13.4XX")
    doc["codes"][index]["code"] = "S13.4"
    with pytest.raises(CodeSetError, match="7th character"):
        parse_code_set(doc)
    doc = json.loads(DATA.read_text(encoding="utf-8"))
    doc["codes"][0]["billable"] = False
    with pytest.raises(CodeSetError, match="only billable codes are recordable"):
        parse_code_set(doc)
