"""The real fhirclient library against a live Palpa: read a patient, search its
observations and goals, follow a next link."""

from __future__ import annotations

from typing import Any

import pytest
from fhirclient import client as smart_client
from fhirclient.auth import FHIROAuth2Auth
from fhirclient.models.goal import Goal
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient

from palpa.accounts.models import Organization
from palpa.fhir.tests.conftest import Course, get_token, issue_client


@pytest.mark.django_db(transaction=True)
def test_fhirclient_reads_a_patient_and_pages_through_its_observations(
    live_server: Any, org: Organization, course: Course
) -> None:
    issued = issue_client(org, name="fhirclient")
    token = get_token(issued.client_id, issued.client_secret)
    base = f"{live_server.url}/fhir/R4/"
    smart = smart_client.FHIRClient(settings={"app_id": "palpa-tests", "api_base": base})
    try:
        _read_and_search(smart, token, course)
    finally:
        smart.server.session.close()  # no keep-alive connection outlives the live server


def _read_and_search(smart: Any, token: str, course: Course) -> None:
    statement = smart.server.capabilityStatement  # fetched without a token
    assert statement.fhirVersion == "4.0.1"
    smart.server.auth = FHIROAuth2Auth(state={"app_id": "palpa-tests", "access_token": token})
    assert smart.ready

    patient = Patient.read(str(course.patient.public_id), smart.server)
    assert patient.name[0].family == "Delgado"
    assert patient.birthDate.isostring == "1971-03-14"

    search = Observation.where(struct={"patient": patient.id, "_count": "2"})
    pages = list(search.perform_iter(smart.server))
    assert len(pages) == 3  # 5 observations, 2 a page: the next links were followed
    assert all(page.total == 5 for page in pages)
    observations = [entry.resource for page in pages for entry in page.entry or []]
    assert len({o.id for o in observations}) == 5
    assert {o.subject.reference for o in observations} == {f"Patient/{patient.id}"}

    goals = list(Goal.where(struct={"patient": patient.id}).perform_resources_iter(smart.server))
    assert sorted(g.achievementStatus.coding[1].code for g in goals) == ["no_change", "on_track"]
    assert {g.target[0].dueDate.isostring for g in goals} == {"2026-07-13"}
