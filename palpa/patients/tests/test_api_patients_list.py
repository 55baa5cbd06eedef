"""GET /api/v1/patients: list and search patients (demographics; every role of ours)."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import PERSONAS, STAFF, TRANSPORTS, api_as, api_for, error_fields
from palpa.patients.models import Patient
from palpa.patients.services import create_patient, set_patient_status

OPERATIONS = {("get", "/api/v1/patients")}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("who", STAFF)
def test_every_staff_role_lists_our_patients(
    request: pytest.FixtureRequest, who: str, transport: str, patient: Patient
) -> None:
    response = api_as(request, who, transport).get("/patients")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [row["id"] for row in body["results"]] == [str(patient.public_id)]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_outsider_lists_none_of_our_patients(
    outsider: User, patient: Patient, outsider_patient: Patient, transport: str
) -> None:
    api = api_for(outsider, transport)
    listed = api.get("/patients").json()
    assert [row["id"] for row in listed["results"]] == [str(outsider_patient.public_id)]
    # Both organizations number from P000001: the outsider's MRN search finds only theirs.
    assert patient.mrn == outsider_patient.mrn
    by_mrn = api.get("/patients", {"q": patient.mrn}).json()
    assert [row["id"] for row in by_mrn["results"]] == [str(outsider_patient.public_id)]
    for query in ("Delgado", "rosa", "1971-03-14", "3/14/1971"):
        found = api.get("/patients", {"q": query}).json()
        assert found["count"] == 0, query
        assert found["results"] == [], query


def test_anonymous_caller_cannot_list_patients(patient: Patient) -> None:
    response = api_for(None, "token").get("/patients")
    assert response.status_code == 401
    assert "Delgado" not in response.content.decode()


@pytest.mark.parametrize("who", [p for p in PERSONAS if p not in STAFF])
def test_callers_outside_the_organization_never_see_our_patient_names(
    request: pytest.FixtureRequest, who: str, patient: Patient
) -> None:
    response = api_as(request, who, "token").get("/patients", {"q": "Delgado"})
    assert "Delgado" not in response.content.decode()


def test_search_finds_a_patient_by_name_mrn_and_date_of_birth(
    owner: User, patient: Patient
) -> None:
    create_patient(
        actor=owner, given_name="Ana", family_name="Ruiz", date_of_birth=patient.date_of_birth
    )
    api = api_for(owner, "token")
    for query, count in (
        ("rosa delgado", 1),
        ("DELG", 1),
        (patient.mrn, 1),
        ("001", 1),
        ("1971-03-14", 2),
        ("3/14/1971", 2),
        ("nobody", 0),
    ):
        assert api.get("/patients", {"q": query}).json()["count"] == count, query


def test_search_leaves_one_search_audit_entry_listing_the_result_ids(
    therapist: User, owner: User, patient: Patient
) -> None:
    other = create_patient(
        actor=owner,
        given_name="Rosalind",
        family_name="Delgado",
        date_of_birth=patient.date_of_birth,
    )
    api = api_for(therapist, "token")
    before = AuditEvent.objects.count()
    response = api.get("/patients", {"q": "delgado"})
    assert response.status_code == 200
    assert AuditEvent.objects.count() == before + 1
    entry = AuditEvent.objects.get(actor=therapist, action=AuditEvent.Action.SEARCH)
    assert entry.via == "api"
    assert entry.object_type == "Patient"
    assert entry.detail["query"] == {"q": "delgado"}
    assert sorted(entry.detail["results"]) == sorted([str(patient.public_id), str(other.public_id)])


def test_search_audit_entry_lists_only_the_page_returned(owner: User, patient: Patient) -> None:
    create_patient(
        actor=owner, given_name="Zed", family_name="Zulu", date_of_birth=patient.date_of_birth
    )
    api = api_for(owner, "token")
    body = api.get("/patients", {"limit": 1}).json()
    assert body["count"] == 2
    entry = AuditEvent.objects.filter(action=AuditEvent.Action.SEARCH).get()
    assert entry.detail["results"] == [row["id"] for row in body["results"]]


def test_patients_entered_in_error_are_left_out_unless_asked_for(
    owner: User, patient: Patient
) -> None:
    set_patient_status(
        actor=owner, patient=patient, status=Patient.Status.ENTERED_IN_ERROR, reason="duplicate"
    )
    api = api_for(owner, "token")
    assert api.get("/patients").json()["count"] == 0
    assert api.get("/patients", {"include_inactive": "true"}).json()["count"] == 1


def test_search_parameters_out_of_range_are_422_naming_each_parameter(
    owner: User, patient: Patient
) -> None:
    api = api_for(owner, "token")
    before = AuditEvent.objects.count()
    response = api.get("/patients", {"limit": 1000, "offset": -1, "q": "x" * 101})
    assert error_fields(response) == {"limit", "offset", "q"}
    assert AuditEvent.objects.count() == before
