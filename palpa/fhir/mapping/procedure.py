"""Procedure <- care.TechniqueEntry of a signed treatment note: one technique at one
body region for a number of minutes.

``code`` carries Palpa's technique code and, when the technique is billable, its CPT
code (http://www.ama-assn.org/go/cpt; code number only, the AMA's descriptors are not
shipped): the code the visit's charge billed it under when the note has been charged,
otherwise the organization's technique-to-code map (palpa.billing). Timed minutes are in
the minutes extension; units follow the payer's rule on the charge, not here.
"""

from __future__ import annotations

from palpa.billing.models import Charge
from palpa.billing.services import code_map
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

CPT = "http://www.ama-assn.org/go/cpt"


def cpt_code(entry: TechniqueEntry, ctx: Context) -> str | None:
    """The CPT code for the technique: as billed on the visit's charge (prefetched with
    the techniques, see ``fhir_techniques``), else as the organization maps it."""
    try:
        charge: Charge | None = entry.note.charge
    except Charge.DoesNotExist:
        charge = None
    if charge is not None and charge.status != Charge.Status.VOID:
        for line in charge.lines.all():
            if entry.technique in (line.techniques or []):
                return line.code
    map_key = f"procedure-code-map:{entry.organization_id}"
    mapped: dict[str, str | None] | None = ctx.cache.get(map_key)
    if mapped is None:
        mapped = ctx.cache[map_key] = code_map(entry.organization_id)
    return mapped.get(entry.technique)


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
        "code": concept(
            [coding(TECHNIQUE, entry.technique, shown)]
            + ([coding(CPT, code)] if (code := cpt_code(entry, ctx)) else []),
            shown,
        ),
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
