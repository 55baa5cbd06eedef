"""The limb-measurement endpoints per persona: record a draft, sign it, read the
sittings with their figures and sources; audited, outsiders 404, 422 naming the field."""

from __future__ import annotations

import pytest

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import api_as, api_for, error_fields, matrix
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.services import record_measurement
from palpa.lymphoedema.tests.support import signed, tape
from palpa.patients.models import Patient

OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/limb-measurements"),
    ("post", "/api/v1/patients/{patient_id}/limb-measurements"),
    ("post", "/api/v1/limb-measurements/{limb_measurement_id}/sign"),
    ("patch", "/api/v1/limb-measurements/{limb_measurement_id}"),
    ("post", "/api/v1/limb-measurements/{limb_measurement_id}/entered-in-error"),
}

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}
WRITE = {**READ, "owner": 403, "therapist": 201, "other_therapist": 201}
SIGN = {**READ, "owner": 403, "therapist": 200, "other_therapist": 403}
IN_ERROR = {**READ, "owner": 200, "therapist": 200, "other_therapist": 403}


def _body(location: Location, **overrides: object) -> dict[str, object]:
    content = tape(**overrides)
    content["measured_on"] = content["measured_on"].isoformat()
    return {"location": str(location.public_id), **content}


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_who_may_record_a_draft_measurement(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, location: Location
) -> None:
    response = api_as(request, who, "token").post(
        f"/patients/{patient.public_id}/limb-measurements", _body(location)
    )
    assert response.status_code == status, response.content
    assert LimbMeasurement.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        body = response.json()
        assert (body["status"], body["figures"], body["left_volume_ml"]) == ("draft", None, None)
        assert AuditEvent.objects.filter(action="create", object_id=body["id"]).exists()


@pytest.mark.parametrize(("who", "status"), matrix(SIGN))
def test_only_the_recorder_signs_and_the_volumes_come_back_with_their_source(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    draft = record_measurement(actor=therapist, patient=patient, location=location, **tape())
    response = api_as(request, who, "token").post(f"/limb-measurements/{draft.public_id}/sign")
    assert response.status_code == status, response.content
    stored = LimbMeasurement.objects.get(pk=draft.pk)
    assert stored.status == ("signed" if status == 200 else "draft")
    if status == 200:
        figures = response.json()["figures"]
        assert figures["first_sitting"] is True
        assert figures["left_volume"]["source_short"]
        assert figures["excess_volume"]["unit"] == "mL"
        assert response.json()["rules_version"]


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_who_may_read_the_sittings_and_the_read_is_audited(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    signed(therapist, patient, location, days_ago=14)
    signed(therapist, patient, location, interval_cm=5.0)
    response = api_as(request, who, "token").get(f"/patients/{patient.public_id}/limb-measurements")
    assert response.status_code == status, response.content
    if status != 200:
        return
    first, now = response.json()
    assert first["figures"]["excess_percent"]["unit"] == "%"
    assert now["figures"]["change_in_excess_percent"] is None
    assert "interval" in now["figures"]["not_compared"]
    assert AuditEvent.objects.filter(action="read", detail__view="limb measurements").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"interval_cm": -4.0}, "interval_cm"),
        ({"left_circumferences_cm": [22.0, 1500.0]}, "left_circumferences_cm"),
        ({"region": "torso"}, "region"),
        ({"method": "calipers"}, "method"),
        ({"measured_on": "yesterday"}, "measured_on"),
        ({"left_volume_ml": 2000.0}, "left_volume_ml"),
        ({"pulse": 70}, "pulse"),
    ],
)
def test_a_bad_measurement_is_422_naming_the_field_and_nothing_is_saved(
    therapist: User,
    patient: Patient,
    location: Location,
    overrides: dict[str, object],
    field: str,
) -> None:
    body = {**_body(location), **overrides}
    response = api_for(therapist, "token").post(
        f"/patients/{patient.public_id}/limb-measurements", body
    )
    assert field in error_fields(response)
    assert not LimbMeasurement.objects.exists()


def test_signing_an_incomplete_draft_is_422_naming_the_missing_limb(
    therapist: User, patient: Patient, location: Location
) -> None:
    draft = record_measurement(
        actor=therapist, patient=patient, location=location, **tape(right_circumferences_cm=[])
    )
    response = api_for(therapist, "token").post(f"/limb-measurements/{draft.public_id}/sign")
    assert "right_circumferences_cm" in error_fields(response)


def test_whole_numbers_are_accepted_as_centimetres(
    therapist: User, patient: Patient, location: Location
) -> None:
    body = _body(location, interval_cm=4, left_circumferences_cm=[22, 24, 27, 30])
    response = api_for(therapist, "token").post(
        f"/patients/{patient.public_id}/limb-measurements", body
    )
    assert response.status_code == 201, response.content
    assert response.json()["left_circumferences_cm"] == [22.0, 24.0, 27.0, 30.0]


@pytest.mark.parametrize(("who", "status"), matrix(SIGN))
def test_only_the_recorder_changes_a_draft(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    draft = record_measurement(actor=therapist, patient=patient, location=location, **tape())
    response = api_as(request, who, "token").patch(
        f"/limb-measurements/{draft.public_id}", {"landmark": "ulnar styloid"}
    )
    assert response.status_code == status, response.content
    stored = LimbMeasurement.objects.get(pk=draft.pk)
    assert stored.landmark == ("ulnar styloid" if status == 200 else "wrist")


def test_a_signed_measurement_cannot_be_changed_over_the_api(
    therapist: User, patient: Patient, location: Location
) -> None:
    measurement = signed(therapist, patient, location)
    api = api_for(therapist, "token")
    response = api.patch(f"/limb-measurements/{measurement.public_id}", {"landmark": "elbow"})
    assert response.status_code == 409
    assert response.json()["code"] == "measurement_locked"
    bad = api.patch(f"/limb-measurements/{measurement.public_id}", {"region": None})
    assert "region" in error_fields(bad)


@pytest.mark.parametrize(("who", "status"), matrix(IN_ERROR))
def test_who_may_mark_a_measurement_in_error(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    measurement = signed(therapist, patient, location)
    response = api_as(request, who, "token").post(
        f"/limb-measurements/{measurement.public_id}/entered-in-error",
        {"reason": "Measured the wrong arm."},
    )
    assert response.status_code == status, response.content
    stored = LimbMeasurement.objects.get(pk=measurement.pk)
    assert stored.status == ("entered-in-error" if status == 200 else "signed")
