"""The real fhirclient library against a live Palpa: read a patient with its observations
and goals, page through its $everything, and run a bulk export end to end (kick-off,
poll, the worker runs the task, poll again, download, parse the NDJSON)."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from fhirclient import client as smart_client
from fhirclient.auth import FHIROAuth2Auth
from fhirclient.models.bundle import Bundle
from fhirclient.models.goal import Goal
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient

from palpa.accounts.models import Organization
from palpa.fhir.tests.conftest import Course, get_token, issue_client

MODELS: dict[str, Any] = {"Patient": Patient, "Observation": Observation, "Goal": Goal}


@pytest.mark.django_db(transaction=True)
def test_fhirclient_reads_pages_and_bulk_exports(
    live_server: Any, org: Organization, course: Course
) -> None:
    issued = issue_client(org, name="fhirclient bulk")
    token = get_token(issued.client_id, issued.client_secret)
    base = f"{live_server.url}/fhir/R4/"
    smart = smart_client.FHIRClient(settings={"app_id": "palpa-tests", "api_base": base})
    smart.server.auth = FHIROAuth2Auth(state={"app_id": "palpa-tests", "access_token": token})
    try:
        _read(smart, course)
        _export(smart, course)
    finally:
        smart.server.session.close()  # no keep-alive connection outlives the live server


def _read(smart: Any, course: Course) -> None:
    patient = Patient.read(str(course.patient.public_id), smart.server)
    assert patient.name[0].family == "Delgado"
    observations = list(
        Observation.where(struct={"patient": patient.id, "_count": "2"}).perform_resources_iter(
            smart.server
        )
    )
    assert len(observations) == 5
    goals = list(Goal.where(struct={"patient": patient.id}).perform_resources_iter(smart.server))
    assert len(goals) == 2
    # $everything, followed page by page through its next links.
    path = f"Patient/{patient.id}/$everything?_count=5"
    pages = [Bundle(smart.server.request_json(path))]
    while next_url := next((x.url for x in pages[-1].link if x.relation == "next"), None):
        pages.append(Bundle(smart.server.request_json(next_url)))
    found = [entry.resource for page in pages for entry in page.entry]
    assert len(pages) == -(-pages[0].total // 5) > 1
    assert len({(r.resource_type, r.id) for r in found}) == pages[0].total
    assert found[0].resource_type == "Patient"
    assert {o.id for o in observations} <= {r.id for r in found}
    assert {g.id for g in goals} <= {r.id for r in found}


def _export(smart: Any, course: Course) -> None:
    kick_off = smart.server._get(  # the library's signed GET (bearer token added)
        "$export?_type=Patient,Observation,Goal", headers={"Prefer": "respond-async"}
    )
    assert kick_off.status_code == 202
    status_url = kick_off.headers["Content-Location"]
    polled = smart.server._get(status_url)
    assert polled.status_code == 202
    assert polled.headers["X-Progress"]
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    done = smart.server._get(status_url)
    assert done.status_code == 200
    manifest = done.json()
    assert manifest["requiresAccessToken"] is True
    parsed: dict[str, list[Any]] = {}
    for item in manifest["output"]:
        response = smart.server._get(item["url"], headers={"Accept": "application/fhir+ndjson"})
        lines = response.text.splitlines()
        assert len(lines) == item["count"]
        model = MODELS[item["type"]]
        parsed.setdefault(item["type"], []).extend(model(json.loads(line)) for line in lines)
    assert [p.id for p in parsed["Patient"]] == [str(course.patient.public_id)]
    assert len(parsed["Observation"]) == 5
    assert len(parsed["Goal"]) == 2
    assert {o.subject.reference for o in parsed["Observation"]} == {
        f"Patient/{course.patient.public_id}"
    }
