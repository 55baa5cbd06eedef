"""GET the screening status (clinical: the decision with its reasons, sources and
restrictions) and the flag (front desk: may the patient be treated, and what next)."""

from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import api_as, api_for, clinic_today, matrix
from palpa.patients.models import Patient
from palpa.screening.services import record_screening
from palpa.screening.tests.support import facts_clearance, facts_emergency, facts_modify

OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/screening-status"),
    ("get", "/api/v1/patients/{patient_id}/screening-flag"),
}

STATUS = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}
FLAG = {**STATUS, "front_desk": 200}


def today() -> dt.date:
    return clinic_today()


@pytest.mark.parametrize(("who", "status"), matrix(STATUS))
def test_who_may_read_the_screening_status(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, patient: Patient
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_clearance(today()))
    response = api_as(request, who, "token").get(f"/patients/{patient.public_id}/screening-status")
    assert response.status_code == status
    if status != 200:
        return
    body = response.json()
    assert body["decision"] == "CLEARANCE"
    assert body["effective_decision"] == "CLEARANCE"
    assert body["can_start"] is True
    assert body["can_sign"] is False
    assert "needs a physician's clearance" in body["sign_refusal"]
    dvt = next(f for f in body["findings"] if f["rule_id"] == "dvt_known")
    assert dvt["rationale"]
    assert dvt["sources"][0]["citation"]
    assert dvt["matched_facts"] == ["conditions[0]"]
    assert body["restrictions"]["whole_body"] == [
        "deep_pressure",
        "deep_friction",
        "percussion",
        "tools",
    ]
    assert AuditEvent.objects.filter(action="read", detail__view="screening status").exists()


@pytest.mark.parametrize(("who", "status"), matrix(FLAG))
def test_the_flag_tells_the_front_desk_what_next_without_clinical_detail(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, patient: Patient
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_clearance(today()))
    response = api_as(request, who, "token").get(f"/patients/{patient.public_id}/screening-flag")
    assert response.status_code == status
    if status == 200:
        assert response.json() == {
            "patient": str(patient.public_id),
            "on": today().isoformat(),
            "decision": "CLEARANCE",
            "action": "clearance",
            "treatment_allowed": False,
            "due_on": (today() + dt.timedelta(days=90)).isoformat(),
        }


def test_the_flag_without_a_screening_asks_for_one_and_marks_an_emergency(
    front_desk: User, therapist: User, patient: Patient
) -> None:
    api = api_for(front_desk, "session")
    assert api.get(f"/patients/{patient.public_id}/screening-flag").json()["action"] == "screen"
    record_screening(actor=therapist, patient=patient, facts=facts_emergency())
    flag = api.get(f"/patients/{patient.public_id}/screening-flag").json()
    assert flag["action"] == "emergency"
    assert flag["treatment_allowed"] is False


def test_the_status_on_an_earlier_day_uses_the_screening_in_force_then(
    therapist: User, patient: Patient
) -> None:
    earlier = today() - dt.timedelta(days=3)
    record_screening(
        actor=therapist, patient=patient, facts={"as_of": earlier.isoformat(), **facts_modify()}
    )
    record_screening(actor=therapist, patient=patient, facts=facts_emergency())
    api = api_for(therapist, "token")
    then = api.get(f"/patients/{patient.public_id}/screening-status", {"on": earlier.isoformat()})
    assert then.json()["decision"] == "MODIFY"
    assert then.json()["can_sign"] is True
    now = api.get(f"/patients/{patient.public_id}/screening-status").json()
    assert now["emergency"] is True
    assert now["can_start"] is False
    assert now["instruction"].startswith("Emergency")
    before = api.get(
        f"/patients/{patient.public_id}/screening-status",
        {"on": (earlier - dt.timedelta(days=1)).isoformat()},
    ).json()
    assert before["screening"] is None
    assert "A safety screening is needed" in before["sign_refusal"]
