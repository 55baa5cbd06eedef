"""Range-of-motion norms (reference B) and the same-rater, beyond-MDC comparison rule."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palpa.outcomes.library import LibraryError, load_rom_norms, parse_rom_norms
from palpa.outcomes.scoring import compare_rom


def test_spine_norms_come_from_38_cfr_4_71a_and_are_verified() -> None:
    norms = load_rom_norms()
    flexion = norms.norm("cervical_spine", "flexion")
    assert flexion.degrees == 45
    assert flexion.tag == "V"
    assert "4.71a" in flexion.source.citation
    assert norms.norm("cervical_spine", "rotation", "left").degrees == 80
    assert norms.norm("thoracolumbar_spine", "flexion").degrees == 90
    assert norms.norm("thoracolumbar_spine", "combined").degrees == 240


def test_extremity_norms_are_per_side_and_only_partly_verified() -> None:
    norms = load_rom_norms()
    for side in ("left", "right"):
        hip = norms.norm("hip", "flexion", side)
        assert hip.degrees == 125
        assert hip.tag == "P"
        assert "Plates" in hip.source.citation
    assert norms.norm("shoulder", "internal_rotation", "right").position == (
        "measured in 90 degrees of abduction"
    )
    assert norms.norm("knee", "extension", "left").degrees == 0
    with pytest.raises(LookupError, match="No ROM norm for knee flexion \\(midline\\)"):
        norms.norm("knee", "flexion")


def test_other_sources_norms_are_kept_beside_the_va_norm() -> None:
    norms = load_rom_norms()
    (merck,) = norms.alternatives_for("hip", "extension")
    assert merck.degrees == 15
    assert merck.source.short == "Merck Manual"


def test_the_measurement_error_note_is_shipped_with_its_sources() -> None:
    norms = load_rom_norms()
    assert {n.source.short for n in norms.measurement_error} == {"Hayes 2001", "de Winter 2004"}
    assert "same rater, instrument and position" in norms.comparison_rule


def test_a_norm_without_a_source_is_refused() -> None:
    text = resources.files("palpa.outcomes").joinpath("data", "rom_norms.json").read_text()
    data: dict[str, Any] = json.loads(text)
    del data["norms"][0]["source"]
    with pytest.raises(LibraryError, match=r"norms\[cervical_spine flexion\]: 'source'"):
        parse_rom_norms(data)


def test_rom_is_compared_only_for_the_same_rater_instrument_and_position() -> None:
    result = compare_rom(
        90, 130, local_mdc=10, same_rater=False, same_instrument=True, same_position=False
    )
    assert not result.comparable
    assert result.beyond_error is None
    assert "different rater, position" in result.reason


def test_a_change_counts_only_when_larger_than_the_local_mdc() -> None:
    same = {"same_rater": True, "same_instrument": True, "same_position": True}
    assert compare_rom(90, 115, local_mdc=20, **same).beyond_error is True
    assert compare_rom(90, 110, local_mdc=20, **same).beyond_error is False
    assert compare_rom(90, 140, local_mdc=None, **same).beyond_error is None


@given(
    before=st.integers(0, 180),
    after=st.integers(0, 180),
    mdc=st.integers(1, 40),
)
def test_rom_comparison_is_symmetric(before: int, after: int, mdc: int) -> None:
    same = {"same_rater": True, "same_instrument": True, "same_position": True}
    one = compare_rom(before, after, local_mdc=mdc, **same)
    two = compare_rom(after, before, local_mdc=mdc, **same)
    assert one.change == -two.change
    assert one.beyond_error == two.beyond_error == (abs(after - before) > mdc)
