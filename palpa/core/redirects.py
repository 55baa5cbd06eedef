"""Where a form sends its user back to: one rule for every ``next`` a page is given."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def local_next(request: HttpRequest, target: str, default: str) -> str:
    """``target`` when it is a path on this site (``/...``), else ``default``.

    A value that is not a path (``NaN``, a view name, ``//evil.example``, another host) is
    never followed: redirecting to it would either leave the site or be read as a URL
    pattern's name, which does not exist (a server error)."""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return target
