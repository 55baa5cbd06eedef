"""Organization <- accounts.Organization (the tenant: a clinic or a network of clinics)."""

from __future__ import annotations

from palpa.accounts.models import Organization
from palpa.fhir.mapping.common import (
    JSON,
    ORGANIZATION_SYSTEM,
    ORGANIZATION_TYPE,
    Context,
    coding,
    concept,
    with_meta,
)


def to_fhir(organization: Organization, ctx: Context) -> JSON:
    resource: JSON = {
        "resourceType": "Organization",
        "id": str(organization.public_id),
        "identifier": [{"system": ORGANIZATION_SYSTEM, "value": organization.slug}],
        "active": True,
        "type": [concept([coding(ORGANIZATION_TYPE, "prov", "Healthcare Provider")])],
        "name": organization.name,
    }
    return with_meta(resource, organization.updated_at)
