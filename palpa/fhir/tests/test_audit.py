"""Every FHIR read and search is audited, naming the client and the patients."""

from __future__ import annotations

from django.test import Client

from palpa.accounts.models import Organization
from palpa.audit.models import AuditEvent
from palpa.audit.services import verify_chain
from palpa.fhir.tests.conftest import Course, bearer, get_token, issue_client


def _latest() -> AuditEvent:
    found = AuditEvent.objects.order_by("-at", "-seq").first()
    assert found is not None
    return found


def test_a_read_is_audited_with_the_patient_and_the_client(
    org: Organization, course: Course
) -> None:
    issued = issue_client(org, name="Referral hub")
    client = bearer(get_token(issued.client_id, issued.client_secret))
    assert client.get(f"/fhir/R4/Patient/{course.patient.public_id}").status_code == 200
    entry = _latest()
    assert entry.action == AuditEvent.Action.READ
    assert entry.object_type == "Patient"
    assert entry.object_id == str(course.patient.public_id)
    assert entry.patient_id == str(course.patient.public_id)
    assert entry.organization_id == org.pk
    assert entry.actor_id is None
    assert entry.actor_label == f"FHIR client Referral hub ({issued.client_id})"
    assert entry.via == "fhir"
    assert entry.detail["client"] == issued.client_id
    assert verify_chain(org.pk).ok


def test_a_search_is_audited_with_its_query_results_and_patients(
    fhir: Client, course: Course
) -> None:
    response = fhir.get(
        "/fhir/R4/Observation",
        {"patient": str(course.patient.public_id), "_include": "Observation:patient"},
    )
    assert response.status_code == 200
    entry = _latest()
    assert entry.action == AuditEvent.Action.SEARCH
    assert entry.object_type == "Observation"
    assert entry.patient_id == str(course.patient.public_id)
    assert entry.detail["total"] == 5
    assert len(entry.detail["results"]) == 5
    assert entry.detail["included"] == [f"Patient/{course.patient.public_id}"]
    assert entry.detail["patients"] == [str(course.patient.public_id)]
    assert ["patient", str(course.patient.public_id)] in entry.detail["query"]


def test_a_staff_tokens_search_is_audited_as_that_staff_member(
    api_client_for: object, therapist: object, course: Course
) -> None:
    client = api_client_for(therapist)  # type: ignore[operator]
    assert client.get("/fhir/R4/Goal").status_code == 200
    entry = _latest()
    assert entry.actor_id == therapist.pk  # type: ignore[attr-defined]
    assert entry.detail["scopes"] == "user/*.read"


def test_a_refused_read_writes_no_read_entry(outsider_fhir: Client, course: Course) -> None:
    before = AuditEvent.objects.filter(action=AuditEvent.Action.READ).count()
    assert outsider_fhir.get(f"/fhir/R4/Patient/{course.patient.public_id}").status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.READ).count() == before
