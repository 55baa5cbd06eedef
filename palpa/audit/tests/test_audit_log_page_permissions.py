"""Who may read the audit log page (/audit/): owners, and only their own organization's."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.patients.models import Patient

OPEN = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,  # their own organization's log
    "anonymous": 302,
}


@pytest.mark.parametrize(("who", "status"), matrix(OPEN))
def test_each_persona_may_or_may_not_read_the_audit_log(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).get("/audit/")
    assert_answer(response, who, status)
    assert ("owner@bayside.example" in response.content.decode()) == (who == "owner")


def test_the_outsider_finds_nothing_when_filtering_by_our_patient(
    request: pytest.FixtureRequest, outsider: User, patient: Patient
) -> None:
    for text in (patient.mrn, patient.family_name, str(patient.public_id)):
        response = web_client(request, "outsider").get("/audit/", {"patient": text})
        assert response.status_code == 200
        assert list(response.context["page"]) == []
        assert "No entries match." in response.content.decode()
        assert f"{patient.full_name} ({patient.mrn})" not in response.content.decode()


@pytest.mark.parametrize("by", ["mrn", "name", "last name"])
def test_the_owner_finds_the_patients_entries_by_mrn_or_name(
    request: pytest.FixtureRequest, owner: User, patient: Patient, by: str
) -> None:
    text = {"mrn": patient.mrn, "name": patient.full_name, "last name": patient.family_name}[by]
    response = web_client(request, "owner").get("/audit/", {"patient": text})
    entries = list(response.context["page"])
    assert entries
    assert {e.patient_id for e in entries} == {str(patient.public_id)}
    page = response.content.decode()
    assert 'name="patient" type="search"' in page
    assert f"{patient.full_name} ({patient.mrn})" in page
    assert str(patient.public_id)[:8] not in page  # no internal id shown


def test_an_internal_id_is_not_a_patient_filter(
    request: pytest.FixtureRequest, owner: User, patient: Patient
) -> None:
    response = web_client(request, "owner").get("/audit/", {"patient": str(patient.public_id)})
    assert list(response.context["page"]) == []
    assert "No patient matches" in response.content.decode()
