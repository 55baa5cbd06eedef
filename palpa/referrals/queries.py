"""Physicians and referrals as the actor may see them.

Every staff role of the organization reads the physician directory. Referrals (with their
diagnoses, precautions and the scanned prescription) are read by the roles that enter or
act on them: owners, therapists and the front desk; billers and other organizations see
none.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, QuerySet

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral, ReferralOverride


def may_read_directory(actor: User) -> bool:
    return has_capability(actor, Capability.PHYSICIANS_READ)


def may_edit_directory(actor: User) -> bool:
    return has_capability(actor, Capability.PHYSICIANS_WRITE)


def may_see_referrals(actor: User) -> bool:
    return has_capability(actor, Capability.REFERRALS_READ)


def may_edit_referrals(actor: User) -> bool:
    return has_capability(actor, Capability.REFERRALS_WRITE)


def may_override(actor: User) -> bool:
    return has_capability(actor, Capability.REFERRALS_OVERRIDE)


def may_configure(actor: User) -> bool:
    return has_capability(actor, Capability.REFERRALS_CONFIGURE)


def physicians_for(actor: User) -> QuerySet[Physician]:
    if not may_read_directory(actor):
        return Physician.objects.none()
    return Physician.objects.filter(organization_id=tenant_id(actor))


def referrals_for(actor: User, patient: Patient | None = None) -> QuerySet[Referral]:
    """The actor's referrals (of one patient when given), newest first, each annotated
    with ``visits_used`` (the signed notes counted against it)."""
    if not may_see_referrals(actor):
        return Referral.objects.none()
    found = Referral.objects.filter(organization_id=tenant_id(actor))
    if patient is not None:
        found = found.filter(patient=patient)
    return found.select_related("patient", "physician", "cancelled_by", "recorded_by").annotate(
        visits_used=Count("visits")
    )


def overrides_for(actor: User, patient: Patient) -> QuerySet[ReferralOverride]:
    if not may_see_referrals(actor):
        return ReferralOverride.objects.none()
    return ReferralOverride.objects.filter(
        organization_id=tenant_id(actor), patient=patient
    ).select_related("referral__physician", "granted_by")


def referrals_to_watch(actor: User, today: dt.date) -> QuerySet[Referral]:
    """Referrals not cancelled whose expiry is at most 30 days behind ``today``: the ones
    the dashboard checks for running low, expiring or just lapsed."""
    return referrals_for(actor).filter(
        status=Referral.Status.ACTIVE,
        starts_on__lte=today,
        expires_on__gte=today - dt.timedelta(days=30),
        patient__status=Patient.Status.ACTIVE,
    )
