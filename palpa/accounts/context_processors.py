from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability


def staff(request: HttpRequest) -> dict[str, Any]:
    """What the navigation may show: capabilities decided in Python, not in templates."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"can": {}}
    return {"can": {cap.value: has_capability(user, cap) for cap in Capability}}
