"""The patient ledger: payments, refunds, adjustments, transfers, reversals, invoices.
Nothing is edited after posting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.billing import services
from palpa.billing.models import Invoice, LedgerChanged, LedgerEntry, Payer, PrepaidPlan
from palpa.billing.queries import account_balances, patient_balance
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient


@pytest.fixture
def facial_package(owner: User) -> PrepaidPlan:
    return services.add_prepaid_plan(
        actor=owner,
        kind="package",
        name="5 x 60 minutes",
        visits=5,
        price="400.00",
        minutes_per_visit=60,
    )


@pytest.fixture
def owing(front_desk: User, patient: Patient, facial_package: PrepaidPlan) -> Patient:
    """The patient bought a package for 400.00 and has not paid yet."""
    services.sell_prepaid(actor=front_desk, patient=patient, plan=facial_package)
    return patient


def test_a_cash_payment_lowers_the_balance_and_is_audited(front_desk: User, owing: Patient) -> None:
    assert patient_balance(owing) == Decimal("400.00")
    entry = services.record_payment(actor=front_desk, patient=owing, amount="150.00", method="cash")
    assert entry.amount == Decimal("-150.00")
    assert patient_balance(owing) == Decimal("250.00")
    audit = AuditEvent.objects.get(object_id=str(entry.public_id))
    assert audit.patient_id == str(owing.public_id)
    assert audit.detail["amount"] == "-150.00"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "0", "method": "cash"}, "amount"),
        ({"amount": "-5", "method": "cash"}, "amount"),
        ({"amount": "10.005", "method": "cash"}, "amount"),
        ({"amount": "ten", "method": "cash"}, "amount"),
        ({"amount": "10", "method": "card"}, "reference"),
        ({"amount": "10", "method": "insurer"}, "payer"),
        ({"amount": "10", "method": "barter"}, "method"),
        ({"amount": "10", "method": "cash", "currency": "EUR"}, "currency"),
    ],
)
def test_bad_payments_are_refused_naming_the_field(
    front_desk: User, owing: Patient, fields: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.record_payment(actor=front_desk, patient=owing, **fields)  # type: ignore[arg-type]
    assert field in caught.value.message_dict
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_a_card_payment_keeps_the_terminal_reference(front_desk: User, owing: Patient) -> None:
    entry = services.record_payment(
        actor=front_desk, patient=owing, amount="400", method="card", reference="TRM-0042-7781"
    )
    assert entry.reference == "TRM-0042-7781"
    assert patient_balance(owing) == 0


def test_an_insurer_payment_lowers_the_insurers_part(
    biller: User, owner: User, patient: Patient, payer: Payer
) -> None:
    services.record_payment(
        actor=biller,
        patient=patient,
        amount="61.20",
        method="insurer",
        payer=payer,
        reference="EOB 88812",
    )
    assert account_balances(patient) == {
        "patient": Decimal("0.00"),
        "insurer": Decimal("-61.20"),
        "total": Decimal("-61.20"),
    }


def test_a_refund_is_at_most_what_is_left_of_the_payment(
    front_desk: User, biller: User, owing: Patient
) -> None:
    payment = services.record_payment(actor=front_desk, patient=owing, amount="400", method="cash")
    with pytest.raises(PermissionDenied):
        services.refund_payment(actor=front_desk, payment=payment, amount="50", memo="Overpaid")
    services.refund_payment(actor=biller, payment=payment, amount="100.00", memo="Overpaid")
    with pytest.raises(services.LedgerRefused, match=r"At most 300.00 USD"):
        services.refund_payment(actor=biller, payment=payment, amount="300.01", memo="Again")
    services.refund_payment(actor=biller, payment=payment, amount="300.00", memo="Package returned")
    assert patient_balance(owing) == Decimal("400.00")


def test_an_adjustment_needs_its_reason_and_description(biller: User, owing: Patient) -> None:
    with pytest.raises(ValidationError) as caught:
        services.post_adjustment(actor=biller, patient=owing, amount="-20", reason="", memo="")
    assert set(caught.value.message_dict) == {"reason", "memo"}
    services.post_adjustment(
        actor=biller, patient=owing, amount="-40.00", reason="courtesy", memo="Loyal client"
    )
    assert patient_balance(owing) == Decimal("360.00")


def test_a_reversal_cancels_an_entry_exactly_and_only_once(
    front_desk: User, biller: User, owing: Patient
) -> None:
    payment = services.record_payment(actor=front_desk, patient=owing, amount="90", method="cash")
    reversal = services.reverse_entry(actor=biller, entry=payment, memo="Recorded twice")
    assert reversal.amount == Decimal("90.00")
    assert reversal.reverses == payment
    assert patient_balance(owing) == Decimal("400.00")
    with pytest.raises(services.LedgerRefused, match="reversed already"):
        services.reverse_entry(actor=biller, entry=payment, memo="again")
    with pytest.raises(services.LedgerRefused, match="A reversal is not reversed"):
        services.reverse_entry(actor=biller, entry=reversal, memo="undo")
    with pytest.raises(services.LedgerRefused, match=r"At most 0\.00"):
        services.refund_payment(actor=biller, payment=payment, amount="1", memo="x")


def test_a_payment_with_refunds_is_reversed_after_them(
    front_desk: User, biller: User, owing: Patient
) -> None:
    payment = services.record_payment(actor=front_desk, patient=owing, amount="90", method="cash")
    refund = services.refund_payment(actor=biller, payment=payment, amount="10", memo="Change")
    with pytest.raises(services.LedgerRefused, match="refunds first"):
        services.reverse_entry(actor=biller, entry=payment, memo="wrong patient")
    services.reverse_entry(actor=biller, entry=refund, memo="wrong patient")
    services.reverse_entry(actor=biller, entry=payment, memo="wrong patient")
    assert patient_balance(owing) == Decimal("400.00")


def test_posted_entries_never_change_and_are_never_deleted(
    front_desk: User, owing: Patient
) -> None:
    entry = services.record_payment(actor=front_desk, patient=owing, amount="5", method="cash")
    entry.amount = Decimal("-500.00")
    with pytest.raises(LedgerChanged):
        entry.save()
    with pytest.raises(LedgerChanged):
        entry.delete()
    with pytest.raises(LedgerChanged):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("-1"))
    with pytest.raises(LedgerChanged):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.get(pk=entry.pk).amount == Decimal("-5.00")


def test_a_transfer_moves_the_insurers_part_to_the_patient(
    biller: User, patient: Patient, payer: Payer
) -> None:
    services.post_adjustment(  # stands in for a posted insurance charge of 92.00
        actor=biller,
        patient=patient,
        amount="92.00",
        reason="correction",
        memo="Opening balance",
        responsibility="insurer",
        payer=payer,
    )
    with pytest.raises(services.LedgerRefused, match="insurer's part"):
        services.transfer_to_patient(actor=biller, patient=patient, amount="92.01", memo="x")
    services.transfer_to_patient(
        actor=biller, patient=patient, amount="25.00", memo="Deductible", payer=payer
    )
    assert account_balances(patient) == {
        "patient": Decimal("25.00"),
        "insurer": Decimal("67.00"),
        "total": Decimal("92.00"),
    }


def test_invoices_are_numbered_and_bill_each_charge_once(
    front_desk: User, owing: Patient, facial_package: PrepaidPlan
) -> None:
    first = services.issue_invoice(actor=front_desk, patient=owing)
    assert (first.number, first.total) == (1, Decimal("400.00"))
    with pytest.raises(services.LedgerRefused, match="Nothing new"):
        services.issue_invoice(actor=front_desk, patient=owing)
    services.sell_prepaid(actor=front_desk, patient=owing, plan=facial_package)
    second = services.issue_invoice(actor=front_desk, patient=owing)
    assert (second.number, second.total, second.items.count()) == (2, Decimal("400.00"), 1)
    second.total = Decimal(1)
    with pytest.raises(LedgerChanged):
        second.save()
    assert Invoice.objects.count() == 2


def test_a_membership_bills_its_fee_once_a_month(
    owner: User, front_desk: User, patient: Patient
) -> None:
    plan = services.add_prepaid_plan(
        actor=owner, kind="membership", name="Monthly wellness", visits=2, price="89.00"
    )
    membership = services.sell_prepaid(actor=front_desk, patient=patient, plan=plan)
    with pytest.raises(services.LedgerRefused, match="March 2026 is charged already"):
        services.bill_membership_month(actor=front_desk, prepaid=membership, month=TODAY)
    services.bill_membership_month(
        actor=front_desk, prepaid=membership, month=TODAY + dt.timedelta(days=31)
    )
    assert patient_balance(patient) == Decimal("178.00")


def test_the_schedule_flags_an_unpaid_balance(
    owner: User, front_desk: User, owing: Patient
) -> None:
    from palpa.patients.services import create_patient
    from palpa.scheduling.flags import flags_for_many

    settled = create_patient(
        actor=owner, given_name="Sam", family_name="Settled", date_of_birth=dt.date(1990, 1, 1)
    )
    found = flags_for_many([owing, settled])
    assert [f.label for f in found[owing.pk] if f.code == "unpaid_balance"] == [
        "Unpaid balance 400.00"
    ]
    assert not [f for f in found[settled.pk] if f.code == "unpaid_balance"]
    services.record_payment(actor=front_desk, patient=owing, amount="400", method="cash")
    assert not [f for f in flags_for_many([owing])[owing.pk] if f.code == "unpaid_balance"]
