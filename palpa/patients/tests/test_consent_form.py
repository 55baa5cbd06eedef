"""The record-a-consent form on the chart (POST /patients/{id}/consents/)."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.patients.models import Consent, Patient

RECORD = {
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
    "consent-kind": "treatment",
    "consent-version": "2026-01",
    "consent-given_on": "2026-03-02",
    "consent-granted": "on",
}


@pytest.mark.parametrize(("who", "status"), matrix(RECORD))
def test_each_persona_may_or_may_not_record_a_consent(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).post(f"/patients/{patient.public_id}/consents/", FORM)
    assert_answer(response, who, status)
    assert Consent.objects.filter(patient=patient).count() == (1 if who in ALLOWED else 0)


def test_the_biller_is_refused_even_with_a_bad_form(
    request: pytest.FixtureRequest, biller: User, patient: Patient
) -> None:
    response = web_client(request, "biller").post(
        f"/patients/{patient.public_id}/consents/", {"consent-kind": "bogus"}
    )
    assert response.status_code == 403
