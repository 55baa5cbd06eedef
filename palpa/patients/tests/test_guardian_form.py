"""Parents and guardians on the chart (POST /patients/{id}/guardians/ and .../end/):
recorded by staff who may change patients, checked before anything is saved, never
deleted, every change audited."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.patients.models import Guardian, Patient
from palpa.patients.services import add_guardian

ADD = {
    "owner": 302,
    "therapist": 302,
    "other_therapist": 302,
    "front_desk": 302,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
ALLOWED = {"owner", "therapist", "other_therapist", "front_desk"}
FORM = {
    "guardian-name": "Marta Delgado",
    "guardian-relationship": "mother",
    "guardian-email": "marta@example.com",
    "guardian-phone": "(813) 555-0177",
}


@pytest.mark.parametrize(("who", "status"), matrix(ADD))
def test_each_persona_may_or_may_not_add_a_guardian(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).post(f"/patients/{patient.public_id}/guardians/", FORM)
    assert_answer(response, who, status)
    assert Guardian.objects.filter(patient=patient).count() == (1 if who in ALLOWED else 0)


def test_a_guardian_added_from_the_chart_is_listed_and_audited(
    request: pytest.FixtureRequest, front_desk: User, patient: Patient
) -> None:
    client = web_client(request, "front_desk")
    client.post(f"/patients/{patient.public_id}/guardians/", FORM)
    guardian = Guardian.objects.get(patient=patient)
    assert (guardian.name, guardian.phone_digits, guardian.active) == (
        "Marta Delgado",
        "8135550177",
        True,
    )
    assert guardian.legal_representative is False
    entry = AuditEvent.objects.get(action="create", object_id=str(guardian.public_id))
    assert (entry.actor_id, entry.patient_id) == (front_desk.pk, str(patient.public_id))
    chart = client.get(f"/patients/{patient.public_id}/").content.decode()
    assert "Marta Delgado" in chart
    assert "(mother)" in chart


def test_a_guardian_without_email_or_mobile_is_refused_with_the_field_named(
    request: pytest.FixtureRequest, owner: User, patient: Patient
) -> None:
    client = web_client(request, "owner")
    form = {**FORM, "guardian-email": "", "guardian-phone": ""}
    response = client.post(f"/patients/{patient.public_id}/guardians/", form, follow=True)
    text = response.content.decode()
    assert "Guardian not recorded: email: Enter an email or a mobile number" in text
    assert not Guardian.objects.exists()


def test_a_bad_mobile_is_refused_and_nothing_saved(owner: User, patient: Patient) -> None:
    with pytest.raises(Exception, match="phone"):
        add_guardian(actor=owner, patient=patient, name="Marta", relationship="mother", phone="12")
    assert not Guardian.objects.exists()


def test_ending_a_guardian_keeps_the_record_marked_inactive(
    request: pytest.FixtureRequest, owner: User, patient: Patient
) -> None:
    guardian = add_guardian(
        actor=owner, patient=patient, name="Marta", relationship="mother", email="m@example.com"
    )
    url = f"/patients/{patient.public_id}/guardians/{guardian.public_id}/end/"
    assert web_client(request, "biller").post(url).status_code == 403
    assert web_client(request, "outsider").post(url).status_code == 404
    guardian.refresh_from_db()
    assert guardian.active
    assert web_client(request, "owner").post(url).status_code == 302
    guardian.refresh_from_db()
    assert not guardian.active
    assert AuditEvent.objects.filter(
        action="update", object_id=str(guardian.public_id), actor_id=owner.pk
    ).exists()
