"""`palpa demo`: a realistic clinic, the same on every run, safe to run twice."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from palpa.accounts.models import Location, Organization, User
from palpa.audit.services import verify_chain
from palpa.demo.data import DEMO_SLUG
from palpa.demo.tests.support import Built
from palpa.patients.models import Allergy, Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import check_license
from palpa.referrals.models import Physician


@pytest.fixture
def demo(demo: Organization, demo_clinic: Built) -> str:
    """What the demo's first run printed (the clinic is in the database, the clock at
    ``DEMO_NOW``: conftest.py)."""
    return demo_clinic.printed


def test_demo_creates_the_clinic_once_and_prints_the_logins(demo: str) -> None:
    out = demo
    assert "Created the demo clinic" in out
    assert "therapist@harbor.example" in out
    assert "palpa demo_code" in out

    org = Organization.objects.get(slug=DEMO_SLUG)
    kinds = sorted(Location.objects.filter(organization=org).values_list("kind", flat=True))
    assert kinds == ["clinic", "medical_spa"]
    roles = sorted(User.objects.filter(organization=org).values_list("role", flat=True))
    assert roles == ["biller", "front_desk", "owner"] + ["therapist"] * 4
    assert Practitioner.objects.filter(organization=org).count() == 4
    assert Physician.objects.filter(organization=org).count() == 3
    patients = Patient.objects.filter(organization=org)
    assert patients.count() == 32  # 30, and the two lymphoedema patients (limbs.py)
    assert len({p.date_of_birth for p in patients}) > 20  # varied, not copies
    assert len({p.preferred_language for p in patients}) >= 3
    assert Allergy.objects.filter(organization=org).exists()

    first = patients.get(mrn="P000001")
    assert (first.given_name, first.family_name, first.date_of_birth) == (
        "Olivia",
        "Rivera",
        dt.date(1948, 1, 1),
    )

    again = io.StringIO()
    call_command("demo", "--quiet", stdout=again)
    assert "already here; nothing changed" in again.getvalue()
    assert Patient.objects.filter(organization=org).count() == 32
    assert verify_chain(org.pk).ok


def test_the_demo_therapist_with_an_expired_license_is_refused(demo: str) -> None:
    daniel = Practitioner.objects.get(user__email="daniel@harbor.example")
    decision = check_license(daniel, jurisdiction="FL", on=dt.date(2026, 11, 29))
    assert not decision.allowed
    assert decision.reason == "Daniel Brooks's LMT license #MA77304 (FL) expired on 2026-11-17."
    maya = Practitioner.objects.get(user__email="therapist@harbor.example")
    assert check_license(maya, jurisdiction="FL", on=dt.date(2026, 11, 29)).allowed


def test_demo_code_prints_a_valid_second_factor(demo: str) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    out = io.StringIO()
    call_command("demo_code", "therapist@harbor.example", stdout=out)
    code = out.getvalue().strip()
    device = TOTPDevice.objects.get(user__email="therapist@harbor.example")
    assert len(code) == 6
    assert device.verify_token(code)


def test_license_check_command_exits_1_for_a_lapsed_license(demo: str) -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("license_check", "daniel@harbor.example", stdout=out)
    assert exited.value.code == 1
    assert "REFUSED" in out.getvalue()
    ok = io.StringIO()
    call_command("license_check", "therapist@harbor.example", stdout=ok)
    assert "allowed" in ok.getvalue()
