"""The CDT endpoints per persona: start phase 1, switch to phase 2, read the phase;
audited, outsiders 404, 422 naming the field."""

from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import api_as, clinic_today, error_fields, matrix
from palpa.lymphoedema.models import CdtCourse
from palpa.lymphoedema.tests.support import cdt_started
from palpa.patients.models import Patient

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}
START = {**READ, "owner": 403, "therapist": 201, "other_therapist": 201}
SWITCH = {**READ, "owner": 403}


OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/cdt"),
    ("post", "/api/v1/patients/{patient_id}/cdt/phase-1"),
    ("post", "/api/v1/patients/{patient_id}/cdt/phase-2"),
}


# --- the API ---------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), matrix(START))
def test_who_may_start_phase_1_over_the_api(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = api_as(request, who, "token").post(
        f"/patients/{patient.public_id}/cdt/phase-1",
        {"started_on": clinic_today().isoformat()},
    )
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["phase"] == 1
        assert response.json()["phase_name"] == "Phase 1, intensive"


@pytest.mark.parametrize(("who", "status"), matrix(SWITCH))
def test_who_may_switch_to_phase_2_over_the_api(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, patient: Patient
) -> None:
    cdt_started(therapist, patient)
    response = api_as(request, who, "token").post(
        f"/patients/{patient.public_id}/cdt/phase-2",
        {"switched_on": clinic_today().isoformat(), "reason": "Plateau"},
    )
    assert response.status_code == status, response.content
    assert CdtCourse.objects.get(patient=patient).phase == (2 if status == 200 else 1)


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_who_may_read_the_cdt_phase_and_the_read_is_audited(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, patient: Patient
) -> None:
    course = cdt_started(therapist, patient)
    response = api_as(request, who, "token").get(f"/patients/{patient.public_id}/cdt")
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["phase_1_started_on"] == course.phase_1_started_on.isoformat()
        assert AuditEvent.objects.filter(action="read", object_id=str(course.public_id)).exists()


def test_an_api_switch_before_phase_1_is_422_naming_the_date(
    request: pytest.FixtureRequest, therapist: User, patient: Patient
) -> None:
    cdt_started(therapist, patient, days_ago=2)
    response = api_as(request, "therapist", "token").post(
        f"/patients/{patient.public_id}/cdt/phase-2",
        {"switched_on": (clinic_today() - dt.timedelta(days=9)).isoformat(), "reason": "x"},
    )
    assert response.status_code == 422
    assert error_fields(response) == {"switched_on"}


def test_reading_cdt_that_has_not_started_says_so(
    request: pytest.FixtureRequest, patient: Patient
) -> None:
    response = api_as(request, "therapist", "token").get(f"/patients/{patient.public_id}/cdt")
    assert response.status_code == 200
    assert (response.json()["phase"], response.json()["phase_name"]) == (None, "Not started")
