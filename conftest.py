"""Fixtures shared by every test: the fixed personas and signed-in clients.

Personas: owner, therapist, other_therapist, front_desk, biller (one organization) and
outsider (the owner of another organization).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import settings as hypothesis_settings
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

from palpa.accounts.models import Location, Organization, User
from palpa.accounts.services import issue_token
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from palpa.practitioners.models import Practitioner
from tests.builders import PASSWORD as PASSWORD  # what the personas sign in with
from tests.builders import clinic_location, licensed_therapist, organization, staff
from tests.schema import migrated_once

hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


# --- The test clock ------------------------------------------------------------------
# `--clock INSTANT` (or PALPA_TEST_CLOCK) runs the whole session as if the clock had been
# set to INSTANT when it started; time then moves on at its normal pace. Every reading of
# the clock in Python (datetime, date.today, time.time, Django's timezone.now) sees it, in
# the test process and in the live server's threads. `bin/test --clocks` runs the suite at
# each of the instants below, where wall-clock assumptions break.
HARD_INSTANTS = {
    # Sunday evening in Tampa, already Monday in UTC: "today" and "this week" differ.
    "monday-0130-utc": "2026-12-07T01:30:00+00:00",
    # A minute before the US spring-forward jump (02:00 EST becomes 03:00 EDT).
    "spring-forward": "2027-03-14T01:59:00-05:00",
    # The US fall-back day, in the hour that happens twice (01:30 EDT, then 01:30 EST).
    "fall-back": "2027-11-07T01:30:00-04:00",
    # New Year's Eve, 23:30 in Tampa: it is already next year in UTC.
    "new-years-eve": "2027-12-31T23:30:00-05:00",
    # The evening of a leap day in Tampa (1 March in UTC).
    "leap-day": "2028-02-29T23:30:00-05:00",
}
_CLOCK = pytest.StashKey[time_machine.travel]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=os.environ.get("PALPA_TEST_CLOCK") or None,
        help="start the session's clock at this instant (ISO 8601 with an offset, or one "
        f"of: {', '.join(HARD_INSTANTS)}); time moves on from there",
    )


def _clock_instant(value: str) -> dt.datetime:
    instant = dt.datetime.fromisoformat(HARD_INSTANTS.get(value, value))
    if instant.tzinfo is None:
        raise pytest.UsageError(f"--clock {value}: give the instant with its UTC offset")
    return instant


def pytest_configure(config: pytest.Config) -> None:
    value = config.getoption("--clock")
    if value:
        traveller = time_machine.travel(_clock_instant(value), tick=True)
        traveller.start()
        config.stash[_CLOCK] = traveller


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_CLOCK, None)
    if traveller is not None:
        traveller.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under ``tests/e2e/`` is a browser test (marker ``e2e``), whether or not
    its module says so: ``bin/test`` runs them in the SQLite pass only."""
    e2e = Path(__file__).parent / "tests" / "e2e"
    for item in items:
        if e2e in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def pytest_report_header(config: pytest.Config) -> str | None:
    value = config.getoption("--clock")
    return f"test clock: started at {_clock_instant(value).isoformat()}" if value else None


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: DjangoDbBlocker,
    django_db_use_migrations: bool,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """pytest-django's test databases, their schema migrated once and copied after
    (tests/schema.py): the other worker and later runs copy it instead of migrating."""
    from django.test.utils import setup_databases, teardown_databases

    keepdb = django_db_keepdb and not django_db_createdb
    if not django_db_use_migrations:
        _disable_migrations()
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    copying = migrated_once() if django_db_use_migrations and not keepdb else nullcontext()
    with django_db_blocker.unblock(), copying:
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases=aliases,  # type: ignore[arg-type]  # a set, as pytest-django passes it
            serialized_aliases=serialized_aliases,
            keepdb=keepdb,
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _fast_hashing(settings: object) -> None:
    # argon2 is the production hasher (tested in accounts); tests use a fast one elsewhere.
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


@pytest.fixture
def org(db: None) -> Organization:
    return organization("Bayside Medical Massage", "bayside")


@pytest.fixture
def location(org: Organization) -> Location:
    return clinic_location(org, "Bayside Clinic")


@pytest.fixture
def other_org(db: None) -> Organization:
    return organization("Elsewhere Spa", "elsewhere")


@pytest.fixture
def owner(org: Organization, location: Location) -> User:
    return staff(org, "owner@bayside.example", "owner", "Olive Owner")


@pytest.fixture
def therapist(org: Organization, owner: User) -> User:
    return licensed_therapist(org, owner, "therapist@bayside.example", "Tess Therapist")


@pytest.fixture
def other_therapist(org: Organization, owner: User) -> User:
    return licensed_therapist(org, owner, "other@bayside.example", "Theo Other")


@pytest.fixture
def front_desk(org: Organization, owner: User) -> User:
    return staff(org, "desk@bayside.example", "front_desk", "Fran Desk")


@pytest.fixture
def biller(org: Organization, owner: User) -> User:
    return staff(org, "biller@bayside.example", "biller", "Bill Biller")


@pytest.fixture
def outsider(other_org: Organization) -> User:
    clinic_location(other_org, "Elsewhere Spa")
    return staff(other_org, "owner@elsewhere.example", "owner", "Oscar Outsider")


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
