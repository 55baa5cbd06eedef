"""Instrument links as the actor may see them.

Clinical roles (owners, therapists) see a patient's instrument links: which instruments,
when made, by whom and whether they were filled, expired or revoked; never a token (only
its hash is stored). Front desk, billers and other organizations see none.
"""

from __future__ import annotations

from django.db.models import QuerySet

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.outcomes.models import InstrumentLink
from palpa.patients.models import Patient


def instrument_links_for(actor: User) -> QuerySet[InstrumentLink]:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return InstrumentLink.objects.none()
    return InstrumentLink.objects.filter(organization_id=tenant_id(actor)).select_related(
        "patient", "created_by", "revoked_by"
    )


def patient_instrument_links(actor: User, patient: Patient) -> QuerySet[InstrumentLink]:
    return instrument_links_for(actor).filter(patient=patient)


def may_see_links(actor: User) -> bool:
    return has_capability(actor, Capability.CLINICAL_READ)


def may_send_links(actor: User) -> bool:
    """Therapists and owners: the answers become clinical measurements."""
    return has_capability(actor, Capability.CLINICAL_WRITE)
