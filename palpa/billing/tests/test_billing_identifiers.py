"""A location's claim identifiers (1500 items 25, 32a, 33a): the federal tax id and its
kind, the billing provider's NPI and the facility's NPI. Set by owners and billers through
the service (audited, the tax id by its last four digits), on the settings page (errors on
the field) and shown masked to everyone else."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import services
from palpa.billing.models import LocationBilling, format_tax_id, mask_tax_id
from palpa.core.npi import make_npi
from palpa.core.tests.support import assert_answer, matrix, web_client

BILLING_NPI = make_npi("271828182")
FACILITY_NPI = make_npi("141421356")
WRONG_CHECK_DIGIT = BILLING_NPI[:9] + str((int(BILLING_NPI[9]) + 1) % 10)

STAFF = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 200,  # their own organization's settings page
    "anonymous": 302,
}
CONFIGURE = {
    **STAFF,
    "owner": 302,
    "biller": 302,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "outsider": 302,  # our location is not theirs: refused with a message, nothing saved
}


def _set(actor: User, location: Location, **values: str) -> LocationBilling:
    given_values = {
        "tax_id": "59-1234567",
        "tax_id_kind": "ein",
        "billing_npi": BILLING_NPI,
        "facility_npi": "",
        **values,
    }
    return services.set_billing_identifiers(actor=actor, location=location, **given_values)


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- the service -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "biller"])
def test_owners_and_billers_record_the_identifiers_stored_as_digits(
    request: pytest.FixtureRequest, who: str, location: Location
) -> None:
    found = _set(request.getfixturevalue(who), location, facility_npi=FACILITY_NPI)
    found.refresh_from_db()
    assert (found.tax_id, found.tax_id_kind) == ("591234567", "ein")
    assert (found.billing_npi, found.facility_npi) == (BILLING_NPI, FACILITY_NPI)
    assert found.tax_id_display == "59-1234567"
    assert found.tax_id_masked == "**-***4567"
    assert found.place_of_service == "11"  # untouched


def test_an_ssn_written_with_or_without_hyphens_is_stored_as_digits(
    owner: User, location: Location
) -> None:
    assert _set(owner, location, tax_id="123-45-6789", tax_id_kind="ssn").tax_id == "123456789"
    assert _set(owner, location, tax_id="123456789", tax_id_kind="SSN").tax_id_kind == "ssn"
    found = LocationBilling.objects.get(location=location)
    assert (found.tax_id_display, found.tax_id_masked) == ("123-45-6789", "***-**-6789")


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"tax_id": "59-123456"}, "tax_id", "9 digits"),
        ({"tax_id": "5912345678"}, "tax_id", "9 digits"),
        ({"tax_id": "591-23-4567"}, "tax_id", "12-3456789"),  # an SSN's hyphens on an EIN
        ({"tax_id": "59 1234567"}, "tax_id", "9 digits"),
        ({"tax_id": "00-1234567"}, "tax_id", "00"),
        ({"tax_id": "666-12-3456", "tax_id_kind": "ssn"}, "tax_id", "cannot exist"),
        ({"tax_id": "912-34-5678", "tax_id_kind": "ssn"}, "tax_id", "cannot exist"),
        ({"tax_id": "123-00-4567", "tax_id_kind": "ssn"}, "tax_id", "cannot exist"),
        ({"tax_id": "591234567", "tax_id_kind": ""}, "tax_id_kind", "ein or ssn"),
        ({"tax_id": "591234567", "tax_id_kind": "itin"}, "tax_id_kind", "ein or ssn"),
        ({"billing_npi": WRONG_CHECK_DIGIT}, "billing_npi", "check digit"),
        ({"billing_npi": "12345"}, "billing_npi", "10 digits"),
        ({"facility_npi": "3141592650"}, "facility_npi", "starts with 1 or 2"),
    ],
)
def test_a_bad_identifier_is_refused_naming_the_field_and_nothing_is_saved(
    owner: User, location: Location, values: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        _set(owner, location, **values)
    assert field in _errors(exc)
    assert words in " ".join(_errors(exc)[field])
    assert not LocationBilling.objects.filter(location=location).exists()
    assert not AuditEvent.objects.filter(action="settings", object_type="LocationBilling").exists()


def test_every_bad_field_is_named_at_once(owner: User, location: Location) -> None:
    with pytest.raises(ValidationError) as exc:
        _set(owner, location, tax_id="12", billing_npi="1", facility_npi=WRONG_CHECK_DIGIT)
    assert set(_errors(exc)) == {"tax_id", "billing_npi", "facility_npi"}


def test_an_empty_tax_id_clears_it_with_its_kind(owner: User, location: Location) -> None:
    _set(owner, location)
    cleared = _set(owner, location, tax_id="", tax_id_kind="ein", billing_npi="")
    cleared.refresh_from_db()
    assert (cleared.tax_id, cleared.tax_id_kind, cleared.billing_npi) == ("", "", "")


def test_the_change_is_audited_with_the_tax_id_masked(biller: User, location: Location) -> None:
    _set(biller, location)
    event = AuditEvent.objects.get(action="settings", object_type="LocationBilling")
    assert event.actor_id == biller.pk
    assert event.detail["tax_id"] == "**-***4567"
    assert event.detail["billing_npi"] == BILLING_NPI
    assert "591234567" not in str(event.detail)
    assert "59-1234567" not in str(event.detail)


@pytest.mark.parametrize("who", ["therapist", "front_desk", "outsider"])
def test_other_roles_and_organizations_may_not_set_them(
    request: pytest.FixtureRequest, who: str, location: Location
) -> None:
    with pytest.raises(PermissionDenied):
        _set(request.getfixturevalue(who), location)
    assert not LocationBilling.objects.filter(location=location).exists()


@given(st.from_regex(r"[1-9][0-9]{8}", fullmatch=True))
def test_an_ein_round_trips_through_its_written_form(digits: str) -> None:
    written = format_tax_id(digits, "ein")
    assert services.parse_tax_id(written, "ein") == digits
    assert services.parse_tax_id(digits, "ein") == digits
    assert mask_tax_id(digits, "ein").endswith(digits[-4:])
    assert digits[:5] not in mask_tax_id(digits, "ein")


# --- the settings page -------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), matrix(STAFF))
def test_the_tax_id_is_shown_in_full_only_to_owners_and_billers(
    request: pytest.FixtureRequest, who: str, status: int, owner: User, location: Location
) -> None:
    _set(owner, location, facility_npi=FACILITY_NPI)
    response = web_client(request, who).get("/billing/settings/")
    assert_answer(response, who, status)
    if status != 200:
        return
    page = response.content.decode()
    ours = who != "outsider"
    full = who in {"owner", "biller"}
    assert ("59-1234567" in page) == full
    assert ("591234567" in page) is False  # shown written, never as bare digits
    assert ("**-***4567" in page) == (ours and not full)
    assert (BILLING_NPI in page) == ours
    assert (FACILITY_NPI in page) == ours
    assert (f"Claim identifiers of {location.name}" in page) == full


@pytest.mark.parametrize(("who", "status"), matrix(CONFIGURE))
def test_each_persona_may_or_may_not_set_the_identifiers_on_the_settings_page(
    request: pytest.FixtureRequest, who: str, status: int, location: Location
) -> None:
    form = {
        "ids-location": str(location.public_id),
        "ids-tax_id": "59-1234567",
        "ids-tax_id_kind": "ein",
        "ids-billing_npi": BILLING_NPI,
        "ids-facility_npi": "",
    }
    response = web_client(request, who).post("/billing/settings/identifiers/", form)
    assert_answer(response, who, status)
    saved = LocationBilling.objects.filter(location=location, tax_id="591234567").exists()
    assert saved == (who in {"owner", "biller"})


def test_a_refused_identifier_is_shown_on_its_field_and_nothing_is_saved(
    client_for: object, biller: User, location: Location
) -> None:
    client = client_for(biller)  # type: ignore[operator]
    form = {
        "ids-location": str(location.public_id),
        "ids-tax_id": "59-12345",
        "ids-tax_id_kind": "ein",
        "ids-billing_npi": WRONG_CHECK_DIGIT,
        "ids-facility_npi": "",
    }
    response = client.post("/billing/settings/identifiers/", form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Federal tax id: An EIN is 9 digits" in page
    assert "Billing provider NPI: This NPI&#x27;s check digit is wrong" in page
    assert 'value="59-12345"' in page  # what was typed is kept for correcting
    assert not LocationBilling.objects.filter(location=location).exists()
    form |= {"ids-tax_id": "59-1234567", "ids-billing_npi": BILLING_NPI}
    assert client.post("/billing/settings/identifiers/", form).status_code == 302
    assert LocationBilling.objects.get(location=location).billing_npi == BILLING_NPI
