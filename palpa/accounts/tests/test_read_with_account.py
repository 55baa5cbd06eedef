"""What the signed-in account's one statement also reads: the ids of its confirmed TOTP
devices (the two-factor check then reads no device) and the organization's screening,
referral and report policies (changing one in a request forgets the value read).

The clock stands at ``core.tests.support.NOW``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from palpa.accounts.backends import StaffBackend
from palpa.accounts.models import User
from palpa.core.tests.support import frozen_clock, verified_session
from palpa.referrals import services as referrals
from palpa.reports import services as reports
from palpa.screening import queries as screening
from palpa.screening.services import set_screening_policy


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


def _page(client: Client) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        status = client.get("/patients/").status_code
    return status, [q["sql"] for q in captured.captured_queries]


def test_a_verified_session_reads_no_device(therapist: User) -> None:
    status, statements = _page(verified_session(therapist))
    assert status == 200
    devices = [s for s in statements if s.startswith('SELECT "otp_totp_totpdevice"')]
    assert not devices, devices


def test_a_device_no_longer_confirmed_no_longer_verifies(therapist: User) -> None:
    client = verified_session(therapist)
    assert client.get("/patients/").status_code == 200
    TOTPDevice.objects.filter(user=therapist).update(confirmed=False)
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp")
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_a_removed_device_no_longer_verifies(therapist: User) -> None:
    client = verified_session(therapist)
    TOTPDevice.objects.filter(user=therapist).delete()
    assert client.get("/patients/")["Location"] == reverse("accounts:otp")


def test_another_accounts_device_does_not_verify(therapist: User, other_therapist: User) -> None:
    theirs = TOTPDevice.objects.create(user=other_therapist, name="theirs", confirmed=True)
    client = verified_session(therapist)
    TOTPDevice.objects.filter(user=therapist).delete()
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = theirs.persistent_id
    session.save()
    assert client.get("/patients/")["Location"] == reverse("accounts:otp")


def _as_read_for_a_request(user: User) -> User:
    account = StaffBackend().get_user(user.pk)
    assert account is not None
    return account


def test_the_policies_come_with_the_account(owner: User) -> None:
    account = _as_read_for_a_request(owner)
    org = owner.organization_id
    assert org is not None
    with CaptureQueriesContext(connection) as captured:
        assert screening.policy_for(org, actor=account) == screening.policy_for(org)
        assert referrals.policy_for(org, actor=account) == referrals.policy_for(org)
        assert reports.policy_for(org, actor=account) == reports.policy_for(org)
    assert len(captured.captured_queries) == 3  # the three reads without the account


def test_changing_a_policy_forgets_the_one_read_with_the_account(owner: User) -> None:
    account = _as_read_for_a_request(owner)
    org = owner.organization_id
    assert org is not None
    set_screening_policy(actor=account, rescreen_days=30, intake_link_days=3)
    assert screening.policy_for(org, actor=account) == screening.Policy(30, 3)
    referrals.set_referral_policy(actor=account, warn_visits_left=5, warn_days_left=9)
    assert referrals.policy_for(org, actor=account) == referrals.Policy(5, 9)
    reports.set_report_policy(actor=account, every_visits=6, every_days=None, link_days=7)
    assert reports.policy_for(org, actor=account) == reports.Policy(6, None, 7)
    # The next request's account reads them afresh.
    again = _as_read_for_a_request(owner)
    with CaptureQueriesContext(connection) as captured:
        assert screening.policy_for(org, actor=again) == screening.Policy(30, 3)
        assert reports.policy_for(org, actor=again) == reports.Policy(6, None, 7)
    assert not captured.captured_queries


def test_another_organizations_policy_is_read_for_itself(owner: User, outsider: User) -> None:
    account = _as_read_for_a_request(owner)
    theirs = outsider.organization_id
    assert theirs is not None
    assert theirs != owner.organization_id
    set_screening_policy(
        actor=_as_read_for_a_request(outsider), rescreen_days=45, intake_link_days=2
    )
    assert screening.policy_for(theirs, actor=account) == screening.Policy(45, 2)
