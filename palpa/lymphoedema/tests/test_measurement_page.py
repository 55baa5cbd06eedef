"""The limb measurement entry page: clinical roles open it, the recorder saves and signs a
tape sitting (volumes stored), bad values are named by their point and nothing is half
saved, the previous sitting's values show beside the fields; another organization's
patient or measurement is not found; reads and writes are audited."""

from __future__ import annotations

import pytest
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.services import record_measurement
from palpa.lymphoedema.tests.support import AFFECTED, UNAFFECTED, signed, tape
from palpa.patients.models import Patient

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
# The owner is not a practitioner here: recording is for the one who measured.
SAVE = {**READ, "owner": 403, "therapist": 302, "other_therapist": 302}


def _form(location: Location, action: str = "save", **over: str) -> dict[str, str]:
    data = {
        "action": action,
        "measured_on": "2026-03-02",
        "location": str(location.public_id),
        "region": "arm",
        "affected_side": "left",
        "method": "tape",
        "landmark": "wrist",
        "interval_cm": "4",
        "points": "4",
    }
    for i, (a, u) in enumerate(zip(AFFECTED, UNAFFECTED, strict=True)):
        data[f"left_{i}"] = f"{a:g}"
        data[f"right_{i}"] = f"{u:g}"
    return {**data, **over}


def _new(patient: Patient) -> str:
    return f"/patients/{patient.public_id}/limb-measurements/new/"


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_who_may_open_the_entry_page(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    assert_answer(web_client(request, who).get(_new(patient)), who, status)


@pytest.mark.parametrize(("who", "status"), matrix(SAVE))
def test_who_may_save_a_draft(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, location: Location
) -> None:
    response = web_client(request, who).post(_new(patient), _form(location))
    assert_answer(response, who, status)
    saved = LimbMeasurement.objects.count()
    assert saved == (1 if status == 302 and who != "anonymous" else 0)
    if saved:
        m = LimbMeasurement.objects.get()
        assert m.status == "draft"
        assert m.left_circumferences_cm == AFFECTED
        assert AuditEvent.objects.filter(action="create", object_id=str(m.public_id)).exists()


def test_save_and_sign_stores_the_volumes(
    therapist: User, patient: Patient, location: Location
) -> None:
    client = web_client_for(therapist)
    response = client.post(_new(patient), _form(location, "sign"))
    assert response.status_code == 302
    m = LimbMeasurement.objects.get()
    assert m.status == "signed"
    assert m.left_volume_ml == pytest.approx(634.5, abs=0.1)
    assert m.right_volume_ml is not None
    assert m.rules_version
    body = client.get(response["Location"]).content.decode()
    assert "634.5 mL" in body
    assert "excess 73.1 mL" in body
    assert "Mark entered in error" in body


def test_a_bad_value_is_named_by_its_point_and_nothing_is_saved(
    therapist: User, patient: Patient, location: Location
) -> None:
    response = web_client_for(therapist).post(
        _new(patient), _form(location, "sign", right_2="-25", left_1="2x")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Right, wrist + 8 cm: must be greater than 0" in body
    assert "Left, wrist + 4 cm: give a number of cm" in body
    assert 'value="2x"' in body
    assert 'value="-25"' in body
    assert LimbMeasurement.objects.count() == 0


def test_refused_at_signing_leaves_no_draft_behind(
    therapist: User, patient: Patient, location: Location
) -> None:
    data = _form(location, "sign")
    for i in range(4):
        data[f"right_{i}"] = ""
    response = web_client_for(therapist).post(_new(patient), data)
    assert response.status_code == 200
    assert "Measure both limbs at the same points before signing." in response.content.decode()
    assert LimbMeasurement.objects.count() == 0


def test_the_previous_sitting_prefills_the_points_and_shows_beside(
    therapist: User, patient: Patient, location: Location
) -> None:
    signed(therapist, patient, location, days_ago=14, landmark="elbow", interval_cm=5.0)
    body = web_client_for(therapist).get(_new(patient)).content.decode()
    assert 'name="left_3"' in body
    assert 'name="left_4"' not in body
    assert "Elbow + 15 cm" in body
    assert '<span class="visually-hidden">last time </span>30' in body
    assert 'inputmode="decimal"' in body
    assert AuditEvent.objects.filter(action="read", detail__view="limb measurements").exists()


def test_a_draft_reopens_for_its_recorder_and_is_changed(
    therapist: User, other_therapist: User, patient: Patient, location: Location
) -> None:
    draft = record_measurement(actor=therapist, patient=patient, location=location, **tape())
    url = f"/limb-measurements/{draft.public_id}/"
    client = web_client_for(therapist)
    assert 'value="27"' in client.get(url).content.decode()
    response = client.post(url, _form(location, left_0="22.5"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.left_circumferences_cm[0] == 22.5
    assert draft.status == "draft"
    other = web_client_for(other_therapist)
    assert 'name="left_0"' not in other.get(url).content.decode()
    assert other.post(url, _form(location, left_0="1")).status_code == 403


def test_entered_in_error_with_a_reason(
    therapist: User, patient: Patient, location: Location
) -> None:
    m = signed(therapist, patient, location)
    response = web_client_for(therapist).post(
        f"/limb-measurements/{m.public_id}/entered-in-error/", {"reason": "wrong patient"}
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == "entered-in-error"
    assert m.status_reason == "wrong patient"


def test_another_organizations_patient_and_measurement_are_not_found(
    outsider: User, therapist: User, patient: Patient, location: Location
) -> None:
    m = signed(therapist, patient, location)
    client = web_client_for(outsider)
    assert client.get(_new(patient)).status_code == 404
    assert client.get(f"/limb-measurements/{m.public_id}/").status_code == 404
    assert client.post(f"/limb-measurements/{m.public_id}/entered-in-error/").status_code == 404


def web_client_for(user: User) -> Client:
    from palpa.core.tests.support import verified_session

    return verified_session(user, enforce_csrf=False)


@pytest.mark.parametrize(
    "hostile",
    ["", "1e309", "NaN", "\uff13\uff10", "\x00", "-" + "9" * 30, "2026-02-30", "x" * 1000],
)
@pytest.mark.parametrize("method", ["tape", "perometer"])
def test_hostile_values_on_signing_are_refused_not_crashed(
    therapist: User, patient: Patient, location: Location, hostile: str, method: str
) -> None:
    data = _form(location, "sign", method=method)
    data = {k: (v if k in ("action", "method") else hostile) for k, v in data.items()}
    data |= {"left_volume_ml": hostile, "right_volume_ml": hostile}
    response = web_client_for(therapist).post(_new(patient), data)
    assert response.status_code in (200, 400)  # 400: control characters refused up front
    assert LimbMeasurement.objects.count() == 0
