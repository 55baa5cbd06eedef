"""What the permission table says each persona gets from a route, and the routes to walk.

The expectation comes from the table (``accounts.permissions``) and the route's gate (the
capability it declares: ``palpa_gate`` on a page, ``x-palpa-capability`` on an API
operation, ``capability`` on a FHIR resource type), never from a list kept here:

- a role without the capability is refused with 403;
- a capability marked "as a practitioner" is refused (403) to an account that is not an
  active practitioner (the fixture's owner is not one);
- a write to a record with an author rule (a draft, a token) is refused (403, or 404 where
  the record is hidden from non-authors) to anyone but its author (``therapist``) who
  lacks the ``others`` capability;
- the outsider (another organization's owner) gets 404 for every route that names one of
  our records, and never our data in any answer;
- anyone else is allowed: any answer but 401, 403, 404, 405 or a server error (a 422 for
  an empty body is an allowed caller told what is missing).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from palpa.accounts.gates import Gate, gate_of
from palpa.accounts.permissions import TABLE, Capability, role_has

ALLOWED, REFUSED, NOT_FOUND = "allowed", "refused (403)", "not found (404)"
TOLD_NOTHING = "told nothing (422 for the body, as for a record that does not exist)"
PRACTITIONERS = frozenset({"therapist", "other_therapist"})
AUTHOR = "therapist"  # wrote every clinical record of the fixture clinic


def persona_has(persona: str, role: str, capability: Capability) -> bool:
    """The table's answer for a fixture persona (without a database round trip)."""
    if not role_has(role, capability):
        return False
    return not TABLE[capability].practitioner or persona in PRACTITIONERS


@dataclass(frozen=True)
class Rule:
    """A route's gate as the walk reads it."""

    capability: Capability | None
    author_only: bool = False
    others: Capability | None = None
    hidden: bool = False  # a non-author is told 404, not 403
    reads: bool = False  # the author rule holds for reading too


def expect(persona: str, role: str, rule: Rule, *, names_our_record: bool, write: bool) -> str:
    if persona == "outsider" and names_our_record:
        return NOT_FOUND
    if rule.capability is not None and not persona_has(persona, role, rule.capability):
        return REFUSED
    applies = rule.author_only and (write or rule.reads)
    non_author = applies and persona not in (AUTHOR, "outsider")
    if non_author and (rule.others is None or not persona_has(persona, role, rule.others)):
        return NOT_FOUND if rule.hidden else REFUSED
    return ALLOWED


def verdict(expected: str, status: int) -> bool:
    if expected == REFUSED:
        return status == 403
    if expected == NOT_FOUND:
        return status == 404
    if expected == TOLD_NOTHING:
        return status == 422
    return status < 500 and status not in (401, 403, 404, 405)


def rule_of_gate(gate: Gate, method: str, kwargs: Mapping[str, Any]) -> Rule:
    selected = gate.select(kwargs)
    assert selected is not None, f"no gate for {dict(kwargs)}"
    record = selected.record
    return Rule(
        capability=gate.capability(method, kwargs),
        author_only=bool(record and record.author),
        others=record.others if record else None,
        hidden=bool(record and record.hidden),
        reads=bool(record and record.reads),
    )


def rule_of_operation(operation: Mapping[str, Any]) -> Rule:
    others = operation.get("x-palpa-others")
    return Rule(
        capability=Capability(operation["x-palpa-capability"]),
        author_only=bool(operation.get("x-palpa-author-only")),
        others=Capability(others) if others else None,
        hidden=bool(operation.get("x-palpa-others-see-404")),
        reads=bool(operation.get("x-palpa-author-only-reads-too")),
    )


# --- the staff pages, from the URL resolver --------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str  # "namespace:name"
    route: str
    view: Any
    default_kwargs: Mapping[str, Any]
    params: tuple[str, ...]


def pages() -> Iterator[Page]:
    """Every URL pattern of the site but the JSON API and the FHIR server (walked by
    operation and by resource type)."""

    def walk(patterns: Any, prefix: str, namespace: str) -> Iterator[Page]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or ""
                full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), full)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
                converters = getattr(pattern.pattern, "converters", {})
                yield Page(
                    name=name,
                    route=route,
                    view=pattern.callback,
                    default_kwargs=dict(pattern.default_args),
                    params=tuple(converters),
                )

    for page in walk(get_resolver().url_patterns, "", ""):
        if page.route.startswith(("api/v1/", "fhir/R4/")):
            continue
        yield page


def page_gate(page: Page) -> Gate | None:
    return gate_of(page.view)
