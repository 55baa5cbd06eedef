"""Intake over the API: one-time links (front desk too), staff-entered facts (clinical),
the list of screenings, and the visit's "no change" confirmation."""

from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import (
    TRANSPORTS,
    api_as,
    api_for,
    clinic_today,
    error_fields,
    matrix,
    without_csrf,
)
from palpa.patients.models import Patient
from palpa.screening.models import IntakeLink, Screening, VisitConfirmation
from palpa.screening.services import record_screening
from palpa.screening.tests.support import facts_clearance, facts_proceed

OPERATIONS = {
    ("post", "/api/v1/patients/{patient_id}/intake-links"),
    ("post", "/api/v1/patients/{patient_id}/screenings"),
    ("get", "/api/v1/patients/{patient_id}/screenings"),
    ("post", "/api/v1/patients/{patient_id}/screening-confirmations"),
}

LINK = {
    "owner": 201,
    "therapist": 201,
    "other_therapist": 201,
    "front_desk": 201,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}
CLINICAL_WRITE = {
    "owner": 201,
    "therapist": 201,
    "other_therapist": 201,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}
CLINICAL_READ = {**CLINICAL_WRITE, "owner": 200, "therapist": 200, "other_therapist": 200}


def today() -> dt.date:
    return clinic_today()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(LINK))
def test_who_may_create_an_intake_link(
    request: pytest.FixtureRequest, who: str, status: int, transport: str, patient: Patient
) -> None:
    response = api_as(request, who, transport).post(f"/patients/{patient.public_id}/intake-links")
    assert response.status_code == status, response.content
    if status == 201:
        body = response.json()
        token = body["url"].rstrip("/").rsplit("/", 1)[-1]
        assert body["url"].startswith("http://testserver/intake/")
        link = IntakeLink.objects.get(public_id=body["id"])
        assert link.token_hash != token
        assert token not in str(AuditEvent.objects.filter(object_type="IntakeLink").values())
    else:
        assert not IntakeLink.objects.exists()


@pytest.mark.parametrize(("who", "status"), matrix(CLINICAL_WRITE))
def test_who_may_enter_intake_facts(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = api_as(request, who, "token").post(
        f"/patients/{patient.public_id}/screenings",
        {"facts": facts_clearance(today()), "questionnaire_version": "paper-2026"},
    )
    assert response.status_code == status, response.content
    if status == 201:
        body = response.json()
        assert body["decision"] == "CLEARANCE"
        assert body["rule_set_version"] == "palpa-default-3"
        assert body["questionnaire_version"] == "paper-2026"
        assert body["result"]["findings"][0]["rule_id"] == "dvt_known"
        assert body["facts"]["medications"][0]["name"] == "warfarin"
    else:
        assert not Screening.objects.exists()


def test_bad_facts_get_422_naming_each_fact(therapist: User, patient: Patient) -> None:
    response = api_for(therapist, "session").post(
        f"/patients/{patient.public_id}/screenings",
        {"facts": {"conditions": [{"code": "dvt", "status": "maybe"}], "pregnancy": {"wk": 3}}},
    )
    assert error_fields(response) == {"facts.conditions[0].status", "facts.pregnancy.wk"}
    assert not Screening.objects.exists()


@pytest.mark.parametrize(("who", "status"), matrix(CLINICAL_READ))
def test_who_may_list_a_patients_screenings(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, patient: Patient
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_proceed())
    response = api_as(request, who, "token").get(f"/patients/{patient.public_id}/screenings")
    assert response.status_code == status
    if status == 200:
        [screening] = response.json()
        assert screening["decision"] == "PROCEED"
        assert screening["screened_by"] == str(therapist)
        assert AuditEvent.objects.filter(action="read", detail__view="screenings").exists()


@pytest.mark.parametrize(("who", "status"), matrix(CLINICAL_WRITE))
def test_who_may_confirm_no_change_at_a_visit(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, patient: Patient
) -> None:
    earlier = (today() - dt.timedelta(days=7)).isoformat()
    record_screening(actor=therapist, patient=patient, facts={"as_of": earlier})
    response = api_as(request, who, "token").post(
        f"/patients/{patient.public_id}/screening-confirmations", {}
    )
    assert response.status_code == status, response.content
    assert VisitConfirmation.objects.exists() == (status == 201)
    if status == 201:
        assert response.json()["on"] == today().isoformat()


def test_confirming_without_a_screening_is_409(therapist: User, patient: Patient) -> None:
    response = api_for(therapist, "token").post(
        f"/patients/{patient.public_id}/screening-confirmations", {}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "screening"


def test_a_session_write_without_the_csrf_token_is_refused(
    therapist: User, patient: Patient
) -> None:
    response = without_csrf(api_for(therapist, "session")).post(
        f"/patients/{patient.public_id}/intake-links"
    )
    assert response.status_code == 403
    assert not IntakeLink.objects.exists()
