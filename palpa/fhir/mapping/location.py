"""Location <- accounts.Location (a clinic or a medical spa of the organization)."""

from __future__ import annotations

from palpa.accounts.models import Location
from palpa.fhir.mapping.common import (
    JSON,
    LOCATION_KIND,
    Context,
    coding,
    compact,
    concept,
    ref,
    with_meta,
)


def to_fhir(location: Location, ctx: Context) -> JSON:
    lines = [line for line in (location.address_line1, location.address_line2) if line]
    resource: JSON = {
        "resourceType": "Location",
        "id": str(location.public_id),
        "status": "active" if location.active else "inactive",
        "name": location.name,
        "mode": "instance",
        "type": [
            concept(
                [coding(LOCATION_KIND, location.kind, location.get_kind_display())],
                location.get_kind_display(),
            )
        ],
        "telecom": [{"system": "phone", "value": location.phone}] if location.phone else [],
        "address": compact(
            {
                "line": lines,
                "city": location.city,
                "state": location.region,
                "postalCode": location.postal_code,
                "country": location.country,
            }
        ),
        "managingOrganization": ref(
            "Organization", location.organization.public_id, location.organization.name
        ),
    }
    return with_meta(compact(resource), location.updated_at)
