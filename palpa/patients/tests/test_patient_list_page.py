"""The patient list and search page (/patients/): our patients only, audited as a search."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import STAFF, assert_answer, matrix, web_client
from palpa.patients.models import Patient
from palpa.patients.queries import search_patients
from palpa.patients.services import update_patient

LIST = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 200,  # their own (empty of ours) list
    "anonymous": 302,
}


@pytest.mark.parametrize(("who", "status"), matrix(LIST))
def test_each_persona_may_or_may_not_open_the_patient_list(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).get("/patients/")
    assert_answer(response, who, status)
    assert ("Delgado" in response.content.decode()) == (who in STAFF)


@pytest.mark.parametrize("query", ["Delgado", "rosa", "P000001", "1971-03-14", "3/14/1971"])
def test_outsider_search_never_shows_our_patient(
    request: pytest.FixtureRequest,
    outsider: User,
    patient: Patient,
    outsider_patient: Patient,
    query: str,
) -> None:
    body = web_client(request, "outsider").get("/patients/", {"q": query}).content.decode()
    assert "Delgado, Rosa" not in body
    assert str(patient.public_id) not in body
    assert "813 555 0101" not in body


@pytest.mark.parametrize("who", STAFF)
def test_every_staff_role_finds_our_patient_by_name(
    request: pytest.FixtureRequest, who: str, patient: Patient
) -> None:
    body = web_client(request, who).get("/patients/", {"q": "delgado"}).content.decode()
    assert f"/patients/{patient.public_id}/" in body


def test_the_live_search_answers_with_the_results_alone(
    request: pytest.FixtureRequest, front_desk: User, patient: Patient
) -> None:
    response = web_client(request, "front_desk").get(
        "/patients/", {"q": "rosa"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "Delgado" in body
    assert "<html" not in body


def test_a_search_on_the_page_is_audited_with_the_result_ids(
    request: pytest.FixtureRequest, therapist: User, patient: Patient
) -> None:
    web_client(request, "therapist").get("/patients/", {"q": "delgado"})
    entry = AuditEvent.objects.get(action=AuditEvent.Action.SEARCH, actor=therapist)
    assert entry.detail == {"query": {"q": "delgado"}, "results": [str(patient.public_id)]}
    assert entry.via == "web"


@pytest.mark.parametrize(("who", "shown"), [("front_desk", True), ("biller", False)])
def test_the_new_patient_button_shows_only_to_roles_that_may_add_patients(
    request: pytest.FixtureRequest, who: str, shown: bool
) -> None:
    body = web_client(request, who).get("/patients/").content.decode()
    assert ('href="/patients/new/"' in body) == shown


@pytest.mark.parametrize(
    "query", ["813-555-0101", "(813) 555 0101", "+1 813 555 0101", "8135550101", "555 0101"]
)
def test_the_front_desk_finds_a_patient_by_phone_however_it_is_typed(
    request: pytest.FixtureRequest, patient: Patient, outsider_patient: Patient, query: str
) -> None:
    body = web_client(request, "front_desk").get("/patients/", {"q": query}).content.decode()
    assert f"/patients/{patient.public_id}/" in body
    assert f"/patients/{outsider_patient.public_id}/" not in body


def test_a_few_digits_are_an_mrn_not_a_phone(
    request: pytest.FixtureRequest, patient: Patient
) -> None:
    body = web_client(request, "front_desk").get("/patients/", {"q": "0101"}).content.decode()
    assert f"/patients/{patient.public_id}/" not in body  # MRN P000001 does not end in 0101
    body = web_client(request, "front_desk").get("/patients/", {"q": "1"}).content.decode()
    assert "Delgado" in body or "No patient" in body  # never an error


@pytest.mark.parametrize("who", STAFF)
def test_every_staff_page_has_the_patient_search_in_its_header(
    request: pytest.FixtureRequest, who: str
) -> None:
    body = web_client(request, who).get("/").content.decode()
    assert 'role="search"' in body
    assert 'id="find-patient"' in body
    assert 'aria-keyshortcuts="/"' in body


def test_a_phone_change_moves_the_patient_to_the_new_number(owner: User, patient: Patient) -> None:
    update_patient(actor=owner, patient=patient, changes={"phone": "+1 (727) 555-0177"})
    patient.refresh_from_db()
    assert patient.phone_digits == "7275550177"
    assert list(search_patients(owner, "727 555 0177")) == [patient]
    assert list(search_patients(owner, "813 555 0101")) == []
