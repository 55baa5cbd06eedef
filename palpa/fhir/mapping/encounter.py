"""Encounter <- a signed treatment note (a treatment visit) or a signed evaluation (the
evaluation visit). Both are ambulatory visits at one of the organization's locations."""

from __future__ import annotations

from palpa.care.models import Evaluation, TreatmentNote
from palpa.fhir.mapping.common import (
    ACT_CODE,
    ENCOUNTER_TYPE,
    JSON,
    Context,
    coding,
    compact,
    concept,
    ref,
    with_meta,
)

AMBULATORY = coding(ACT_CODE, "AMB", "ambulatory")


def _status(entered_in_error: bool) -> str:
    return "entered-in-error" if entered_in_error else "finished"


def note_to_fhir(note: TreatmentNote, ctx: Context) -> JSON:
    patient = note.patient
    day = note.visit_date.isoformat()
    resource: JSON = {
        "resourceType": "Encounter",
        "id": str(note.public_id),
        "status": _status(note.status == TreatmentNote.Status.ENTERED_IN_ERROR),
        "class": AMBULATORY,
        "type": [
            concept(
                [coding(ENCOUNTER_TYPE, "treatment-visit", "Treatment visit")], "Treatment visit"
            )
        ],
        "subject": ref("Patient", patient.public_id, patient.full_name),
        "participant": [
            {"individual": ref("Practitioner", note.practitioner.public_id, str(note.practitioner))}
        ],
        "period": {"start": day, "end": day},
        "appointment": [ref("Appointment", note.appointment.public_id)]
        if note.appointment is not None
        else [],
        "location": [{"location": ref("Location", note.location.public_id, note.location.name)}],
        "serviceProvider": ref("Organization", note.organization.public_id),
    }
    return with_meta(compact(resource), note.updated_at)


def evaluation_to_fhir(evaluation: Evaluation, ctx: Context) -> JSON:
    patient = evaluation.patient
    day = evaluation.evaluated_on.isoformat()
    resource: JSON = {
        "resourceType": "Encounter",
        "id": str(evaluation.public_id),
        "status": _status(evaluation.status == Evaluation.Status.ENTERED_IN_ERROR),
        "class": AMBULATORY,
        "type": [concept([coding(ENCOUNTER_TYPE, "evaluation", "Evaluation")], "Evaluation")],
        "subject": ref("Patient", patient.public_id, patient.full_name),
        "participant": [
            {
                "individual": ref(
                    "Practitioner", evaluation.practitioner.public_id, str(evaluation.practitioner)
                )
            }
        ],
        "period": {"start": day, "end": day},
        "reasonCode": [concept([], evaluation.chief_complaint[:500])]
        if evaluation.chief_complaint
        else [],
        "diagnosis": [
            {"condition": ref("Condition", d.public_id), "rank": d.rank}
            for d in evaluation.diagnoses.all()
        ],
        "location": [
            {"location": ref("Location", evaluation.location.public_id, evaluation.location.name)}
        ],
        "serviceProvider": ref("Organization", evaluation.organization.public_id),
    }
    return with_meta(compact(resource), evaluation.updated_at)
