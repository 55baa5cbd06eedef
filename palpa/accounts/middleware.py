from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from palpa.accounts.models import User
from palpa.core.dates import zone_of

# Paths a signed-in user may reach before finishing two-factor authentication.
_MFA_OPEN = (
    "/accounts/login/",
    "/accounts/otp/",
    "/accounts/logout/",
    "/static/",
    "/healthz",
    "/api/",
)


# The session's idle clock restarts when the session is saved (its expiry moves to now plus
# the idle time). Saving it on every request cost a write per page; it is saved when a
# minute has passed since the last renewal (or anything in the session changed), so a
# session ends between idle time less a minute and idle time after the last request.
RENEWED_KEY = "palpa_renewed"
RENEW_AFTER_SECONDS = 60


def _renew(request: HttpRequest) -> None:
    now = int(timezone.now().timestamp())
    renewed = request.session.get(RENEWED_KEY)
    if not isinstance(renewed, int) or not 0 <= now - renewed < RENEW_AFTER_SECONDS:
        request.session[RENEWED_KEY] = now  # marks the session modified: it is saved


class StaffSessionMiddleware:
    """Applies the organization's inactivity timeout and requires two-factor sign-in.

    The API is exempt here because it authenticates each request itself (tokens, or a
    session that must already be verified).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            user.practitioner_memo = []  # type: ignore[attr-defined] # this request's answer
            org = user.organization
            if org is not None:
                idle = org.session_idle_minutes * 60
                if request.session.get_expiry_age() != idle:
                    request.session.set_expiry(idle)
            _renew(request)
            verified = user.is_verified()  # type: ignore[attr-defined]
            if user.mfa_required and not verified and not request.path.startswith(_MFA_OPEN):
                return redirect("accounts:otp")
        return self.get_response(request)


class LocalTimeMiddleware:
    """Makes the signed-in staff member's organization zone the request's active zone.

    Dates and times in templates, and ``timezone.localdate()`` / ``palpa.core.dates``
    helpers called without a place, then read as the organization's wall-clock time
    rather than UTC. Pages about one location still pass that location explicitly.
    API requests authenticated by token activate it in ``palpa.core.api`` once the caller
    is known.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        org = user.organization if isinstance(user, User) and user.is_authenticated else None
        # override() also restores the zone afterwards, so a zone activated later in the
        # request (token authentication) never leaks into the thread's next request.
        with timezone.override(zone_of(org) if org is not None else None):
            return self.get_response(request)
