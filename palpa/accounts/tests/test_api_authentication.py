"""How the API knows who is calling: bearer tokens, or a two-factor-verified session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client

from palpa.accounts.models import ApiToken, User, hash_token
from palpa.accounts.services import issue_token, revoke_token
from palpa.core.tests.support import NOW, frozen_clock, verified_session
from palpa.patients.models import Patient

NEW = {"given_name": "Mara", "family_name": "Quinn", "date_of_birth": "1988-07-09"}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from frozen_clock()


def _bearer(secret: str) -> Client:
    # CSRF enforced, as for a real HTTP client: a token needs no CSRF token.
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {secret}"})


def test_a_token_reads_and_writes_without_a_csrf_token(owner: User, patient: Patient) -> None:
    client = _bearer(issue_token(actor=owner, name="script").secret)
    assert client.get("/api/v1/patients").status_code == 200
    created = client.post("/api/v1/patients", NEW, content_type="application/json")
    assert created.status_code == 201


def test_a_revoked_token_gets_401_on_reads_and_writes(owner: User, patient: Patient) -> None:
    issued = issue_token(actor=owner, name="script")
    revoke_token(actor=owner, token=issued.token)
    client = _bearer(issued.secret)
    count = Patient.objects.count()
    assert client.get("/api/v1/patients").status_code == 401
    assert client.get(f"/api/v1/patients/{patient.public_id}").status_code == 401
    written = client.post("/api/v1/patients", NEW, content_type="application/json")
    assert written.status_code == 401
    assert written.json()["detail"].startswith("Sign in, or send a valid token")
    assert Patient.objects.count() == count


def test_an_expired_token_gets_401(therapist: User, patient: Patient) -> None:
    issued = issue_token(actor=therapist, name="a day", expires_at=NOW + dt.timedelta(days=1))
    client = _bearer(issued.secret)
    assert client.get("/api/v1/patients").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(days=1, seconds=1), tick=False):
        assert client.get("/api/v1/patients").status_code == 401
        patched = client.patch(
            f"/api/v1/patients/{patient.public_id}", {"city": "X"}, content_type="application/json"
        )
        assert patched.status_code == 401
    assert Patient.objects.get(pk=patient.pk).city == ""


def test_the_token_of_a_deactivated_staff_member_gets_401(front_desk: User) -> None:
    client = _bearer(issue_token(actor=front_desk, name="desk").secret)
    front_desk.is_active = False
    front_desk.save()
    assert client.get("/api/v1/patients").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ",
        "Bearer palpa_not-a-real-token",
        "Bearer not-even-the-prefix",
        "Token palpa_abc",
        "Basic b3duZXI6cGFzcw==",
    ],
)
def test_a_missing_or_unknown_token_gets_401(owner: User, header: str) -> None:
    issue_token(actor=owner, name="real")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": header})
    assert client.get("/api/v1/patients").status_code == 401


def test_no_plaintext_token_is_stored_anywhere_in_the_database(
    owner: User, patient: Patient
) -> None:
    secret = issue_token(actor=owner, name="script").secret
    _bearer(secret).get("/api/v1/patients")  # use it: last_used_at and audit entries written
    stored = ApiToken.objects.get(token_hash=hash_token(secret))
    assert stored.prefix == secret[:12]
    tail = secret[12:]
    for model in apps.get_models():
        text_fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model._default_manager.values_list(*text_fields) if text_fields else []:
            assert not any(tail in str(value) for value in row), model.__name__


@pytest.mark.parametrize("who", ["owner", "therapist"])
def test_a_session_without_two_factor_gets_401_for_owners_and_therapists(
    request: pytest.FixtureRequest, who: str, patient: Patient
) -> None:
    user = request.getfixturevalue(who)
    client = Client()
    client.force_login(user)  # password accepted, second factor not yet given
    assert client.get("/api/v1/patients").status_code == 401
    assert client.get(f"/api/v1/patients/{patient.public_id}").status_code == 401
    written = client.post("/api/v1/patients", NEW, content_type="application/json")
    assert written.status_code == 401
    assert not Patient.objects.filter(family_name="Quinn").exists()


@pytest.mark.parametrize("who", ["front_desk", "biller"])
def test_front_desk_and_billers_need_no_second_factor_for_the_api(
    request: pytest.FixtureRequest, who: str, patient: Patient
) -> None:
    user = request.getfixturevalue(who)
    client = Client()
    client.force_login(user)
    assert client.get("/api/v1/patients").status_code == 200


def test_a_verified_session_writes_only_with_the_csrf_token(
    therapist: User, patient: Patient
) -> None:
    client = verified_session(therapist)
    client.get("/")
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    refused = client.post("/api/v1/patients", NEW, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    accepted = client.post(
        "/api/v1/patients", NEW, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 201
    assert Patient.objects.filter(family_name="Quinn").count() == 1


def test_a_signed_out_session_gets_401(owner: User) -> None:
    client = verified_session(owner)
    client.logout()
    assert client.get("/api/v1/patients").status_code == 401


def test_a_token_use_is_marked_at_most_every_five_minutes(therapist: User) -> None:
    issued = issue_token(actor=therapist, name="script")
    client = _bearer(issued.secret)
    assert client.get("/api/v1/patients").status_code == 200
    first = ApiToken.objects.get(pk=issued.token.pk).last_used_at
    assert first == NOW
    with time_machine.travel(NOW + dt.timedelta(minutes=4), tick=False):
        assert client.get("/api/v1/patients").status_code == 200
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == first
    later = NOW + dt.timedelta(minutes=5, seconds=1)
    with time_machine.travel(later, tick=False):
        assert client.get("/api/v1/patients").status_code == 200
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == later


def test_the_token_of_someone_moved_to_another_organization_gets_401(
    therapist: User, outsider: User
) -> None:
    client = _bearer(issue_token(actor=therapist, name="script").secret)
    therapist.organization_id = outsider.organization_id
    therapist.save()
    assert client.get("/api/v1/patients").status_code == 401
