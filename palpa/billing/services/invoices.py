"""Invoices: what the patient owes, issued from the open ledger entries (``billing:invoice``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q

from palpa.accounts.models import Organization, User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action
from palpa.billing.models import (
    Invoice,
    InvoiceItem,
    LedgerEntry,
)
from palpa.billing.money import round_money
from palpa.billing.services._common import Kind, LedgerRefused, Resp, _audit, _lock_patient
from palpa.core.dates import local_today
from palpa.core.tenancy import require_same_organization
from palpa.patients.models import Patient


def issue_invoice(*, actor: User, patient: Patient, issued_on: dt.date | None = None) -> Invoice:
    """Bill the patient for what is theirs and not yet invoiced (charges and amounts moved
    to them), numbered per organization."""
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, patient)
    with transaction.atomic():
        _lock_patient(patient)
        entries = list(
            LedgerEntry.objects.filter(
                patient=patient,
                responsibility=Resp.PATIENT,
                amount__gt=0,
                invoice_item__isnull=True,
                reversed_by__isnull=True,
            )
            .filter(
                Q(kind=Kind.CHARGE) | Q(kind=Kind.ADJUSTMENT, reason=LedgerEntry.Reason.TRANSFER)
            )
            .order_by("posted_at", "pk")
        )
        if not entries:
            raise LedgerRefused("Nothing new to invoice for this patient.")
        org = Organization.objects.select_for_update().get(pk=patient.organization_id)
        last = Invoice.objects.filter(organization=org).aggregate(n=Max("number"))["n"] or 0
        invoice = Invoice(
            organization=org,
            patient=patient,
            number=last + 1,
            issued_on=issued_on or local_today(patient),
            total=round_money(sum((e.amount for e in entries), Decimal(0))),
            currency=entries[0].currency,
            issued_by=actor,
        )
        invoice.save()
        for entry in entries:
            InvoiceItem.objects.create(organization=org, invoice=invoice, entry=entry)
        _audit(
            actor,
            Action.CREATE,
            invoice,
            patient,
            number=invoice.number,
            total=str(invoice.total),
            entries=[str(e.public_id) for e in entries],
        )
    return invoice
