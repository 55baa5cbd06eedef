"""The "responders" snapshot on seeded synthetic organizations whose truth is known: the
planted technique mix is flagged (and only as higher), the planted therapist falls outside
the funnel, a null organization flags no more than the stated share, small cells carry no
figures, a therapist's own part holds only their episodes, and the same episodes give the
same snapshot."""

from __future__ import annotations

import json

from palpa.analytics import responders
from palpa.analytics.responders import ALL, Names, Settings, build_from_rows
from palpa.analytics.synthetic import NULL_EFFECTS, Organization, generate
from palpa.analytics.tests.outcomes_support import RARE_MIX, TESS, _built, rows

FAST = Settings(resamples=99)
NAMES = Names({}, {})


def test_the_planted_technique_mix_is_flagged_higher_in_its_condition_group() -> None:
    planted = generate(Organization(episodes=4000), seed=11)
    cells = responders.mix_within_condition(planted, FAST, seed=1)
    flagged = {tuple(c["key"]): c["direction"] for c in cells if c.get("different")}
    assert flagged.get(("neck-pain", "myofascial_release")) == "higher"
    assert not any(key[1] == "myofascial_release" and key[0] != "neck-pain" for key in flagged)


def test_the_planted_therapist_is_outside_the_funnel_and_flagged() -> None:
    planted = generate(Organization(episodes=4000), seed=11)
    models = responders.fits(planted)
    assert models is not None
    funnel = responders.funnel(planted, models, lambda r: r.therapist, str, FAST)
    assert funnel is not None
    point = next(g for g in funnel["groups"] if g["key"] == "T01-01")
    assert point["outside_998"]
    assert point["different"]
    assert point["o_minus_e"] < 0
    assert funnel["curve"][0][0] == FAST.min_cell
    assert all(row[1] <= row[2] <= 0 <= row[3] <= row[4] for row in funnel["curve"])


def test_on_null_organizations_no_more_than_the_stated_share_is_flagged() -> None:
    shares = []
    for seed in range(4):
        null = generate(Organization(episodes=3000, effects=NULL_EFFECTS), seed=200 + seed)
        cells = [c for c in responders.mix_within_condition(null, FAST, seed=1) if "p" in c]
        models = responders.fits(null)
        assert models is not None
        funnel = responders.funnel(null, models, lambda r: r.therapist, str, FAST)
        assert funnel is not None
        groups = [g for g in funnel["groups"] if not g["suppressed"]]
        flagged = sum(1 for c in cells if c["different"]) + sum(1 for g in groups if g["different"])
        shares.append(flagged / (len(cells) + len(groups)))
    assert sum(shares) / len(shares) <= FAST.q


def test_small_cells_carry_their_count_and_no_figures() -> None:
    data = json.loads(_built())
    cells = data["slices"][f"{ALL}|{ALL}"]["by_condition_mix"]
    rare = next(c for c in cells if c["key"] == ["neck-pain", RARE_MIX])
    assert rare == {
        "key": ["neck-pain", RARE_MIX],
        "label": f"Neck pain · {RARE_MIX}",
        "n": 4,
        "suppressed": True,
    }
    shown = [c for c in cells if not c["suppressed"]]
    assert shown
    assert all(c["n"] >= 10 and c["rate"][1] <= c["rate"][0] <= c["rate"][2] for c in shown)


def test_a_therapists_own_part_holds_only_their_episodes() -> None:
    data = json.loads(_built())
    own = data["mine"][TESS]
    theirs = [r for r in rows() if r.therapist == TESS]
    assert own["episodes"] == len(theirs)
    whole = own["slices"][f"{ALL}|{ALL}"]
    assert sum(c["n"] for c in whole["by_condition"]) == len(theirs)
    assert [g["label"] for g in whole["own"][ALL]["groups"]] == ["You"]
    assert "by_therapist" not in whole
    assert "funnel" not in whole


def test_every_location_and_year_has_its_slice() -> None:
    data = json.loads(_built())
    years = data["years"]
    assert years == ["2023", "2024"]
    locations = [x["id"] for x in data["locations"]]
    expected = {f"{loc}|{year}" for loc in [ALL, *locations] for year in [ALL, *years]}
    assert set(data["slices"]) == expected
    assert data["slices"][f"{ALL}|{ALL}"]["episodes"] == len(rows())


def test_the_same_episodes_give_the_same_snapshot() -> None:
    some = generate(Organization(locations=1, therapists_per_location=2, episodes=300), seed=4)
    assert build_from_rows(some, names=NAMES, settings=FAST) == build_from_rows(
        list(reversed(some)), names=NAMES, settings=FAST
    )


def test_an_organization_without_episodes_gets_an_empty_snapshot() -> None:
    data = build_from_rows([], names=NAMES, settings=FAST)
    whole = data["slices"][f"{ALL}|{ALL}"]
    assert whole["episodes"] == 0
    assert whole["by_condition"] == []
    assert whole["funnel"]["therapist"] == {ALL: None}
    assert data["model"] == {"fitted": False, "episodes": 0}
    assert data["mine"] == {}
