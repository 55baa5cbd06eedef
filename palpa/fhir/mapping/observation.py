"""Observation <- three kinds of Palpa record:

- outcomes.InstrumentAdministration: an instrument's score (LOINC only where the
  instrument library marks the code verified; always Palpa's instrument code);
- care.RomMeasurement: one range of motion in degrees (Palpa's code: ROM LOINC codes are
  not verified);
- care.PainMapEntry: pain intensity 0-10 at one body region of an evaluation.
"""

from __future__ import annotations

from palpa.care.catalog import catalog
from palpa.care.models import Evaluation, PainMapEntry, RomMeasurement
from palpa.fhir.mapping.common import (
    BODY_REGION,
    FINDING,
    INSTRUMENT,
    JSON,
    LOINC,
    OBSERVATION_CATEGORY,
    PAIN_QUALITY,
    ROM_MOTION,
    UCUM,
    Context,
    coding,
    compact,
    concept,
    instant,
    label,
    ref,
    with_meta,
)
from palpa.outcomes.library import UnknownInstrument, get_instrument
from palpa.outcomes.models import InstrumentAdministration

# Units the instrument library uses -> UCUM.
_UCUM = {"%": ("%", "%"), "points": ("{score}", "points"), "score": ("{score}", "score")}


def _category(code: str, display: str) -> JSON:
    return concept([coding(OBSERVATION_CATEGORY, code, display)])


def instrument_codings(instrument_id: str) -> tuple[list[JSON], str]:
    """The codings of an instrument's total score: verified LOINC first, then Palpa's."""
    try:
        instrument = get_instrument(instrument_id)
    except UnknownInstrument:
        return [coding(INSTRUMENT, instrument_id)], instrument_id
    codings = [
        coding(LOINC, code.code)
        for code in instrument.loinc
        if code.tag == "V" and code.part == "score"
    ]
    codings.append(coding(INSTRUMENT, instrument.id, instrument.name))
    return codings, instrument.name


def verified_loinc(instrument_id: str) -> list[str]:
    try:
        instrument = get_instrument(instrument_id)
    except UnknownInstrument:
        return []
    return [c.code for c in instrument.loinc if c.tag == "V" and c.part == "score"]


def _quantity(value: float, unit: str) -> JSON:
    number: float | int = int(value) if float(value).is_integer() else round(value, 2)
    if unit in _UCUM:
        code, shown = _UCUM[unit]
        return {"value": number, "unit": shown, "system": UCUM, "code": code}
    return {"value": number, "unit": unit.replace("_", " ")}


def body_site(region: str, side: str) -> JSON:
    regions = catalog().regions
    shown = regions[region].label if region in regions else label(region)
    text = shown + (f", {side}" if side else "")
    return concept([coding(BODY_REGION, region, shown)], text)


def administration_to_fhir(admin: InstrumentAdministration, ctx: Context) -> JSON:
    codings, name = instrument_codings(admin.instrument)
    patient = admin.patient
    components: list[JSON] = []
    if admin.percent is not None and admin.unit != "%":
        components.append(
            {
                "code": concept([coding(FINDING, "percent-score", "Score as a percentage")]),
                "valueQuantity": _quantity(admin.percent, "%"),
            }
        )
    notes = [f"Items answered: {admin.items_answered} of {admin.items_total}."]
    if admin.calculation:
        notes.append(f"Calculation: {admin.calculation}")
    if admin.status_reason:
        notes.append(f"Entered in error: {admin.status_reason}")
    resource: JSON = {
        "resourceType": "Observation",
        "id": str(admin.public_id),
        "status": "entered-in-error"
        if admin.status == InstrumentAdministration.Status.ENTERED_IN_ERROR
        else "final",
        "category": [_category("survey", "Survey")],
        "code": concept(codings, name),
        "subject": ref("Patient", patient.public_id, patient.full_name),
        "effectiveDateTime": admin.administered_on.isoformat(),
        "issued": instant(admin.created_at),
        "valueQuantity": _quantity(admin.score, admin.unit),
        "interpretation": [concept([], admin.band)] if admin.band else [],
        "note": [{"text": " ".join(notes)}],
        "derivedFrom": [ref("QuestionnaireResponse", admin.public_id)],
        "component": components,
    }
    return with_meta(compact(resource), admin.updated_at)


def _entered_in_error(evaluation: Evaluation | None) -> bool:
    return evaluation is not None and evaluation.status == Evaluation.Status.ENTERED_IN_ERROR


def rom_to_fhir(rom: RomMeasurement, ctx: Context) -> JSON:
    patient = rom.patient
    motion = f"{rom.joint}.{rom.motion}"
    shown = f"{label(rom.joint)} {rom.motion.replace('_', ' ')}"
    side = "" if rom.side in ("", "midline") else rom.side
    status = "final"
    if rom.status == RomMeasurement.Status.ENTERED_IN_ERROR or _entered_in_error(rom.evaluation):
        status = "entered-in-error"
    resource: JSON = {
        "resourceType": "Observation",
        "id": str(rom.public_id),
        "status": status,
        "category": [_category("exam", "Exam")],
        "code": concept([coding(ROM_MOTION, motion, f"{shown} range of motion")], shown),
        "subject": ref("Patient", patient.public_id, patient.full_name),
        "encounter": ref("Encounter", rom.evaluation.public_id) if rom.evaluation else None,
        "effectiveDateTime": rom.measured_on.isoformat(),
        "performer": [ref("Practitioner", rom.rater.public_id, str(rom.rater))],
        "valueQuantity": {"value": rom.degrees, "unit": "deg", "system": UCUM, "code": "deg"},
        "bodySite": body_site(rom.joint, side),
        "method": concept([], f"{rom.get_mode_display()}, {rom.get_instrument_display()}"),
        "referenceRange": [
            {"text": f"Norm {rom.norm_degrees} deg ({rom.norm_source})".replace(" ()", "")}
        ]
        if rom.norm_degrees is not None
        else [],
        "note": [{"text": f"Patient position: {rom.position}"}] if rom.position else [],
    }
    return with_meta(compact(resource), rom.updated_at)


def pain_to_fhir(entry: PainMapEntry, ctx: Context) -> JSON:
    evaluation = entry.evaluation
    patient = evaluation.patient
    resource: JSON = {
        "resourceType": "Observation",
        "id": str(entry.public_id),
        "status": "entered-in-error" if _entered_in_error(evaluation) else "final",
        "category": [_category("exam", "Exam")],
        "code": concept(
            [coding(FINDING, "pain-intensity", "Pain intensity at a body region (0-10)")],
            "Pain intensity (0-10)",
        ),
        "subject": ref("Patient", patient.public_id, patient.full_name),
        "encounter": ref("Encounter", evaluation.public_id),
        "effectiveDateTime": evaluation.evaluated_on.isoformat(),
        "performer": [ref("Practitioner", evaluation.practitioner.public_id)],
        "valueInteger": entry.intensity,
        "bodySite": body_site(entry.region, entry.side),
        "component": [
            {
                "code": concept([coding(FINDING, "pain-quality", "Pain quality")]),
                "valueCodeableConcept": concept(
                    [coding(PAIN_QUALITY, entry.quality, entry.get_quality_display())],
                    entry.get_quality_display(),
                ),
            }
        ],
        "note": [{"text": entry.note}] if entry.note else [],
    }
    return with_meta(compact(resource), entry.updated_at, evaluation.updated_at)
