"""The patient chart (/patients/{id}/): demographics for every role of ours; the allergies
section (clinical) only for owners and therapists; nothing at all for another organization."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import assert_answer, matrix, persona, web_client
from palpa.patients.models import Allergy, Patient
from palpa.patients.services import add_allergy

CHART = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 404,
    "anonymous": 302,
}
CLINICAL = {"owner", "therapist", "other_therapist"}


@pytest.fixture
def allergy(therapist: User, patient: Patient) -> Allergy:
    return add_allergy(actor=therapist, patient=patient, substance="arnica oil", severity="severe")


def _chart(patient: Patient) -> str:
    return f"/patients/{patient.public_id}/"


@pytest.mark.parametrize(("who", "status"), matrix(CHART))
def test_each_persona_may_or_may_not_open_the_chart(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, allergy: Allergy
) -> None:
    response = web_client(request, who).get(_chart(patient))
    assert_answer(response, who, status)
    body = response.content.decode()
    assert ("Rosa Delgado" in body) == (status == 200)
    assert ("arnica oil" in body) == (who in CLINICAL)
    assert ("Allergies and sensitivities" in body) == (who in CLINICAL)


@pytest.mark.parametrize("who", ["front_desk", "biller"])
def test_front_desk_and_biller_see_demographics_but_not_allergies(
    request: pytest.FixtureRequest, who: str, patient: Patient, allergy: Allergy
) -> None:
    body = web_client(request, who).get(_chart(patient)).content.decode()
    assert "+1 813 555 0101" in body
    assert patient.mrn in body
    assert "Allergies and sensitivities" not in body
    assert "arnica" not in body
    assert "/allergies/" not in body


def test_the_biller_is_offered_no_way_to_change_the_record(
    request: pytest.FixtureRequest, biller: User, patient: Patient
) -> None:
    body = web_client(request, "biller").get(_chart(patient)).content.decode()
    assert f"/patients/{patient.public_id}/edit/" not in body
    assert f"/patients/{patient.public_id}/status/" not in body
    assert f"/patients/{patient.public_id}/consents/" not in body


def test_front_desk_is_offered_edit_and_consent_but_not_allergy_forms(
    request: pytest.FixtureRequest, front_desk: User, patient: Patient
) -> None:
    body = web_client(request, "front_desk").get(_chart(patient)).content.decode()
    assert f"/patients/{patient.public_id}/edit/" in body
    assert f"/patients/{patient.public_id}/consents/" in body
    assert f"/patients/{patient.public_id}/allergies/" not in body


@pytest.mark.parametrize(("who", "status"), matrix(CHART))
def test_opening_the_chart_is_audited_as_a_read_of_that_patient(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    web_client(request, who).get(_chart(patient))
    reads = AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, patient_id=str(patient.public_id)
    )
    if status == 200:
        entry = reads.get()
        assert entry.actor == persona(request, who)
        assert entry.detail == {"view": "chart"}
        assert entry.via == "web"
    else:
        assert not reads.exists()


def test_outsider_opens_their_own_patients_chart(
    request: pytest.FixtureRequest, outsider: User, outsider_patient: Patient
) -> None:
    assert web_client(request, "outsider").get(_chart(outsider_patient)).status_code == 200


def test_our_staff_get_404_for_the_outsiders_patient(
    request: pytest.FixtureRequest, owner: User, outsider_patient: Patient
) -> None:
    response = web_client(request, "owner").get(_chart(outsider_patient))
    assert response.status_code == 404
    assert "Foreign" not in response.content.decode()
