"""Signing in with email and password, and reading the signed-in account on each request.

Django's ``ModelBackend`` reads the account on every request, and the pages then read its
organization (the tenant, its time zone and idle time) and, for the permission table's
``practitioner`` rows, whether it is an active practitioner: three statements. This
backend reads them in one. ``accounts`` sits below the apps that add such a relation, so
they name it here in their ``AppConfig.ready()`` (``also_read_with_user``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from palpa.accounts.models import User

PATH = "palpa.accounts.backends.StaffBackend"

_ALSO: list[str] = ["organization"]


def also_read_with_user(relation: str) -> None:
    """Read ``relation`` (a one-to-one or foreign key of the account) with the account."""
    if relation not in _ALSO:
        _ALSO.append(relation)


#: Set on the account this backend read for the request: its relations named with
#: ``also_read_with_user`` are as fresh as the account. Any other ``User`` object may hold
#: a relation cached long before (Django caches one-to-one relations both ways), so checks
#: on it read again.
READ_WITH_ACCOUNT = "relations_read_with_account"


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        user = User._default_manager.select_related(*_ALSO).filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        setattr(user, READ_WITH_ACCOUNT, True)
        return user
