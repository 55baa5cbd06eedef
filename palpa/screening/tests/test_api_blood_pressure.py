"""GET and POST a visit's measured blood pressure over the API: the permission table's
clinical read and write, audited, outsiders refused, 422 naming the field."""

from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import api_as, api_for, clinic_today, error_fields, matrix
from palpa.patients.models import Patient
from palpa.screening.models import Screening
from palpa.screening.services import record_screening
from palpa.screening.tests.support import facts_proceed

OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/blood-pressure"),
    ("post", "/api/v1/patients/{patient_id}/blood-pressure"),
}

CLINICAL = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}
WRITE = {**CLINICAL, "owner": 201, "therapist": 201, "other_therapist": 201}


def today() -> dt.date:
    return clinic_today()


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_who_may_record_a_reading_and_it_is_screened_at_once(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, patient: Patient
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_proceed())
    before = Screening.objects.filter(patient=patient).count()
    response = api_as(request, who, "token").post(
        f"/patients/{patient.public_id}/blood-pressure",
        {"systolic": 184, "diastolic": 112, "symptoms": ["chest_pain"]},
    )
    assert response.status_code == status, response.content
    if status != 201:
        assert Screening.objects.filter(patient=patient).count() == before
        return
    body = response.json()
    assert body["reading"] == {
        "systolic": 184,
        "diastolic": 112,
        "measured_on": today().isoformat(),
        "symptoms": ["chest_pain"],
    }
    assert body["todays"] is True
    assert (body["decision"], body["urgency"]) == ("STOP", "emergency")
    assert body["findings"][0] == "blood_pressure_crisis_symptoms"
    assert Screening.objects.filter(patient=patient).count() == before + 1
    assert AuditEvent.objects.filter(action="create", detail__blood_pressure__systolic=184).exists()


@pytest.mark.parametrize(("who", "status"), matrix(CLINICAL))
def test_who_may_read_the_reading_in_force_and_the_read_is_audited(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, patient: Patient
) -> None:
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    facts = {**facts_proceed(), "blood_pressure": {"systolic": 150, "diastolic": 92}}
    facts["blood_pressure"]["measured_on"] = yesterday
    record_screening(actor=therapist, patient=patient, facts=facts)
    response = api_as(request, who, "token").get(f"/patients/{patient.public_id}/blood-pressure")
    assert response.status_code == status
    if status != 200:
        return
    body = response.json()
    assert body["reading"]["measured_on"] == yesterday
    assert body["todays"] is False  # an earlier day's reading is not today's
    assert body["findings"] == ["blood_pressure_not_today"]
    assert AuditEvent.objects.filter(action="read", detail__view="blood pressure").exists()


def test_no_screening_reads_as_no_reading_and_a_write_is_refused(
    therapist: User, patient: Patient
) -> None:
    api = api_for(therapist, "token")
    body = api.get(f"/patients/{patient.public_id}/blood-pressure").json()
    assert (body["screening"], body["reading"], body["todays"]) == (None, None, False)
    refused = api.post(
        f"/patients/{patient.public_id}/blood-pressure", {"systolic": 120, "diastolic": 80}
    )
    assert refused.status_code == 409
    assert "no health history" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"systolic": 400, "diastolic": 80}, "systolic"),
        ({"systolic": 120, "diastolic": 10}, "diastolic"),
        ({"systolic": 120, "diastolic": 130}, "diastolic"),
        ({"systolic": "high", "diastolic": 80}, "systolic"),
        ({"diastolic": 80}, "systolic"),
        ({"systolic": 120, "diastolic": 80, "symptoms": ["hiccups"]}, "symptoms"),
        ({"systolic": 120, "diastolic": 80, "pulse": 70}, "pulse"),
    ],
)
def test_a_bad_reading_is_422_naming_the_field_and_nothing_is_saved(
    therapist: User, patient: Patient, body: dict[str, object], field: str
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_proceed())
    response = api_for(therapist, "token").post(
        f"/patients/{patient.public_id}/blood-pressure", body
    )
    assert field in {str(part) for item in response.json()["detail"] for part in item["loc"]}
    assert response.status_code == 422
    assert Screening.objects.filter(patient=patient).count() == 1


def test_a_future_day_is_422_naming_measured_on(therapist: User, patient: Patient) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_proceed())
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    response = api_for(therapist, "token").post(
        f"/patients/{patient.public_id}/blood-pressure",
        {"systolic": 120, "diastolic": 80, "measured_on": tomorrow},
    )
    assert "measured_on" in error_fields(response)
    assert Screening.objects.filter(patient=patient).count() == 1
