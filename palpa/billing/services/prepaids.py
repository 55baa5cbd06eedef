"""Packages and memberships: a prepaid plan sold to a patient, a membership's month
billed, a package or membership ended (``billing:prepaid``, ``billing:prepaid_end``)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action
from palpa.billing.models import (
    LedgerEntry,
    PatientPrepaid,
    PrepaidPlan,
)
from palpa.billing.services._common import (
    Kind,
    LedgerRefused,
    _audit,
    _check_currency,
    _entry_detail,
    _lock_patient,
    _post,
)
from palpa.core.dates import local_today
from palpa.core.tenancy import require_same_organization
from palpa.patients.models import Patient


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def sell_prepaid(
    *, actor: User, patient: Patient, plan: PrepaidPlan, starts_on: dt.date | None = None
) -> PatientPrepaid:
    """Sell a package (its price is charged once) or start a membership (the first
    month's fee is charged)."""
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, patient, plan)
    if not plan.active:
        raise LedgerRefused(f"{plan} is no longer sold.")
    if patient.status != Patient.Status.ACTIVE:
        raise LedgerRefused("The patient's record is not active.")
    start = starts_on or local_today(patient)
    _check_currency(patient, plan.currency)
    with transaction.atomic():
        _lock_patient(patient)
        prepaid = PatientPrepaid(
            organization_id=patient.organization_id,
            patient=patient,
            plan=plan,
            kind=plan.kind,
            visits=plan.visits,
            price=plan.price,
            currency=plan.currency,
            starts_on=start,
        )
        prepaid.save()
        posted = None
        if plan.price > 0:
            posted = _post(
                actor=actor,
                patient=patient,
                kind=Kind.CHARGE,
                amount=plan.price,
                batch=uuid.uuid4(),
                currency=plan.currency,
                prepaid=prepaid,
                period_start=_month(start) if plan.kind == PrepaidPlan.Kind.MEMBERSHIP else None,
                memo=f"{plan}",
            )
        _audit(
            actor,
            Action.CREATE,
            prepaid,
            patient,
            plan=plan.name,
            kind=plan.kind,
            posted=_entry_detail(posted) if posted else None,
        )
    return prepaid


def bill_membership_month(*, actor: User, prepaid: PatientPrepaid, month: dt.date) -> LedgerEntry:
    """Charge a membership's fee for the month of ``month`` (once a month)."""
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, prepaid)
    period = _month(month)
    if prepaid.kind != PrepaidPlan.Kind.MEMBERSHIP:
        raise LedgerRefused("Only a membership has a monthly fee.")
    if prepaid.status != PatientPrepaid.Status.ACTIVE or (
        prepaid.ends_on is not None and period > _month(prepaid.ends_on)
    ):
        raise LedgerRefused("This membership has ended.")
    if period < _month(prepaid.starts_on):
        raise ValidationError({"month": "The membership starts later."})
    if prepaid.price <= 0:
        raise LedgerRefused("This membership has no fee.")
    with transaction.atomic():
        _lock_patient(prepaid.patient)
        billed = LedgerEntry.objects.filter(
            prepaid=prepaid, kind=Kind.CHARGE, period_start=period, reversed_by__isnull=True
        )
        if billed.exists():
            raise LedgerRefused(f"The fee for {period:%B %Y} is charged already.")
        entry = _post(
            actor=actor,
            patient=prepaid.patient,
            kind=Kind.CHARGE,
            amount=prepaid.price,
            batch=uuid.uuid4(),
            currency=prepaid.currency,
            prepaid=prepaid,
            period_start=period,
            memo=f"{prepaid.plan}, {period:%B %Y}",
        )
        _audit(actor, Action.CREATE, entry, prepaid.patient, **_entry_detail(entry))
    return entry


def end_prepaid(*, actor: User, prepaid: PatientPrepaid, ends_on: dt.date) -> PatientPrepaid:
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, prepaid)
    if prepaid.status != PatientPrepaid.Status.ACTIVE:
        raise LedgerRefused("This package or membership has already ended.")
    if ends_on < prepaid.starts_on:
        raise ValidationError({"ends_on": "It ends on or after the day it started."})
    with transaction.atomic():
        prepaid.ends_on = ends_on
        # Visits up to and including the last day still draw from it (see _draw_from).
        prepaid.status = (
            PatientPrepaid.Status.ENDED
            if ends_on < local_today(prepaid.patient)
            else PatientPrepaid.Status.ACTIVE
        )
        prepaid.save(update_fields=["ends_on", "status", "updated_at"])
        _audit(actor, Action.UPDATE, prepaid, prepaid.patient, ends_on=ends_on.isoformat())
    return prepaid
