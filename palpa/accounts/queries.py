"""Staff and invitations, limited to the actor's organization."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from palpa.accounts.models import Location, Room, StaffInvitation, User
from palpa.accounts.permissions import tenant_id


def staff_for(actor: User) -> QuerySet[User]:
    """Every staff account of the actor's organization (active, invited, deactivated)."""
    return User.objects.filter(organization_id=tenant_id(actor)).order_by("full_name", "email")


def open_invitations_for(actor: User) -> QuerySet[StaffInvitation]:
    return StaffInvitation.objects.filter(
        organization_id=tenant_id(actor),
        accepted_at__isnull=True,
        voided_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def locations_for(actor: User) -> QuerySet[Location]:
    return Location.objects.filter(organization_id=tenant_id(actor))


def rooms_for(actor: User) -> QuerySet[Room]:
    return Room.objects.filter(organization_id=tenant_id(actor)).select_related("location")
