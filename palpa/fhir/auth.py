"""Who is asking: a bearer token turned into a principal with SMART scopes.

Two kinds of bearer token are accepted:

- an OAuth2 access token from ``/fhir/R4/auth/token`` (client credentials). The client
  belongs to one organization; Palpa acts for it as a read-only clinical reader of that
  organization (an actor that exists only for the request, never stored) and records the
  client's name in the audit log. A client made for one patient reads that patient's
  compartment only.
- a staff member's personal API token (``palpa_…``), taken as ``user/*.read``: the
  staff member's own role decides what they see, as everywhere in Palpa.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.oauth2_backends import get_oauthlib_core

from palpa.accounts.models import Role, User
from palpa.accounts.permissions import Capability, has_capability
from palpa.accounts.services import TOKEN_PREFIX, user_for_token
from palpa.core.dates import zone_of
from palpa.fhir.errors import FhirError
from palpa.fhir.models import FhirClient
from palpa.fhir.scopes import Scope, allows, parse_scopes

_CHALLENGE = 'Bearer realm="palpa-fhir"'


@dataclass
class Principal:
    actor: User
    context: str  # system | user | patient
    scopes: list[Scope]
    label: str
    client: FhirClient | None = None
    patient_id: int | None = None  # set: only this patient's compartment is visible
    scope_text: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def require(self, resource_type: str, capability: Capability, *, compartment: bool) -> None:
        """403 unless the scopes and (for staff) the role allow reading this type."""
        if not allows(self.scopes, self.context, resource_type, "read"):
            raise FhirError(
                403,
                f"The token's scopes ({self.scope_text}) do not allow reading "
                f"{resource_type}: ask for {self.context}/{resource_type}.read "
                f"or {self.context}/*.read.",
            )
        if self.patient_id is not None and not compartment:
            raise FhirError(
                403, f"A patient's token reads that patient's records only, not {resource_type}."
            )
        if not has_capability(self.actor, capability):
            raise FhirError(403, f"Your role may not read {resource_type} resources.")


def _unauthorized(message: str, error: str = "invalid_token") -> FhirError:
    header = f'{_CHALLENGE}, error="{error}"' if error else _CHALLENGE
    return FhirError(401, message, headers={"WWW-Authenticate": header})


def client_actor(client: FhirClient) -> User:
    """The stand-in actor of a client: a reader of the client's organization, unsaved."""
    actor = User(
        username=f"fhir-client:{client.application.client_id}",
        full_name=client.name,
        organization_id=client.organization_id,
        role=Role.THERAPIST,
        is_active=True,
    )
    actor.organization = client.organization
    return actor


def _from_oauth(request: HttpRequest) -> Principal | None:
    try:
        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
    except ValueError as exc:  # oauthlib reads the whole URI: a query it cannot decode
        raise FhirError(
            400, f"The query string is not valid URL encoding ({exc}).", code="invalid"
        ) from exc
    if not valid or oauth_request is None:
        return None
    token = oauth_request.access_token
    scope_text = token.scope or ""
    scopes = parse_scopes(scope_text)
    if token.user_id is not None:  # a token a staff member authorized
        user = token.user
        if not user.is_active or user.organization_id is None:
            return None
        if user.organization is not None:
            timezone.activate(zone_of(user.organization))  # restored by LocalTimeMiddleware
        return Principal(
            actor=user,
            context="user",
            scopes=scopes,
            label=user.get_username(),
            scope_text=scope_text,
        )
    client = (
        FhirClient.objects.select_related("application", "organization")
        .filter(application_id=token.application_id)
        .first()
    )
    if client is None or not client.is_active:
        return None
    context = "patient" if client.patient_id is not None else "system"
    return Principal(
        actor=client_actor(client),
        context=context,
        scopes=[s for s in scopes if s.context == context],
        label=f"FHIR client {client.name} ({client.application.client_id})",
        client=client,
        patient_id=client.patient_id,
        scope_text=scope_text,
    )


def authenticate(request: HttpRequest) -> Principal:
    header = request.headers.get("Authorization", "")
    if not header:
        raise _unauthorized("Send a bearer token: Authorization: Bearer <token>.", error="")
    kind, _, secret = header.partition(" ")
    secret = secret.strip()
    if kind.lower() != "bearer" or not secret:
        raise _unauthorized("Only bearer tokens are accepted.", error="invalid_request")

    if secret.startswith(TOKEN_PREFIX):
        user = user_for_token(secret)
        if user is None:
            raise _unauthorized("The token is unknown, expired or revoked.")
        if user.organization is not None:
            timezone.activate(zone_of(user.organization))  # restored by LocalTimeMiddleware
        return Principal(
            actor=user,
            context="user",
            scopes=parse_scopes("user/*.read"),
            label=user.get_username(),
            scope_text="user/*.read",
        )
    principal = _from_oauth(request)
    if principal is None:
        raise _unauthorized("The token is unknown, expired or revoked.")
    if principal.client is not None:
        timezone.activate(zone_of(principal.client.organization))
    return principal
