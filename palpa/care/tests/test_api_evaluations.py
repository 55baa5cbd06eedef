"""The evaluation endpoints, per persona, through bearer tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.care.models import Evaluation, Plan
from palpa.care.tests.api_support import JSON, TODAY, call, valid_requests
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.practitioners.models import License

OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/evaluations"),
    ("post", "/api/v1/patients/{patient_id}/evaluations"),
    ("get", "/api/v1/evaluations/{evaluation_id}"),
    ("patch", "/api/v1/evaluations/{evaluation_id}"),
    ("post", "/api/v1/evaluations/{evaluation_id}/pain-map"),
    ("post", "/api/v1/evaluations/{evaluation_id}/palpation"),
    ("post", "/api/v1/evaluations/{evaluation_id}/rom"),
    ("post", "/api/v1/evaluations/{evaluation_id}/special-tests"),
    ("post", "/api/v1/evaluations/{evaluation_id}/diagnoses"),
    ("post", "/api/v1/evaluations/{evaluation_id}/administrations"),
    ("post", "/api/v1/evaluations/{evaluation_id}/sign"),
    ("post", "/api/v1/evaluations/{evaluation_id}/entered-in-error"),
}


def _start(client: Client, patient: Patient, location: Location) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/patients/{patient.public_id}/evaluations",
        {
            "location": str(location.public_id),
            "evaluated_on": TODAY,
            "chief_complaint": "Neck pain after desk work, 6 weeks.",
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def test_therapist_examines_diagnoses_and_signs(
    therapist: User,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    evaluation = _start(client, patient, location)
    base = f"/api/v1/evaluations/{evaluation['id']}"
    assert (
        client.post(
            f"{base}/pain-map",
            {"region": "shoulder", "side": "right", "intensity": 5, "quality": "aching"},
            content_type=JSON,
        ).status_code
        == 201
    )
    palpation = client.post(
        f"{base}/palpation",
        {
            "region": "upper_back",
            "tone": "hypertonic",
            "tenderness": 2,
            "trigger_points": True,
            "trigger_point_count": 3,
            "texture": "Dense bands along the upper trapezius.",
        },
        content_type=JSON,
    )
    assert palpation.status_code == 201
    rom = client.post(
        f"{base}/rom",
        {
            "joint": "cervical_spine",
            "motion": "rotation",
            "side": "left",
            "degrees": 55,
            "instrument": "goniometer",
            "position": "seated",
        },
        content_type=JSON,
    )
    assert rom.status_code == 201
    assert (rom.json()["norm_degrees"], rom.json()["norm_tag"]) == (80, "V")
    test = client.post(
        f"{base}/special-tests",
        {"name": "Spurling", "side": "right", "result": "negative"},
        content_type=JSON,
    )
    assert test.status_code == 201
    ndi = client.post(
        f"{base}/administrations",
        {"instrument": "NDI", "answers": [2, 2, 1, 3, 2, 1, 2, 1, 1, 2]},
        content_type=JSON,
    )
    assert ndi.status_code == 201
    assert (ndi.json()["score"], ndi.json()["context"]) == (17, "baseline")
    assert client.post(f"{base}/diagnoses", {"code": "M54.2"}, content_type=JSON).status_code == 201
    primary = client.post(f"{base}/diagnoses", {"code": "S16.1XXD", "rank": 1}, content_type=JSON)
    assert primary.json()["rank"] == 1
    patched = client.patch(base, {"posture": "Forward head."}, content_type=JSON)
    assert patched.json()["posture"] == "Forward head."

    signed = client.post(f"{base}/sign")
    assert signed.status_code == 200
    body = signed.json()
    assert body["status"] == "signed"
    assert [d["code"] for d in body["diagnoses"]] == ["S16.1XXD", "M54.2"]
    assert [b["instrument"] for b in body["baselines"]] == ["NDI"]
    assert len(body["content_hash"]) == 64

    locked = client.post(f"{base}/diagnoses", {"code": "M79.12"}, content_type=JSON)
    assert locked.status_code == 409
    assert locked.json()["code"] == "evaluation_locked"
    listed = client.get(f"/api/v1/patients/{patient.public_id}/evaluations").json()
    assert [e["id"] for e in listed] == [evaluation["id"]]
    assert AuditEvent.objects.filter(
        action="read", object_type="Evaluation", actor=therapist
    ).exists()


def test_bad_findings_get_422_naming_each_field(
    therapist: User,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    base = f"/api/v1/evaluations/{_start(client, patient, location)['id']}"
    bad = client.post(
        f"{base}/palpation",
        {"region": "shoulder", "tone": "tight", "tenderness": 5},
        content_type=JSON,
    )
    assert bad.status_code == 422
    assert {item["loc"][-1] for item in bad.json()["detail"]} == {"side", "tone", "tenderness"}
    rom = client.post(
        f"{base}/rom",
        {
            "joint": "knee",
            "motion": "abduction",
            "side": "left",
            "degrees": 10,
            "instrument": "goniometer",
        },
        content_type=JSON,
    )
    assert rom.status_code == 422
    assert rom.json()["detail"][0]["loc"] == ["body", "motion"]


def test_m54_5_is_refused_with_its_reason_and_a_code_needing_a_7th_character_too(
    therapist: User,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    base = f"/api/v1/evaluations/{_start(client, patient, location)['id']}"
    refused = client.post(f"{base}/diagnoses", {"code": "M54.5"}, content_type=JSON)
    assert refused.status_code == 422
    (item,) = refused.json()["detail"]
    assert item["loc"] == ["body", "code"]
    assert item["type"] == "not_billable_since"
    assert "not billable since 1 October 2021" in item["msg"]
    seventh = client.post(f"{base}/diagnoses", {"code": "S33.5XX"}, content_type=JSON)
    assert seventh.json()["detail"][0]["type"] == "seventh_character_required"


def test_invalid_instrument_answers_get_422_naming_the_item_and_rule(
    therapist: User,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    base = f"/api/v1/evaluations/{_start(client, patient, location)['id']}"
    response = client.post(
        f"{base}/administrations",
        {"instrument": "ODI", "answers": [1, 2, 3, 9, 0, 0, 0, 0, 0, 0]},
        content_type=JSON,
    )
    assert response.status_code == 422
    (item,) = response.json()["detail"]
    assert item["loc"] == ["body", "answers"]
    assert "4 answer 9 is out of range 0 to 5" in item["msg"]
    assert "Rule:" in item["msg"]


def test_signing_with_a_lapsed_license_is_409_and_without_a_diagnosis_422(
    therapist: User,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    base = f"/api/v1/evaluations/{_start(client, patient, location)['id']}"
    missing = client.post(f"{base}/sign")
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "diagnoses"]
    client.post(f"{base}/diagnoses", {"code": "M54.2"}, content_type=JSON)
    License.objects.filter(practitioner__user=therapist).update(
        expires_on=clinic_today() - dt.timedelta(days=2)
    )
    refused = client.post(f"{base}/sign")
    assert refused.status_code == 409
    assert refused.json()["code"] == "license"


def test_another_therapist_reads_but_cannot_change_a_colleagues_draft(
    other_therapist: User,
    evaluation: Evaluation,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(other_therapist)
    base = f"/api/v1/evaluations/{evaluation.public_id}"
    assert client.get(base).status_code == 200
    assert client.patch(base, {"posture": "x"}, content_type=JSON).status_code == 403
    assert client.post(f"{base}/sign").status_code == 403


def test_the_owner_reads_evaluations_but_only_practitioners_write_them(
    owner: User,
    evaluation: Evaluation,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(owner)
    assert client.get(f"/api/v1/evaluations/{evaluation.public_id}").status_code == 200
    started = client.post(
        f"/api/v1/patients/{patient.public_id}/evaluations",
        {"location": str(location.public_id), "evaluated_on": TODAY},
        content_type=JSON,
    )
    assert started.status_code == 403


def test_an_evaluation_is_marked_in_error_with_a_reason(
    therapist: User, evaluation: Evaluation, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(therapist)
    base = f"/api/v1/evaluations/{evaluation.public_id}"
    assert client.post(f"{base}/entered-in-error", {}, content_type=JSON).status_code == 422
    marked = client.post(f"{base}/entered-in-error", {"reason": "Wrong chart."}, content_type=JSON)
    assert marked.json()["status"] == "entered-in-error"


# ---------------------------------------------------------------------------------------
# Every clinical endpoint, per persona (the modules for ICD-10, administrations and plans
# reuse these requests).


@pytest.fixture
def ids(plan: Plan, location: Location) -> dict[str, str]:
    goal = plan.goals.first()
    administration = plan.evaluation.administration_links.first()
    assert goal is not None
    assert administration is not None
    return {
        "patient": str(plan.patient.public_id),
        "evaluation": str(plan.evaluation.public_id),
        "plan": str(plan.public_id),
        "goal": str(goal.public_id),
        "administration": str(administration.administration.public_id),
        "location": str(location.public_id),
    }


@pytest.mark.parametrize("persona", ["front_desk", "biller"])
def test_front_desk_and_biller_get_403_from_every_clinical_endpoint(
    request: pytest.FixtureRequest,
    persona: str,
    ids: dict[str, str],
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(request.getfixturevalue(persona))
    for method, path, body in valid_requests(ids):
        response = call(client, method, path, body)
        assert response.status_code == 403, (method, path, response.content)
    assert Plan.objects.count() == 1
    assert Evaluation.objects.count() == 1


def test_an_outsider_gets_404_from_every_endpoint_holding_our_records(
    outsider: User, ids: dict[str, str], api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(outsider)
    for method, path, body in valid_requests(ids):
        response = call(client, method, path, body)
        expected = 200 if path.startswith("/api/v1/icd10") else 404  # the code set is public
        assert response.status_code == expected, (method, path, response.content)
    assert Plan.objects.count() == 1


def test_without_a_token_every_endpoint_answers_401(ids: dict[str, str]) -> None:
    client = Client()
    for method, path, body in valid_requests(ids):
        assert call(client, method, path, body).status_code == 401, (method, path)
