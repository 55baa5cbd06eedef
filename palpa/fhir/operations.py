"""Views of the FHIR operations: the transaction Bundle, ``Patient/[id]/$everything`` and
bulk ``$export`` (kick-off, status, files). The logic is in transaction.py,
everything.py and bulk.py; these views only authenticate, parse and answer."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from palpa.audit.context import RequestContext, current, reset_context, set_context
from palpa.fhir import bulk, everything, transaction
from palpa.fhir.auth import authenticate
from palpa.fhir.errors import FhirError, issue, operation_outcome
from palpa.fhir.mapping.common import Context
from palpa.fhir.models import ExportJob
from palpa.fhir.params import check_strings, clean_param
from palpa.fhir.views import base_url, fhir_view, respond

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


def _only(request: HttpRequest, *methods: str) -> None:
    if request.method not in methods:
        raise FhirError(
            405,
            f"{request.method} is not supported here; use {' or '.join(methods)}.",
            headers={"Allow": ", ".join(methods)},
        )


def _items(request: HttpRequest) -> list[tuple[str, str]]:
    return [
        (clean_param("", key), clean_param(key, value))
        for key, values in request.GET.lists()
        for value in values
    ]


@fhir_view
def root(request: HttpRequest) -> HttpResponse:
    """POST /fhir/R4/: a transaction Bundle (a referral with its patient)."""
    _only(request, "POST")
    principal = authenticate(request)
    transaction.require_write(principal)
    try:
        sent: Any = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirError(400, f"The body is not JSON: {exc}.") from exc
    except RecursionError as exc:
        raise FhirError(400, "The body is not JSON Palpa reads: nested too deeply.") from exc
    check_strings(sent)
    plan = transaction.check_bundle(sent)
    written = transaction.write(principal, plan)
    return respond(transaction.response_bundle(plan, written))


@fhir_view
def patient_everything(request: HttpRequest, resource_id: str) -> HttpResponse:
    _only(request, "GET", "HEAD")
    principal = authenticate(request)
    items = _items(request)
    wanted = everything.parse(items)
    found = everything.everything(
        principal, resource_id, wanted, Context(base_url=base_url(request))
    )
    everything.audit_everything(
        principal=principal, patient_id=resource_id, query=items, found=found
    )
    return respond(found.bundle)


def _kick_off(request: HttpRequest, level: str) -> HttpResponse:
    _only(request, "GET")
    principal = authenticate(request)
    bulk.check_headers(request.headers.get("Prefer", ""), request.headers.get("Accept", ""))
    kick_off = bulk.parse_kick_off(principal, level, _items(request))
    base = base_url(request)
    job = bulk.start_export(
        principal=principal,
        level=level,
        kick_off=kick_off,
        request_url=request.build_absolute_uri(),
        base_url=base,
    )
    response = HttpResponse(status=202)
    response["Content-Location"] = f"{base}/bulk/status/{job.public_id}"
    return response


@fhir_view
def system_export(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, ExportJob.Level.SYSTEM)


@fhir_view
def patient_export(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, ExportJob.Level.PATIENT)


def bulk_view(view: View) -> View:
    """Audit context and OperationOutcomes, without the JSON-only negotiation (the status
    answers application/json, files application/fhir+ndjson)."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ctx = current()
        token = set_context(
            RequestContext(request_id=ctx.request_id, client_address=ctx.client_address, via="fhir")
        )
        try:
            return view(request, *args, **kwargs)
        except FhirError as error:
            return respond(error.outcome(), error.status, error.headers)
        except Exception:
            logger.exception("FHIR bulk request failed: %s %s", request.method, request.path)
            outcome = operation_outcome(
                [issue("fatal", "exception", "The server failed to answer; the error is logged.")]
            )
            return respond(outcome, 500)
        finally:
            reset_context(token)

    return wrapper


@bulk_view
def export_status(request: HttpRequest, job_id: UUID) -> HttpResponse:
    _only(request, "GET", "DELETE")
    principal = authenticate(request)
    job = bulk.job_for(principal, job_id)
    if request.method == "DELETE":
        bulk.cancel(principal, job)
        return HttpResponse(status=202)
    if job.status in bulk.RUNNING:
        response = HttpResponse(status=202)
        response["X-Progress"] = job.progress or job.status
        response["Retry-After"] = "2"
        return response
    if job.status == ExportJob.Status.FAILED:
        return respond(
            operation_outcome([issue("error", "exception", text) for text in job.errors]), 500
        )
    response = HttpResponse(
        json.dumps(bulk.manifest(job, base_url(request))), content_type="application/json"
    )
    if job.expires_at is not None:
        response["Expires"] = http_date(job.expires_at.timestamp())
    return response


@bulk_view
def export_file(request: HttpRequest, file_id: UUID) -> HttpResponse:
    _only(request, "GET")
    principal = authenticate(request)
    found = bulk.file_for(principal, file_id)
    bulk.audit_download(principal, found)
    return HttpResponse(bytes(found.content), content_type="application/fhir+ndjson")
