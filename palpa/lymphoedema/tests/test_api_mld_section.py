"""The MLD and bandaging section's endpoints per persona: record and read it; 422
naming the field."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.care.models import TreatmentNote
from palpa.core.tests.support import api_as, error_fields, matrix
from palpa.lymphoedema import mld_section
from palpa.lymphoedema.tests.mld_support import BANDAGING

pytestmark = pytest.mark.usefixtures("screened")  # a screened patient: no STOP open

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 401,
}
WRITE = {**READ, "owner": 403, "other_therapist": 403}

OPERATIONS = {
    ("get", "/api/v1/notes/{note_id}/mld"),
    ("patch", "/api/v1/notes/{note_id}/mld"),
}


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_who_may_record_the_section_over_the_api(
    request: pytest.FixtureRequest, who: str, status: int, mld_note: TreatmentNote
) -> None:
    response = api_as(request, who, "token").patch(f"/notes/{mld_note.public_id}/mld", BANDAGING)
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["minutes"] == 45
        assert response.json()["bandage_layers"] == 4


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_who_may_read_the_section_over_the_api(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, mld_note: TreatmentNote
) -> None:
    mld_section.save_mld_record(actor=therapist, note=mld_note, values=BANDAGING)
    response = api_as(request, who, "token").get(f"/notes/{mld_note.public_id}/mld")
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["sequence"].startswith("neck")


def test_an_api_value_out_of_range_is_422_naming_the_field(
    request: pytest.FixtureRequest, mld_note: TreatmentNote
) -> None:
    response = api_as(request, "therapist", "token").patch(
        f"/notes/{mld_note.public_id}/mld", {"bandage_layers": 0}
    )
    assert response.status_code == 422
    assert error_fields(response) == {"bandage_layers"}
