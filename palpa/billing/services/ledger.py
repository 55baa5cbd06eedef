"""Payments, refunds, adjustments, transfers and reversals: entries only ever added to a
patient's ledger (``billing:payment``, ``billing:adjustment``, ``billing:transfer``,
``billing:refund``, ``billing:reverse``)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action
from palpa.billing.models import (
    Charge,
    LedgerEntry,
    Payer,
)
from palpa.billing.money import round_money
from palpa.billing.services._common import (
    Kind,
    LedgerRefused,
    Resp,
    _account_currency,
    _audit,
    _check_currency,
    _entry_detail,
    _lock_patient,
    _post,
    parse_amount,
)
from palpa.core.dates import local_today
from palpa.core.tenancy import require_same_organization
from palpa.patients.models import Patient


def record_payment(
    *,
    actor: User,
    patient: Patient,
    amount: Any,
    method: str,
    reference: str = "",
    payer: Payer | None = None,
    memo: str = "",
    currency: str | None = None,
    posted_on: dt.date | None = None,
    charge: Charge | None = None,
) -> LedgerEntry:
    """A payment received: from the patient (cash, card, check, other) or an insurer;
    with ``charge``, applied to that visit (claim item 29 and the superbill's "paid"
    count it), at most what is open on the visit."""
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, patient, payer, charge)
    value = parse_amount(amount)
    errors: dict[str, str] = {}
    if charge is not None:
        if charge.patient_id != patient.pk:
            errors["charge"] = "This visit is another patient's."
        elif charge.status == Charge.Status.VOID:
            errors["charge"] = "This visit's charge is void: it takes no payment."
        else:
            left = open_on_visit(charge)
            if value > left:
                errors["amount"] = (
                    f"More than is open on this visit ({left} {charge.currency}); "
                    "record the rest without a visit."
                )
    if method not in LedgerEntry.Method.values or not method:
        errors["method"] = "cash, card, check, insurer or other."
    if method == LedgerEntry.Method.CARD and not reference.strip():
        errors["reference"] = "A card payment records the terminal's reference."
    if method == LedgerEntry.Method.INSURER and payer is None:
        errors["payer"] = "An insurer payment names the payer."
    if method != LedgerEntry.Method.INSURER and payer is not None:
        errors["payer"] = "Only an insurer payment names a payer."
    if posted_on is not None and posted_on > local_today(patient):
        errors["posted_on"] = "A payment is recorded on or after the day it was received."
    if errors:
        raise ValidationError(errors)
    _check_currency(patient, currency or _account_currency(patient))
    with transaction.atomic():
        _lock_patient(patient)
        entry = _post(
            actor=actor,
            patient=patient,
            kind=Kind.PAYMENT,
            amount=-value,
            batch=uuid.uuid4(),
            responsibility=Resp.INSURER if payer is not None else Resp.PATIENT,
            currency=currency,
            posted_on=posted_on,
            payer=payer,
            method=method,
            reference=reference.strip()[:100],
            memo=memo.strip()[:300],
            charge=charge,
        )
        visit: dict[str, Any] = {"visit": str(charge.public_id)} if charge is not None else {}
        _audit(actor, Action.CREATE, entry, patient, **_entry_detail(entry), method=method, **visit)
    return entry


APPLIED_KINDS = (Kind.PAYMENT, Kind.REFUND, Kind.ADJUSTMENT, Kind.PREPAID_CREDIT)


def open_on_visit(charge: Charge) -> Decimal:
    """What is still owed on a visit: its total less the payments, prepaid draws and
    adjustments applied to it (refunds add back)."""
    applied = LedgerEntry.objects.filter(charge=charge, kind__in=APPLIED_KINDS).aggregate(
        s=Sum("amount")
    )["s"] or Decimal(0)
    return max(round_money(charge.total + applied), Decimal(0))


def refundable(payment: LedgerEntry) -> Decimal:
    """What of a payment can still be refunded: its amount less refunds not reversed."""
    if payment.kind != Kind.PAYMENT or _is_reversed(payment):
        return Decimal("0.00")
    refunded = LedgerEntry.objects.filter(refund_of=payment, reversed_by__isnull=True).aggregate(
        total=Sum("amount")
    )["total"]
    return round_money(-payment.amount - (refunded or 0))


def _is_reversed(entry: LedgerEntry) -> bool:
    """Whether a reversal names this entry."""
    return LedgerEntry.objects.filter(reverses=entry).exists()


def refund_payment(*, actor: User, payment: LedgerEntry, amount: Any, memo: str) -> LedgerEntry:
    """Give money back from a payment (at most what is left of it)."""
    require(actor, Capability.BILLING_CORRECT_LEDGER)
    require_same_organization(actor, payment)
    value = parse_amount(amount)
    if not memo.strip():
        raise ValidationError({"memo": "Say why the money is refunded."})
    with transaction.atomic():
        locked = LedgerEntry.objects.select_for_update().get(pk=payment.pk)
        if locked.kind != Kind.PAYMENT:
            raise LedgerRefused("Only a payment is refunded.")
        left = refundable(locked)
        if value > left:
            raise LedgerRefused(f"At most {left} {locked.currency} of this payment is left.")
        entry = _post(
            actor=actor,
            patient=locked.patient,
            kind=Kind.REFUND,
            amount=value,
            batch=uuid.uuid4(),
            responsibility=locked.responsibility,
            currency=locked.currency,
            payer=locked.payer,
            method=locked.method,
            reference=locked.reference,
            refund_of=locked,
            memo=memo.strip()[:300],
            charge=locked.charge,
        )
        _audit(actor, Action.CREATE, entry, locked.patient, **_entry_detail(entry), of=str(locked))
    return entry


ADJUSTMENT_REASONS = (
    LedgerEntry.Reason.CONTRACTUAL,
    LedgerEntry.Reason.WRITE_OFF,
    LedgerEntry.Reason.COURTESY,
    LedgerEntry.Reason.CORRECTION,
    LedgerEntry.Reason.OTHER,
)


def post_adjustment(
    *,
    actor: User,
    patient: Patient,
    amount: Any,
    reason: str,
    memo: str,
    responsibility: str = Resp.PATIENT,
    payer: Payer | None = None,
) -> LedgerEntry:
    """An adjustment with its reason: negative lowers the balance (a write-off, a
    contractual adjustment), positive raises it."""
    require(actor, Capability.BILLING_CORRECT_LEDGER)
    require_same_organization(actor, patient, payer)
    value = parse_amount(amount, signed=True)
    errors: dict[str, str] = {}
    if reason not in ADJUSTMENT_REASONS:
        errors["reason"] = "contractual, write_off, courtesy, correction or other."
    if not memo.strip():
        errors["memo"] = "Describe the adjustment."
    if responsibility not in Resp.values:
        errors["responsibility"] = "patient or insurer."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _lock_patient(patient)
        entry = _post(
            actor=actor,
            patient=patient,
            kind=Kind.ADJUSTMENT,
            amount=value,
            batch=uuid.uuid4(),
            responsibility=responsibility,
            payer=payer,
            reason=reason,
            memo=memo.strip()[:300],
        )
        _audit(actor, Action.CREATE, entry, patient, **_entry_detail(entry), reason=reason)
    return entry


def transfer_to_patient(
    *, actor: User, patient: Patient, amount: Any, memo: str, payer: Payer | None = None
) -> list[LedgerEntry]:
    """Move an amount the insurer will not pay to the patient's responsibility: two
    entries in one batch that add up to zero."""
    require(actor, Capability.BILLING_CORRECT_LEDGER)
    require_same_organization(actor, patient, payer)
    value = parse_amount(amount)
    if not memo.strip():
        raise ValidationError({"memo": "Say why (e.g. deductible, denied, not covered)."})
    with transaction.atomic():
        _lock_patient(patient)
        owed = LedgerEntry.objects.filter(patient=patient, responsibility=Resp.INSURER).aggregate(
            total=Sum("amount")
        )["total"] or Decimal(0)
        if value > owed:
            raise LedgerRefused(f"The insurer's part of this account is {round_money(owed)}.")
        batch = uuid.uuid4()
        common: dict[str, Any] = {
            "actor": actor,
            "patient": patient,
            "kind": Kind.ADJUSTMENT,
            "batch": batch,
            "payer": payer,
            "reason": LedgerEntry.Reason.TRANSFER,
            "memo": memo.strip()[:300],
        }
        pair = [
            _post(amount=-value, responsibility=Resp.INSURER, **common),
            _post(amount=value, responsibility=Resp.PATIENT, **common),
        ]
        _audit(
            actor,
            Action.CREATE,
            pair[1],
            patient,
            transfer=str(value),
            batch=str(batch),
        )
    return pair


def reverse_entry(*, actor: User, entry: LedgerEntry, memo: str) -> LedgerEntry:
    """Cancel a posted entry by its exact opposite (the entry itself stays)."""
    require(actor, Capability.BILLING_CORRECT_LEDGER)
    require_same_organization(actor, entry)
    if not memo.strip():
        raise ValidationError({"memo": "Say why the entry is reversed."})
    with transaction.atomic():
        locked = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.kind == Kind.REVERSAL:
            raise LedgerRefused("A reversal is not reversed; post the entry again instead.")
        if _is_reversed(locked):
            raise LedgerRefused("This entry was reversed already.")
        if locked.charge_id is not None:
            raise LedgerRefused("Entries of a visit's charge are reversed by voiding the charge.")
        if locked.reason == LedgerEntry.Reason.TRANSFER:
            raise LedgerRefused("A transfer is undone by a transfer back, not a reversal.")
        if LedgerEntry.objects.filter(refund_of=locked, reversed_by__isnull=True).exists():
            raise LedgerRefused("Reverse this payment's refunds first.")
        _lock_patient(locked.patient)
        reversal = _post(
            actor=actor,
            patient=locked.patient,
            kind=Kind.REVERSAL,
            amount=-locked.amount,
            batch=uuid.uuid4(),
            responsibility=locked.responsibility,
            currency=locked.currency,
            payer=locked.payer,
            prepaid=locked.prepaid,
            reverses=locked,
            reason=LedgerEntry.Reason.CORRECTION,
            memo=memo.strip()[:300],
        )
        _audit(
            actor,
            Action.CREATE,
            reversal,
            locked.patient,
            **_entry_detail(reversal),
            reverses=_entry_detail(locked),
        )
    return reversal
