"""Plans of care over the API: goals, signing, versions, progress, discharge, per persona."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.care.models import Evaluation, Plan
from palpa.care.tests.api_support import JSON, TODAY
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient

OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/plans"),
    ("post", "/api/v1/patients/{patient_id}/plans"),
    ("get", "/api/v1/plans/{plan_id}"),
    ("patch", "/api/v1/plans/{plan_id}"),
    ("post", "/api/v1/plans/{plan_id}/goals"),
    ("delete", "/api/v1/plans/{plan_id}/goals/{goal_id}"),
    ("post", "/api/v1/plans/{plan_id}/sign"),
    ("post", "/api/v1/plans/{plan_id}/revise"),
    ("post", "/api/v1/plans/{plan_id}/entered-in-error"),
    ("post", "/api/v1/plans/{plan_id}/reassessments/administrations"),
    ("post", "/api/v1/plans/{plan_id}/reassessments/rom"),
    ("get", "/api/v1/plans/{plan_id}/progress"),
    ("post", "/api/v1/plans/{plan_id}/discharge"),
}

DUE = (clinic_today() + dt.timedelta(weeks=6)).isoformat()


def _draft(client: Client, evaluation: Evaluation) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/patients/{evaluation.patient.public_id}/plans",
        {
            "evaluation": str(evaluation.public_id),
            "frequency_per_week": 2,
            "duration_weeks": 6,
            "techniques": ["myofascial_release", "stretching"],
            "precautions": "No deep pressure over the lumbar spine.",
            "home_care": [
                {
                    "kind": "stretch",
                    "instructions": "Knee to chest, 30 seconds each side.",
                    "frequency": "Twice a day",
                },
                {
                    "kind": "self_massage",
                    "instructions": "Foam roller along the thighs.",
                    "tool": "foam_roller",
                    "frequency": "Evenings",
                },
            ],
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def _goal(client: Client, plan_id: str, **fields: Any) -> Any:
    return client.post(f"/api/v1/plans/{plan_id}/goals", fields, content_type=JSON)


def test_therapist_plans_measures_and_discharges(
    therapist: User,
    signed_evaluation: Evaluation,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    plan = _draft(client, signed_evaluation)
    assert [d["code"] for d in plan["diagnoses"]] == ["M54.50"]
    assert plan["planned_visits"] == 12
    assert [h["kind"] for h in plan["home_care"]] == ["stretch", "self_massage"]
    odi = _goal(
        client,
        plan["id"],
        statement="Sit through a meeting without pain stopping me.",
        measure_kind="instrument",
        instrument="ODI",
        target_kind="meaningful_change",
        due_on=DUE,
    )
    assert odi.status_code == 201, odi.content
    assert (odi.json()["baseline_value"], odi.json()["target_value"]) == (40, 30)
    assert odi.json()["is_primary"]
    rom = _goal(
        client,
        plan["id"],
        statement="Bend to put on socks.",
        measure_kind="rom",
        rom_joint="thoracolumbar_spine",
        rom_motion="flexion",
        target_value=80,
        rom_local_mdc=10,
        due_on=DUE,
    )
    assert rom.status_code == 201, rom.content
    signed = client.post(f"/api/v1/plans/{plan['id']}/sign")
    assert signed.status_code == 200
    assert signed.json()["status"] == "active"

    reassessed = client.post(
        f"/api/v1/plans/{plan['id']}/reassessments/administrations",
        {"instrument": "ODI", "answers": [1] * 10},
        content_type=JSON,
    )
    assert reassessed.status_code == 201
    assert reassessed.json()["context"] == "reassessment"
    measured = client.post(
        f"/api/v1/plans/{plan['id']}/reassessments/rom",
        {
            "joint": "thoracolumbar_spine",
            "motion": "flexion",
            "degrees": 66,
            "instrument": "inclinometer",
        },
        content_type=JSON,
    )
    assert measured.status_code == 201

    report = client.get(f"/api/v1/plans/{plan['id']}/progress").json()
    by_measure = {g["measure"]: g for g in report["goals"]}
    odi_progress = by_measure["ODI"]
    assert odi_progress["status"] == "achieved"
    assert odi_progress["meaningful"] is True
    assert {t["kind"] for t in odi_progress["thresholds"]} == {"MCID", "MDC", "relative MCID"}
    assert odi_progress["decided_by"] == "absolute"
    assert odi_progress["detected"] == "better"
    assert odi_progress["noise_band"] == 10
    assert odi_progress["noise_basis"] == "MDC"
    assert all(t["source"] and t["citation"] for t in odi_progress["thresholds"])
    rom_progress = by_measure["thoracolumbar spine flexion"]
    assert rom_progress["latest"] == 66
    assert rom_progress["meaningful"] is False  # 6 degrees is within the local MDC of 10
    assert report["non_responder"]["alert"] is False
    assert report["non_responder"]["after_notes"] == 6

    discharged = client.post(
        f"/api/v1/plans/{plan['id']}/discharge",
        {"reason": "patient_choice", "summary": "Moving away; home program given."},
        content_type=JSON,
    )
    assert discharged.status_code == 201, discharged.content
    outcomes = {o["measure"]: o["status"] for o in discharged.json()["goal_outcomes"]}
    assert outcomes["ODI"] == "achieved"
    final = client.get(f"/api/v1/plans/{plan['id']}").json()
    assert final["status"] == "completed"
    assert final["discharge"]["reason"] == "patient_choice"
    again = client.post(
        f"/api/v1/plans/{plan['id']}/discharge", {"reason": "plateau"}, content_type=JSON
    )
    assert again.status_code == 409
    assert again.json()["code"] == "plan_refused"


def test_a_plan_needs_a_signed_evaluation(
    therapist: User, evaluation: Evaluation, api_client_for: Callable[[User], Client]
) -> None:
    response = api_client_for(therapist).post(
        f"/api/v1/patients/{evaluation.patient.public_id}/plans",
        {"evaluation": str(evaluation.public_id), "frequency_per_week": 2, "duration_weeks": 6},
        content_type=JSON,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "plan_refused"
    missing = api_client_for(therapist).post(
        f"/api/v1/patients/{evaluation.patient.public_id}/plans",
        {
            "evaluation": "00000000-0000-0000-0000-000000000000",
            "frequency_per_week": 2,
            "duration_weeks": 6,
        },
        content_type=JSON,
    )
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "evaluation"]


def test_bad_plan_and_goal_fields_get_422_naming_each(
    therapist: User,
    signed_evaluation: Evaluation,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    plan = _draft(client, signed_evaluation)
    patched = client.patch(
        f"/api/v1/plans/{plan['id']}",
        {"frequency_per_week": 0, "techniques": ["cupping"], "diagnoses": ["M54.5"]},
        content_type=JSON,
    )
    assert patched.status_code == 422
    fields = {item["loc"][-1] for item in patched.json()["detail"]}
    assert fields == {"frequency_per_week", "techniques", "diagnoses"}
    goal = _goal(
        client,
        plan["id"],
        statement="Less pain.",
        measure_kind="instrument",
        instrument="PEG3",
        target_kind="meaningful_change",
        due_on=DUE,
    )
    assert goal.status_code == 422
    assert "No PEG3 score" in goal.json()["detail"][0]["msg"]
    backwards = _goal(
        client,
        plan["id"],
        statement="Less pain.",
        measure_kind="instrument",
        instrument="NPRS",
        target_value=9,
        due_on=DUE,
    )
    assert backwards.json()["detail"][0]["loc"] == ["body", "target_value"]
    inside_noise = _goal(
        client,
        plan["id"],
        statement="Less pain.",
        measure_kind="instrument",
        instrument="NPRS",
        target_value=5,
        due_on=DUE,
    )
    assert inside_noise.status_code == 422
    (problem,) = inside_noise.json()["detail"]
    assert problem["loc"] == ["body", "target_value"]
    assert "MDC of 2 points (Childs 2005)" in problem["msg"]


def test_a_signed_plan_changes_only_through_a_new_version(
    therapist: User,
    plan: Plan,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    base = f"/api/v1/plans/{plan.public_id}"
    client.post(f"{base}/sign")
    locked = client.patch(base, {"frequency_per_week": 3}, content_type=JSON)
    assert locked.status_code == 409
    assert locked.json()["code"] == "plan_locked"
    revision = client.post(f"{base}/revise")
    assert revision.status_code == 201
    second = revision.json()
    assert (second["version"], second["supersedes"], second["status"]) == (
        2,
        str(plan.public_id),
        "draft",
    )
    assert client.post(f"{base}/revise").status_code == 409
    nprs = next(g for g in second["goals"] if g["instrument"] == "NPRS")
    trimmed = client.delete(f"/api/v1/plans/{second['id']}/goals/{nprs['id']}")
    assert [g["instrument"] for g in trimmed.json()["goals"]] == ["ODI"]
    client.patch(f"/api/v1/plans/{second['id']}", {"frequency_per_week": 3}, content_type=JSON)
    assert client.post(f"/api/v1/plans/{second['id']}/sign").json()["status"] == "active"
    versions = client.get(f"/api/v1/patients/{plan.patient.public_id}/plans").json()
    assert sorted((p["version"], p["status"], p["frequency_per_week"]) for p in versions) == [
        (1, "superseded", 2),
        (2, "active", 3),
    ]
    assert AuditEvent.objects.filter(action="read", object_type="Plan", actor=therapist).exists()


def test_a_draft_revision_can_be_discarded(
    therapist: User, plan: Plan, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(therapist)
    client.post(f"/api/v1/plans/{plan.public_id}/sign")
    second = client.post(f"/api/v1/plans/{plan.public_id}/revise").json()
    discarded = client.post(
        f"/api/v1/plans/{second['id']}/entered-in-error",
        {"reason": "Not needed."},
        content_type=JSON,
    )
    assert discarded.json()["status"] == "entered-in-error"
    assert client.post(f"/api/v1/plans/{plan.public_id}/revise").json()["version"] == 3


def test_the_non_responder_alert_threshold_is_a_query_parameter(
    therapist: User, plan: Plan, location: Location, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(therapist)
    client.post(f"/api/v1/plans/{plan.public_id}/sign")
    for _ in range(2):
        note = client.post(
            f"/api/v1/patients/{plan.patient.public_id}/notes",
            {
                "location": str(location.public_id),
                "visit_date": TODAY,
                "plan_of_care": str(plan.public_id),
                "assessment": "Tolerated well.",
            },
            content_type=JSON,
        ).json()
        assert note["plan_of_care"] == str(plan.public_id)
        assert client.post(f"/api/v1/notes/{note['id']}/sign").status_code == 200
    base = f"/api/v1/plans/{plan.public_id}/progress"
    assert client.get(base).json()["non_responder"]["alert"] is False
    report = client.get(base, {"after_notes": 2}).json()
    assert report["signed_notes"] == 2
    assert report["non_responder"]["alert"] is True
    assert report["non_responder"]["suggestion"].startswith("Re-assess ODI")
    assert client.get(base, {"after_notes": 0}).status_code == 422


def test_a_note_cannot_link_to_another_patients_plan(
    therapist: User,
    plan: Plan,
    location: Location,
    owner: User,
    api_client_for: Callable[[User], Client],
) -> None:
    from palpa.patients.services import create_patient

    other = create_patient(
        actor=owner, given_name="Ann", family_name="Other", date_of_birth=dt.date(1990, 1, 1)
    )
    response = api_client_for(therapist).post(
        f"/api/v1/patients/{other.public_id}/notes",
        {
            "location": str(location.public_id),
            "visit_date": TODAY,
            "plan_of_care": str(plan.public_id),
        },
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "plan_of_care"]


def test_another_therapist_reads_the_plan_but_only_its_author_edits_the_draft(
    other_therapist: User, plan: Plan, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(other_therapist)
    base = f"/api/v1/plans/{plan.public_id}"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}/progress").status_code == 200
    assert client.post(f"{base}/sign").status_code == 403


@pytest.mark.parametrize("persona", ["front_desk", "biller"])
def test_front_desk_and_biller_cannot_read_plans_or_progress(
    request: pytest.FixtureRequest,
    persona: str,
    plan: Plan,
    patient: Patient,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(request.getfixturevalue(persona))
    assert client.get(f"/api/v1/patients/{patient.public_id}/plans").status_code == 403
    assert client.get(f"/api/v1/plans/{plan.public_id}/progress").status_code == 403
    refused = client.post(
        f"/api/v1/plans/{plan.public_id}/discharge", {"reason": "plateau"}, content_type=JSON
    )
    assert refused.status_code == 403


def test_an_outsider_cannot_find_our_plans(
    outsider: User, plan: Plan, patient: Patient, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(outsider)
    assert client.get(f"/api/v1/plans/{plan.public_id}").status_code == 404
    assert client.get(f"/api/v1/plans/{plan.public_id}/progress").status_code == 404
    assert client.get(f"/api/v1/patients/{patient.public_id}/plans").status_code == 404
