"""Practitioners an actor may see: those of the actor's own organization."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from palpa.accounts.backends import READ_WITH_ACCOUNT
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.practitioners.models import License, Practitioner


def practitioners_for(actor: User) -> QuerySet[Practitioner]:
    if not has_capability(actor, Capability.PRACTITIONERS_READ):
        return Practitioner.objects.none()
    return Practitioner.objects.filter(organization_id=tenant_id(actor)).prefetch_related(
        Prefetch("licenses", queryset=License.objects.order_by("-expires_on"))
    )


def is_active_practitioner(user: User) -> bool:
    """Is the account an active practitioner of its own organization? (The permission
    table's ``practitioner`` rows ask this; registered in PractitionersConfig.ready.)"""
    if user.organization_id is None:
        return False
    relation = User.practitioner.related
    if getattr(user, READ_WITH_ACCOUNT, False) and relation.is_cached(user):
        # Read with the account for this request (accounts.backends.StaffBackend).
        linked = relation.get_cached_value(user)
        assert linked is None or isinstance(linked, Practitioner)
        return (
            linked is not None and linked.active and linked.organization_id == user.organization_id
        )
    return Practitioner.objects.filter(
        user_id=user.pk, organization_id=user.organization_id, active=True
    ).exists()


def unlinked_staff(actor: User) -> QuerySet[User]:
    """Staff accounts of the actor's organization not yet linked to a practitioner (the
    choices for a new practitioner's sign-in account), invited ones included."""
    return User.objects.filter(
        organization_id=tenant_id(actor), practitioner__isnull=True
    ).order_by("full_name", "email")
