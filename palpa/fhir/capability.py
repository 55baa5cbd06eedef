"""GET /fhir/R4/metadata: the CapabilityStatement, generated from the registry."""

from __future__ import annotations

import importlib.metadata

from palpa.fhir.capability_operations import add_operations
from palpa.fhir.mapping.common import JSON
from palpa.fhir.registry import registry
from palpa.fhir.search import CONTROL
from palpa.fhir.transaction import CONDITIONAL_TYPES

SMART_OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
RESTFUL_SECURITY = "http://terminology.hl7.org/CodeSystem/restful-security-service"
RELEASED = "2026-01-01"


def _version() -> str:
    try:
        return importlib.metadata.version("palpa")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - always installed
        return "0"


def capability_statement(base_url: str, token_url: str) -> JSON:
    resources: list[JSON] = []
    for rtype in registry().values():
        params = [
            {"name": "_id", "type": "token", "documentation": "The resource's id"},
            {
                "name": "_lastUpdated",
                "type": "date",
                "documentation": "When the record behind the resource last changed",
            },
        ]
        if rtype.compartment and rtype.name != "Patient":
            params += [
                {"name": "patient", "type": "reference", "documentation": "The patient"},
                {"name": "subject", "type": "reference", "documentation": "The patient"},
            ]
        params += [
            {"name": p.name, "type": p.type, "documentation": p.documentation} for p in rtype.params
        ]
        documentation = f"From {rtype.documentation}."
        if rtype.searchable:
            documentation += f" Sort by: {', '.join(rtype.sort_names)}."
        resource: JSON = {
            "type": rtype.name,
            "documentation": documentation,
            "interaction": [{"code": code} for code in rtype.interactions],
            "versioning": "versioned",
            "readHistory": False,
            "updateCreate": False,
            "conditionalRead": "not-match",
        }
        if rtype.name in CONDITIONAL_TYPES:  # in the referral transaction, ifNoneExist
            resource["conditionalCreate"] = True
        if rtype.searchable:
            resource["searchParam"] = params
        if rtype.includes:
            resource["searchInclude"] = sorted(rtype.includes)
        resources.append(resource)
    statement: JSON = {
        "resourceType": "CapabilityStatement",
        "id": "palpa",
        "url": f"{base_url}/metadata",
        "name": "PalpaFhirServer",
        "title": "Palpa FHIR R4 server",
        "status": "active",
        "experimental": False,
        "date": RELEASED,
        "publisher": "Palpa",
        "description": "Read and search over Palpa's clinical records, Patient/$everything, "
        "bulk $export and the referral transaction (see docs/fhir-mapping.md).",
        "kind": "instance",
        "software": {"name": "Palpa", "version": _version()},
        "implementation": {"description": "Palpa FHIR R4 server", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "JSON only. Search parameters: "
                f"{', '.join(sorted(CONTROL))} on every type; unknown parameters are "
                "ignored (and reported) unless the request says Prefer: handling=strict. "
                "Modifiers: :exact and :contains on string parameters only; any other "
                "modifier is refused (400). Tokens: system|code, code, |code, system|. "
                "Date prefixes eq ne gt ge lt le sa eb; period parameters (CarePlan date, "
                "ServiceRequest occurrence, DocumentReference period) compare the whole "
                "period. _summary=count returns the total only (other _summary values "
                "are refused); _elements=a,b returns those top-level elements (with id "
                "and meta), tagged SUBSETTED.",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": RESTFUL_SECURITY,
                                    "code": "SMART-on-FHIR",
                                    "display": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": "OAuth2 bearer tokens (client credentials) with SMART "
                    "scopes system/*.read or patient/*.read (system/*.write for the "
                    "referral transaction), or a staff API token (user/*.read).",
                    "extension": [
                        {
                            "url": SMART_OAUTH_URIS,
                            "extension": [{"url": "token", "valueUri": token_url}],
                        }
                    ],
                },
                "resource": resources,
            }
        ],
    }
    return add_operations(statement)


def smart_configuration(token_url: str) -> JSON:
    """/.well-known/smart-configuration (SMART App Launch 2.0 discovery)."""
    return {
        "token_endpoint": token_url,
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["system/*.read", "system/*.write", "patient/*.read", "user/*.read"],
        "capabilities": ["client-confidential-symmetric", "permission-v1"],
    }
