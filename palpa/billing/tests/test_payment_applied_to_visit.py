"""A payment may be applied to a visit: the visit's claim (item 29, what the patient paid)
and its superbill then show it as paid; at most what is open on the visit; a refund of it
takes it back. Taken at the front desk, through the account page or the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import services
from palpa.billing.documents import superbill_content
from palpa.billing.exports import claim
from palpa.billing.models import Charge, Coverage, LedgerEntry, Payer
from palpa.billing.tests.support import charge_of, sign_visit
from palpa.core.tests.support import api_for, error_fields
from palpa.patients.models import Patient
from palpa.patients.services import create_patient


@pytest.fixture
def visit(therapist: User, patient: Patient, location: Location, self_pay_prices: None) -> Charge:
    charge = charge_of(sign_visit(therapist, patient, location))
    assert charge.total > 0
    return charge


def test_a_payment_for_the_visit_shows_as_paid_on_its_superbill_and_is_taken_back_by_a_refund(
    front_desk: User, biller: User, patient: Patient, visit: Charge
) -> None:
    assert superbill_content([visit], patient=patient)["paid"] == "0.00"
    payment = services.record_payment(
        actor=front_desk,
        patient=patient,
        amount="20.00",
        method="card",
        reference="TRM-1",
        charge=visit,
    )
    assert payment.charge == visit
    assert services.open_on_visit(visit) == visit.total - Decimal("20.00")
    assert superbill_content([visit], patient=patient)["paid"] == "20.00"
    services.refund_payment(actor=biller, payment=payment, amount="5.00", memo="Shorter visit")
    assert superbill_content([visit], patient=patient)["paid"] == "15.00"
    assert services.open_on_visit(visit) == visit.total - Decimal("15.00")
    entry = AuditEvent.objects.filter(object_id=str(payment.public_id)).latest("seq")
    assert entry.detail["visit"] == str(visit.public_id)


def test_a_claim_counts_what_the_patient_paid_for_the_visit_not_the_insurers_payments(
    front_desk: User,
    biller: User,
    therapist: User,
    patient: Patient,
    location: Location,
    insured: Coverage,
    payer: Payer,
) -> None:
    charge = charge_of(sign_visit(therapist, patient, location))
    assert claim(charge)["amount_paid"] == "0.00"
    services.record_payment(
        actor=front_desk, patient=patient, amount="10.00", method="cash", charge=charge
    )
    services.record_payment(
        actor=biller, patient=patient, amount="30.00", method="insurer", payer=payer, charge=charge
    )
    services.record_payment(actor=front_desk, patient=patient, amount="7.00", method="cash")
    assert claim(charge)["amount_paid"] == "10.00"  # item 29: the patient's, for this visit


def test_more_than_is_open_on_the_visit_is_refused_naming_the_amount(
    front_desk: User, patient: Patient, visit: Charge
) -> None:
    too_much = visit.total + Decimal("0.01")
    with pytest.raises(ValidationError) as refused:
        services.record_payment(
            actor=front_desk, patient=patient, amount=str(too_much), method="cash", charge=visit
        )
    assert "More than is open on this visit" in refused.value.message_dict["amount"][0]
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_another_patients_visit_is_refused(
    front_desk: User, owner: User, patient: Patient, visit: Charge, location: Location
) -> None:
    other = create_patient(
        actor=owner,
        given_name="Lena",
        family_name="Ortiz",
        date_of_birth=dt.date(1980, 1, 1),
        primary_location=location,
    )
    with pytest.raises(ValidationError) as refused:
        services.record_payment(
            actor=front_desk, patient=other, amount="5.00", method="cash", charge=visit
        )
    assert "another patient's" in refused.value.message_dict["charge"][0]


def test_the_front_desk_applies_a_payment_to_a_visit_on_the_account_page(
    client_for: Any, front_desk: User, patient: Patient, visit: Charge
) -> None:
    client = client_for(front_desk)
    url = f"/billing/patients/{patient.public_id}/"
    page = client.get(url).content.decode()
    assert "For the visit" in page
    assert f'value="{visit.public_id}"' in page
    assert f"{visit.total} USD open" in page
    response = client.post(
        f"{url}payment/",
        {"pay-amount": "12.50", "pay-method": "cash", "pay-charge": str(visit.public_id)},
        follow=True,
    )
    assert "Payment recorded for the visit." in response.content.decode()
    assert LedgerEntry.objects.get(kind="payment").charge == visit


def test_the_api_applies_a_payment_to_a_visit_and_refuses_a_visit_it_does_not_know(
    front_desk: User, outsider: User, patient: Patient, visit: Charge, outsider_patient: Patient
) -> None:
    api = api_for(front_desk, "token")
    url = f"/patients/{patient.public_id}/payments"
    made = api.post(url, {"amount": "8.00", "method": "cash", "charge": str(visit.public_id)})
    assert made.status_code == 201, made.content
    assert made.json()["charge"] == str(visit.public_id)
    unknown = api.post(url, {"amount": "8.00", "method": "cash", "charge": str(patient.public_id)})
    assert error_fields(unknown) == {"charge"}
    # Another organization cannot name this visit for its own patient.
    theirs = api_for(outsider, "token").post(
        f"/patients/{outsider_patient.public_id}/payments",
        {"amount": "1.00", "method": "cash", "charge": str(visit.public_id)},
    )
    assert error_fields(theirs) == {"charge"}
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
