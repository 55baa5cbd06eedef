"""What higher apps offer on an appointment's page (e.g. care's "Start note").

``scheduling`` sits below care, so it names no higher app: an app registers an action in
its ``AppConfig.ready()``. An action is a function of the signed-in staff member and the
appointment that returns a link (label and address) or None when it does not apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from palpa.accounts.models import User
    from palpa.scheduling.models import Appointment


@dataclass(frozen=True)
class Link:
    label: str
    url: str


Action = Callable[["User", "Appointment"], Link | None]

_ACTIONS: list[Action] = []


def register(action: Action) -> None:
    """Add an action (once, however often an app's ``ready()`` runs)."""
    if action not in _ACTIONS:
        _ACTIONS.append(action)


def for_appointment(user: User, appointment: Appointment) -> list[Link]:
    found = (action(user, appointment) for action in _ACTIONS)
    return [link for link in found if link is not None]
