"""Fixtures shared by every test: the fixed personas and signed-in clients.

Personas: owner, therapist, other_therapist, front_desk, biller (one organization) and
outsider (the owner of another organization).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import settings as hypothesis_settings

from palpa.accounts.models import Location, Organization, User
from palpa.accounts.services import create_staff, issue_token
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import add_license, create_practitioner

hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture(autouse=True)
def _fast_hashing(settings: object) -> None:
    # argon2 is the production hasher (tested in accounts); tests use a fast one elsewhere.
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


def _org(name: str, slug: str) -> Organization:
    return Organization.objects.create(name=name, slug=slug)


def _location(org: Organization, name: str, region: str = "FL") -> Location:
    return Location.objects.create(
        organization=org,
        name=name,
        kind=Location.Kind.CLINIC,
        address_line1="1 Test Way",
        city="Tampa",
        region=region,
        postal_code="33602",
        time_zone="America/New_York",
    )


@pytest.fixture
def org(db: None) -> Organization:
    return _org("Bayside Medical Massage", "bayside")


@pytest.fixture
def location(org: Organization) -> Location:
    return _location(org, "Bayside Clinic")


@pytest.fixture
def other_org(db: None) -> Organization:
    return _org("Elsewhere Spa", "elsewhere")


def _staff(org: Organization, email: str, role: str, name: str) -> User:
    return create_staff(organization=org, email=email, full_name=name, role=role, password=PASSWORD)


@pytest.fixture
def owner(org: Organization, location: Location) -> User:
    return _staff(org, "owner@bayside.example", "owner", "Olive Owner")


def _therapist(org: Organization, owner: User, email: str, name: str) -> User:
    user = _staff(org, email, "therapist", name)
    given, family = name.split(" ", 1)
    practitioner = create_practitioner(
        actor=owner, user=user, given_name=given, family_name=family, credentials="LMT"
    )
    today = dt.date.today()
    add_license(
        actor=owner,
        practitioner=practitioner,
        jurisdiction="FL",
        license_type="LMT",
        number=f"MA{abs(hash(email)) % 100000:05d}",
        issued_on=today - dt.timedelta(days=365),
        expires_on=today + dt.timedelta(days=365),
    )
    return user


@pytest.fixture
def therapist(org: Organization, owner: User) -> User:
    return _therapist(org, owner, "therapist@bayside.example", "Tess Therapist")


@pytest.fixture
def other_therapist(org: Organization, owner: User) -> User:
    return _therapist(org, owner, "other@bayside.example", "Theo Other")


@pytest.fixture
def front_desk(org: Organization, owner: User) -> User:
    return _staff(org, "desk@bayside.example", "front_desk", "Fran Desk")


@pytest.fixture
def biller(org: Organization, owner: User) -> User:
    return _staff(org, "biller@bayside.example", "biller", "Bill Biller")


@pytest.fixture
def outsider(other_org: Organization) -> User:
    _location(other_org, "Elsewhere Spa")
    return _staff(other_org, "owner@elsewhere.example", "owner", "Oscar Outsider")


@pytest.fixture
def practitioner(therapist: User) -> Practitioner:
    return Practitioner.objects.get(user=therapist)


@pytest.fixture
def patient(owner: User, location: Location) -> Patient:
    return create_patient(
        actor=owner,
        given_name="Rosa",
        family_name="Delgado",
        date_of_birth=dt.date(1971, 3, 14),
        phone="+1 813 555 0101",
        email="rosa@example.com",
        primary_location=location,
    )


@pytest.fixture
def outsider_patient(outsider: User) -> Patient:
    return create_patient(
        actor=outsider,
        given_name="Ivo",
        family_name="Foreign",
        date_of_birth=dt.date(1980, 1, 1),
    )


def verified_client(user: User) -> Client:
    """A test client signed in as ``user`` with two-factor verification done."""
    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="test", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    return verified_client


def token_client(user: User) -> Client:
    secret = issue_token(actor=user, name="tests").secret
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def api_client_for() -> Callable[[User], Client]:
    return token_client
