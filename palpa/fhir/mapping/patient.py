"""Patient <- patients.Patient (US Core Patient must-supports where Palpa holds the data)."""

from __future__ import annotations

from typing import Any

from palpa.fhir.mapping.common import (
    BCP47,
    JSON,
    MRN_SYSTEM_PREFIX,
    V2_0203,
    Context,
    coding,
    compact,
    concept,
    ref,
    with_meta,
)
from palpa.patients.models import Patient


def mrn_system(organization_public_id: object) -> str:
    return f"{MRN_SYSTEM_PREFIX}{organization_public_id}"


def to_fhir(patient: Patient, ctx: Context) -> JSON:
    names: list[JSON] = [
        {"use": "official", "family": patient.family_name, "given": [patient.given_name]}
    ]
    if patient.preferred_name:
        names.append({"use": "usual", "given": [patient.preferred_name]})
    telecom: list[JSON] = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    lines = [line for line in (patient.address_line1, patient.address_line2) if line]
    address = compact(
        {
            "line": lines,
            "city": patient.city,
            "state": patient.region,
            "postalCode": patient.postal_code,
        }
    )
    resource: JSON = {
        "resourceType": "Patient",
        "id": str(patient.public_id),
        "identifier": [
            {
                "use": "usual",
                "type": concept([coding(V2_0203, "MR", "Medical record number")], "MRN"),
                "system": mrn_system(patient.organization.public_id),
                "value": patient.mrn,
            }
        ],
        "active": patient.status != Patient.Status.INACTIVE,
        "name": names,
        "telecom": telecom,
        "gender": patient.sex,
        "birthDate": patient.date_of_birth.isoformat(),
        "address": [address] if address else [],
        "communication": [
            {
                "language": concept([coding(BCP47, patient.preferred_language)]),
                "preferred": True,
            }
        ],
        "managingOrganization": ref(
            "Organization", patient.organization.public_id, patient.organization.name
        ),
    }
    if patient.status == Patient.Status.DECEASED:
        if patient.deceased_on:
            resource["deceasedDateTime"] = patient.deceased_on.isoformat()
        else:
            resource["deceasedBoolean"] = True
    if patient.emergency_contact_name or patient.emergency_contact_phone:
        contact: JSON = compact(
            {
                "relationship": [concept([], patient.emergency_contact_relationship)]
                if patient.emergency_contact_relationship
                else [],
                "name": {"text": patient.emergency_contact_name}
                if patient.emergency_contact_name
                else None,
                "telecom": [{"system": "phone", "value": patient.emergency_contact_phone}]
                if patient.emergency_contact_phone
                else [],
            }
        )
        resource["contact"] = [contact]
    return with_meta(compact(resource), patient.updated_at)


def from_fhir(resource: JSON) -> dict[str, Any]:
    """The fields of ``patients.services.create_patient`` a Patient resource carries.

    Pure: no database. The result is what a write through FHIR would hand to the service
    (which validates every field); identifiers are not taken over (Palpa assigns MRNs).
    """
    official: dict[str, Any] = next(
        (n for n in resource.get("name", []) if n.get("use") in (None, "official")), {}
    )
    usual: dict[str, Any] = next(
        (n for n in resource.get("name", []) if n.get("use") == "usual"), {}
    )
    telecom = resource.get("telecom", [])
    address = (resource.get("address") or [{}])[0]
    lines = [*address.get("line", []), "", ""]
    fields: dict[str, Any] = {
        "given_name": " ".join(official.get("given", [])),
        "family_name": official.get("family", ""),
        "preferred_name": " ".join(usual.get("given", [])),
        "date_of_birth": resource.get("birthDate", ""),
        "sex": resource.get("gender", Patient.Sex.UNKNOWN),
        "phone": next((t["value"] for t in telecom if t.get("system") == "phone"), ""),
        "email": next((t["value"] for t in telecom if t.get("system") == "email"), ""),
        "address_line1": lines[0],
        "address_line2": lines[1],
        "city": address.get("city", ""),
        "region": address.get("state", ""),
        "postal_code": address.get("postalCode", ""),
    }
    return fields
