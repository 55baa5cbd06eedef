"""What the operations add to the CapabilityStatement: the transaction interaction,
``Patient/$everything`` and bulk ``$export`` (system and patient level)."""

from __future__ import annotations

from palpa.fhir.mapping.common import JSON

BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"
EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
PATIENT_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"
EVERYTHING = "http://hl7.org/fhir/OperationDefinition/Patient-everything"


def add_operations(statement: JSON) -> JSON:
    statement["instantiates"] = [BULK_DATA]
    rest = statement["rest"][0]
    rest["interaction"] = [
        {
            "code": "transaction",
            "documentation": "POST a transaction Bundle with a Patient, a ServiceRequest "
            "(a referral; requester a Practitioner with NPI) and its Conditions: the "
            "patient is matched by identifier or created, and the referral recorded, "
            "atomically. Needs system/*.write.",
        }
    ]
    rest["operation"] = [
        {
            "name": "export",
            "definition": EXPORT,
            "documentation": "Bulk Data $export (system level; system/*.read). "
            "Parameters _type, _since, _outputFormat=application/fhir+ndjson.",
        }
    ]
    for resource in rest["resource"]:
        if resource["type"] == "Patient":
            resource["operation"] = [
                {
                    "name": "everything",
                    "definition": EVERYTHING,
                    "documentation": "The patient and every served resource of its "
                    "compartment; parameters _type, _since, _count, _offset.",
                },
                {
                    "name": "export",
                    "definition": PATIENT_EXPORT,
                    "documentation": "Bulk Data $export of every patient's compartment.",
                },
            ]
    return statement
