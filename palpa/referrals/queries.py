"""Physicians and referrals as the actor may see them.

Every staff role of the organization reads the physician directory. Referrals (with their
diagnoses, precautions and the scanned prescription) are read by the roles that enter or
act on them: owners, therapists and the front desk; billers and other organizations see
none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral, ReferralOverride, ReferralVisit


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


# --- the business page's figures (read by billing.business) --------------------------------


@dataclass
class Source:
    """One referring physician's share of the period."""

    name: str
    referrals: int = 0
    patients: int = 0
    visits: int = 0


def referral_sources(actor: User, *, first: dt.date, last: dt.date) -> list[Source]:
    """By referring physician: ``referrals`` starting from ``first`` to ``last`` (not
    cancelled), the distinct ``patients`` they referred, and the ``visits`` counted against
    any of the physician's referrals on those days (signed notes, not withdrawn). Two
    grouped queries; physicians with none of these are left out; most visits first."""
    org = tenant_id(actor)
    found: dict[int, Source] = {}
    referred = (
        Referral.objects.filter(organization_id=org, starts_on__gte=first, starts_on__lte=last)
        .exclude(status=Referral.Status.CANCELLED)
        .values("physician_id", "physician__given_name", "physician__family_name")
        .annotate(referrals=Count("pk"), patients=Count("patient_id", distinct=True))
        .order_by()
    )
    for physician_id, given, family, referrals, patients in referred.values_list(
        "physician_id", "physician__given_name", "physician__family_name", "referrals", "patients"
    ):
        source = found.setdefault(physician_id, Source(f"{given} {family}"))
        source.referrals, source.patients = referrals, patients
    visits = (
        ReferralVisit.objects.filter(organization_id=org, visit_on__gte=first, visit_on__lte=last)
        .values(
            "referral__physician_id",
            "referral__physician__given_name",
            "referral__physician__family_name",
        )
        .annotate(visits=Count("pk"))
        .order_by()
    )
    for physician_id, given, family, count in visits.values_list(
        "referral__physician_id",
        "referral__physician__given_name",
        "referral__physician__family_name",
        "visits",
    ):
        source = found.setdefault(physician_id, Source(f"{given} {family}"))
        source.visits = count
    return sorted(found.values(), key=lambda s: (-s.visits, -s.referrals, s.name))
