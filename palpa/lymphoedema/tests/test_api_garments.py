"""The garment-prescription endpoints per persona: prescribe (draft or signed at once),
sign, record the fitting, mark in error, read; audited, outsiders 404, 422 naming the
field with nothing saved, 409 for a refused act."""

from __future__ import annotations

import pytest

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import api_as, api_for, error_fields, matrix
from palpa.lymphoedema.garments.services import prescribe_garment
from palpa.lymphoedema.models import GarmentFitting, GarmentPrescription
from palpa.lymphoedema.tests.garments_support import fitted_sleeve, signed_sleeve, sleeve
from palpa.lymphoedema.tests.support import signed
from palpa.patients.models import Patient

OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/garment-prescriptions"),
    ("post", "/api/v1/patients/{patient_id}/garment-prescriptions"),
    ("post", "/api/v1/garment-prescriptions/{prescription_id}/sign"),
    ("post", "/api/v1/garment-prescriptions/{prescription_id}/fitting"),
    ("post", "/api/v1/garment-prescriptions/{prescription_id}/entered-in-error"),
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
FIT = {**READ, "owner": 403, "therapist": 200, "other_therapist": 200}
IN_ERROR = {**READ, "owner": 200, "therapist": 200, "other_therapist": 403}


def _body(location: Location, **overrides: object) -> dict[str, object]:
    content = sleeve(**overrides)
    content["prescribed_on"] = content["prescribed_on"].isoformat()
    return {"location": str(location.public_id), **content}


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_who_may_prescribe_a_garment(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, location: Location
) -> None:
    response = api_as(request, who, "token").post(
        f"/patients/{patient.public_id}/garment-prescriptions", _body(location)
    )
    assert response.status_code == status, response.content
    assert GarmentPrescription.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        body = response.json()
        assert (body["status"], body["compression"]) == ("draft", "RAL-GZG class II (23-32 mmHg)")
        assert AuditEvent.objects.filter(action="create", object_id=body["id"]).exists()


def test_a_garment_is_prescribed_and_signed_at_once_from_a_signed_measurement(
    therapist: User, patient: Patient, location: Location
) -> None:
    m = signed(therapist, patient, location)
    body = _body(
        location,
        measurement=str(m.public_id),
        landmark="",
        interval_cm=None,
        left_circumferences_cm=[],
        sign=True,
    )
    response = api_for(therapist, "session").post(
        f"/patients/{patient.public_id}/garment-prescriptions", body
    )
    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["measurement"]) == (
        "signed",
        str(m.public_id),
    )


def test_signing_at_once_that_fails_saves_nothing(
    therapist: User, patient: Patient, location: Location
) -> None:
    response = api_for(therapist, "token").post(
        f"/patients/{patient.public_id}/garment-prescriptions",
        _body(location, left_circumferences_cm=[], sign=True),
    )
    assert response.status_code == 422
    assert "left_circumferences_cm" in error_fields(response)
    assert not GarmentPrescription.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"garment_type": "hat"}, "garment_type"),
        ({"compression_class": "VI"}, "compression_class"),
        ({"standard": "XYZ"}, "standard"),
        ({"knit": "crochet"}, "knit"),
        ({"quantity": 99}, "quantity"),
        ({"side": "middle"}, "side"),
        ({"left_circumferences_cm": [17.5, 1500.0]}, "left_circumferences_cm"),
        ({"colour": "beige"}, "colour"),
    ],
)
def test_a_bad_prescription_is_422_naming_the_field_and_nothing_is_saved(
    therapist: User,
    patient: Patient,
    location: Location,
    overrides: dict[str, object],
    field: str,
) -> None:
    response = api_for(therapist, "token").post(
        f"/patients/{patient.public_id}/garment-prescriptions", {**_body(location), **overrides}
    )
    assert field in error_fields(response), response.content
    assert not GarmentPrescription.objects.exists()


@pytest.mark.parametrize(("who", "status"), matrix(SIGN))
def test_only_the_prescriber_signs(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    draft = prescribe_garment(actor=therapist, patient=patient, location=location, **sleeve())
    response = api_as(request, who, "token").post(f"/garment-prescriptions/{draft.public_id}/sign")
    assert response.status_code == status, response.content
    draft.refresh_from_db()
    assert draft.status == ("signed" if status == 200 else "draft")


@pytest.mark.parametrize(("who", "status"), matrix(FIT))
def test_who_may_record_a_fitting_and_the_due_date_comes_back(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    p = signed_sleeve(therapist, patient, location, days_ago=5)
    response = api_as(request, who, "token").post(
        f"/garment-prescriptions/{p.public_id}/fitting", {"fitted_on": "2026-02-28"}
    )
    assert response.status_code == status, response.content
    assert GarmentFitting.objects.count() == (1 if status == 200 else 0)
    if status == 200:
        assert response.json()["fitting"]["replacement_due_on"] == "2026-08-28"
        again = api_as(request, who, "token").post(
            f"/garment-prescriptions/{p.public_id}/fitting", {}
        )
        assert again.status_code == 409


@pytest.mark.parametrize(("who", "status"), matrix(IN_ERROR))
def test_who_may_mark_a_prescription_in_error_over_the_api(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    p = signed_sleeve(therapist, patient, location)
    response = api_as(request, who, "token").post(
        f"/garment-prescriptions/{p.public_id}/entered-in-error", {"reason": "the wrong arm"}
    )
    assert response.status_code == status, response.content
    p.refresh_from_db()
    assert p.status == ("entered-in-error" if status == 200 else "signed")


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_who_may_read_a_patients_garments_and_the_read_is_audited(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    fitted_sleeve(therapist, patient, location, fitted_days_ago=200)
    response = api_as(request, who, "session").get(
        f"/patients/{patient.public_id}/garment-prescriptions"
    )
    assert response.status_code == status, response.content
    if status != 200:
        return
    (row,) = response.json()
    assert (row["replacement"], row["fitting"]["interval_months"]) == ("overdue", 6)
    assert AuditEvent.objects.filter(action="read", detail__view="garment prescriptions").exists()
