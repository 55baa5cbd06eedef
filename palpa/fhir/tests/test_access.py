"""Who may read what: SMART scopes, roles behind staff tokens, one patient's client, and
never another organization's data."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from django.test import Client

from palpa.accounts.models import Organization, User
from palpa.fhir.services import revoke_fhir_client
from palpa.fhir.tests.conftest import Course, bearer, get_token, issue_client
from palpa.fhir.tests.support import body, ids, outcome_text
from palpa.patients.models import Patient

CLINICAL = ["Condition", "Observation", "Goal", "CarePlan", "Encounter", "Procedure"]


def test_another_organizations_client_gets_404_on_every_read(
    outsider_fhir: Client, fhir: Client, course: Course
) -> None:
    for resource_type in ["Patient", *CLINICAL]:
        listed = body(fhir.get(f"/fhir/R4/{resource_type}"))
        for entry in listed["entry"]:
            response = outsider_fhir.get(f"/fhir/R4/{resource_type}/{entry['resource']['id']}")
            assert response.status_code == 404, resource_type
    org = course.patient.organization
    assert outsider_fhir.get(f"/fhir/R4/Organization/{org.public_id}").status_code == 404


def test_another_organizations_client_finds_nothing(
    outsider_fhir: Client, course: Course, outsider_patient: Patient
) -> None:
    for resource_type in CLINICAL:
        assert body(outsider_fhir.get(f"/fhir/R4/{resource_type}"))["total"] == 0
    found = body(
        outsider_fhir.get("/fhir/R4/Observation", {"patient": str(course.patient.public_id)})
    )
    assert found["total"] == 0
    patients = body(outsider_fhir.get("/fhir/R4/Patient"))
    assert ids(patients) == [str(outsider_patient.public_id)]  # its own patient only


def test_a_resource_scope_reads_that_type_only(org: Organization, course: Course) -> None:
    issued = issue_client(org, "system/Patient.read", name="Demographics only")
    client = bearer(get_token(issued.client_id, issued.client_secret))
    assert client.get(f"/fhir/R4/Patient/{course.patient.public_id}").status_code == 200
    response = client.get("/fhir/R4/Observation")
    assert response.status_code == 403
    assert "system/Observation.read" in outcome_text(response)


def test_a_token_may_ask_for_less_than_the_client_holds(org: Organization, course: Course) -> None:
    issued = issue_client(org)
    client = bearer(get_token(issued.client_id, issued.client_secret, scope="system/Goal.read"))
    assert client.get("/fhir/R4/Goal").status_code == 200
    assert client.get("/fhir/R4/Patient").status_code == 403


def test_the_token_endpoint_refuses_scopes_the_client_was_not_given(
    org: Organization, db: None
) -> None:
    issued = issue_client(org, "system/Patient.read")
    basic = base64.b64encode(f"{issued.client_id}:{issued.client_secret}".encode()).decode()
    response = Client().post(
        "/fhir/R4/auth/token",
        {"grant_type": "client_credentials", "scope": "system/*.read"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_wrong_secret_gets_no_token(org: Organization, db: None) -> None:
    issued = issue_client(org)
    basic = base64.b64encode(f"{issued.client_id}:wrong".encode()).decode()
    response = Client().post(
        "/fhir/R4/auth/token",
        {"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 401


def test_a_revoked_client_is_401(org: Organization, course: Course) -> None:
    issued = issue_client(org)
    client = bearer(get_token(issued.client_id, issued.client_secret))
    assert client.get("/fhir/R4/Patient").status_code == 200
    revoke_fhir_client(actor=None, client=issued.client)
    assert client.get("/fhir/R4/Patient").status_code == 401


def test_an_expired_token_is_401(org: Organization, course: Course, clock: object) -> None:
    import datetime as dt

    import time_machine

    issued = issue_client(org)
    client = bearer(get_token(issued.client_id, issued.client_secret))
    with time_machine.travel(dt.datetime(2026, 6, 20, 15, 0, tzinfo=dt.UTC), tick=False):
        assert client.get("/fhir/R4/Patient").status_code == 401


def test_a_patients_client_reads_that_patients_records_only(
    org: Organization, course: Course, owner: User
) -> None:
    import datetime as dt

    from palpa.patients.services import create_patient

    other = create_patient(
        actor=owner, given_name="Ana", family_name="Ruiz", date_of_birth=dt.date(1990, 5, 5)
    )
    issued = issue_client(org, "patient/*.read", name="Rosa's app", patient=course.patient)
    client = bearer(get_token(issued.client_id, issued.client_secret))
    assert client.get(f"/fhir/R4/Patient/{course.patient.public_id}").status_code == 200
    assert client.get(f"/fhir/R4/Patient/{other.public_id}").status_code == 404
    assert ids(body(client.get("/fhir/R4/Patient"))) == [str(course.patient.public_id)]
    assert body(client.get("/fhir/R4/Observation"))["total"] == 5
    assert body(client.get("/fhir/R4/Observation", {"patient": str(other.public_id)}))["total"] == 0
    assert client.get("/fhir/R4/Practitioner").status_code == 403


def test_a_patient_client_cannot_be_given_system_scopes(
    org: Organization, patient: Patient
) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        issue_client(org, "system/*.read", name="Bad", patient=patient)
    assert "patient/ scopes only" in str(raised.value.message_dict["scopes"])


def _staff(api_client_for: Callable[[User], Client], user: User) -> Client:
    return api_client_for(user)


def test_a_therapists_api_token_reads_clinical_resources(
    api_client_for: Callable[[User], Client], therapist: User, course: Course
) -> None:
    client = _staff(api_client_for, therapist)
    for resource_type in ["Patient", *CLINICAL]:
        assert client.get(f"/fhir/R4/{resource_type}").status_code == 200, resource_type


@pytest.mark.parametrize("persona", ["front_desk", "biller"])
def test_front_desk_and_billers_read_demographics_but_not_clinical_records(
    api_client_for: Callable[[User], Client],
    request: pytest.FixtureRequest,
    persona: str,
    course: Course,
) -> None:
    client = _staff(api_client_for, request.getfixturevalue(persona))
    assert client.get(f"/fhir/R4/Patient/{course.patient.public_id}").status_code == 200
    for resource_type in CLINICAL:
        response = client.get(f"/fhir/R4/{resource_type}")
        assert response.status_code == 403, resource_type
        assert f"may not read {resource_type}" in outcome_text(response)


def test_an_outsiders_api_token_gets_404_for_this_organizations_patient(
    api_client_for: Callable[[User], Client], outsider: User, course: Course
) -> None:
    client = _staff(api_client_for, outsider)
    assert client.get(f"/fhir/R4/Patient/{course.patient.public_id}").status_code == 404
    assert body(client.get("/fhir/R4/Observation"))["total"] == 0


def test_anonymous_gets_401_everywhere_but_metadata(course: Course) -> None:
    anonymous = Client()
    assert anonymous.get("/fhir/R4/metadata").status_code == 200
    for resource_type in ["Patient", "Practitioner", *CLINICAL]:
        assert anonymous.get(f"/fhir/R4/{resource_type}").status_code == 401
