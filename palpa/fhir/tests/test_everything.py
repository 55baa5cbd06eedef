"""Patient/[id]/$everything: the patient and its compartment, paged, scoped, audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from palpa.accounts.models import Organization, User
from palpa.audit.models import AuditEvent
from palpa.fhir.everything import compartment_types
from palpa.fhir.tests.conftest import Course, bearer, get_token, issue_client
from palpa.fhir.tests.support import body, link, outcome_text, resources


def _url(course: Course) -> str:
    return f"/fhir/R4/Patient/{course.patient.public_id}/$everything"


def _all_pages(client: Client, url: str, params: dict[str, str]) -> list[dict[str, object]]:
    pages = [body(client.get(url, params))]
    while (next_url := link(pages[-1], "next")) is not None:
        pages.append(body(client.get(next_url)))
        assert len(pages) < 50
    return pages


def _searched(client: Client, course: Course) -> set[str]:
    """Every resource of the patient's compartment, found by plain searches."""
    patient = str(course.patient.public_id)
    found = {f"Patient/{patient}"}
    for rtype in compartment_types():
        if rtype.name == "Patient":
            continue
        pages = _all_pages(client, f"/fhir/R4/{rtype.name}", {"patient": patient, "_count": "100"})
        found |= {f"{r['resourceType']}/{r['id']}" for page in pages for r in resources(page)}
    return found


def test_everything_returns_the_patient_first_and_every_resource_of_its_compartment(
    fhir: Client, course: Course
) -> None:
    bundle = body(fhir.get(_url(course), {"_count": "100"}))
    found = resources(bundle)
    assert found[0]["resourceType"] == "Patient"
    assert found[0]["id"] == str(course.patient.public_id)
    keys = [f"{r['resourceType']}/{r['id']}" for r in found]
    assert len(keys) == len(set(keys)) == bundle["total"]
    assert set(keys) == _searched(fhir, course)
    kinds = [r["resourceType"] for r in found]
    for kind, count in {"Observation": 5, "Goal": 2, "CarePlan": 1, "Procedure": 4}.items():
        assert kinds.count(kind) == count, kind
    assert kinds.count("Encounter") == 3  # the evaluation and two treatment visits
    patient_ref = f"Patient/{course.patient.public_id}"
    for resource in found[1:]:  # whatever names a patient names this one
        for element in ("subject", "patient"):
            if element in resource:
                assert resource[element]["reference"] == patient_ref, resource["resourceType"]


def test_everything_pages_with_next_links_without_losing_or_repeating_a_resource(
    fhir: Client, course: Course
) -> None:
    whole = resources(body(fhir.get(_url(course), {"_count": "100"})))
    pages = _all_pages(fhir, _url(course), {"_count": "4"})
    assert len(pages) == -(-len(whole) // 4)
    assert {page["total"] for page in pages} == {len(whole)}
    paged = [r for page in pages for r in resources(page)]
    assert [r["id"] for r in paged] == [r["id"] for r in whole]  # same order, nothing twice
    assert link(pages[1], "previous") is not None


def test_everything_takes_type_and_since(fhir: Client, course: Course) -> None:
    only = resources(body(fhir.get(_url(course), {"_type": "Observation,Goal"})))
    assert sorted({r["resourceType"] for r in only}) == ["Goal", "Observation"]
    assert len(only) == 7
    since = "2026-06-10T00:00:00Z"
    recent = resources(body(fhir.get(_url(course), {"_since": since, "_count": "100"})))
    assert recent
    assert all(r["meta"]["lastUpdated"] >= since for r in recent)
    encounters = [r for r in recent if r["resourceType"] == "Encounter"]
    assert [e["period"]["start"] for e in encounters] == ["2026-06-15"]  # not the 8th or 1st


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"_type": "Practitioner"}, "_type='Practitioner'"),
        ({"_since": "2026-06-10"}, "give an instant"),
        ({"patient": "x"}, "does not take 'patient'"),
        ({"_count": "-1"}, "_count"),
    ],
)
def test_everything_refuses_bad_parameters_with_400(
    fhir: Client, course: Course, params: dict[str, str], words: str
) -> None:
    response = fhir.get(_url(course), params)
    assert response.status_code == 400
    assert words in outcome_text(response)


def test_everything_of_an_unknown_patient_is_404(fhir: Client, course: Course) -> None:
    response = fhir.get("/fhir/R4/Patient/00000000-0000-4000-8000-000000000000/$everything")
    assert response.status_code == 404
    assert fhir.get("/fhir/R4/Patient/not-a-uuid/$everything").status_code == 404


def test_another_organizations_client_gets_404_and_writes_no_audit_entry(
    outsider_fhir: Client, course: Course
) -> None:
    before = AuditEvent.objects.count()
    response = outsider_fhir.get(_url(course))
    assert response.status_code == 404
    assert AuditEvent.objects.count() == before


def test_everything_needs_a_token(course: Course) -> None:
    assert Client().get(_url(course)).status_code == 401


def test_a_scope_for_patients_only_gets_the_patient_alone(
    org: Organization, course: Course
) -> None:
    issued = issue_client(org, "system/Patient.read", name="Demographics only")
    client = bearer(get_token(issued.client_id, issued.client_secret))
    found = resources(body(client.get(_url(course))))
    assert [r["resourceType"] for r in found] == ["Patient"]


def test_a_token_without_patient_read_is_refused(org: Organization, course: Course) -> None:
    issued = issue_client(org, "system/Observation.read", name="Observations only")
    client = bearer(get_token(issued.client_id, issued.client_secret))
    assert client.get(_url(course)).status_code == 403


def test_a_patients_own_client_gets_its_everything_but_not_anothers(
    org: Organization, owner: User, course: Course
) -> None:
    import datetime as dt

    from palpa.patients.services import create_patient

    other = create_patient(
        actor=owner, given_name="Ana", family_name="Ruiz", date_of_birth=dt.date(1990, 5, 5)
    )
    issued = issue_client(org, "patient/*.read", name="Rosa's app", patient=course.patient)
    client = bearer(get_token(issued.client_id, issued.client_secret))
    assert body(client.get(_url(course)))["total"] > 10
    assert client.get(f"/fhir/R4/Patient/{other.public_id}/$everything").status_code == 404


@pytest.mark.parametrize("persona", ["front_desk", "biller"])
def test_front_desk_and_billers_get_no_clinical_resources(
    api_client_for: Callable[[User], Client],
    request: pytest.FixtureRequest,
    persona: str,
    course: Course,
) -> None:
    client = api_client_for(request.getfixturevalue(persona))
    kinds = {r["resourceType"] for r in resources(body(client.get(_url(course))))}
    assert "Patient" in kinds
    assert not kinds & {"Observation", "Condition", "Goal", "CarePlan", "Encounter", "Procedure"}


def test_a_therapists_token_gets_the_clinical_record(
    api_client_for: Callable[[User], Client], therapist: User, course: Course
) -> None:
    kinds = {
        r["resourceType"] for r in resources(body(api_client_for(therapist).get(_url(course))))
    }
    assert {"Patient", "Observation", "Goal"} <= kinds


def test_an_outsiders_staff_token_gets_404(
    api_client_for: Callable[[User], Client], outsider: User, course: Course
) -> None:
    assert api_client_for(outsider).get(_url(course)).status_code == 404


def test_each_page_is_audited_with_the_patient_and_what_it_returned(
    fhir: Client, course: Course
) -> None:
    bundle = body(fhir.get(_url(course), {"_count": "3"}))
    entry = AuditEvent.objects.order_by("-seq").first()
    assert entry is not None
    assert entry.action == AuditEvent.Action.READ
    assert entry.via == "fhir"
    assert entry.patient_id == str(course.patient.public_id)
    assert entry.detail["operation"] == "$everything"
    assert entry.detail["total"] == bundle["total"]
    assert entry.detail["results"] == [f"{r['resourceType']}/{r['id']}" for r in resources(bundle)]
    assert entry.actor_label.startswith("FHIR client Hub")


def test_the_capability_statement_lists_everything_export_and_transaction(
    fhir: Client, db: None
) -> None:
    statement = body(Client().get("/fhir/R4/metadata"))
    rest = statement["rest"][0]
    assert [i["code"] for i in rest["interaction"]] == ["transaction"]
    assert [o["name"] for o in rest["operation"]] == ["export"]
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert sorted(o["name"] for o in patient["operation"]) == ["everything", "export"]
    assert statement["instantiates"] == [
        "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"
    ]
