"""SMART on FHIR scopes: parsing, checking, and the scopes backend for the token endpoint.

Palpa understands SMART v1 scopes (``system/*.read``, ``user/Patient.read``,
``patient/Observation.read``) and the v2 letters for reading (``.rs``, ``.r``, ``.s``).
``write`` (v1) and ``c``/``u``/``d`` (v2) are accepted in a client's registration but
nothing in this version writes through FHIR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from palpa.fhir.models import FhirClient
from palpa.fhir.registry import resource_types

CONTEXTS = ("system", "user", "patient")
# The scopes a client may be registered with (the wildcard forms); a resource-specific
# scope (system/Patient.read) is accepted too, for each resource type Palpa serves.
KNOWN_SCOPES: dict[str, str] = {
    "system/*.read": "Read every FHIR resource of the client's organization",
    "user/*.read": "Read what the signed-in staff member may see",
    "patient/*.read": "Read one patient's records (a client made for that patient)",
    "system/*.write": "Send referrals (the transaction Bundle that records a patient's referral)",
}

_SCOPE = re.compile(r"^(system|user|patient)/(\*|[A-Z][A-Za-z]+)\.(read|write|\*|[cruds]+)$")


class ScopeError(ValueError):
    """A scope that is not a SMART resource scope Palpa understands."""


@dataclass(frozen=True)
class Scope:
    context: str  # system | user | patient
    resource: str  # "*" or a resource type
    read: bool
    write: bool

    def grants(self, context: str, resource: str, access: str) -> bool:
        if self.context != context or self.resource not in {"*", resource}:
            return False
        return self.read if access == "read" else self.write


def parse_scope(text: str) -> Scope:
    match = _SCOPE.match(text)
    if match is None:
        raise ScopeError(
            f"{text!r} is not a SMART scope: use context/Resource.access, "
            "e.g. system/*.read or user/Patient.read."
        )
    context, resource, access = match.groups()
    if access in {"read", "write", "*"}:
        read = access in {"read", "*"}
        write = access in {"write", "*"}
    else:
        letters = set(access)
        read = bool(letters & {"r", "s"})
        write = bool(letters & {"c", "u", "d"})
    return Scope(context=context, resource=resource, read=read, write=write)


def parse_scopes(text: str) -> list[Scope]:
    """Every SMART resource scope in a space-separated list; other scopes (launch,
    openid, fhirUser, offline_access) are not resource scopes and are skipped."""
    found: list[Scope] = []
    for item in text.split():
        if item.split("/", 1)[0] in CONTEXTS:
            found.append(parse_scope(item))
    return found


def allows(scopes: list[Scope], context: str, resource: str, access: str = "read") -> bool:
    return any(scope.grants(context, resource, access) for scope in scopes)


def check_registration(scopes: list[str], *, for_patient: bool) -> None:
    """Raise ScopeError unless every scope fits a client of this kind.

    A client made for one patient gets ``patient/`` scopes only; other clients get
    ``system/`` scopes (``user/`` scopes come from a staff member's own token).
    """
    if not scopes:
        raise ScopeError("Give the client at least one scope, e.g. system/*.read.")
    wanted = "patient" if for_patient else "system"
    for text in scopes:
        scope = parse_scope(text)
        if scope.context != wanted:
            kind = "a client made for one patient" if for_patient else "a system client"
            raise ScopeError(f"{text!r}: {kind} takes {wanted}/ scopes only.")


class ClientScopes:
    """django-oauth-toolkit scopes backend: a client may ask for the scopes it was
    registered with (or a narrower resource-specific read of them), no others."""

    def get_all_scopes(self) -> dict[str, str]:
        return dict(KNOWN_SCOPES)

    def _registered(self, application: Any) -> list[str]:
        if application is None:
            return []
        client = FhirClient.objects.filter(application_id=application.pk).first()
        if client is None or not client.is_active:
            return []
        return client.scope_list

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        registered = self._registered(application)
        available = list(registered)
        parsed = [parse_scope(s) for s in registered]

        for scope in parsed:
            if scope.resource == "*" and scope.read:
                available.extend(f"{scope.context}/{name}.read" for name in resource_types())
        return available

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return self._registered(application)
