"""What every billing service shares: the refusals, the audit entry, typed amounts,
the account's currency, posting a ledger entry and locking an account."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from palpa.accounts.models import Organization, User
from palpa.audit.services import record
from palpa.billing.models import (
    LedgerEntry,
)
from palpa.billing.money import DEFAULT_CURRENCY, MAX_AMOUNT, round_money
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.patients.models import Patient

Kind = LedgerEntry.Kind


Resp = LedgerEntry.Responsibility


CURRENCY = re.compile(r"^[A-Z]{3}$")


class LedgerRefused(Refused):
    code = "ledger"


class ChargeRefused(Refused):
    code = "charge"


def _audit(
    actor: User | None,
    action: str,
    obj: Any,
    patient: Patient | None = None,
    *,
    organization_id: int | None = None,
    **detail: Any,
) -> None:
    record(
        actor=actor,
        action=action,
        obj=obj,
        organization=Organization(pk=organization_id) if organization_id else None,
        patient_id=str(patient.public_id) if patient is not None else "",
        detail=detail,
        actor_label="" if actor is not None else "billing",
    )


def parse_amount(value: Any, field: str = "amount", *, signed: bool = False) -> Decimal:
    """An amount typed by a person: at most 2 decimal places (never silently rounded),
    more than zero unless ``signed`` (then not zero), at most MAX_AMOUNT."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Enter an amount such as 45.00."}) from None
    if not amount.is_finite():
        raise ValidationError({field: "Enter an amount such as 45.00."})
    if abs(amount) > MAX_AMOUNT:  # first: 1e309 or 30 digits cannot even be rounded
        raise ValidationError({field: f"The amount is at most {MAX_AMOUNT}."})
    if amount != round_money(amount):
        raise ValidationError({field: "An amount has at most 2 decimal places (cents)."})
    if signed and amount == 0:
        raise ValidationError({field: "An adjustment is not zero."})
    if not signed and amount <= 0:
        raise ValidationError({field: "The amount is more than zero."})
    return round_money(amount)


def _account_currency(patient: Patient) -> str:
    first = LedgerEntry.objects.filter(patient=patient).values_list("currency", flat=True).first()
    return first or DEFAULT_CURRENCY


def _check_currency(patient: Patient, currency: str, field: str = "currency") -> None:
    if not CURRENCY.fullmatch(currency):
        raise ValidationError({field: "A currency is an ISO 4217 code such as USD."})
    account = _account_currency(patient)
    if currency != account:
        raise ValidationError({field: f"This patient's account is kept in {account}."})


def _post(
    *,
    actor: User,
    patient: Patient,
    kind: str,
    amount: Decimal,
    batch: uuid.UUID,
    responsibility: str = Resp.PATIENT,
    currency: str | None = None,
    posted_on: dt.date | None = None,
    **fields: Any,
) -> LedgerEntry:
    entry = LedgerEntry(
        organization_id=patient.organization_id,
        patient=patient,
        kind=kind,
        amount=round_money(amount),
        responsibility=responsibility,
        currency=currency or _account_currency(patient),
        posted_on=posted_on or local_today(patient),
        posted_at=timezone.now(),
        posted_by=actor,
        batch=batch,
        **fields,
    )
    entry.save()
    return entry


def _entry_detail(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "entry": str(entry.public_id),
        "kind": entry.kind,
        "amount": str(entry.amount),
        "currency": entry.currency,
        "responsibility": entry.responsibility,
    }


def _lock_patient(patient: Patient) -> None:
    """Writers of one account take turns (SQLite serializes writers anyway)."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
