"""Palpa's JSON API at /api/v1 (OpenAPI document at /api/v1/openapi.json)."""

from __future__ import annotations

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from palpa.accounts.api import router as tokens_router
from palpa.care.api import router as care_router
from palpa.core.api import TokenAuth, VerifiedSessionAuth, validation_items
from palpa.core.errors import Refused
from palpa.core.limits import api_too_large, body_limit
from palpa.patients.api import router as patients_router
from palpa.practitioners.api import router as practitioners_router
from palpa.screening.api import router as screening_router

api = NinjaAPI(
    title="Palpa API",
    version="1",
    description=(
        "Palpa, the clinical practice system for medical massage therapy. Authenticate with "
        "a personal access token (`Authorization: Bearer palpa_…`) or a signed-in session. "
        "Every read and write of patient data is recorded in the audit log."
    ),
    auth=[TokenAuth(), VerifiedSessionAuth()],
    urls_namespace="api",
)
api.add_router("/patients", patients_router, tags=["patients"])
api.add_router("/practitioners", practitioners_router, tags=["practitioners"])
api.add_router("/tokens", tokens_router, tags=["tokens"])
api.add_router("/staff", "palpa.accounts.staff_api.router", tags=["staff"])
api.add_router("", care_router, tags=["treatment notes"])
api.add_router("", "palpa.care.clinical_api.router", tags=["result-based care"])
api.add_router("", screening_router, tags=["screening"])
api.add_router("", "palpa.referrals.api.router", tags=["referrals"])
api.add_router("", "palpa.outcomes.api.router", tags=["outcome instruments"])
api.add_router("", "palpa.reports.api.router", tags=["reports"])
api.add_router("", "palpa.scheduling.api.router", tags=["scheduling"])
api.add_router("", "palpa.billing.api.router", tags=["billing"])
api.add_router("", "palpa.lymphoedema.api.router", tags=["lymphoedema"])
api.add_router("", "palpa.lymphoedema.garments.api.router", tags=["lymphoedema"])
api.add_router("", "palpa.analytics.api.router", tags=["outcome analytics"])


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": validation_items(exc)}, status=422)


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api_too_large(body_limit(request))


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(MultiPartParserError)
def _unreadable(request: HttpRequest, exc: Exception) -> HttpResponse:
    message = str(exc) or "The request body cannot be read."
    return api.create_response(request, {"detail": message}, status=400)


@api.exception_handler(Refused)
def _refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc), "code": exc.code}, status=409)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    message = str(exc) or "Your role may not do this."
    return api.create_response(request, {"detail": message}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": "Sign in, or send a valid token as 'Authorization: Bearer palpa_…'."},
        status=401,
    )
