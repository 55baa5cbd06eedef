"""Request bodies too large for the API or FHIR: 413 with a body the client can read.

Django refuses a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only when it is read
(``RequestDataTooBig``, which it turns into an HTML 400 and, under the development
server, a logged traceback). For /api/ and /fhir/ ``BodyLimitMiddleware`` answers 413
from the declared length before anything reads the body: JSON ``{"detail": ...}`` on the
API, an OperationOutcome on FHIR. A multipart upload (a scanned prescription, a clearance
letter) may be as large as the largest upload an endpoint takes (``upload_limit``) plus
``DATA_UPLOAD_MAX_MEMORY_SIZE`` for its form fields; the endpoint then checks the file
against its own limit (422 naming the field). A body that declares no length and turns
out too large is caught where it is read (the API's and FHIR's error handlers), with the
same answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"
FHIR_PREFIX = "/fhir/"


def json_limit() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) or 2_621_440


def upload_limit() -> int:
    """The largest file any endpoint takes (bytes)."""
    return max(
        int(getattr(settings, "PALPA_PRESCRIPTION_MAX_BYTES", 0)),
        int(getattr(settings, "PALPA_CLEARANCE_LETTER_MAX_BYTES", 0)),
    )


def body_limit(request: HttpRequest) -> int:
    if request.content_type == "multipart/form-data":
        return upload_limit() + json_limit()
    return json_limit()


def too_large_message(limit: int) -> str:
    return (
        f"The request body is too large: this endpoint takes at most {limit:,} bytes "
        "(files: see the endpoint's own limit)."
    )


def api_too_large(limit: int) -> HttpResponse:
    return HttpResponse(
        json.dumps({"detail": too_large_message(limit)}),
        status=413,
        content_type="application/json; charset=utf-8",
    )


def fhir_too_large(limit: int) -> HttpResponse:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "error", "code": "too-long", "diagnostics": too_large_message(limit)}
        ],
    }
    return HttpResponse(
        json.dumps(outcome), status=413, content_type="application/fhir+json; charset=utf-8"
    )


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class BodyLimitMiddleware:
    """413 for an API or FHIR request whose declared body is over its limit, unread."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith(API_PREFIX) or path.startswith(FHIR_PREFIX):
            limit = body_limit(request)
            if _declared_length(request) > limit:
                if path.startswith(FHIR_PREFIX):
                    return fhir_too_large(limit)
                return api_too_large(limit)
        return self.get_response(request)
