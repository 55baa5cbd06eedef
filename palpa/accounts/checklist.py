"""The set-up checklist: what a new clinic still has to do before it books its first visit.

Each item is worked out from the data (never a stored flag), so it is done the moment the
thing exists and undone if it goes away. accounts sits below the apps that own most of
the items, so each app registers its items in its ``AppConfig.ready()``
(``register(Item(...))``); the owner's settings page and dashboard show them in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse

from palpa.accounts.permissions import Capability, has_capability

if TYPE_CHECKING:
    from palpa.accounts.models import Organization, User


@dataclass(frozen=True)
class Item:
    order: int
    label: str  # what to do, e.g. "Add a treatment room"
    url_name: str  # the page where it is done
    done: Callable[[Organization], bool]
    capability: Capability  # who may do it (the item links only for them)


@dataclass(frozen=True)
class Step:
    label: str
    url: str
    done: bool


_ITEMS: dict[str, Item] = {}


def register(key: str, item: Item) -> None:
    """Add (or replace, however often ``ready()`` runs) one item."""
    _ITEMS[key] = item


def steps_for(user: User) -> list[Step]:
    """The checklist as this member sees it: the items their role may do, in order."""
    org = user.organization
    if org is None:
        return []
    return [
        Step(item.label, reverse(item.url_name), item.done(org))
        for item in sorted(_ITEMS.values(), key=lambda i: i.order)
        if has_capability(user, item.capability)
    ]


def dashboard_panel(user: User) -> dict[str, object]:
    """The checklist on the dashboard while anything on it is left (owners)."""
    if not has_capability(user, Capability.ORGANIZATION_MANAGE):
        return {}
    steps = steps_for(user)
    left = [s for s in steps if not s.done]
    return {"setup_steps": steps, "setup_left": len(left)} if left else {}
