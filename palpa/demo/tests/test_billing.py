"""The demo clinic bills its signed notes: insured and self-pay patients, a spa package in
use, posted payments, outstanding balances; its superbill, statement and claims export
work on that data.

The demo is built once per test worker and put back for the module (conftest.py).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from palpa.accounts.models import Location, Organization, User
from palpa.billing import documents, exports
from palpa.billing.models import Charge, Coverage, LedgerEntry, LocationBilling, PatientPrepaid
from palpa.billing.queries import account_balances
from palpa.care.models import TreatmentNote
from palpa.core.npi import is_valid_npi
from palpa.demo import billing as demo_billing


@pytest.fixture
def org(demo: Organization) -> Organization:
    return demo


def _biller(org: Organization) -> User:
    return User.objects.get(organization=org, email=demo_billing.BILLER)


def test_every_signed_note_has_a_charge(org: Organization) -> None:
    signed = TreatmentNote.objects.filter(organization=org, status=TreatmentNote.Status.SIGNED)
    charged = Charge.objects.filter(organization=org, note__in=signed)
    assert signed.count() > 50
    assert charged.count() == signed.count()


def test_the_demo_has_insured_and_self_pay_patients(org: Organization) -> None:
    coverages = Coverage.objects.filter(organization=org)
    insured = coverages.filter(kind="insurance")
    assert insured.count() == len(demo_billing.INSURED)
    assert insured.filter(subscriber_relationship="spouse").count() == 1
    assert coverages.filter(kind="self_pay").exists()
    charges = Charge.objects.filter(organization=org, status=Charge.Status.READY)
    assert charges.filter(payer__isnull=False).exists()
    assert charges.filter(payer__isnull=True).exists()


def test_some_charges_wait_for_the_billers_review(org: Organization) -> None:
    waiting = Charge.objects.filter(organization=org, status=Charge.Status.TO_REVIEW)
    assert waiting.count() >= len(demo_billing.TO_REVIEW)


def test_a_spa_package_is_in_use_with_visits_left(org: Organization) -> None:
    from palpa.billing.services import visits_left

    (prepaid,) = PatientPrepaid.objects.filter(organization=org, kind="package")
    draws = Charge.objects.filter(prepaid=prepaid).exclude(status=Charge.Status.VOID)
    assert draws.count() >= 1
    last_visit = draws.latest("date_of_service").date_of_service
    assert visits_left(prepaid, last_visit) >= 1
    assert LedgerEntry.objects.filter(prepaid=prepaid, kind="prepaid").exists()


def test_payments_are_posted_and_some_balances_are_outstanding(org: Organization) -> None:
    payments = LedgerEntry.objects.filter(organization=org, kind="payment")
    assert payments.filter(responsibility="insurer").exists()
    assert payments.filter(responsibility="patient", method="card").exists()
    assert LedgerEntry.objects.filter(organization=org, reason="contractual").exists()
    owing = [
        p
        for p in {e.patient for e in LedgerEntry.objects.filter(organization=org)}
        if account_balances(p)["patient"] > Decimal(0)
    ]
    assert len(owing) >= len(demo_billing.UNPAID)


def test_the_demo_superbill_statement_and_claims_export_work(org: Organization) -> None:
    biller = _biller(org)
    charge = (
        Charge.objects.filter(organization=org, status=Charge.Status.READY, payer__isnull=False)
        .order_by("date_of_service")
        .first()
    )
    assert charge is not None
    content, pdf = documents.superbill(actor=biller, charge_id=charge.public_id)
    assert pdf.startswith(b"%PDF")
    assert content["insurance"]["member_id"]
    assert content["visits"][0]["rendering_npi"]

    posted = LedgerEntry.objects.filter(patient=charge.patient).order_by("posted_on")
    first, last = posted.first(), posted.last()
    assert first is not None
    assert last is not None
    content, pdf = documents.statement(
        actor=biller, patient=charge.patient, start=first.posted_on, end=last.posted_on
    )
    assert pdf.startswith(b"%PDF")
    assert content["entries"]
    assert content["insurer_pending"] != "0.00" or content["patient_due"] != "0.00"

    end = Charge.objects.filter(organization=org).latest("date_of_service").date_of_service
    found = exports.claims(actor=biller, start=charge.date_of_service, end=end)
    rows = list(csv.DictReader(io.StringIO(exports.to_csv(found))))
    assert rows
    assert all(r["insured_id"] and r["procedure_code"] and r["units"] for r in rows)


def test_both_demo_locations_hold_an_invented_ein_and_a_billing_npi(org: Organization) -> None:
    locations = Location.objects.filter(organization=org)
    assert locations.count() == 2
    for location in locations:
        ids = LocationBilling.objects.get(location=location)
        assert (ids.tax_id, ids.tax_id_kind) == ("971234567", "ein")
        assert is_valid_npi(ids.billing_npi)
        assert ids.facility_npi == ""


def test_the_demo_claims_lack_no_tax_id_or_billing_npi(org: Organization) -> None:
    first = Charge.objects.filter(organization=org).earliest("date_of_service")
    last = Charge.objects.filter(organization=org).latest("date_of_service")
    found = exports.claims(
        actor=_biller(org), start=first.date_of_service, end=last.date_of_service
    )
    assert found
    for claim in found:
        assert claim["federal_tax_id"] == "971234567"
        assert claim["federal_tax_id_kind"] == "EIN"
        assert is_valid_npi(claim["billing_provider_npi"])
        assert not any(p.startswith(("item 25", "item 33a")) for p in claim["problems"])
