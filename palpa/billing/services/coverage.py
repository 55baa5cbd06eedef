"""A patient's insurance coverage: added, ended, or entered in error (``billing:coverage``,
``billing:coverage_end``, ``billing:coverage_entered_in_error``)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action
from palpa.billing.models import (
    Coverage,
    Payer,
)
from palpa.billing.services._common import LedgerRefused, _audit
from palpa.core.dates import local_today
from palpa.core.tenancy import require_same_organization
from palpa.patients.models import Patient

COVERAGE_FIELDS = (
    "member_id",
    "group_number",
    "subscriber_name",
    "subscriber_relationship",
    "subscriber_date_of_birth",
    "ends_on",
)


def add_coverage(
    *,
    actor: User,
    patient: Patient,
    kind: str,
    starts_on: dt.date,
    payer: Payer | None = None,
    member_id: str = "",
    group_number: str = "",
    subscriber_name: str = "",
    subscriber_relationship: str = Coverage.Relationship.SELF,
    subscriber_date_of_birth: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Coverage:
    """Record who the patient's visits are billed to from ``starts_on``."""
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, patient, payer)
    errors: dict[str, str] = {}
    if kind == Coverage.Kind.INSURANCE:
        if payer is None:
            errors["payer"] = "Insurance coverage names the payer."
        elif not payer.active:
            errors["payer"] = f"{payer} is no longer active."
        if not member_id.strip():
            errors["member_id"] = "Insurance coverage needs the member id from the card."
    elif kind == Coverage.Kind.SELF_PAY:
        if payer is not None:
            errors["payer"] = "Self-pay coverage names no payer."
    else:
        errors["kind"] = "Coverage is insurance or self_pay."
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = "Coverage ends on or after the day it starts."
    if subscriber_relationship not in Coverage.Relationship.values:
        errors["subscriber_relationship"] = "self, spouse, child or other."
    if errors:
        raise ValidationError(errors)
    coverage = Coverage(
        organization_id=patient.organization_id,
        patient=patient,
        kind=kind,
        payer=payer,
        member_id=member_id.strip(),
        group_number=group_number.strip(),
        subscriber_name=subscriber_name.strip(),
        subscriber_relationship=subscriber_relationship,
        subscriber_date_of_birth=subscriber_date_of_birth,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    coverage.full_clean()
    with transaction.atomic():
        coverage.save()
        _audit(
            actor,
            Action.CREATE,
            coverage,
            patient,
            kind=kind,
            payer=payer.name if payer else None,
            starts_on=starts_on.isoformat(),
        )
    return coverage


def end_coverage(*, actor: User, coverage: Coverage, ends_on: dt.date) -> Coverage:
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, coverage)
    if coverage.status != Coverage.Status.ACTIVE:
        raise LedgerRefused("This coverage is not active.")
    if ends_on < coverage.starts_on:
        raise ValidationError({"ends_on": "Coverage ends on or after the day it starts."})
    with transaction.atomic():
        coverage.ends_on = ends_on
        coverage.status = (
            Coverage.Status.ENDED
            if ends_on < local_today(coverage.patient)
            else Coverage.Status.ACTIVE
        )
        coverage.save(update_fields=["ends_on", "status", "updated_at"])
        _audit(actor, Action.UPDATE, coverage, coverage.patient, ends_on=ends_on.isoformat())
    return coverage


def mark_coverage_entered_in_error(*, actor: User, coverage: Coverage, reason: str) -> Coverage:
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, coverage)
    if coverage.status == Coverage.Status.ENTERED_IN_ERROR:
        raise LedgerRefused("This coverage is already marked entered in error.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the coverage is in error."})
    with transaction.atomic():
        coverage.status = Coverage.Status.ENTERED_IN_ERROR
        coverage.status_reason = reason.strip()
        coverage.save(update_fields=["status", "status_reason", "updated_at"])
        _audit(actor, Action.DELETE, coverage, coverage.patient, reason=reason.strip())
    return coverage
