"""The treatment-note endpoints, per persona, through bearer tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.care.models import TreatmentNote
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.practitioners.models import License

JSON = "application/json"
OPERATIONS = {
    ("get", "/api/v1/patients/{patient_id}/notes"),
    ("post", "/api/v1/patients/{patient_id}/notes"),
    ("get", "/api/v1/notes/{note_id}"),
    ("patch", "/api/v1/notes/{note_id}"),
    ("post", "/api/v1/notes/{note_id}/techniques"),
    ("delete", "/api/v1/notes/{note_id}/techniques/{technique_id}"),
    ("post", "/api/v1/notes/{note_id}/sign"),
    ("post", "/api/v1/notes/{note_id}/addenda"),
    ("post", "/api/v1/notes/{note_id}/entered-in-error"),
}


def _new_note(client: Client, patient: Patient, location: Location) -> dict[str, object]:
    response = client.post(
        f"/api/v1/patients/{patient.public_id}/notes",
        {
            "location": str(location.public_id),
            "visit_date": clinic_today().isoformat(),
            "pain_today": 5,
            "subjective": "Neck tight after desk work.",
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body: dict[str, object] = response.json()
    return body


def test_therapist_writes_signs_and_amends_a_note(
    therapist: User,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    note = _new_note(client, patient, location)
    added = client.post(
        f"/api/v1/notes/{note['id']}/techniques",
        {
            "technique": "soft_tissue_mobilization",
            "region": "neck",
            "minutes": 25,
            "pressure": "moderate",
        },
        content_type=JSON,
    )
    assert added.status_code == 201
    signed = client.post(f"/api/v1/notes/{note['id']}/sign")
    assert signed.status_code == 200
    assert signed.json()["status"] == "signed"
    assert signed.json()["total_minutes"] == 25

    locked = client.patch(
        f"/api/v1/notes/{note['id']}", {"assessment": "later edit"}, content_type=JSON
    )
    assert locked.status_code == 409
    assert locked.json()["code"] == "note_locked"

    addendum = client.post(
        f"/api/v1/notes/{note['id']}/addenda", {"text": "Pain was 6, not 5."}, content_type=JSON
    )
    assert addendum.status_code == 201
    listed = client.get(f"/api/v1/patients/{patient.public_id}/notes").json()
    assert [n["addenda"][0]["text"] for n in listed] == ["Pain was 6, not 5."]
    assert AuditEvent.objects.filter(
        action="read", object_type="TreatmentNote", actor=therapist
    ).exists()


def test_signing_with_a_lapsed_license_answers_409_naming_the_license(
    therapist: User,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    note = _new_note(client, patient, location)
    client.post(
        f"/api/v1/notes/{note['id']}/techniques",
        {"technique": "swedish", "region": "upper_back", "minutes": 30, "pressure": "light"},
        content_type=JSON,
    )
    License.objects.filter(practitioner__user=therapist).update(
        expires_on=clinic_today() - dt.timedelta(days=3)
    )
    refused = client.post(f"/api/v1/notes/{note['id']}/sign")
    assert refused.status_code == 409
    assert refused.json()["code"] == "license"
    assert "expired on" in refused.json()["detail"]
    assert TreatmentNote.objects.get(public_id=str(note["id"])).status == "draft"


def test_bad_technique_gets_422_naming_each_field(
    therapist: User,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    note = _new_note(client, patient, location)
    bad = client.post(
        f"/api/v1/notes/{note['id']}/techniques",
        {"technique": "cupping", "region": "thigh", "minutes": 500, "pressure": "deep"},
        content_type=JSON,
    )
    assert bad.status_code == 422
    fields = {item["loc"][-1] for item in bad.json()["detail"]}
    assert fields == {"technique", "side", "minutes"}


@pytest.mark.parametrize("persona", ["front_desk", "biller"])
def test_front_desk_and_biller_are_refused_clinical_notes(
    request: pytest.FixtureRequest,
    persona: str,
    therapist: User,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    note = _new_note(api_client_for(therapist), patient, location)
    client = api_client_for(request.getfixturevalue(persona))
    assert client.get(f"/api/v1/patients/{patient.public_id}/notes").status_code == 403
    assert client.get(f"/api/v1/notes/{note['id']}").status_code == 403
    created = client.post(
        f"/api/v1/patients/{patient.public_id}/notes",
        {"location": str(location.public_id), "visit_date": clinic_today().isoformat()},
        content_type=JSON,
    )
    assert created.status_code == 403


def test_an_outsider_cannot_see_or_touch_our_notes(
    therapist: User,
    outsider: User,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    note = _new_note(api_client_for(therapist), patient, location)
    client = api_client_for(outsider)
    assert client.get(f"/api/v1/notes/{note['id']}").status_code == 404
    assert client.get(f"/api/v1/patients/{patient.public_id}/notes").status_code == 404
    assert client.post(f"/api/v1/notes/{note['id']}/sign").status_code == 404


def test_another_therapist_reads_but_cannot_sign_a_colleagues_draft(
    therapist: User,
    other_therapist: User,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    note = _new_note(api_client_for(therapist), patient, location)
    client = api_client_for(other_therapist)
    assert client.get(f"/api/v1/notes/{note['id']}").status_code == 200
    assert client.post(f"/api/v1/notes/{note['id']}/sign").status_code == 403


def test_a_draft_technique_can_be_removed_and_a_note_marked_in_error(
    therapist: User,
    patient: Patient,
    location: Location,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    note = _new_note(client, patient, location)
    added = client.post(
        f"/api/v1/notes/{note['id']}/techniques",
        {
            "technique": "stretching",
            "region": "hip",
            "side": "left",
            "minutes": 8,
            "pressure": "light",
        },
        content_type=JSON,
    ).json()
    removed = client.delete(f"/api/v1/notes/{note['id']}/techniques/{added['id']}")
    assert removed.status_code == 200
    assert removed.json()["techniques"] == []
    patched = client.patch(
        f"/api/v1/notes/{note['id']}", {"assessment": "Tolerated well."}, content_type=JSON
    )
    assert patched.json()["assessment"] == "Tolerated well."
    missing = client.post(f"/api/v1/notes/{note['id']}/entered-in-error", {}, content_type=JSON)
    assert missing.status_code == 422
    marked = client.post(
        f"/api/v1/notes/{note['id']}/entered-in-error",
        {"reason": "Started on the wrong chart."},
        content_type=JSON,
    )
    assert marked.status_code == 200
    assert marked.json()["status"] == "entered-in-error"
