"""The staff page: invite by email with a role, resend, change role, deactivate; and the
invitee's link (own password, then the second factor)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from palpa.accounts.models import StaffInvitation, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import assert_answer, matrix, web_client

PAGE = "/accounts/staff/"
OWNERS_ONLY = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,  # their own organization's staff page
    "anonymous": 302,
}
ON_OUR_MEMBER = {**OWNERS_ONLY, "owner": 302, "outsider": 404}


def _invite(client: Client, email: str = "nia@bayside.example", role: str = "therapist") -> str:
    response = client.post(PAGE, {"full_name": "Nia New", "email": email, "role": role})
    assert response.status_code == 302, response.content.decode()[:500]
    match = re.search(r"https?://[^/\s]+(/accounts/invitation/[^/\s]+/)", str(mail.outbox[-1].body))
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize(("who", "status"), matrix(OWNERS_ONLY))
def test_each_persona_may_or_may_not_open_the_staff_page(
    request: pytest.FixtureRequest, who: str, status: int, owner: User
) -> None:
    response = web_client(request, who).get(PAGE)
    assert_answer(response, who, status)
    assert ("owner@bayside.example" in response.content.decode()) == (who == "owner")


@pytest.mark.parametrize(("who", "status"), matrix(ON_OUR_MEMBER))
@pytest.mark.parametrize("action", ["deactivate", "reactivate", "resend", "role"])
def test_each_persona_may_or_may_not_change_our_staff_member(
    request: pytest.FixtureRequest, who: str, status: int, action: str, front_desk: User
) -> None:
    url = f"/accounts/staff/{front_desk.public_id}/{action}/"
    response = web_client(request, who).post(url, {"role": "biller"})
    assert_answer(response, who, status)
    front_desk.refresh_from_db()
    assert front_desk.is_active == ((who, action) != ("owner", "deactivate"))
    assert front_desk.role == "front_desk" or (who, action) == ("owner", "role")


def test_an_invited_therapist_sets_a_password_then_the_second_factor(owner: User) -> None:
    link = _invite(web_client_for(owner))
    member = User.objects.get(email="nia@bayside.example")
    assert (member.is_active, member.has_usable_password(), member.role) == (
        False,
        False,
        "therapist",
    )
    assert mail.outbox[-1].to == ["nia@bayside.example"]
    invitee = Client()
    page = invitee.get(link)
    assert page.status_code == 200
    assert "Welcome to Bayside Medical Massage" in page.content.decode()
    response = invitee.post(
        link, {"new_password1": "sea-glass-window-88", "new_password2": "sea-glass-window-88"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/otp/setup/"
    member.refresh_from_db()
    assert member.is_active
    assert member.check_password("sea-glass-window-88")
    assert invitee.get("/").status_code == 302  # the second factor comes first
    assert Client().get(link).status_code == 404  # the link works once


def test_an_invitee_with_a_weak_password_is_told_the_rule(owner: User) -> None:
    link = _invite(web_client_for(owner))
    response = Client().post(link, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not User.objects.get(email="nia@bayside.example").is_active


def test_a_resent_invitation_voids_the_old_link(owner: User) -> None:
    client = web_client_for(owner)
    old = _invite(client)
    member = User.objects.get(email="nia@bayside.example")
    assert client.post(f"/accounts/staff/{member.public_id}/resend/").status_code == 302
    new = re.search(r"(/accounts/invitation/[^/\s]+/)", str(mail.outbox[-1].body))
    assert new is not None
    assert new.group(1) != old
    assert Client().get(old).status_code == 404
    assert Client().get(new.group(1)).status_code == 200


def test_an_invitation_expires_after_seven_days(owner: User) -> None:
    link = _invite(web_client_for(owner))
    invitation = StaffInvitation.objects.get()
    lifetime = invitation.expires_at - invitation.created_at
    assert abs(lifetime - dt.timedelta(days=7)) < dt.timedelta(seconds=1)
    with time_machine.travel(invitation.expires_at - dt.timedelta(minutes=1), tick=False):
        assert Client().get(link).status_code == 200
    with time_machine.travel(invitation.expires_at + dt.timedelta(minutes=1), tick=False):
        assert Client().get(link).status_code == 404
    assert StaffInvitation.objects.get().accepted_at is None


def test_an_email_already_in_use_is_refused_naming_the_field(owner: User, front_desk: User) -> None:
    response = web_client_for(owner).post(
        PAGE, {"full_name": "Fran Again", "email": "desk@bayside.example", "role": "biller"}
    )
    assert response.status_code == 200
    assert "A staff account with this email address already exists." in response.content.decode()
    assert User.objects.filter(email="desk@bayside.example").count() == 1


def test_the_owner_changes_a_role_and_deactivates_an_account(owner: User, front_desk: User) -> None:
    client = web_client_for(owner)
    client.post(f"/accounts/staff/{front_desk.public_id}/role/", {"role": "biller"})
    front_desk.refresh_from_db()
    assert front_desk.role == "biller"
    client.post(f"/accounts/staff/{front_desk.public_id}/deactivate/")
    front_desk.refresh_from_db()
    assert not front_desk.is_active
    assert web_client_for(front_desk).get("/")["Location"].startswith("/accounts/login/")


def test_an_owner_cannot_deactivate_or_demote_themselves(owner: User) -> None:
    client = web_client_for(owner)
    response = client.post(f"/accounts/staff/{owner.public_id}/deactivate/", follow=True)
    assert "You cannot deactivate your own account" in response.content.decode()
    client.post(f"/accounts/staff/{owner.public_id}/role/", {"role": "biller"})
    owner.refresh_from_db()
    assert owner.is_active
    assert owner.role == "owner"


def test_the_last_owner_cannot_be_demoted_by_a_second_owner_who_then_leaves(
    owner: User, front_desk: User
) -> None:
    client = web_client_for(owner)
    client.post(f"/accounts/staff/{front_desk.public_id}/role/", {"role": "owner"})
    second = web_client_for(User.objects.get(pk=front_desk.pk))
    second.post(f"/accounts/staff/{owner.public_id}/role/", {"role": "biller"})
    owner.refresh_from_db()
    assert owner.role == "biller"  # another owner remains: allowed
    response = client.post(f"/accounts/staff/{front_desk.public_id}/deactivate/", follow=True)
    assert response.status_code == 403  # a biller no longer manages staff
    front_desk.refresh_from_db()
    assert front_desk.is_active


def web_client_for(user: User) -> Client:
    from conftest import verified_client

    return verified_client(user)


def test_the_owner_reactivates_a_deactivated_account_which_signs_in_again(
    owner: User, front_desk: User
) -> None:
    from palpa.accounts.models import ApiToken
    from palpa.accounts.services import issue_token

    issue_token(actor=front_desk, name="desk laptop")
    client = web_client_for(owner)
    client.post(f"/accounts/staff/{front_desk.public_id}/deactivate/")
    page = client.get(PAGE).content.decode()
    assert f"/accounts/staff/{front_desk.public_id}/reactivate/" in page
    response = client.post(f"/accounts/staff/{front_desk.public_id}/reactivate/", follow=True)
    assert "can sign in again" in response.content.decode()
    front_desk.refresh_from_db()
    assert front_desk.is_active
    assert web_client_for(front_desk).get("/").status_code == 200
    # a token from before the deactivation does not wake up with the account
    assert not ApiToken.objects.filter(user=front_desk, revoked_at__isnull=True).exists()
    entry = AuditEvent.objects.get(object_type="Staff", detail__event="reactivated")
    assert entry.object_id == str(front_desk.public_id)
    assert entry.actor_id == owner.pk
    assert (
        f"/accounts/staff/{front_desk.public_id}/reactivate/"
        not in client.get(PAGE).content.decode()
    )


def test_an_account_that_never_accepted_its_invitation_is_not_reactivated(owner: User) -> None:
    client = web_client_for(owner)
    _invite(client)
    invitee = User.objects.get(email="nia@bayside.example")
    client.post(f"/accounts/staff/{invitee.public_id}/deactivate/")
    response = client.post(f"/accounts/staff/{invitee.public_id}/reactivate/", follow=True)
    assert "never accepted the invitation: resend the invitation instead" in (
        response.content.decode()
    )
    invitee.refresh_from_db()
    assert not invitee.is_active


@pytest.mark.parametrize("who", ["biller", "therapist", "outsider"])
def test_only_our_owner_reactivates_an_account(
    request: pytest.FixtureRequest, who: str, owner: User, front_desk: User
) -> None:
    web_client_for(owner).post(f"/accounts/staff/{front_desk.public_id}/deactivate/")
    response = web_client(request, who).post(f"/accounts/staff/{front_desk.public_id}/reactivate/")
    assert response.status_code == (404 if who == "outsider" else 403)
    front_desk.refresh_from_db()
    assert not front_desk.is_active
