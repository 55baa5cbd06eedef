"""Recording a license's verification with the board (POST /practitioners/licenses/{id}/
verify/): owners only."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.practitioners.models import License, Practitioner

VERIFY = {
    "owner": 302,
    "therapist": 403,  # not even their own license
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize(("who", "status"), matrix(VERIFY))
def test_each_persona_may_or_may_not_record_a_verification(
    request: pytest.FixtureRequest, who: str, status: int, practitioner: Practitioner
) -> None:
    lic = practitioner.licenses.get()
    response = web_client(request, who).post(
        f"/practitioners/licenses/{lic.public_id}/verify/", {"status": "verified"}
    )
    assert_answer(response, who, status)
    stored = License.objects.get(pk=lic.pk)
    assert stored.verification_status == ("verified" if who == "owner" else "unverified")
    if who == "owner":
        assert response["Location"] == f"/practitioners/{practitioner.public_id}/"


def test_the_verification_form_accepts_only_a_post(
    request: pytest.FixtureRequest, owner: User, practitioner: Practitioner
) -> None:
    lic = practitioner.licenses.get()
    response = web_client(request, "owner").get(f"/practitioners/licenses/{lic.public_id}/verify/")
    assert response.status_code == 405
