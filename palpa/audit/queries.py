"""The audit log as staff may read it: an owner's organization's entries, nothing else."""

from __future__ import annotations

from django.db.models import QuerySet

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.audit.models import AuditEvent


def events_for(actor: User) -> QuerySet[AuditEvent]:
    """The entries of the actor's organization, with their actors; none without the
    capability to read the log."""
    if not has_capability(actor, Capability.AUDIT_READ):
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(organization_id=tenant_id(actor)).select_related("actor")
