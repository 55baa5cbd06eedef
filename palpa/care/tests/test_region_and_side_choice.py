"""Techniques and palpation findings name a body region and its side in one choice, so a
side is offered only where the region has one (the region catalog decides)."""

from __future__ import annotations

from palpa.care.catalog import catalog, check_region, region_side_choices
from palpa.care.forms import TechniqueForm
from palpa.care.result_forms import PalpationForm

TECHNIQUE = {"t-technique": "swedish", "t-minutes": "10", "t-pressure": "light", "t-tool": "none"}


def test_every_choice_is_a_region_and_side_the_catalog_accepts() -> None:
    choices = region_side_choices()
    for value, _label in choices:
        region, _, side = value.partition(":")
        assert check_region(region, side) == []
    paired = [r for r in catalog().regions.values() if r.sides]
    midline = [r for r in catalog().regions.values() if not r.sides]
    assert len(choices) == 3 * len(paired) + len(midline)
    labels = dict(choices)
    assert labels["low_back"] == "Low back"
    assert labels["shoulder:bilateral"] == "Shoulder, both sides"
    assert "shoulder" not in labels  # a paired region always names its side


def test_a_technique_on_a_side_reads_as_region_and_side() -> None:
    form = TechniqueForm({**TECHNIQUE, "t-region": "shoulder:left"}, prefix="t")
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["region"], form.cleaned_data["side"]) == ("shoulder", "left")


def test_a_post_naming_the_side_apart_is_read_the_same() -> None:
    form = TechniqueForm({**TECHNIQUE, "t-region": "shoulder", "t-side": "right"}, prefix="t")
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["region"], form.cleaned_data["side"]) == ("shoulder", "right")


def test_a_side_on_the_midline_is_refused_naming_the_region() -> None:
    form = PalpationForm(
        {"region": "low_back", "side": "left", "tone": "normal", "tenderness": "1"}
    )
    assert not form.is_valid()
    assert "region" in form.errors


def test_the_side_is_not_a_separate_question_on_the_page() -> None:
    html = str(TechniqueForm(prefix="t"))
    assert 'type="hidden" name="t-side"' in html
    assert '<option value="low_back">Low back</option>' in html
    assert "both sides" in html
