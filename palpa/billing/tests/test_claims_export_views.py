"""Downloading the claims export, per persona: owners and billers; other roles 403;
another organization gets its own (here empty) export; the anonymous sign in first."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.urls import reverse

from palpa.accounts.models import Location, User
from palpa.billing.tests.documents_support import MEMBER_ID, Billed, insured_course
from palpa.core.tests.support import TODAY, matrix, web_client
from palpa.patients.models import Patient

PERIOD = {"start": (TODAY - dt.timedelta(days=30)).isoformat(), "end": TODAY.isoformat()}
URL = "billing:claims_export"


@pytest.fixture
def billed(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> Billed:
    return insured_course(
        owner=owner, therapist=therapist, biller=biller, patient=patient, location=location
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    matrix(
        {
            "owner": 200,
            "biller": 200,
            "therapist": 403,
            "other_therapist": 403,
            "front_desk": 403,
            "outsider": 200,
            "anonymous": 302,
        }
    ),
)
def test_who_may_export_claims(
    billed: Billed, persona: str, status: int, request: pytest.FixtureRequest
) -> None:
    response = web_client(request, persona).get(reverse(URL), {**PERIOD, "format": "csv"})
    assert response.status_code == status
    if status != 200:
        return
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    if persona == "outsider":
        assert rows == []  # another organization's claims, never these
    else:
        assert len(rows) == 4
        assert {r["insured_id"] for r in rows} == {MEMBER_ID}


def test_the_json_export_downloads_and_parses(
    billed: Billed, request: pytest.FixtureRequest
) -> None:
    response = web_client(request, "biller").get(reverse(URL), {**PERIOD, "format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    doc = json.loads(response.content)
    assert len(doc["claims"]) == 2
    assert doc["claims"][0]["lines"][0]["procedure_code"] == "97140"


def test_the_export_page_offers_a_period(billed: Billed, request: pytest.FixtureRequest) -> None:
    response = web_client(request, "biller").get(reverse(URL))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Download CSV" in body
    assert "Download JSON" in body


def test_an_unknown_format_is_refused_by_name(
    billed: Billed, request: pytest.FixtureRequest
) -> None:
    response = web_client(request, "biller").get(reverse(URL), {**PERIOD, "format": "xlsx"})
    assert response.status_code == 400
    assert "format: choose csv or json" in response.content.decode()
