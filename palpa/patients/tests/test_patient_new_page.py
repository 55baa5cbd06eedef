"""The new-patient page (/patients/new/): owners, therapists and front desk add patients."""

from __future__ import annotations

import pytest

from palpa.accounts.models import Location, User
from palpa.core.tests.support import assert_answer, matrix, persona, web_client
from palpa.patients.models import Patient

OPEN = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 403,
    "outsider": 200,  # adds to their own organization
    "anonymous": 302,
}
SAVE = {
    "owner": 302,
    "therapist": 302,
    "other_therapist": 302,
    "front_desk": 302,
    "biller": 403,
    "outsider": 302,
    "anonymous": 302,
}

FORM = {
    "given_name": "Mara",
    "family_name": "Quinn",
    "date_of_birth": "1988-07-09",
    "sex": "female",
    "preferred_language": "en",
    "phone": "(813) 555-0199",
}


@pytest.mark.parametrize(("who", "status"), matrix(OPEN))
def test_each_persona_may_or_may_not_open_the_new_patient_form(
    request: pytest.FixtureRequest, who: str, status: int, location: Location
) -> None:
    assert_answer(web_client(request, who).get("/patients/new/"), who, status)


@pytest.mark.parametrize(("who", "status"), matrix(SAVE))
def test_each_persona_may_or_may_not_add_a_patient(
    request: pytest.FixtureRequest, who: str, status: int, location: Location
) -> None:
    response = web_client(request, who).post("/patients/new/", FORM)
    assert_answer(response, who, status)
    added = Patient.objects.filter(family_name="Quinn")
    if who in ("biller", "anonymous"):
        assert not added.exists()
        return
    user = persona(request, who)
    assert user is not None
    patient = added.get()
    assert patient.organization_id == user.organization_id
    assert response["Location"] == f"/patients/{patient.public_id}/"


def test_the_biller_cannot_add_a_patient(request: pytest.FixtureRequest, biller: User) -> None:
    response = web_client(request, "biller").post("/patients/new/", FORM)
    assert response.status_code == 403
    assert not Patient.objects.exists()


def test_outsider_cannot_place_a_patient_at_our_location(
    request: pytest.FixtureRequest, outsider: User, location: Location
) -> None:
    response = web_client(request, "outsider").post(
        "/patients/new/", {**FORM, "primary_location": location.pk}
    )
    assert response.status_code == 200  # the form again, with the error
    assert "primary_location" in response.context["form"].errors
    assert not Patient.objects.exists()


def test_every_bad_field_is_shown_at_once_and_nothing_is_saved(
    request: pytest.FixtureRequest, owner: User
) -> None:
    bad = {**FORM, "phone": "12", "date_of_birth": "2999-01-01", "email": "nope"}
    response = web_client(request, "owner").post("/patients/new/", bad)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"phone", "date_of_birth", "email"}
    assert not Patient.objects.exists()


def test_a_name_with_a_right_to_left_override_is_a_form_error_and_nothing_is_saved(
    request: pytest.FixtureRequest, front_desk: User, location: Location
) -> None:
    response = web_client(request, "front_desk").post(
        "/patients/new/", {**FORM, "family_name": "Quinn\u202etxt.exe"}
    )
    assert response.status_code == 200
    assert "RIGHT-TO-LEFT OVERRIDE" in response.content.decode()
    assert not Patient.objects.exists()
