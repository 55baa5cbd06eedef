"""NUL in the query string or form of a web page: refused once, before any view.

The text rule (docs/input.md) refuses NUL everywhere text is kept, but a page also reads
parameters it does not keep: a search term, a filter, a reason read straight from
``request.POST``. PostgreSQL cannot take a NUL in any text parameter, so such a value
reached the database and ended in a server error there (SQLite took it). No page has a
use for U+0000, so ``NulRefusalMiddleware`` answers 400 naming the parameter for any page
request whose query string or form (URL-encoded or multipart) holds one, in a name or a
value. The JSON
API and the FHIR server apply the whole text rule to their own parameters and answer in
their own shapes (422, OperationOutcome), so they are left to it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.utils.html import escape

from palpa.core.limits import API_PREFIX, FHIR_PREFIX

NUL = "\x00"
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")  # file names aside


def _with_nul(data: QueryDict) -> str | None:
    """The first parameter whose name or any value holds NUL."""
    for name, values in data.lists():
        if NUL in name or any(NUL in value for value in values):
            return name.replace(NUL, "\\0")
    return None


class NulRefusalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith((API_PREFIX, FHIR_PREFIX)):
            where, name = "query", _with_nul(request.GET)
            if name is None and request.content_type in FORMS:
                where, name = "form", _with_nul(request.POST)
            if name is not None:
                return HttpResponseBadRequest(
                    f"<!doctype html><title>Bad request</title><p>The {where} parameter "
                    f"<code>{escape(name[:100])}</code> contains U+0000 (NUL), which Palpa "
                    "never accepts. Remove it and send the request again.</p>",
                    content_type="text/html; charset=utf-8",
                )
        return self.get_response(request)
