from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from palpa.accounts.models import User

# Paths a signed-in user may reach before finishing two-factor authentication.
_MFA_OPEN = (
    "/accounts/login/",
    "/accounts/otp/",
    "/accounts/logout/",
    "/static/",
    "/healthz",
    "/api/",
)


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
            org = user.organization
            if org is not None:
                idle = org.session_idle_minutes * 60
                if request.session.get_expiry_age() != idle:
                    request.session.set_expiry(idle)
            verified = user.is_verified()  # type: ignore[attr-defined]
            if user.mfa_required and not verified and not request.path.startswith(_MFA_OPEN):
                return redirect("accounts:otp")
        return self.get_response(request)
