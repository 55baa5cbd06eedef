"""GET /api/v1/practitioners/{id}: every role of ours reads our practitioners."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import TRANSPORTS, api_as, api_for, matrix
from palpa.practitioners.models import Practitioner

OPERATIONS = {("get", "/api/v1/practitioners/{practitioner_id}")}

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_read_our_practitioner(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    transport: str,
    practitioner: Practitioner,
) -> None:
    response = api_as(request, who, transport).get(f"/practitioners/{practitioner.public_id}")
    assert response.status_code == status
    if status == 200:
        assert response.json()["family_name"] == "Therapist"
    else:
        assert "Therapist" not in response.content.decode()


def test_outsider_reads_their_own_practitioner(outsider: User) -> None:
    api = api_for(outsider, "token")
    created = api.post("/practitioners", {"given_name": "Ola", "family_name": "Own"}).json()
    assert api.get(f"/practitioners/{created['id']}").status_code == 200
