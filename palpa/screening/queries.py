"""Screening records as the actor may see them.

Who sees what is the permission table's: ``clinical.read`` screenings, their facts and
clearances; ``screening.read_decision`` only the decision flag; other organizations nothing.
"""

from __future__ import annotations

from django.db.models import QuerySet

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.patients.models import Patient
from palpa.screening.models import Clearance, RuleSetVersion, Screening


def screenings_for(actor: User) -> QuerySet[Screening]:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return Screening.objects.none()
    return Screening.objects.filter(organization_id=tenant_id(actor)).select_related(
        "patient", "screened_by", "rule_set"
    )


def patient_screenings(actor: User, patient: Patient) -> QuerySet[Screening]:
    return screenings_for(actor).filter(patient=patient)


def clearances_for(actor: User) -> QuerySet[Clearance]:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return Clearance.objects.none()
    return Clearance.objects.filter(organization_id=tenant_id(actor)).select_related(
        "screening__patient", "physician", "recorded_by"
    )


def rule_sets_for(actor: User) -> QuerySet[RuleSetVersion]:
    if not has_capability(actor, Capability.SCREENING_MANAGE_RULES):
        return RuleSetVersion.objects.none()
    return RuleSetVersion.objects.filter(organization_id=tenant_id(actor)).select_related(
        "created_by"
    )


def may_see_flag(actor: User) -> bool:
    """Whether the actor sees the screening decision (PROCEED … STOP) wherever it shows:
    the chart's banner, the schedule, appointments. The flag says nothing about why."""
    return has_capability(actor, Capability.SCREENING_READ_DECISION)


def may_send_intake(actor: User) -> bool:
    return has_capability(actor, Capability.SCREENING_SEND_INTAKE)


def may_see_details(actor: User) -> bool:
    return has_capability(actor, Capability.CLINICAL_READ)


def may_edit(actor: User) -> bool:
    return has_capability(actor, Capability.CLINICAL_WRITE)
