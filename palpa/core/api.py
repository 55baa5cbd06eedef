"""Shared pieces of the JSON API: authentication, error schemas, error translation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from palpa.accounts.models import User
from palpa.accounts.services import user_for_token
from palpa.core.dates import zone_of


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    """422: the request was understood but a field breaks a rule; nothing was saved."""

    detail: list[ErrorItem]


class MessageOut(Schema):
    detail: str


class RefusedOut(Schema):
    """409: well-formed, but a rule forbids it now (e.g. an expired license)."""

    detail: str
    code: str


ERRORS: dict[int, Any] = {
    401: MessageOut,
    403: MessageOut,
    404: MessageOut,
    422: ValidationErrorOut,
}


# Run once the caller is known, before the request's body is read: an operation's gate
# (``palpa.accounts.gates.api_requires``) raises PermissionDenied (403) here.
Check = Callable[[HttpRequest, User], None]


class TokenAuth(HttpBearer):
    """``Authorization: Bearer palpa_…``: a personal access token."""

    def __init__(self, check: Check | None = None) -> None:
        super().__init__()
        self.check = check

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
            if user.organization is not None:
                # Dates the API defaults or compares with "today" are the organization's.
                timezone.activate(zone_of(user.organization))
            if self.check is not None:
                self.check(request, user)
        return user


class VerifiedSessionAuth(APIKeyCookie):
    """The browser session, once two-factor sign-in is complete (CSRF checked on writes)."""

    param_name = "sessionid"

    def __init__(self, check: Check | None = None) -> None:
        self.param_name = settings.SESSION_COOKIE_NAME
        self.check = check
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> User | None:
        # Who first, then CSRF: a request with no usable session (say, a revoked bearer
        # token and no cookie) is unauthenticated (401), not a failed CSRF check (403).
        user = self.authenticate(request, request.COOKIES.get(self.param_name))
        if user is None:
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
        if self.check is not None:
            self.check(request, user)
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        if user.mfa_required and not user.is_verified():  # type: ignore[attr-defined]
            return None
        return user


def validation_items(exc: ValidationError) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                for message in error.messages:
                    items.append(
                        {"loc": ["body", field], "msg": message, "type": error.code or "invalid"}
                    )
    else:
        for error in exc.error_list:
            for message in error.messages:
                items.append({"loc": ["body"], "msg": message, "type": error.code or "invalid"})
    return items


def actor(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user
