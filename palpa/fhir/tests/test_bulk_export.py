"""Bulk Data $export: kick-off, status, manifest, NDJSON files, cancel, expiry, access.

The export runs as a real Django task: the tests kick it off through HTTP and then run
the database worker once (``db_worker --batch``), as a deployment's worker would.
"""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from palpa.accounts.models import Organization, User
from palpa.audit.models import AuditEvent
from palpa.fhir import bulk
from palpa.fhir.models import ExportFile, ExportJob
from palpa.fhir.tests.conftest import TODAY, Course, bearer, get_token, issue_client
from palpa.fhir.tests.support import body, outcome_text, resources, validated
from palpa.patients.models import Patient

KICK_OFF = {"Accept": "application/fhir+json", "Prefer": "respond-async"}


@pytest.fixture(autouse=True)
def _worker_keeps_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker closes connections it finds inside a transaction (as after a request);
    inside a test's transaction that would close the test's own connection on PostgreSQL.
    Django's test client skips the same check for requests; so does the worker here."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def kick_off(client: Client, url: str = "/fhir/R4/$export", **params: str) -> str:
    response = client.get(url, params, headers=KICK_OFF)
    assert response.status_code == 202, response.content
    return str(response["Content-Location"])


def work() -> None:
    """What `palpa db_worker` does in a deployment: run every queued task."""
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())


def finished(client: Client, status_url: str) -> dict[str, Any]:
    work()
    response = client.get(status_url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    found: dict[str, Any] = response.json()
    return found


def download(client: Client, url: str) -> list[dict[str, Any]]:
    response = client.get(url, headers={"Accept": "application/fhir+ndjson"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+ndjson"
    return [validated(json.loads(line)) for line in response.content.decode().splitlines()]


def everything_in(client: Client, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for item in manifest["output"]:
        lines = download(client, item["url"])
        assert len(lines) == item["count"]
        assert {r["resourceType"] for r in lines} == {item["type"]}
        found.setdefault(item["type"], []).extend(lines)
    return found


def test_a_system_export_runs_as_a_task_and_hands_out_ndjson_files(
    fhir: Client, course: Course
) -> None:
    status_url = kick_off(fhir)
    assert "/fhir/R4/bulk/status/" in status_url
    waiting = fhir.get(status_url)
    assert waiting.status_code == 202
    assert waiting["X-Progress"] == "Queued"
    manifest = finished(fhir, status_url)
    assert manifest["transactionTime"] == "2026-06-20T13:00:00Z"
    assert manifest["request"].endswith("/fhir/R4/$export")
    assert manifest["requiresAccessToken"] is True
    assert manifest["error"] == []
    found = everything_in(fhir, manifest)
    assert [p["id"] for p in found["Patient"]] == [str(course.patient.public_id)]
    assert len(found["Observation"]) == 5
    assert len(found["Goal"]) == 2
    assert {"Practitioner", "Organization", "Location"} <= set(found)
    for name, lines in found.items():  # the same resources a search finds
        searched = body(fhir.get(f"/fhir/R4/{name}", {"_count": "100"}))
        if searched.get("total", 0) <= 100:
            assert sorted(r["id"] for r in lines) == sorted(r["id"] for r in resources(searched))


def test_type_and_since_narrow_the_export(fhir: Client, course: Course) -> None:
    manifest = finished(fhir, kick_off(fhir, _type="Observation,Patient"))
    assert sorted(item["type"] for item in manifest["output"]) == ["Observation", "Patient"]
    since = "2026-06-10T00:00:00Z"
    manifest = finished(fhir, kick_off(fhir, _type="Observation", _since=since))
    lines = everything_in(fhir, manifest)["Observation"]
    searched = body(fhir.get("/fhir/R4/Observation", {"_lastUpdated": f"ge{since}"}))
    assert sorted(r["id"] for r in lines) == sorted(r["id"] for r in resources(searched))
    assert 0 < len(lines) < 5


def test_a_patient_level_export_holds_the_patient_compartment_only(
    fhir: Client, course: Course
) -> None:
    manifest = finished(fhir, kick_off(fhir, "/fhir/R4/Patient/$export"))
    types = {item["type"] for item in manifest["output"]}
    assert {"Patient", "Observation", "Goal"} <= types
    assert not types & {"Practitioner", "Organization", "Location"}
    response = fhir.get("/fhir/R4/Patient/$export", {"_type": "Practitioner"}, headers=KICK_OFF)
    assert response.status_code == 400


def test_large_types_are_split_into_several_files(
    fhir: Client, course: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "PART_SIZE", 2)
    manifest = finished(fhir, kick_off(fhir, _type="Observation"))
    assert [item["count"] for item in manifest["output"]] == [2, 2, 1]
    assert len({item["url"] for item in manifest["output"]}) == 3


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({"Accept": "application/fhir+json"}, "Prefer: respond-async"),
        (
            {"Prefer": "respond-async", "Accept": "application/json"},
            "Accept: application/fhir+json",
        ),
    ],
)
def test_kick_off_needs_respond_async_and_fhir_json(
    fhir: Client, course: Course, headers: dict[str, str], words: str
) -> None:
    response = fhir.get("/fhir/R4/$export", headers=headers)
    assert response.status_code == 400
    assert words in outcome_text(response)
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"_type": "Spaceship"}, "_type='Spaceship'"),
        ({"_outputFormat": "text/csv"}, "only application/fhir+ndjson"),
        ({"_since": "2026-06"}, "give an instant"),
        ({"_typeFilter": "Observation?code=x"}, "does not support the parameter '_typeFilter'"),
    ],
)
def test_kick_off_refuses_what_it_cannot_do(
    fhir: Client, course: Course, params: dict[str, str], words: str
) -> None:
    response = fhir.get("/fhir/R4/$export", params, headers=KICK_OFF)
    assert response.status_code == 400
    assert words in outcome_text(response)


def test_a_system_export_needs_system_read_of_every_type(org: Organization, course: Course) -> None:
    issued = issue_client(org, "system/Patient.read", name="Demographics only")
    client = bearer(get_token(issued.client_id, issued.client_secret))
    response = client.get("/fhir/R4/$export", headers=KICK_OFF)
    assert response.status_code == 403
    assert "system/*.read" in outcome_text(response)
    manifest = finished(client, kick_off(client, _type="Patient"))
    assert [item["type"] for item in manifest["output"]] == ["Patient"]


def test_patient_clients_and_staff_tokens_cannot_export(
    org: Organization, course: Course, api_client_for: Any, owner: User
) -> None:
    issued = issue_client(org, "patient/*.read", name="Own app", patient=course.patient)
    own = bearer(get_token(issued.client_id, issued.client_secret))
    assert own.get("/fhir/R4/$export", headers=KICK_OFF).status_code == 403
    assert api_client_for(owner).get("/fhir/R4/$export", headers=KICK_OFF).status_code == 403
    assert Client().get("/fhir/R4/$export", headers=KICK_OFF).status_code == 401


def test_another_organizations_client_never_sees_this_export_or_its_data(
    fhir: Client, outsider_fhir: Client, course: Course, outsider_patient: Patient
) -> None:
    ours = kick_off(fhir)
    theirs = kick_off(outsider_fhir)
    manifest = finished(fhir, ours)
    their_manifest = finished(outsider_fhir, theirs)
    their_data = everything_in(outsider_fhir, their_manifest)
    assert [p["id"] for p in their_data["Patient"]] == [str(outsider_patient.public_id)]
    assert "Observation" not in their_data  # the outsider's patient has none
    assert outsider_fhir.get(ours).status_code == 404
    assert outsider_fhir.delete(ours).status_code == 404
    for item in manifest["output"]:
        assert outsider_fhir.get(item["url"]).status_code == 404
    assert fhir.get(manifest["output"][0]["url"]).status_code == 200  # still there


def test_only_the_client_that_asked_may_poll_and_download(
    fhir: Client, org: Organization, course: Course
) -> None:
    issued = issue_client(org, name="Second hub")
    second = bearer(get_token(issued.client_id, issued.client_secret))
    status_url = kick_off(fhir, _type="Patient")
    manifest = finished(fhir, status_url)
    assert second.get(status_url).status_code == 404
    assert second.get(manifest["output"][0]["url"]).status_code == 404
    assert Client().get(manifest["output"][0]["url"]).status_code == 401


def test_delete_cancels_a_queued_export_and_the_worker_skips_it(
    fhir: Client, course: Course
) -> None:
    status_url = kick_off(fhir)
    response = fhir.delete(status_url)
    assert response.status_code == 202
    work()
    assert fhir.get(status_url).status_code == 404
    assert ExportJob.objects.get().status == ExportJob.Status.CANCELLED
    assert not ExportFile.objects.exists()


def test_delete_removes_a_finished_exports_files(fhir: Client, course: Course) -> None:
    status_url = kick_off(fhir)
    manifest = finished(fhir, status_url)
    assert fhir.delete(status_url).status_code == 202
    assert not ExportFile.objects.exists()
    assert fhir.get(manifest["output"][0]["url"]).status_code == 404
    entry = AuditEvent.objects.order_by("-seq").first()
    assert entry is not None
    assert entry.detail["event"] == "delete"


def test_files_expire_after_the_configured_hours(
    org: Organization, course: Course, clock: time_machine.Traveller, settings: Any
) -> None:
    settings.PALPA_FHIR_EXPORT_HOURS = 6
    issued = issue_client(org)

    def fhir() -> Client:  # a fresh token (tokens live an hour)
        return bearer(get_token(issued.client_id, issued.client_secret))

    status_url = kick_off(fhir(), _type="Patient")
    manifest = finished(fhir(), status_url)
    url = manifest["output"][0]["url"]
    clock.move_to(TODAY + dt.timedelta(hours=5, minutes=59))
    assert bulk.expire_exports() == 0
    assert fhir().get(url).status_code == 200
    clock.move_to(TODAY + dt.timedelta(hours=6))
    assert fhir().get(url).status_code == 404  # past its time even before the cleanup
    out = StringIO()
    call_command("fhir_export_cleanup", stdout=out)
    assert "1 export(s) expired" in out.getvalue()
    assert not ExportFile.objects.exists()
    assert ExportJob.objects.get().status == ExportJob.Status.EXPIRED
    assert fhir().get(status_url).status_code == 404
    assert bulk.expire_exports() == 0


def test_every_step_is_audited(fhir: Client, course: Course) -> None:
    before = AuditEvent.objects.count()
    manifest = finished(fhir, kick_off(fhir, _type="Observation"))
    download(fhir, manifest["output"][0]["url"])
    entries = list(AuditEvent.objects.order_by("seq")[before:])
    events = [e.detail.get("event") for e in entries if e.object_type == "ExportJob"]
    assert events == ["kick-off", "completed", "download"]
    assert all(e.via == "fhir" for e in entries if e.object_type == "ExportJob")
    completed = next(e for e in entries if e.detail.get("event") == "completed")
    assert completed.detail["counts"] == {"Observation": 5}
    assert completed.actor_label.startswith("FHIR client Hub")


def test_the_status_of_a_running_export_reports_its_progress(fhir: Client, course: Course) -> None:
    status_url = kick_off(fhir)
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, progress="Exporting Goal (7 of 12 types)"
    )
    response = fhir.get(status_url)
    assert response.status_code == 202
    assert response["X-Progress"] == "Exporting Goal (7 of 12 types)"
    assert response["Retry-After"] == "2"


def test_a_failed_export_answers_500_with_an_outcome_and_keeps_no_files(
    fhir: Client, course: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    from palpa.fhir.registry import get_type

    goal = get_type("Goal")
    assert goal is not None

    def broken(row: object, ctx: object) -> dict[str, Any]:
        raise RuntimeError("mapping failed")

    monkeypatch.setattr(goal.sources[0], "to_fhir", broken)
    status_url = kick_off(fhir, _type="Patient,Goal")
    work()
    response = fhir.get(status_url)
    assert response.status_code == 500
    assert "The export failed: RuntimeError." in outcome_text(response)
    assert not ExportFile.objects.exists()
    entry = AuditEvent.objects.order_by("-seq").first()
    assert entry is not None
    assert entry.detail["event"] == "failed"


def test_since_follows_meta_last_updated_including_a_changed_goal(
    fhir: Client, course: Course
) -> None:
    from palpa.care.models import Goal
    from palpa.fhir.mapping.common import instant

    changed = TODAY - dt.timedelta(days=1)
    assert course.plan.updated_at < changed
    goal = Goal.objects.filter(plan=course.plan).order_by("pk").first()
    assert goal is not None
    Goal.objects.filter(pk=goal.pk).update(updated_at=changed)
    since = (changed - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = finished(fhir, kick_off(fhir, _type="CarePlan", _since=since))
    lines = everything_in(fhir, manifest).get("CarePlan", [])
    assert [r["id"] for r in lines] == [str(course.plan.public_id)]
    assert lines[0]["meta"]["lastUpdated"] == instant(changed)
