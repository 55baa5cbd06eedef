"""The one "same organization" check: a record, patient or staff member is acted on only
by staff of the organization that holds it (every clinical row carries
``organization_id``, the tenant key)."""

from __future__ import annotations

from typing import Protocol

from django.core.exceptions import PermissionDenied

ANOTHER_ORGANIZATION = "This record belongs to another organization."
ANOTHER_ORGANIZATIONS_PATIENT = "This patient belongs to another organization."


class Tenanted(Protocol):
    @property
    def organization_id(self) -> int | None: ...


def same_organization(a: Tenanted, b: Tenanted) -> bool:
    """Whether ``a`` and ``b`` belong to one organization (an actor and a record, say)."""
    return a.organization_id == b.organization_id


def require_same_organization(
    actor: Tenanted, *objs: Tenanted | None, message: str = ANOTHER_ORGANIZATION
) -> None:
    """Refuse (403) unless every given object belongs to the actor's organization; ``None``
    (an optional link left empty) is skipped."""
    for obj in objs:
        if obj is not None and not same_organization(obj, actor):
            raise PermissionDenied(message)
