"""Practitioner <- practitioners.Practitioner with its licenses as qualifications."""

from __future__ import annotations

from palpa.fhir.mapping.common import (
    JSON,
    LICENSE_SYSTEM_PREFIX,
    LICENSE_TYPE,
    NPI,
    Context,
    coding,
    compact,
    concept,
    with_meta,
)
from palpa.practitioners.models import License, Practitioner


def _qualification(lic: License) -> JSON:
    return {
        "identifier": [
            {"system": f"{LICENSE_SYSTEM_PREFIX}{lic.jurisdiction.upper()}", "value": lic.number}
        ],
        "code": concept(
            [coding(LICENSE_TYPE, lic.license_type)],
            f"{lic.license_type} ({lic.jurisdiction.upper()})",
        ),
        "period": {"start": lic.issued_on.isoformat(), "end": lic.expires_on.isoformat()},
        "issuer": {"display": f"{lic.jurisdiction.upper()} licensing board"},
    }


def to_fhir(practitioner: Practitioner, ctx: Context) -> JSON:
    licenses = [
        lic
        for lic in practitioner.licenses.all()
        if lic.verification_status != License.Verification.REJECTED
    ]
    telecom: list[JSON] = []
    if practitioner.phone:
        telecom.append({"system": "phone", "value": practitioner.phone, "use": "work"})
    if practitioner.email:
        telecom.append({"system": "email", "value": practitioner.email, "use": "work"})
    name: JSON = {"family": practitioner.family_name, "given": [practitioner.given_name]}
    if practitioner.credentials:
        name["suffix"] = [practitioner.credentials]
    resource: JSON = {
        "resourceType": "Practitioner",
        "id": str(practitioner.public_id),
        "identifier": [{"system": NPI, "value": practitioner.npi}] if practitioner.npi else [],
        "active": practitioner.active,
        "name": [name],
        "telecom": telecom,
        "qualification": [_qualification(lic) for lic in licenses],
    }
    stamps = [practitioner.updated_at, *(lic.updated_at for lic in licenses)]
    return with_meta(compact(resource), *stamps)
