"""Condition <- care.Diagnosis of a final evaluation (an encounter diagnosis, ICD-10-CM)."""

from __future__ import annotations

from palpa.care.models import Diagnosis, Evaluation
from palpa.fhir.mapping.common import (
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    ICD10CM,
    JSON,
    Context,
    coding,
    concept,
    ref,
    with_meta,
)


def to_fhir(diagnosis: Diagnosis, ctx: Context) -> JSON:
    evaluation = diagnosis.evaluation
    assert evaluation is not None
    patient = evaluation.patient
    resource: JSON = {
        "resourceType": "Condition",
        "id": str(diagnosis.public_id),
        "category": [
            concept(
                [coding(CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")],
            )
        ],
        "code": concept([coding(ICD10CM, diagnosis.code, diagnosis.label)], diagnosis.label),
        "subject": ref("Patient", patient.public_id, patient.full_name),
        "encounter": ref("Encounter", evaluation.public_id),
        "recordedDate": evaluation.evaluated_on.isoformat(),
        "recorder": ref("Practitioner", evaluation.practitioner.public_id),
        "note": [{"text": f"Rank {diagnosis.rank} (1 is the primary diagnosis)."}],
    }
    if evaluation.status == Evaluation.Status.ENTERED_IN_ERROR:
        resource["verificationStatus"] = concept(
            [coding(CONDITION_VERIFICATION, "entered-in-error", "Entered in Error")]
        )
    else:
        resource["clinicalStatus"] = concept([coding(CONDITION_CLINICAL, "active", "Active")])
        resource["verificationStatus"] = concept(
            [coding(CONDITION_VERIFICATION, "provisional", "Provisional")]
        )
    return with_meta(resource, diagnosis.updated_at, evaluation.updated_at)
