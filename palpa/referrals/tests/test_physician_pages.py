"""The physician directory pages (/referrals/physicians/): read by every staff role,
edited by owners, therapists and the front desk; never deleted, only deactivated."""

from __future__ import annotations

import pytest

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.npi import make_npi
from palpa.core.tests.support import STAFF, assert_answer, matrix, web_client
from palpa.referrals.models import Physician

LIST = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 200,  # their own directory, without ours
    "anonymous": 302,
}
NEW = {**LIST, "biller": 403}
DETAIL = {**LIST, "outsider": 404}
EDIT = {
    "owner": 302,
    "therapist": 302,
    "other_therapist": 302,
    "front_desk": 302,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
EDITORS = ("owner", "therapist", "other_therapist", "front_desk")


def _form(physician: Physician, **changes: str) -> dict[str, str]:
    fields = {
        "given_name": physician.given_name,
        "family_name": physician.family_name,
        "credentials": physician.credentials,
        "npi": physician.npi,
        "practice": physician.practice,
        "address": physician.address,
        "phone": physician.phone,
        "fax": physician.fax,
        "secure_email": physician.secure_email,
        "preferred_delivery": physician.preferred_delivery,
    }
    return {**fields, **changes}


@pytest.mark.parametrize(("who", "status"), matrix(LIST))
def test_each_persona_may_or_may_not_open_the_directory(
    request: pytest.FixtureRequest, who: str, status: int, physician: Physician
) -> None:
    response = web_client(request, who).get("/referrals/physicians/")
    assert_answer(response, who, status)
    body = response.content.decode()
    assert ("Laura Bennett, MD" in body) == (who in STAFF)
    assert ('href="/referrals/physicians/new/"' in body) == (who in (*EDITORS, "outsider"))


def test_inactive_physicians_show_only_when_asked(
    request: pytest.FixtureRequest, owner: User, physician: Physician
) -> None:
    physician.active = False
    physician.save()
    client = web_client(request, "front_desk")
    assert "Laura Bennett" not in client.get("/referrals/physicians/").content.decode()
    shown = client.get("/referrals/physicians/?show=all").content.decode()
    assert 'Laura Bennett, MD</a> <span class="muted">(inactive)' in shown


@pytest.mark.parametrize(("who", "status"), matrix(NEW))
def test_each_persona_may_or_may_not_open_the_new_physician_form(
    request: pytest.FixtureRequest, who: str, status: int
) -> None:
    assert_answer(web_client(request, who).get("/referrals/physicians/new/"), who, status)


def test_a_wrong_npi_is_refused_with_a_message_saying_so(
    request: pytest.FixtureRequest, front_desk: User
) -> None:
    good = make_npi("123456789")
    wrong = good[:9] + str((int(good[9]) + 1) % 10)
    response = web_client(request, "front_desk").post(
        "/referrals/physicians/new/",
        {"given_name": "Ann", "family_name": "Lee", "npi": wrong, "preferred_delivery": "fax"},
    )
    assert response.status_code == 200
    assert "This NPI&#x27;s check digit is wrong: please re-check the number." in (
        response.content.decode()
    )
    assert not Physician.objects.exists()


def test_the_front_desk_adds_a_physician(request: pytest.FixtureRequest, front_desk: User) -> None:
    response = web_client(request, "front_desk").post(
        "/referrals/physicians/new/",
        {
            "given_name": "Ann",
            "family_name": "Lee",
            "credentials": "DO",
            "npi": make_npi("111222333"),
            "fax": "+1 813 555 0100",
            "secure_email": "ann@clinic.example",
            "preferred_delivery": "secure_email",
        },
    )
    assert response.status_code == 302
    added = Physician.objects.get()
    assert (str(added), added.preferred_delivery) == ("Ann Lee, DO", "secure_email")
    assert AuditEvent.objects.filter(object_type="Physician", actor=front_desk).exists()


@pytest.mark.parametrize(("who", "status"), matrix(DETAIL))
def test_each_persona_may_or_may_not_open_a_physician(
    request: pytest.FixtureRequest, who: str, status: int, physician: Physician
) -> None:
    response = web_client(request, who).get(f"/referrals/physicians/{physician.public_id}/")
    assert_answer(response, who, status)
    if status == 200:
        assert ("<form" in response.content.decode().split("</header>")[1]) == (who in EDITORS)


@pytest.mark.parametrize(("who", "status"), matrix(EDIT))
def test_each_persona_may_or_may_not_edit_a_physician(
    request: pytest.FixtureRequest, who: str, status: int, physician: Physician
) -> None:
    response = web_client(request, who).post(
        f"/referrals/physicians/{physician.public_id}/", _form(physician, fax="+1 813 555 0999")
    )
    assert_answer(response, who, status)
    stored = Physician.objects.get(pk=physician.pk)
    assert (stored.fax == "+1 813 555 0999") == (who in EDITORS)


@pytest.mark.parametrize(("who", "status"), matrix(EDIT))
def test_each_persona_may_or_may_not_deactivate_a_physician(
    request: pytest.FixtureRequest, who: str, status: int, physician: Physician
) -> None:
    response = web_client(request, who).post(
        f"/referrals/physicians/{physician.public_id}/active/", {"active": "0"}
    )
    assert_answer(response, who, status)
    assert Physician.objects.get(pk=physician.pk).active is (who not in EDITORS)


def test_a_deactivated_physician_is_reactivated(
    request: pytest.FixtureRequest, physician: Physician
) -> None:
    client = web_client(request, "owner")
    url = f"/referrals/physicians/{physician.public_id}/active/"
    client.post(url, {"active": "0"})
    client.post(url, {"active": "1"})
    assert Physician.objects.get(pk=physician.pk).active is True
    assert Physician.objects.count() == 1
