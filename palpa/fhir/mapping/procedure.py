"""Procedure <- care.TechniqueEntry of a signed treatment note: one technique at one
body region for a number of minutes.

No CPT code: Palpa has no verified technique-to-CPT mapping yet (billing assigns codes),
so the code is Palpa's technique code; see docs/fhir-mapping.md.
"""

from __future__ import annotations

from palpa.care.catalog import catalog
from palpa.care.models import TechniqueEntry, TreatmentNote
from palpa.fhir.mapping.common import (
    EXT_MINUTES,
    EXT_PRESSURE,
    JSON,
    TECHNIQUE,
    UCUM,
    Context,
    coding,
    compact,
    concept,
    ref,
    with_meta,
)
from palpa.fhir.mapping.observation import body_site


def to_fhir(entry: TechniqueEntry, ctx: Context) -> JSON:
    note = entry.note
    patient = note.patient
    cat = catalog()
    technique = cat.techniques.get(entry.technique)
    shown = technique.label if technique is not None else entry.technique
    tool = cat.tools.get(entry.tool)
    pressure = cat.pressures.get(entry.pressure)
    resource: JSON = {
        "resourceType": "Procedure",
        "id": str(entry.public_id),
        "extension": [
            {
                "url": EXT_MINUTES,
                "valueDuration": {
                    "value": entry.minutes,
                    "unit": "min",
                    "system": UCUM,
                    "code": "min",
                },
            },
            {
                "url": EXT_PRESSURE,
                "valueString": pressure.label if pressure is not None else entry.pressure,
            },
        ],
        "basedOn": [ref("CarePlan", note.plan_of_care.public_id)] if note.plan_of_care else [],
        "status": "entered-in-error"
        if note.status == TreatmentNote.Status.ENTERED_IN_ERROR
        else "completed",
        "code": concept([coding(TECHNIQUE, entry.technique, shown)], shown),
        "subject": ref("Patient", patient.public_id, patient.full_name),
        "encounter": ref("Encounter", note.public_id),
        "performedDateTime": note.visit_date.isoformat(),
        "performer": [
            {"actor": ref("Practitioner", note.practitioner.public_id, str(note.practitioner))}
        ],
        "location": ref("Location", note.location.public_id, note.location.name),
        "bodySite": [body_site(entry.region, entry.side)],
        "usedCode": [concept([], tool.label)] if tool is not None and entry.tool != "none" else [],
        "note": [{"text": f"{entry.minutes} minutes."}],
    }
    return with_meta(compact(resource), entry.updated_at, note.updated_at)
