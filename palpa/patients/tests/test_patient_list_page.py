"""The patient list and search page (/patients/): our patients only, audited as a search."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import STAFF, assert_answer, matrix, web_client
from palpa.patients.models import Patient

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
