"""A bounded fuzz of FHIR search: every searchable type's declared parameters (and the
common and control ones) with hostile names, modifiers and values; never a 5xx, always
a valid Bundle or OperationOutcome (checked against the R4B models).

Hypothesis, derandomized (a fixed seed), ``EXAMPLES`` searches per resource type.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from palpa.fhir.registry import ResourceType, registry
from palpa.fhir.search import COMMON, CONTROL
from palpa.fhir.tests.conftest import Course
from palpa.fhir.tests.support import FHIR_JSON, validated

EXAMPLES = 12

MODIFIERS = [
    "",
    "",
    ":exact",
    ":contains",
    ":missing",
    ":not",
    ":text",
    ":of-type",
    ":Patient",
    ":\u0000",
    ":\u202e",
    "::",
]
HOSTILE = [
    "\u0000",
    "a\u0000b",
    "\u0007\u001b[31m",
    "\u202eevil",
    "\u2066x\u2069",
    "\ufeff",
    "\u0085",
    "Ren\u0065\u0301",
    "\uff19",
    "\uff11\uff12",
    "\u00b2",
    "9" * 40,
    "-1",
    "0",
    "1e309",
    "NaN",
    "",
    " ",
    ",",
    "\\,",
    ",,,",
    "|",
    "||",
    "a|b|c",
    "http://loinc.org|",
    "|M54.50",
    "Patient/",
    "Patient/../../x",
    "Practitioner/x",
    "urn:uuid:",
    "00000000-0000-0000-0000-000000000000",
    "ge2026-13-45",
    "eq2026-06-15T25:61Z",
    "gt2026-06-15T10:00+99:00",
    "ap2026",
    "sa",
    "eb-2026",
    "9999-12-31T23:59:59Z",
    "0001-01-01",
    "lt0000",
    "x" * 2000,
    "{}",
    "[]",
    "null",
    "-_lastUpdated",
    "_id,-date,code",
]
# Raw query fragments that are not valid UTF-8 or not valid percent-encoding.
RAW = ["%ff%fe", "%ED%A0%80", "%C0%80", "%", "%zz", "&&&", "=", "a=1=2", "%00=%00"]

values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
    st.tuples(
        st.sampled_from(["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", ""]), st.dates()
    ).map(lambda pair: f"{pair[0]}{pair[1].isoformat()}"),
)


def _names(rtype: ResourceType) -> list[str]:
    names = [p.name for p in rtype.params] + sorted(COMMON) + sorted(CONTROL)
    if rtype.compartment and rtype.name != "Patient":
        names += ["patient", "subject"]
    return [*names, "unknown", "_has:Observation:patient:code", "_elements"]


def _query(rtype: ResourceType) -> st.SearchStrategy[str]:
    pair = st.tuples(st.sampled_from(_names(rtype)), st.sampled_from(MODIFIERS), values).map(
        lambda p: f"{quote(p[0] + p[1], safe=':_')}={quote(p[2], safe='')}"
    )
    return st.tuples(
        st.lists(pair, min_size=1, max_size=3), st.one_of(st.none(), st.sampled_from(RAW))
    ).map(lambda q: "&".join([*q[0], *([q[1]] if q[1] else [])]))


def _check(response: Any, url: str) -> None:
    assert response.status_code < 500, (url, response.status_code, response.content[:500])
    assert response["Content-Type"].startswith(FHIR_JSON), (url, response["Content-Type"])
    found = validated(response.json())
    assert found["resourceType"] in ("Bundle", "OperationOutcome"), url
    if response.status_code >= 400:
        assert found["resourceType"] == "OperationOutcome", url


def _fuzz(fhir: Client, rtype: ResourceType) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(query=_query(rtype))
    def search(query: str) -> None:
        url = f"/fhir/R4/{rtype.name}?{query}"
        _check(fhir.get(url), url)
        _check(fhir.get(url, headers={"Prefer": "handling=strict"}), url)

    search()


def test_search_never_fails_on_hostile_parameters(fhir: Client, course: Course) -> None:
    searchable = [t for t in registry().values() if "search-type" in t.interactions]
    assert len(searchable) > 10
    for rtype in searchable:
        _fuzz(fhir, rtype)
