"""The claims export: every 1500 field Palpa holds for a real signed note's charges, as
CSV (one row per service line; parsed with the csv module) and JSON (round-trips)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import exports
from palpa.billing import services as billing
from palpa.billing.tests.documents_support import (
    GROUP,
    MEMBER_ID,
    PHYSICIAN_NPI,
    THERAPIST_NPI,
    VISITS,
    Billed,
    insured_course,
    self_pay_visit,
    set_self_pay_prices,
)
from palpa.core.npi import make_npi
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient
from palpa.patients.services import create_patient, update_patient

START = TODAY - dt.timedelta(days=30)
BILLING_NPI = make_npi("271828182")
FACILITY_NPI = make_npi("141421356")
PERIOD = {"start": START, "end": TODAY}


@pytest.fixture
def billed(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> Billed:
    update_patient(
        actor=owner,
        patient=patient,
        changes={
            "sex": "female",
            "address_line1": "14 Palm Ave",
            "city": "Tampa",
            "region": "FL",
            "postal_code": "33606",
        },
    )
    return insured_course(
        owner=owner, therapist=therapist, biller=biller, patient=patient, location=location
    )


def test_a_claim_carries_every_field_palpa_holds(billed: Billed, biller: User) -> None:
    claims = exports.claims(actor=biller, start=START, end=TODAY)
    assert len(claims) == 2
    claim = claims[0]
    assert claim["claim_id"] == str(billed.charges[0].public_id)
    expected = {
        "payer_name": "Gulf Coast Health Plan",
        "payer_id": "GCHP1",
        "insured_id": MEMBER_ID,  # 1a
        "patient_last_name": "Delgado",  # 2
        "patient_first_name": "Rosa",
        "patient_birth_date": "1971-03-14",  # 3
        "patient_sex": "F",
        "patient_address": "14 Palm Ave",  # 5
        "patient_city": "Tampa",
        "patient_state": "FL",
        "patient_zip": "33606",
        "patient_phone": "+1 813 555 0101",
        "insured_name": "Delgado, Rosa",  # 4 (self)
        "patient_relationship": "self",  # 6
        "insured_address": "14 Palm Ave",  # 7 (self)
        "insured_zip": "33606",
        "insured_group_number": GROUP,  # 11
        "insured_birth_date": "1971-03-14",  # 11a
        "insurance_plan_name": "Gulf Coast Health Plan",  # 11c
        "referring_qualifier": "DN",  # 17
        "referring_provider_name": "Laura Bennett, MD",
        "referring_provider_npi": PHYSICIAN_NPI,  # 17b
        "icd_indicator": "0",  # 21
        "diagnosis_a": "M54.50",
        "diagnosis_b": "M62.830",
        "diagnosis_c": "",
        "patient_account_no": billed.patient.mrn,  # 26
        "total_charge": "130.00",  # 28
        "provider_signature_name": "Tess Therapist, LMT",  # 31
        "provider_signature_date": TODAY.isoformat(),
        "facility_name": "Bayside Clinic",  # 32
        "facility_address": "1 Test Way",
        "facility_city_state_zip": "Tampa, FL 33602",
        "billing_provider_name": "Bayside Medical Massage",  # 33
    }
    assert {key: claim[key] for key in expected} == expected
    lines = {line["procedure_code"]: line for line in claim["lines"]}
    assert lines["97140"] | {"line_number": 0} == {
        "line_number": 0,
        "date_from": VISITS[0].isoformat(),  # 24A
        "date_to": VISITS[0].isoformat(),
        "place_of_service": "11",  # 24B
        "emergency": "",
        "procedure_code": "97140",  # 24D
        "modifier_1": "GP",
        "modifier_2": "",
        "modifier_3": "",
        "modifier_4": "",
        "diagnosis_pointer": "AB",  # 24E
        "charges": "90.00",  # 24F
        "units": 2,  # 24G
        "epsdt": "",
        "rendering_id_qualifier": "",
        "rendering_npi": THERAPIST_NPI,  # 24J
        "minutes": 25,
    }
    assert lines["97124"]["units"] == 1
    assert lines["97124"]["charges"] == "40.00"


def test_every_column_is_filled_or_named_as_not_recorded(billed: Billed, biller: User) -> None:
    claim = exports.claims(actor=biller, start=START, end=TODAY)[0]
    keys = {c.key for c in exports.COLUMNS}
    assert keys == (set(claim) - {"lines"}) | set(claim["lines"][0])
    blank = {c.key for c in exports.CLAIM_COLUMNS if claim[c.key] in ("", [])}
    # What Palpa does not record is exported empty, never guessed.
    assert blank == {
        "insurance_type",
        "other_insured_name",
        "condition_employment",
        "condition_auto_accident",
        "condition_other_accident",
        "patient_signature",
        "insured_signature",
        *(f"diagnosis_{letter}" for letter in "cdefghijkl"),
        "prior_authorization",
        "federal_tax_id",
        "federal_tax_id_kind",
        "accept_assignment",
        "facility_npi",
        "billing_provider_npi",
        "billing_provider_phone",  # the test location has no phone
    }
    for column in exports.COLUMNS:
        assert column.what
        assert column.item or column.key in {
            "claim_id",
            "form_version",
            "currency",
            "problems",
            "minutes",
        }


def test_an_unconfigured_location_leaves_items_25_and_33a_empty_and_lists_them(
    billed: Billed, biller: User
) -> None:
    claim = exports.claims(actor=biller, start=START, end=TODAY)[0]
    assert claim["federal_tax_id"] == claim["federal_tax_id_kind"] == ""
    assert claim["billing_provider_npi"] == claim["facility_npi"] == ""
    assert "item 25: the billing provider's federal tax id is not recorded" in claim["problems"]
    assert "item 33a: the billing provider's NPI is not recorded" in claim["problems"]
    assert not any(p.startswith(("item 1a", "item 21", "item 24")) for p in claim["problems"])


@pytest.mark.parametrize(
    ("tax_id", "kind", "digits", "shown"),
    [("59-1234567", "ein", "591234567", "EIN"), ("123-45-6789", "ssn", "123456789", "SSN")],
)
def test_a_configured_location_fills_items_25_32a_and_33a_and_lacks_nothing(
    billed: Billed,
    biller: User,
    location: Location,
    tax_id: str,
    kind: str,
    digits: str,
    shown: str,
) -> None:
    billing.set_billing_identifiers(
        actor=biller,
        location=location,
        tax_id=tax_id,
        tax_id_kind=kind,
        billing_npi=BILLING_NPI,
        facility_npi=FACILITY_NPI,
    )
    claims = exports.claims(actor=biller, start=START, end=TODAY)
    assert len(claims) == 2
    for claim in claims:
        assert claim["federal_tax_id"] == digits  # 25: digits, no hyphen
        assert claim["federal_tax_id_kind"] == shown
        assert claim["facility_npi"] == FACILITY_NPI  # 32a
        assert claim["billing_provider_npi"] == BILLING_NPI  # 33a
        assert claim["problems"] == []
    rows = list(csv.DictReader(io.StringIO(exports.to_csv(claims))))
    assert {(r["federal_tax_id"], r["billing_provider_npi"], r["problems"]) for r in rows} == {
        (digits, BILLING_NPI, "")
    }


def test_the_csv_parses_one_row_per_service_line(billed: Billed, biller: User) -> None:
    text = exports.to_csv(exports.claims(actor=biller, start=START, end=TODAY, fmt="csv"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4  # two visits, two codes each
    assert list(rows[0]) == [c.key for c in exports.COLUMNS]
    assert [(r["date_from"], r["procedure_code"], r["units"]) for r in rows] == [
        (VISITS[0].isoformat(), "97140", "2"),
        (VISITS[0].isoformat(), "97124", "1"),
        (VISITS[1].isoformat(), "97140", "2"),
        (VISITS[1].isoformat(), "97124", "1"),
    ]
    assert {r["insured_id"] for r in rows} == {MEMBER_ID}
    assert {r["rendering_npi"] for r in rows} == {THERAPIST_NPI}
    assert rows[0]["total_charge"] == "130.00"


def test_the_json_round_trips(billed: Billed, biller: User) -> None:
    claims = exports.claims(actor=biller, start=START, end=TODAY)
    doc = json.loads(exports.to_json(claims, start=START, end=TODAY))
    assert doc["claims"] == claims
    assert doc["period"] == {"start": PERIOD["start"].isoformat(), "end": TODAY.isoformat()}
    assert {c["key"]: c["item"] for c in doc["columns"]}["rendering_npi"] == "24J"


def test_a_text_cell_cannot_become_a_spreadsheet_formula(
    owner: User, therapist: User, biller: User, location: Location
) -> None:
    patient = create_patient(
        actor=owner,
        given_name="=HYPERLINK(1)",
        family_name="Test",
        date_of_birth=dt.date(1980, 1, 1),
        primary_location=location,
    )
    insured_course(
        owner=owner, therapist=therapist, biller=biller, patient=patient, location=location
    )
    rows = list(
        csv.DictReader(
            io.StringIO(exports.to_csv(exports.claims(actor=biller, start=START, end=TODAY)))
        )
    )
    assert {r["patient_first_name"] for r in rows} == {"'=HYPERLINK(1)"}


def test_self_pay_visits_are_not_claims(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> None:
    set_self_pay_prices(owner, location)
    self_pay_visit(
        owner=owner,
        therapist=therapist,
        biller=biller,
        patient=patient,
        location=location,
        on=VISITS[0],
    )
    assert exports.claims(actor=biller, start=START, end=TODAY) == []


def test_visits_outside_the_period_are_left_out(billed: Billed, biller: User) -> None:
    claims = exports.claims(actor=biller, start=VISITS[1], end=TODAY)
    assert [c["claim_id"] for c in claims] == [str(billed.charges[1].public_id)]


def test_every_export_is_audited(billed: Billed, owner: User) -> None:
    exports.claims(actor=owner, start=START, end=TODAY, fmt="csv")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).latest("seq")
    assert event.object_type == "ClaimsExport"
    assert event.detail["claims"] == 2
    assert event.detail["format"] == "csv"
    assert event.detail["patients"] == [billed.patient.mrn]


@pytest.mark.parametrize("persona", ["therapist", "front_desk"])
def test_only_owners_and_billers_export_claims(
    billed: Billed, persona: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(PermissionDenied):
        exports.claims(actor=request.getfixturevalue(persona), start=START, end=TODAY)


def test_another_organization_exports_none_of_these_claims(billed: Billed, outsider: User) -> None:
    assert exports.claims(actor=outsider, start=START, end=TODAY) == []
