"""PractitionerRole <- practitioners.Practitioner: the therapist's role in the organization.

One role per practitioner (its id is the practitioner's id): specialty NUCC 225700000X
Massage Therapist (verified in the clinical reference, section F), the organization, and
the organization's active locations in the states where the practitioner holds a license
that is current today (Palpa records no other link between therapists and locations).
"""

from __future__ import annotations

from palpa.accounts.models import Location
from palpa.fhir.mapping.common import (
    JSON,
    NUCC,
    Context,
    coding,
    compact,
    concept,
    ref,
    with_meta,
)
from palpa.practitioners.models import License, Practitioner

MASSAGE_THERAPIST = "225700000X"
MASSAGE_THERAPIST_DISPLAY = "Massage Therapist"


def specialty() -> JSON:
    return concept(
        [coding(NUCC, MASSAGE_THERAPIST, MASSAGE_THERAPIST_DISPLAY)], MASSAGE_THERAPIST_DISPLAY
    )


def _locations(practitioner: Practitioner, ctx: Context) -> list[Location]:
    key = f"locations:{practitioner.organization_id}"
    if key not in ctx.cache:
        ctx.cache[key] = list(
            Location.objects.filter(organization_id=practitioner.organization_id, active=True)
        )
    states = {
        lic.jurisdiction.upper()
        for lic in practitioner.licenses.all()
        if lic.is_current_on(ctx.today) and lic.verification_status != License.Verification.REJECTED
    }
    return [loc for loc in ctx.cache[key] if loc.jurisdiction in states]


def to_fhir(practitioner: Practitioner, ctx: Context) -> JSON:
    telecom: list[JSON] = []
    if practitioner.phone:
        telecom.append({"system": "phone", "value": practitioner.phone, "use": "work"})
    if practitioner.email:
        telecom.append({"system": "email", "value": practitioner.email, "use": "work"})
    locations = _locations(practitioner, ctx)
    resource: JSON = {
        "resourceType": "PractitionerRole",
        "id": str(practitioner.public_id),
        "active": practitioner.active,
        "practitioner": ref("Practitioner", practitioner.public_id, practitioner.display_name),
        "organization": ref(
            "Organization", practitioner.organization.public_id, practitioner.organization.name
        ),
        "specialty": [specialty()],
        "location": [ref("Location", loc.public_id, loc.name) for loc in locations],
        "telecom": telecom,
    }
    stamps = [practitioner.updated_at, *(lic.updated_at for lic in practitioner.licenses.all())]
    return with_meta(compact(resource), *stamps)
