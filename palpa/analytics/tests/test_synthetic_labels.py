"""The synthetic organization's rows carry the episode table's own labels: each code's
condition group under Palpa's grouping, the table's age bands and payer types, technique
ids of the technique list, and the mix the table's rule gives the episode's minutes."""

from __future__ import annotations

import json
from pathlib import Path

from palpa.analytics import episode_rules as rules
from palpa.analytics.conditions import condition_groups, group_of
from palpa.analytics.synthetic import (
    CONDITIONS,
    NULL_EFFECTS,
    TECHNIQUE_MIXES,
    Organization,
    PlantedEffects,
    generate,
)

TECHNIQUE_LIST = Path(rules.__file__).resolve().parents[1] / "care" / "data" / "techniques.json"


def _technique_ids() -> set[str]:
    doc = json.loads(TECHNIQUE_LIST.read_text())
    items = doc["techniques"] if isinstance(doc, dict) else doc
    return {str(t["id"]) for t in items}


def test_each_synthetic_condition_is_its_codes_own_group_and_no_group_twice() -> None:
    groups = [group for group, _, _ in CONDITIONS]
    assert groups == [group_of(code) for _, code, _ in CONDITIONS]
    assert len(set(groups)) == len(groups)
    assert set(groups) <= set(condition_groups().labels)


def test_every_synthetic_row_is_labelled_as_the_episode_table_labels_it() -> None:
    techniques = _technique_ids()
    bands = {label for _, _, label in rules.AGE_BANDS}
    payers = {rules.INSURANCE, rules.SELF_PAY, rules.PAYER_UNKNOWN}
    rows = generate(Organization(locations=2, therapists_per_location=2, episodes=600), seed=1)
    for row in rows:
        assert row.condition_group == group_of(row.icd10)
        assert row.age_band in bands
        assert row.payer_type in payers
        assert set(row.technique_minutes) <= techniques
        assert row.technique_mix == rules.technique_mix(row.technique_minutes)
    assert {r.technique_mix for r in rows} == set(TECHNIQUE_MIXES)
    assert {r.age_band for r in rows} == bands - {"0-17"}


def test_the_planted_and_null_effects_name_a_real_group_and_mix() -> None:
    for effects in (PlantedEffects(), NULL_EFFECTS):
        assert effects.technique_condition == "neck-pain"
        assert effects.technique_mix == "myofascial_release"
    assert "manual_lymphatic_drainage+myofascial_release" in TECHNIQUE_MIXES
