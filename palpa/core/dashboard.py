"""The staff dashboard's panels.

``core`` sits below every app, so it names none of them: each app with something for the
dashboard registers a panel in its ``AppConfig.ready()``. A panel is a function of the
signed-in staff member that returns the template context it fills in
(``core/dashboard.html``), and returns nothing when the member's role may not see it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # core names accounts only for types
    from palpa.accounts.models import User

Panel = Callable[["User"], Mapping[str, object]]

_PANELS: list[Panel] = []


def register(panel: Panel) -> None:
    """Add a panel (once, however often an app's ``ready()`` runs)."""
    if panel not in _PANELS:
        _PANELS.append(panel)


def panels() -> list[Panel]:
    return list(_PANELS)


def context_for(user: User) -> dict[str, object]:
    """Everything the registered panels show this staff member."""
    context: dict[str, object] = {}
    for panel in _PANELS:
        context.update(panel(user))
    return context
