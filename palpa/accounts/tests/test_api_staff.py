"""/api/v1/staff: an owner lists the organization's staff accounts, invites one by email
with a role, resends the invitation, changes a role, deactivates and reactivates; every
other role is refused, another organization's accounts are not found, bad input names its
field, and each change is audited."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from palpa.accounts.models import User
from palpa.accounts.services import issue_token
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import api_as, api_for, error_fields, matrix

OPERATIONS = {
    ("get", "/api/v1/staff"),
    ("post", "/api/v1/staff"),
    ("post", "/api/v1/staff/{staff_id}/invitation"),
    ("patch", "/api/v1/staff/{staff_id}"),
    ("post", "/api/v1/staff/{staff_id}/deactivate"),
    ("post", "/api/v1/staff/{staff_id}/reactivate"),
}

OWNERS = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,  # their own organization's accounts
    "anonymous": 401,
}


@pytest.mark.parametrize(("who", "status"), matrix(OWNERS))
def test_only_an_owner_lists_the_staff_of_their_own_organization(
    request: pytest.FixtureRequest, who: str, status: int, owner: User, therapist: User
) -> None:
    response = api_as(request, who, "token").get("/staff")
    assert response.status_code == status, response.content
    if status == 200:
        emails = {row["email"] for row in response.json()}
        assert (therapist.email in emails) == (who == "owner")
        assert all(set(row) >= {"id", "role", "status"} for row in response.json())


@pytest.mark.parametrize(("who", "status"), matrix({**OWNERS, "owner": 201, "outsider": 201}))
def test_an_owner_invites_by_email_and_the_link_is_emailed(
    request: pytest.FixtureRequest, who: str, status: int, owner: User
) -> None:
    body = {"email": "Lee@Harbor.example", "full_name": "Lee Park", "role": "therapist"}
    response = api_as(request, who, "token").post("/staff", body)
    assert response.status_code == status, response.content
    if status != 201:
        assert not User.objects.filter(username="lee@harbor.example").exists()
        return
    row = response.json()
    assert (row["email"], row["role"], row["status"], row["invitation_open"]) == (
        "lee@harbor.example",
        "therapist",
        "invited",
        True,
    )
    sent = mail.outbox[-1]
    assert sent.to == ["lee@harbor.example"]
    assert re.search(r"http://testserver/accounts/invitation/\S+", str(sent.body))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "lee@harbor.example", "full_name": "Lee Park", "role": "janitor"}, "role"),
        ({"email": "lee@harbor.example", "full_name": " ", "role": "biller"}, "full_name"),
        ({"email": "not an address", "full_name": "Lee Park", "role": "biller"}, "email"),
    ],
)
def test_a_bad_invitation_is_422_naming_the_field_and_nothing_is_saved(
    owner: User, body: dict[str, str], field: str
) -> None:
    response = api_for(owner, "token").post("/staff", body)
    assert error_fields(response) == {field}
    assert not User.objects.filter(full_name="Lee Park").exists()
    assert not mail.outbox


def test_inviting_an_existing_address_again_is_422_on_the_email(
    owner: User, therapist: User
) -> None:
    body = {"email": therapist.email, "full_name": "Again", "role": "biller"}
    assert error_fields(api_for(owner, "token").post("/staff", body)) == {"email"}


def test_a_resent_invitation_replaces_the_first_link(owner: User) -> None:
    api = api_for(owner, "token")
    body = {"email": "lee@harbor.example", "full_name": "Lee Park", "role": "biller"}
    invited = api.post("/staff", body).json()
    first = mail.outbox[-1].body
    response = api.post(f"/staff/{invited['id']}/invitation")
    assert response.status_code == 200, response.content
    assert response.json()["invitation_open"] is True
    assert mail.outbox[-1].body != first
    assert len(mail.outbox) == 2


def test_an_owner_changes_a_role_deactivates_and_reactivates_and_each_is_audited(
    owner: User, therapist: User
) -> None:
    api = api_for(owner, "token")
    their_token = issue_token(actor=therapist, name="phone").secret
    url = f"/staff/{therapist.public_id}"

    changed = api.patch(url, {"role": "front_desk"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["role"] == "front_desk"

    off = api.post(f"{url}/deactivate")
    assert off.status_code == 200, off.content
    assert off.json()["status"] == "deactivated"
    refused = api_for(None, "token").client.get(
        "/api/v1/tokens", headers={"Authorization": f"Bearer {their_token}"}
    )
    assert refused.status_code == 401

    on = api.post(f"{url}/reactivate")
    assert on.status_code == 200, on.content
    assert on.json()["status"] == "active"
    still = api_for(None, "token").client.get(
        "/api/v1/tokens", headers={"Authorization": f"Bearer {their_token}"}
    )
    assert still.status_code == 401  # tokens from before the deactivation stay revoked

    events = list(
        AuditEvent.objects.filter(object_type="Staff", object_id=str(therapist.public_id))
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert {"role": ["therapist", "front_desk"]} in events
    assert [e.get("event") for e in events if "event" in e] == ["deactivated", "reactivated"]


@pytest.mark.parametrize("who", ["therapist", "front_desk", "biller"])
def test_no_other_role_changes_an_account(
    request: pytest.FixtureRequest, who: str, other_therapist: User
) -> None:
    api = api_as(request, who, "token")
    url = f"/staff/{other_therapist.public_id}"
    assert api.patch(url, {"role": "owner"}).status_code == 403
    assert api.post(f"{url}/deactivate").status_code == 403
    other_therapist.refresh_from_db()
    assert (other_therapist.role, other_therapist.is_active) == ("therapist", True)


def test_another_organizations_owner_finds_no_account_of_ours(
    outsider: User, therapist: User
) -> None:
    api = api_for(outsider, "token")
    url = f"/staff/{therapist.public_id}"
    assert api.patch(url, {"role": "biller"}).status_code == 404
    assert api.post(f"{url}/deactivate").status_code == 404
    assert api.post(f"{url}/invitation").status_code == 404
    therapist.refresh_from_db()
    assert therapist.is_active


def test_the_last_owner_cannot_demote_or_deactivate_themselves(owner: User) -> None:
    api = api_for(owner, "token")
    url = f"/staff/{owner.public_id}"
    assert api.patch(url, {"role": "biller"}).status_code == 422
    assert api.post(f"{url}/deactivate").status_code == 422
    owner.refresh_from_db()
    assert (owner.role, owner.is_active) == ("owner", True)


def test_an_active_account_is_not_reactivated_and_the_role_must_be_known(
    owner: User, therapist: User
) -> None:
    api = api_for(owner, "token")
    assert api.post(f"/staff/{therapist.public_id}/reactivate").status_code == 422
    response = api.patch(f"/staff/{therapist.public_id}", {"role": "janitor"})
    assert error_fields(response) == {"role"}
