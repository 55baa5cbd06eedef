"""What each role may do. Views, APIs and queries ask here; templates never decide.

Front desk and billers see demographics and the schedule, never clinical records.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from palpa.accounts.models import Role, User


class Capability(StrEnum):
    VIEW_DEMOGRAPHICS = "view_demographics"
    EDIT_DEMOGRAPHICS = "edit_demographics"
    VIEW_CLINICAL = "view_clinical"
    EDIT_CLINICAL = "edit_clinical"
    VIEW_PRACTITIONERS = "view_practitioners"
    MANAGE_PRACTITIONERS = "manage_practitioners"
    MANAGE_ORGANIZATION = "manage_organization"
    VIEW_AUDIT = "view_audit"


_ALL = set(Capability)
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: frozenset(_ALL),
    Role.THERAPIST: frozenset(
        {
            Capability.VIEW_DEMOGRAPHICS,
            Capability.EDIT_DEMOGRAPHICS,
            Capability.VIEW_CLINICAL,
            Capability.EDIT_CLINICAL,
            Capability.VIEW_PRACTITIONERS,
        }
    ),
    Role.FRONT_DESK: frozenset(
        {
            Capability.VIEW_DEMOGRAPHICS,
            Capability.EDIT_DEMOGRAPHICS,
            Capability.VIEW_PRACTITIONERS,
        }
    ),
    Role.BILLER: frozenset({Capability.VIEW_DEMOGRAPHICS, Capability.VIEW_PRACTITIONERS}),
}


def has_capability(user: User, capability: Capability) -> bool:
    if not user.is_authenticated or not user.is_active or user.organization_id is None:
        return False
    return capability in ROLE_CAPABILITIES.get(user.role, frozenset())


def tenant_id(user: User) -> int:
    """The actor's organization id; staff without one are refused."""
    if user.organization_id is None:
        raise PermissionDenied("Only staff of an organization can do this.")
    return user.organization_id


def require(user: User, capability: Capability) -> None:
    if not has_capability(user, capability):
        raise PermissionDenied(f"Your role may not {capability.value.replace('_', ' ')}.")
