"""Instrument administrations over the API: scored, stored with versions, per persona."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.care.tests.api_support import JSON, TODAY
from palpa.core.tests.support import clinic_today
from palpa.outcomes.library import load_library
from palpa.outcomes.models import InstrumentAdministration
from palpa.patients.models import Patient

OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/administrations"),
    ("post", "/api/v1/patients/{patient_id}/administrations"),
    ("post", "/api/v1/administrations/{administration_id}/entered-in-error"),
}


def _path(patient: Patient) -> str:
    return f"/api/v1/patients/{patient.public_id}/administrations"


def test_a_therapist_records_and_lists_scores(
    therapist: User, patient: Patient, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(therapist)
    rmdq = client.post(
        _path(patient),
        {
            "instrument": "rmdq",
            "answers": [True] * 8 + [False] * 15 + ["not applicable"],
            "administered_on": TODAY,
            "context": "visit",
        },
        content_type=JSON,
    )
    assert rmdq.status_code == 201, rmdq.content
    body = rmdq.json()
    assert (body["instrument"], body["score"], body["items_answered"]) == ("RMDQ", 8, 24)
    assert body["source"] == "clinic"
    assert body["library_version"] == load_library().version
    client.post(
        _path(patient),
        {"instrument": "NPRS", "answers": [7], "administered_on": TODAY},
        content_type=JSON,
    )
    listed = client.get(_path(patient)).json()
    assert {a["instrument"] for a in listed} == {"RMDQ", "NPRS"}
    only = client.get(_path(patient), {"instrument": "nprs"}).json()
    assert [a["score"] for a in only] == [7]
    assert (
        AuditEvent.objects.filter(
            action="read", object_type="InstrumentAdministration", actor=therapist
        ).count()
        == 3
    )


def test_bad_answers_get_422_naming_the_item_and_the_rule(
    therapist: User, patient: Patient, api_client_for: Callable[[User], Client]
) -> None:
    response = api_client_for(therapist).post(
        _path(patient),
        {
            "instrument": "QUICKDASH",
            "answers": [1, 2, None, None, 3, 3, 3, 3, 3, 3, 3],
            "administered_on": TODAY,
        },
        content_type=JSON,
    )
    assert response.status_code == 422
    (item,) = response.json()["detail"]
    assert item["loc"] == ["body", "answers"]
    assert "3 and 4 are unanswered" in item["msg"]
    assert "Rule:" in item["msg"]
    future = api_client_for(therapist).post(
        _path(patient),
        {
            "instrument": "NPRS",
            "answers": [2],
            "administered_on": (clinic_today() + dt.timedelta(days=3)).isoformat(),
        },
        content_type=JSON,
    )
    assert future.json()["detail"][0]["loc"] == ["body", "administered_on"]
    assert not InstrumentAdministration.objects.exists()


def test_an_administration_in_error_is_kept_and_marked(
    therapist: User, patient: Patient, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(therapist)
    made = client.post(
        _path(patient),
        {"instrument": "NPRS", "answers": [7], "administered_on": TODAY},
        content_type=JSON,
    ).json()
    marked = client.post(
        f"/api/v1/administrations/{made['id']}/entered-in-error",
        {"reason": "Another patient's answers."},
        content_type=JSON,
    )
    assert marked.status_code == 200
    assert marked.json()["status"] == "entered-in-error"
    assert marked.json()["score"] == 7


@pytest.mark.parametrize("persona", ["front_desk", "biller"])
def test_front_desk_and_biller_cannot_see_or_record_scores(
    request: pytest.FixtureRequest,
    persona: str,
    patient: Patient,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(request.getfixturevalue(persona))
    assert client.get(_path(patient)).status_code == 403
    created = client.post(
        _path(patient),
        {"instrument": "NPRS", "answers": [7], "administered_on": TODAY},
        content_type=JSON,
    )
    assert created.status_code == 403


def test_an_outsider_cannot_see_or_record_our_patients_scores(
    outsider: User, patient: Patient, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(outsider)
    assert client.get(_path(patient)).status_code == 404
    created = client.post(
        _path(patient),
        {"instrument": "NPRS", "answers": [7], "administered_on": TODAY},
        content_type=JSON,
    )
    assert created.status_code == 404
