"""The pure parts: SMART scopes and FHIR date ranges."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q

from palpa.fhir.errors import FhirError
from palpa.fhir.params import date_q, parse_date, parse_token
from palpa.fhir.scopes import ScopeError, allows, parse_scope, parse_scopes


def test_v1_and_v2_read_scopes_grant_reading() -> None:
    assert allows(parse_scopes("system/*.read"), "system", "Patient")
    assert allows(parse_scopes("user/Observation.rs"), "user", "Observation")
    assert not allows(parse_scopes("user/Observation.rs"), "user", "Patient")
    assert not allows(parse_scopes("system/*.write"), "system", "Patient")
    assert not allows(parse_scopes("patient/*.read"), "system", "Patient")


def test_launch_and_openid_scopes_are_not_resource_scopes() -> None:
    assert parse_scopes("openid launch/patient system/Goal.read") == [
        parse_scope("system/Goal.read")
    ]


def test_a_malformed_scope_is_refused_naming_it() -> None:
    with pytest.raises(ScopeError, match=r"'system/patient\.read'"):
        parse_scope("system/patient.read")


def test_a_day_is_the_range_from_its_midnight_to_the_next() -> None:
    found = parse_date("date", "ge2026-06-15")
    assert found.prefix == "ge"
    assert found.start == dt.datetime(2026, 6, 15, tzinfo=dt.UTC)
    assert found.end == dt.datetime(2026, 6, 16, tzinfo=dt.UTC)
    assert parse_date("date", "2026-02").end == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert parse_date("date", "2026-12").end == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def test_a_time_greater_than_a_moment_still_matches_the_day_it_falls_in() -> None:
    value = parse_date("date", "gt2026-06-15T10:00:00Z")
    assert date_q("d", value, date_only=True) == Q(d__gte=dt.date(2026, 6, 15))
    assert date_q("d", value, date_only=False) == Q(
        d__gte=dt.datetime(2026, 6, 15, 10, 0, 1, tzinfo=dt.UTC)
    )


def test_impossible_dates_and_approximate_prefix_are_400() -> None:
    for raw in ("2026-02-30", "15/06/2026", "ap2026-06-15"):
        with pytest.raises(FhirError) as raised:
            parse_date("date", raw)
        assert raised.value.status == 400


def test_tokens_split_system_and_code() -> None:
    assert parse_token("http://loinc.org|72514-3") == ("http://loinc.org", "72514-3")
    assert parse_token("72514-3") == (None, "72514-3")
    assert parse_token("|x") == ("", "x")
