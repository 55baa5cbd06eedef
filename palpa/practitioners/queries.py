"""Practitioners an actor may see: those of the actor's own organization."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.practitioners.models import License, Practitioner


def practitioners_for(actor: User) -> QuerySet[Practitioner]:
    if not has_capability(actor, Capability.VIEW_PRACTITIONERS):
        return Practitioner.objects.none()
    return Practitioner.objects.filter(organization_id=tenant_id(actor)).prefetch_related(
        Prefetch("licenses", queryset=License.objects.order_by("-expires_on"))
    )
