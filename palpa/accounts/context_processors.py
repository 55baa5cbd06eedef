from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from palpa.accounts.models import User
from palpa.accounts.permissions import Can


def staff(request: HttpRequest) -> dict[str, Any]:
    """What pages may show (``can.clinical.read``): decided in Python from the permission
    table, never in templates."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"can": Can(None)}
    return {"can": Can(user)}
