"""The record-status form on the chart (POST /patients/{id}/status/)."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.patients.models import Patient

SET = {
    "owner": 302,
    "therapist": 302,
    "other_therapist": 302,
    "front_desk": 302,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
ALLOWED = {"owner", "therapist", "other_therapist", "front_desk"}


def _status(patient: Patient) -> str:
    return Patient.objects.values_list("status", flat=True).get(pk=patient.pk)


@pytest.mark.parametrize(("who", "status"), matrix(SET))
def test_each_persona_may_or_may_not_set_the_status(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).post(
        f"/patients/{patient.public_id}/status/", {"status": "inactive", "reason": "moved"}
    )
    assert_answer(response, who, status)
    assert _status(patient) == ("inactive" if who in ALLOWED else "active")


def test_the_biller_is_refused_even_with_a_bad_form(
    request: pytest.FixtureRequest, biller: User, patient: Patient
) -> None:
    response = web_client(request, "biller").post(
        f"/patients/{patient.public_id}/status/", {"status": "bogus"}
    )
    assert response.status_code == 403


def test_the_status_form_accepts_only_a_post(
    request: pytest.FixtureRequest, owner: User, patient: Patient
) -> None:
    response = web_client(request, "owner").get(f"/patients/{patient.public_id}/status/")
    assert response.status_code == 405
