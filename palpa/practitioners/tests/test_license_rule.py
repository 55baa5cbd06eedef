"""The license rule (pure) and the one service check that booking and signing call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palpa.accounts.models import Location, Organization, User
from palpa.core.tests.support import clinic_today
from palpa.practitioners import rules
from palpa.practitioners.models import License, Practitioner
from palpa.practitioners.services import (
    LicenseError,
    add_license,
    require_current_license,
    set_license_verification,
)

DAY = dt.date(2026, 6, 15)


@dataclass
class Lic:
    jurisdiction: str
    license_type: str
    number: str
    issued_on: dt.date
    expires_on: dt.date
    verification_status: str = "verified"


def test_a_license_current_on_the_day_allows() -> None:
    lic = Lic("FL", "LMT", "MA1", dt.date(2025, 1, 1), dt.date(2027, 1, 1))
    decision = rules.decide([lic], who="Ann", jurisdiction="fl", on=DAY)
    assert decision.allowed
    assert "current until 2027-01-01" in decision.reason


def test_an_expired_license_is_refused_with_its_number_and_date() -> None:
    lic = Lic("FL", "LMT", "MA77304", dt.date(2023, 1, 1), dt.date(2026, 6, 14))
    decision = rules.decide([lic], who="Daniel Brooks", jurisdiction="FL", on=DAY)
    assert not decision.allowed
    assert decision.reason == ("Daniel Brooks's LMT license #MA77304 (FL) expired on 2026-06-14.")


def test_the_expiry_day_itself_still_counts() -> None:
    lic = Lic("FL", "LMT", "MA1", dt.date(2025, 1, 1), DAY)
    assert rules.decide([lic], who="Ann", jurisdiction="FL", on=DAY).allowed


def test_a_license_of_another_state_does_not_count() -> None:
    lic = Lic("GA", "LMT", "GA1", dt.date(2025, 1, 1), dt.date(2027, 1, 1))
    decision = rules.decide([lic], who="Ann", jurisdiction="FL", on=DAY)
    assert not decision.allowed
    assert decision.reason == "Ann holds no license for FL."


def test_a_license_not_yet_issued_is_refused() -> None:
    lic = Lic("FL", "LMT", "MA1", dt.date(2026, 7, 1), dt.date(2028, 7, 1))
    decision = rules.decide([lic], who="Ann", jurisdiction="FL", on=DAY)
    assert not decision.allowed
    assert "starts on 2026-07-01" in decision.reason


def test_a_rejected_license_is_refused_and_an_unverified_one_is_flagged() -> None:
    rejected = Lic("FL", "LMT", "MA1", dt.date(2025, 1, 1), dt.date(2027, 1, 1), "rejected")
    refused = rules.decide([rejected], who="Ann", jurisdiction="FL", on=DAY)
    assert not refused.allowed
    assert "could not be verified" in refused.reason
    pending = Lic("FL", "LMT", "MA2", dt.date(2025, 1, 1), dt.date(2027, 1, 1), "unverified")
    decision = rules.decide([pending], who="Ann", jurisdiction="FL", on=DAY)
    assert decision.allowed
    assert "not yet verified" in decision.reason


dates = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2035, 12, 31))
licenses = st.builds(
    lambda j, start, days, status: Lic(
        j, "LMT", "N", start, start + dt.timedelta(days=days), status
    ),
    st.sampled_from(["FL", "GA", "NY"]),
    dates,
    st.integers(min_value=1, max_value=3650),
    st.sampled_from(["verified", "unverified", "rejected"]),
)


@given(st.lists(licenses, max_size=5), dates, st.sampled_from(["FL", "GA", "NY", "TX"]))
def test_allowed_exactly_when_some_unrejected_license_there_covers_the_day(
    held: list[Lic], day: dt.date, where: str
) -> None:
    decision = rules.decide(held, who="X", jurisdiction=where, on=day)
    expected = any(
        lic.jurisdiction == where
        and lic.verification_status != "rejected"
        and lic.issued_on <= day <= lic.expires_on
        for lic in held
    )
    assert decision.allowed is expected
    assert decision.reason  # always says why


@given(st.lists(licenses, max_size=4), licenses, dates)
def test_adding_a_license_never_takes_permission_away(
    held: list[Lic], extra: Lic, day: dt.date
) -> None:
    before = rules.decide(held, who="X", jurisdiction="FL", on=day).allowed
    after = rules.decide([*held, extra], who="X", jurisdiction="FL", on=day).allowed
    assert after or not before


def test_service_check_refuses_with_a_message_naming_the_license(
    owner: User, practitioner: Practitioner, location: Location
) -> None:
    today = clinic_today()
    assert require_current_license(practitioner, location=location, on=today).allowed
    later = today + dt.timedelta(days=400)
    with pytest.raises(LicenseError) as refused:
        require_current_license(practitioner, location=location, on=later)
    lic = practitioner.licenses.get()
    assert str(refused.value) == (
        f"Tess Therapist's LMT license #{lic.number} (FL) expired on {lic.expires_on.isoformat()}."
    )


def test_service_check_needs_a_license_for_the_locations_state(
    org: Organization, practitioner: Practitioner
) -> None:
    georgia = Location.objects.create(
        organization=org,
        name="Savannah",
        address_line1="1 Bay St",
        city="Savannah",
        region="GA",
        postal_code="31401",
    )
    with pytest.raises(LicenseError, match="holds no license for GA"):
        require_current_license(practitioner, location=georgia, on=clinic_today())


def test_a_license_rejected_on_verification_stops_practice(
    owner: User, practitioner: Practitioner, location: Location
) -> None:
    lic = practitioner.licenses.get()
    set_license_verification(actor=owner, license=lic, status=License.Verification.REJECTED)
    with pytest.raises(LicenseError, match="could not be verified"):
        require_current_license(practitioner, location=location, on=clinic_today())


def test_a_license_must_expire_after_it_was_issued(owner: User, practitioner: Practitioner) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as bad:
        add_license(
            actor=owner,
            practitioner=practitioner,
            jurisdiction="GA",
            license_type="LMT",
            number="GA9",
            issued_on=dt.date(2026, 1, 1),
            expires_on=dt.date(2025, 1, 1),
        )
    assert "expires_on" in bad.value.message_dict


def test_only_an_owner_may_add_licenses(therapist: User, practitioner: Practitioner) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        add_license(
            actor=therapist,
            practitioner=practitioner,
            jurisdiction="GA",
            license_type="LMT",
            number="GA9",
            issued_on=dt.date(2025, 1, 1),
            expires_on=dt.date(2027, 1, 1),
        )
