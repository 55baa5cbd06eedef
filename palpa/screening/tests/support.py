"""Helpers for screening tests: run the default rules on a facts document; hypothesis
strategies that build valid intake facts; and "adding facts" to a document."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hypothesis import strategies as st

from palpa.core.tests.support import one_page_pdf
from palpa.screening.engine import Result, screen
from palpa.screening.facts import (
    ANTIBIOTICS,
    BP_SYMPTOMS,
    CANCER_STATUSES,
    CONDITION_CODES,
    DEVICE_KINDS,
    MEDICATION_KINDS,
    PREGNANCY_COMPLICATIONS,
    LowBackFlags,
    NeckFlags,
    parse_facts,
)
from palpa.screening.rules import RuleSet, default_rule_set

AS_OF = "2026-03-02"
TODAY = dt.date(2026, 3, 2)


def days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


def run(doc: dict[str, Any], rule_set: RuleSet | None = None) -> Result:
    rules = rule_set or default_rule_set()
    return screen(parse_facts({"as_of": AS_OF, **doc}, regions=rules.regions), rules)


def rule_ids(result: Result) -> list[str]:
    return [f.rule.id for f in result.findings]


# --- strategies ------------------------------------------------------------------------

REGIONS = [r for r in default_rule_set().regions if r != "whole_body"]
dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=TODAY).map(dt.date.isoformat)
region_lists = st.lists(st.sampled_from(REGIONS), unique=True, max_size=3)


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    code = draw(st.sampled_from(sorted(CONDITION_CODES)))
    spec = CONDITION_CODES[code]
    statuses = ["current", "past"] + (["suspected"] if spec.may_be_suspected else [])
    regions = draw(region_lists.filter(lambda r: bool(r) or not spec.needs_regions))
    doc: dict[str, Any] = {"code": code, "status": draw(st.sampled_from(statuses))}
    if regions:
        doc["regions"] = regions
    qualifiers = (
        draw(st.lists(st.sampled_from(spec.qualifiers), unique=True)) if spec.qualifiers else []
    )
    if qualifiers:
        doc["qualifiers"] = qualifiers
    if draw(st.booleans()) or (code == "dvt" and doc["status"] == "past"):
        doc["onset"] = draw(dates)
    if spec.infection:
        antibiotics = draw(st.sampled_from(ANTIBIOTICS))
        doc["antibiotics"] = antibiotics
        if antibiotics != "none":
            doc["antibiotics_started"] = draw(dates)
    return doc


medications = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["apixaban", "aspirin", "prednisone", "metformin"]),
        "kind": st.sampled_from(MEDICATION_KINDS),
    }
)
surgeries = st.fixed_dictionaries({"region": st.sampled_from(REGIONS), "date": dates})
cancers = st.fixed_dictionaries(
    {"status": st.sampled_from(CANCER_STATUSES)},
    optional={
        "treatment_ended": dates,
        "metastatic": st.booleans(),
        "tumour_regions": region_lists,
        "bone_metastases": region_lists,
        "radiation_fields": region_lists,
    },
)
devices = st.fixed_dictionaries(
    {"kind": st.sampled_from(DEVICE_KINDS), "region": st.sampled_from(REGIONS)}
)
lymph_nodes = st.fixed_dictionaries({"region": st.sampled_from(REGIONS)})


@st.composite
def blood_pressures(draw: st.DrawFn) -> dict[str, Any]:
    systolic = draw(st.integers(90, 240))
    doc: dict[str, Any] = {
        "systolic": systolic,
        "diastolic": draw(st.integers(40, min(systolic - 1, 150))),
        "measured_on": draw(st.sampled_from([AS_OF, days_ago(1), days_ago(40)])),
    }
    symptoms = draw(st.lists(st.sampled_from(BP_SYMPTOMS), unique=True, max_size=2))
    if symptoms:
        doc["symptoms"] = symptoms
    return doc


def flags(cls: type) -> st.SearchStrategy[dict[str, bool]]:
    names = [f.name for f in dataclasses.fields(cls)]
    return st.lists(st.sampled_from(names), unique=True, max_size=4).map(
        lambda chosen: dict.fromkeys(chosen, True)
    )


facts_docs = st.fixed_dictionaries(
    {"as_of": st.just(AS_OF)},
    optional={
        "date_of_birth": st.dates(dt.date(1930, 1, 1), dt.date(2020, 1, 1)).map(dt.date.isoformat),
        "conditions": st.lists(conditions(), max_size=4),
        "medications": st.lists(medications, max_size=2),
        "bleeding": st.fixed_dictionaries(
            {}, optional={"inr_unstable": st.booleans(), "platelets_low": st.booleans()}
        ),
        "surgeries": st.lists(surgeries, max_size=2),
        "cancer": st.lists(cancers, max_size=2),
        "lymph_node_removal": st.lists(lymph_nodes, max_size=1),
        "devices": st.lists(devices, max_size=2),
        "pregnancy": st.fixed_dictionaries(
            {},
            optional={
                "weeks": st.integers(0, 42),
                "complications": st.lists(st.sampled_from(PREGNANCY_COMPLICATIONS), unique=True),
            },
        ),
        "blood_pressure": blood_pressures(),
        "red_flags": st.fixed_dictionaries(
            {}, optional={"low_back": flags(LowBackFlags), "neck": flags(NeckFlags)}
        ),
    },
)


def add_facts(base: Any, extra: Any) -> Any:
    """``base`` with the facts of ``extra`` added: lists are joined (unique code lists
    united), yes/no answers OR-ed, and a field missing from ``base`` taken from ``extra``.
    Nothing ``base`` says is taken away."""
    if isinstance(base, dict) and isinstance(extra, dict):
        out = dict(base)
        for key, value in extra.items():
            out[key] = add_facts(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(extra, list):
        if all(isinstance(x, str) for x in base + extra):
            return base + [x for x in extra if x not in base]
        return base + extra
    if isinstance(base, bool) and isinstance(extra, bool):
        return base or extra
    return base


# --- stored screenings (database tests) ---------------------------------------------

# Health histories that give each decision (dates relative to the day they are used).
WARFARIN = {"name": "warfarin", "kind": "anticoagulant"}
PDF = one_page_pdf()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def facts_proceed() -> dict[str, Any]:
    return {"red_flags": {"low_back": {}}}


def facts_modify() -> dict[str, Any]:
    """Warfarin: no deep pressure, deep friction, percussion or tools anywhere."""
    return {"medications": [WARFARIN]}


def facts_clearance(today: dt.date) -> dict[str, Any]:
    """Warfarin and a DVT in the left leg two months ago: clearance needed."""
    onset = (today - dt.timedelta(days=61)).isoformat()
    return {
        "medications": [WARFARIN],
        "conditions": [
            {"code": "dvt", "status": "past", "regions": ["left_lower_limb"], "onset": onset}
        ],
    }


def facts_stop_whole_body() -> dict[str, Any]:
    """A suspected DVT: no massage at all, urgent referral."""
    return {"conditions": [{"code": "dvt", "status": "suspected", "regions": ["left_lower_limb"]}]}


def facts_stop_neck() -> dict[str, Any]:
    """Neck pain after an injury: the neck is referred, the rest may be treated."""
    return {"red_flags": {"neck": {"trauma": True}}}


def facts_emergency() -> dict[str, Any]:
    """Low back pain with saddle numbness: possible cauda equina, emergency."""
    return {"red_flags": {"low_back": {"saddle_numbness": True}}}


def letter(content: bytes = PDF, name: str = "clearance.pdf") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, "application/pdf")


def make_physician(actor: Any, npi9: str = "123456789", active: bool = True) -> Any:
    from palpa.core.npi import make_npi
    from palpa.referrals.services import add_physician

    return add_physician(
        actor=actor,
        given_name="Laura",
        family_name="Bennett",
        credentials="MD",
        npi=make_npi(npi9),
        active=active,
    )
