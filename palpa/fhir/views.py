"""The FHIR R4 server at /fhir/R4/: metadata, read and search, JSON only.

Every answer is ``application/fhir+json``; every refusal an OperationOutcome with its
status (400 bad search, 401 no usable token, 403 scope or role, 404 unknown or another
organization's, 405 an interaction not offered, 406 XML asked for).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from palpa.audit.context import RequestContext, current, reset_context, set_context
from palpa.core.limits import body_limit, fhir_too_large
from palpa.fhir import capability, search, services
from palpa.fhir.auth import authenticate
from palpa.fhir.errors import FhirError, issue, operation_outcome
from palpa.fhir.mapping.common import JSON, Context
from palpa.fhir.registry import get_type

logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
_JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}
_XML_FORMATS = {
    "xml",
    "text/xml",
    "application/xml",
    "application/fhir+xml",
    "application/xml+fhir",
}
_ACCEPTED = _JSON_FORMATS | {"*/*", "application/*"}

View = Callable[..., HttpResponse]


def respond(body: JSON, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status=status,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def negotiate(request: HttpRequest) -> None:
    """406 unless the client takes JSON (``_format`` first, then Accept)."""
    wanted = request.GET.get("_format", "").strip().lower()
    if wanted:
        if wanted.split(";")[0].strip() in _JSON_FORMATS:
            return
        if wanted in _XML_FORMATS or wanted.split(";")[0].strip() in _XML_FORMATS:
            raise FhirError(406, f"_format={wanted}: this server speaks JSON only ({FHIR_JSON}).")
        raise FhirError(406, f"_format={wanted}: unknown format; this server speaks {FHIR_JSON}.")
    accept = request.headers.get("Accept", "").strip()
    if not accept:
        return
    kinds = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if kinds & _ACCEPTED:
        return
    raise FhirError(406, f"Accept: {accept}: this server speaks JSON only ({FHIR_JSON}).")


def fhir_view(view: View) -> View:
    """FHIR plumbing for a view: audit context, content negotiation, OperationOutcomes."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ctx = current()
        token = set_context(
            RequestContext(request_id=ctx.request_id, client_address=ctx.client_address, via="fhir")
        )
        try:
            negotiate(request)
            return view(request, *args, **kwargs)
        except FhirError as error:
            return respond(error.outcome(), error.status, error.headers)
        except RequestDataTooBig:
            return fhir_too_large(body_limit(request))
        except (SuspiciousOperation, MultiPartParserError) as exc:
            return respond(FhirError(400, str(exc) or "The request cannot be read.").outcome(), 400)
        except Exception:
            logger.exception("FHIR request failed: %s %s", request.method, request.path)
            outcome = operation_outcome(
                [issue("fatal", "exception", "The server failed to answer; the error is logged.")]
            )
            return respond(outcome, 500)
        finally:
            reset_context(token)

    return wrapper


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("/metadata")


def token_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:token"))


def _strict(request: HttpRequest) -> bool:
    """``Prefer: handling=strict`` (among other preferences, comma or semicolon separated)."""
    prefer = request.headers.get("Prefer", "").replace(";", ",")
    return any(part.replace(" ", "").lower() == "handling=strict" for part in prefer.split(","))


def _only(request: HttpRequest, *methods: str) -> None:
    if request.method not in methods:
        raise FhirError(
            405,
            f"{request.method} is not supported here; this server offers "
            f"{' and '.join(methods)} (read and search only).",
            headers={"Allow": ", ".join(methods)},
        )


@fhir_view
def metadata(request: HttpRequest) -> HttpResponse:
    _only(request, "GET", "HEAD")
    return respond(capability.capability_statement(base_url(request), token_url(request)))


@fhir_view
def smart_configuration(request: HttpRequest) -> HttpResponse:
    _only(request, "GET", "HEAD")
    response = respond(capability.smart_configuration(token_url(request)))
    response["Content-Type"] = "application/json"
    return response


def _type(name: str) -> Any:
    rtype = get_type(name)
    if rtype is None:
        raise FhirError(404, f"This server does not serve {name} resources (see /metadata).")
    return rtype


@fhir_view
def type_search(request: HttpRequest, resource_type: str) -> HttpResponse:
    rtype = _type(resource_type)
    _only(request, "GET", "HEAD")
    return _search(request, rtype, list(request.GET.lists()))


@fhir_view
def type_post_search(request: HttpRequest, resource_type: str) -> HttpResponse:
    rtype = _type(resource_type)
    _only(request, "POST")
    return _search(request, rtype, [*request.GET.lists(), *request.POST.lists()])


def _search(request: HttpRequest, rtype: Any, lists: list[tuple[str, list[str]]]) -> HttpResponse:
    principal = authenticate(request)
    items = [(key, value) for key, values in lists for value in values]
    wanted = search.parse_search(rtype, items, strict=_strict(request))
    ctx = Context(base_url=base_url(request))
    result = search.search(principal, rtype, wanted, ctx)
    services.audit_fhir_search(
        principal=principal,
        resource_type=rtype.name,
        query=items,
        matches=result.matches,
        included=result.included,
        total=result.total,
    )
    return respond(search.bundle(result, rtype, ctx.base_url))


def _none_match(header: str, version: str) -> bool:
    """Whether ``If-None-Match`` names the current version (RFC 9110's weak comparison:
    ``W/"v"`` and ``"v"`` both match; a list of tags, or ``*``)."""
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        tag = tag.removeprefix("W/")
        if len(tag) >= 2 and tag[0] == tag[-1] == '"' and tag[1:-1] == version:
            return True
    return False


@fhir_view
def instance(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    _type(resource_type)
    _only(request, "GET", "HEAD")
    principal = authenticate(request)
    ctx = Context(base_url=base_url(request))
    resource = search.read(principal, resource_type, resource_id, ctx)
    services.audit_fhir_read(principal=principal, resource=resource)
    meta = resource.get("meta", {})
    headers = {"ETag": f'W/"{meta.get("versionId", "")}"'}
    if "lastUpdated" in meta:
        updated = dt.datetime.fromisoformat(meta["lastUpdated"].replace("Z", "+00:00"))
        headers["Last-Modified"] = http_date(updated.timestamp())
    if _none_match(request.headers.get("If-None-Match", ""), str(meta.get("versionId", ""))):
        response = HttpResponse(status=304)
        for name, value in headers.items():
            response[name] = value
        return response
    return respond(resource, headers=headers)


@fhir_view
def not_supported(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise FhirError(404, f"Nothing is served at /fhir/R4/{rest} (see /fhir/R4/metadata).")
