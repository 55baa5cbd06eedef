"""Palpa's own error pages in development too.

In production Django renders ``400.html``, ``403.html``, ``404.html`` and ``500.html``
(the app's layout and a way back). In development (``DEBUG``, which ``bin/demo`` runs)
Django would instead show its technical pages, which list every URL pattern or the
settings and a traceback: not what a person trying the demo should meet. This
middleware, the innermost, swaps those technical pages of the web UI for the same
friendly templates. The traceback still goes to the console log (Django logs the error
before the page is made). The JSON API and the FHIR server keep their own error bodies.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

TECHNICAL_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'
TEMPLATES = {400: "400.html", 404: "404.html", 500: "500.html"}
MACHINE_PATHS = ("/api/", "/fhir/")


class FriendlyErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not settings.DEBUG or response.status_code not in TEMPLATES:
            return response
        if request.path.startswith(MACHINE_PATHS) or response.streaming:
            return response
        if TECHNICAL_MARK not in response.content:
            return response
        return render(request, TEMPLATES[response.status_code], status=response.status_code)
