"""Signing in with email and password, and reading the signed-in account on each request.

Django's ``ModelBackend`` reads the account on every request, and the pages then read its
organization (the tenant, its time zone and idle time) and, for the permission table's
``practitioner`` rows, whether it is an active practitioner: three statements. This
backend reads them in one. ``accounts`` sits below the apps that add such a relation, so
they name it here in their ``AppConfig.ready()`` (``also_read_with_user``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import F, OuterRef, Subquery
from django.db.models.expressions import BaseExpression
from django.db.models.functions import JSONObject
from django.utils.functional import LazyObject, empty

from palpa.accounts.models import User

PATH = "palpa.accounts.backends.StaffBackend"

_ALSO: list[str] = ["organization"]

#: Per-organization settings rows of higher apps (their policies), read as subqueries of
#: the account's statement: name -> a function giving the expression (a ``Subquery`` of
#: one ``JSONObject`` row, None without a row).
_ANNOTATED: dict[str, Callable[[], BaseExpression]] = {}


def also_read_with_user(relation: str) -> None:
    """Read ``relation`` (a one-to-one or foreign key of the account) with the account."""
    if relation not in _ALSO:
        _ALSO.append(relation)


def also_annotate_user(name: str, expression: Callable[[], BaseExpression]) -> None:
    """Read ``expression()`` (a subquery on the account's organization) with the account,
    as the attribute ``name``; ``read_with_account`` gives it back."""
    _ANNOTATED[name] = expression


def organization_row(model: Any, *fields: str) -> Callable[[], BaseExpression]:
    """For ``also_annotate_user``: the fields of ``model``'s row of the account's
    organization (one row per organization) as a dict, None without a row."""

    def make() -> BaseExpression:
        rows = model._default_manager.filter(organization_id=OuterRef("organization_id"))
        return Subquery(rows.values(row=JSONObject(**{f: F(f) for f in fields}))[:1])

    return make


class NotRead:
    """``read_with_account``'s answer when the value was not read with the account."""


NOT_READ = NotRead()


def _unwrapped(user: Any) -> Any:
    """The account inside ``request.user``'s lazy wrappers (authentication's, then
    django-otp's around it)."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


def annotated(user: Any, name: str) -> Any:
    """The value ``name`` read with this request's account, else ``NOT_READ`` (another
    account object, or forgotten since)."""
    values = getattr(_unwrapped(user), "__dict__", {})
    if not values.get(READ_WITH_ACCOUNT) or name not in values:
        return NOT_READ
    return values[name]


def read_with_account(user: Any, name: str, organization_id: int | None) -> Any:
    """The value ``name`` read with this request's account for ``organization_id``, else
    ``NOT_READ`` (another account object, another organization, or forgotten since): the
    caller then reads it itself."""
    value = annotated(user, name)
    if organization_id is None or getattr(_unwrapped(user), "organization_id", None) != (
        organization_id
    ):
        return NOT_READ
    return value


def forget_read_with_account(user: Any, name: str) -> None:
    """Drop ``name`` from the account read for this request (its row just changed): later
    reads in the request go to the database."""
    getattr(_unwrapped(user), "__dict__", {}).pop(name, None)


#: Set on the account this backend read for the request: its relations named with
#: ``also_read_with_user`` are as fresh as the account. Any other ``User`` object may hold
#: a relation cached long before (Django caches one-to-one relations both ways), so checks
#: on it read again.
READ_WITH_ACCOUNT = "relations_read_with_account"


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        users = User._default_manager.select_related(*_ALSO)
        if _ANNOTATED:
            users = users.annotate(**{name: make() for name, make in _ANNOTATED.items()})
        user = users.filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        setattr(user, READ_WITH_ACCOUNT, True)
        return user
