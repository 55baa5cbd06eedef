"""FHIR clients (made and revoked) and the audit entries of FHIR reads and searches.

The FHIR boundary writes nothing clinical; what it writes here is its own client
registry and the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model, get_application_model

from palpa.accounts.models import Organization, User
from palpa.audit.services import Action, record
from palpa.fhir.auth import Principal
from palpa.fhir.models import FhirClient
from palpa.fhir.registry import get_type
from palpa.fhir.scopes import ScopeError, check_registration
from palpa.patients.models import Patient


@dataclass(frozen=True)
class IssuedClient:
    client: FhirClient
    client_id: str
    client_secret: str  # shown once; only its hash is stored


def create_fhir_client(
    *,
    actor: User | None,
    organization: Organization,
    name: str,
    scopes: list[str],
    patient: Patient | None = None,
) -> IssuedClient:
    """Register a client-credentials client of ``organization`` with SMART ``scopes``."""
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the client a name."]
    elif len(name) > 200:
        errors["name"] = ["At most 200 characters."]
    elif FhirClient.objects.filter(organization=organization, name=name).exists():
        errors["name"] = [f"The organization already has a client named {name!r}."]
    try:
        check_registration(scopes, for_patient=patient is not None)
    except ScopeError as exc:
        errors["scopes"] = [str(exc)]
    if patient is not None and patient.organization_id != organization.pk:
        errors["patient"] = ["The patient belongs to another organization."]
    if actor is not None and actor.organization_id not in (None, organization.pk):
        errors["organization"] = ["Staff make clients for their own organization only."]
    if errors:
        raise ValidationError(errors)
    secret = generate_client_secret()
    application_model = get_application_model()
    with transaction.atomic():
        application = application_model.objects.create(
            name=f"{organization.slug}: {name}"[:255],
            client_type=application_model.CLIENT_CONFIDENTIAL,
            authorization_grant_type=application_model.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,
            hash_client_secret=True,
            user=None,
        )
        client = FhirClient.objects.create(
            organization=organization,
            application=application,
            name=name,
            scopes=" ".join(scopes),
            patient=patient,
            created_by=actor if actor is not None and actor.pk else None,
        )
        record(
            actor=actor,
            action=Action.CREATE,
            organization=organization,
            obj=client,
            patient_id=str(patient.public_id) if patient is not None else "",
            detail={"client_id": application.client_id, "name": name, "scopes": scopes},
        )
    return IssuedClient(client=client, client_id=application.client_id, client_secret=secret)


def revoke_fhir_client(*, actor: User | None, client: FhirClient) -> FhirClient:
    """Revoke the client and every token it holds."""
    with transaction.atomic():
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at", "updated_at"])
        get_access_token_model().objects.filter(application_id=client.application_id).delete()
        record(
            actor=actor,
            action=Action.UPDATE,
            organization=client.organization,
            obj=client,
            detail={"revoked": True, "client_id": client.application.client_id},
        )
    return client


def _who(principal: Principal) -> dict[str, Any]:
    found: dict[str, Any] = {"via": "fhir", "scopes": principal.scope_text}
    if principal.client is not None:
        found["client"] = principal.client.application.client_id
    return found


def _label(principal: Principal) -> str:
    return principal.label if principal.client is not None else ""


def patient_of(resource: dict[str, Any]) -> str:
    if resource.get("resourceType") == "Patient":
        return str(resource["id"])
    subject = resource.get("subject") or resource.get("patient") or {}
    reference = subject.get("reference", "") if isinstance(subject, dict) else ""
    if not reference:  # Provenance and Binary do not name their patient
        rtype = get_type(str(resource.get("resourceType", "")))
        if rtype is not None and rtype.audit_patient is not None:
            return rtype.audit_patient(resource)
    return reference.split("/", 1)[1] if reference.startswith("Patient/") else ""


def audit_fhir_read(*, principal: Principal, resource: dict[str, Any]) -> None:
    record(
        actor=principal.actor,
        action=Action.READ,
        object_type=str(resource["resourceType"]),
        object_id=str(resource["id"]),
        patient_id=patient_of(resource),
        detail={**_who(principal), "interaction": "read"},
        actor_label=_label(principal),
    )


def audit_fhir_search(
    *,
    principal: Principal,
    resource_type: str,
    query: list[tuple[str, str]],
    matches: list[dict[str, Any]],
    included: list[dict[str, Any]],
    total: int,
) -> None:
    everything = [*matches, *included]
    patients = sorted({p for p in (patient_of(r) for r in everything) if p})
    record(
        actor=principal.actor,
        action=Action.SEARCH,
        object_type=resource_type,
        patient_id=patients[0] if len(patients) == 1 else "",
        detail={
            **_who(principal),
            "interaction": "search-type",
            "query": [list(item) for item in query],
            "total": total,
            "results": [f"{r['resourceType']}/{r['id']}" for r in matches],
            "included": [f"{r['resourceType']}/{r['id']}" for r in included],
            "patients": patients,
        },
        actor_label=_label(principal),
    )
