"""The add-an-allergy form on the chart (POST /patients/{id}/allergies/): clinical."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.patients.models import Allergy, Patient

ADD = {
    "owner": 302,
    "therapist": 302,
    "other_therapist": 302,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
ALLOWED = {"owner", "therapist", "other_therapist"}
FORM = {"allergy-substance": "latex", "allergy-reaction": "hives", "allergy-severity": "mild"}


@pytest.mark.parametrize(("who", "status"), matrix(ADD))
def test_each_persona_may_or_may_not_add_an_allergy(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).post(f"/patients/{patient.public_id}/allergies/", FORM)
    assert_answer(response, who, status)
    assert Allergy.objects.filter(patient=patient).count() == (1 if who in ALLOWED else 0)


def test_front_desk_cannot_add_an_allergy(
    request: pytest.FixtureRequest, front_desk: User, patient: Patient
) -> None:
    response = web_client(request, "front_desk").post(
        f"/patients/{patient.public_id}/allergies/", FORM
    )
    assert response.status_code == 403
    assert not Allergy.objects.exists()
