"""ServiceRequest: a referral, with the referring physician contained."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from palpa.accounts.models import User
from palpa.fhir.tests.support import body, resources
from palpa.patients.models import Patient
from palpa.referrals.models import Referral
from palpa.referrals.services import add_physician, record_referral


@pytest.fixture
def referral(owner: User, patient: Patient) -> Referral:
    physician = add_physician(
        actor=owner, given_name="Grace", family_name="Hopper", credentials="MD", npi="1234567893"
    )
    return record_referral(
        actor=owner,
        patient=patient,
        physician=physician,
        diagnoses=["M54.50", "M62.830"],
        requested_service="Medical massage, low back",
        visits_authorized=12,
        starts_on=dt.date(2026, 6, 1),
        expires_on=dt.date(2026, 8, 31),
        frequency="2x/week x 6 weeks",
    )


def test_a_referral_reads_as_an_active_order_with_its_diagnoses_and_physician(
    fhir: Client, referral: Referral, patient: Patient
) -> None:
    found = body(fhir.get(f"/fhir/R4/ServiceRequest/{referral.public_id}"))
    assert found["status"] == "active"
    assert found["intent"] == "order"
    assert found["code"] == {"text": "Medical massage, low back"}
    assert found["subject"]["reference"] == f"Patient/{patient.public_id}"
    assert found["occurrencePeriod"] == {"start": "2026-06-01", "end": "2026-08-31"}
    assert found["quantityQuantity"] == {"value": 12, "unit": "visits"}
    codes = [r["coding"][0] for r in found["reasonCode"]]
    assert [(c["system"], c["code"]) for c in codes] == [
        ("http://hl7.org/fhir/sid/icd-10-cm", "M54.50"),
        ("http://hl7.org/fhir/sid/icd-10-cm", "M62.830"),
    ]
    assert found["requester"]["reference"] == "#requester"
    (physician,) = found["contained"]
    assert physician["identifier"] == [
        {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}
    ]


def test_referrals_are_searched_by_patient_and_diagnosis(
    fhir: Client, referral: Referral, patient: Patient
) -> None:
    by_patient = body(fhir.get("/fhir/R4/ServiceRequest", {"patient": str(patient.public_id)}))
    assert [r["id"] for r in resources(by_patient)] == [str(referral.public_id)]
    assert body(fhir.get("/fhir/R4/ServiceRequest", {"reason-code": "M62.830"}))["total"] == 1
    assert body(fhir.get("/fhir/R4/ServiceRequest", {"reason-code": "M54.2"}))["total"] == 0
    # The authorized period (June 1 to August 31) reaches past July.
    assert body(fhir.get("/fhir/R4/ServiceRequest", {"occurrence": "ge2026-07"}))["total"] == 1


# The referral's period is 2026-06-01 to 2026-08-31, both days included: what each prefix
# asks of it, worked out by hand from those two days.
OCCURRENCE = {
    "2026": 1,  # eq: within the year
    "2026-06": 0,  # not within June alone
    "ne2026-06": 1,
    "lt2026-06-01": 0,  # starts on, not before, June 1
    "lt2026-06-02": 1,
    "le2026-06-01": 1,  # starts within June 1
    "le2026-05-31": 0,
    "gt2026-08-31": 0,  # ends on, not after, August 31
    "gt2026-08-30": 1,
    "ge2026-08-31": 1,  # ends within August 31
    "ge2026-09-01": 0,
    "sa2026-05-31": 1,  # starts after May 31
    "sa2026-06-01": 0,
    "eb2026-09-01": 1,  # ends before September 1
    "eb2026-08-31": 0,
    "gt2026-07-01T10:00:00Z": 1,
}


def test_the_occurrence_period_meets_each_prefix_by_the_whole_period(
    fhir: Client, referral: Referral
) -> None:
    for value, expected in OCCURRENCE.items():
        found = body(fhir.get("/fhir/R4/ServiceRequest", {"occurrence": value}))
        assert found["total"] == expected, value


def test_reason_code_in_every_token_form(fhir: Client, referral: Referral) -> None:
    icd = "http://hl7.org/fhir/sid/icd-10-cm"
    for value, expected in {
        f"{icd}|M62.830": 1,
        f"{icd}|": 1,
        "|M62.830": 0,
        "urn:other|M62.830": 0,
        f"{icd}|M54.2": 0,
    }.items():
        found = body(fhir.get("/fhir/R4/ServiceRequest", {"reason-code": value}))
        assert found["total"] == expected, value


def test_billers_may_not_read_referrals(
    api_client_for: Callable[[User], Client], biller: User, referral: Referral
) -> None:
    response = api_client_for(biller).get(f"/fhir/R4/ServiceRequest/{referral.public_id}")
    assert response.status_code == 403


def test_another_organization_does_not_see_the_referral(
    outsider_fhir: Client, referral: Referral
) -> None:
    assert outsider_fhir.get(f"/fhir/R4/ServiceRequest/{referral.public_id}").status_code == 404
    assert body(outsider_fhir.get("/fhir/R4/ServiceRequest"))["total"] == 0
