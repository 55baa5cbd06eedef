"""The chart's "Limb volumes" section: the patient's signed limb measurements (each
sitting's volumes, excess and change since the first sitting), for clinical roles, in one
query. Part of the chart, whose opening is audited (the section notes how many sittings
it showed)."""

from __future__ import annotations

from collections.abc import Mapping

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.core.dates import local_today
from palpa.lymphoedema.cdt_section import cdt_context
from palpa.lymphoedema.findings import load_findings
from palpa.lymphoedema.garments.catalogue import load_garments
from palpa.lymphoedema.garments.queries import due_state, patient_prescriptions
from palpa.lymphoedema.models import GarmentPrescription, LimbMeasurement
from palpa.lymphoedema.queries import Sitting, patient_measurements, sittings_of
from palpa.patients.chart import Section, note_read
from palpa.patients.models import Patient


def sitting_row(sitting: Sitting) -> dict[str, object]:
    m = sitting.measurement
    change = sitting.changes.get("excess")
    return {
        "measured_on": m.measured_on,
        "public_id": m.public_id,
        "what": f"{m.get_region_display()}, {m.get_affected_side_display().lower()} affected",
        "method": m.get_method_display(),
        "left": sitting.left["value"],
        "right": sitting.right["value"],
        "excess_ml": sitting.excess_ml.display() if sitting.excess_ml else None,
        "excess_percent": sitting.excess_percent.display() if sitting.excess_percent else None,
        "change": change.display() if change else None,
        "left_change": sitting.changes["left"].display() if "left" in sitting.changes else None,
        "right_change": sitting.changes["right"].display() if "right" in sitting.changes else None,
        "rvc": rvc_percent(sitting),
        "excess_since": sitting.excess_since,
        "excess_start": sitting.excess_start,
        "first": sitting.first,
        "not_compared": sitting.not_compared,
        "seen": seen_line(m),
    }


def rvc_percent(sitting: Sitting) -> float | None:
    """The relative volume change as a percentage (RVC x 100), one decimal."""
    measure = sitting.changes.get("rvc")
    return None if measure is None else round(measure.value * 100, 1)


def seen_line(m: LimbMeasurement) -> str:
    """The sitting's findings in one short line ("Stage II · Stemmer positive · pitting ·
    heaviness 6/10"), empty when none were recorded."""
    f = load_findings()
    parts = []
    if m.isl_stage:
        parts.append(f"ISL stage {m.isl_stage}")
    if m.stemmer_sign:
        parts.append(f"Stemmer {m.stemmer_sign}")
    if m.pitting:
        parts.append("pitting" if m.pitting == "present" else "no pitting")
    parts += [f.label("skin", c).split(" (")[0].lower() for c in m.skin if c != "intact"]
    for rating in f.ratings:
        value = getattr(m, rating.key)
        if value is not None:
            parts.append(f"{rating.label.lower()} {value}/{rating.high}")
    return " · ".join(parts)


def garment_rows(user: User, patient: Patient) -> list[dict[str, object]]:
    """The patient's garments: signed ones (current first, with the replacement due
    date), and the user's own drafts; those in error are left out."""
    data = load_garments()
    rows = []
    for p in patient_prescriptions(user, patient):  # one query
        draft = p.status == GarmentPrescription.Status.DRAFT
        if p.status == GarmentPrescription.Status.ENTERED_IN_ERROR or (
            draft and p.practitioner.user_id != user.pk
        ):
            continue
        fitting = getattr(p, "fitting", None)
        rows.append(
            {
                "public_id": p.public_id,
                "what": f"{data.label('garment_types', p.garment_type)}, "
                f"{p.get_side_display().lower()} {p.get_limb_display().lower()}",
                "compression": data.class_line(p.standard, p.compression_class),
                "prescribed_on": p.prescribed_on,
                "draft": draft,
                "fitted_on": fitting.fitted_on if fitting else None,
                "due_on": fitting.replacement_due_on if fitting else None,
                "due": due_state(p, local_today(p.location)),
            }
        )
    return rows


def section(user: User, patient: Patient) -> Mapping[str, object] | None:
    if not has_capability(user, Capability.CLINICAL_READ):
        return None
    if patient.organization_id != tenant_id(user):
        return None
    measurements = list(patient_measurements(user, patient))  # one query
    sittings = sittings_of(measurements)
    can_record = has_capability(user, Capability.CLINICAL_AUTHOR)
    garments = garment_rows(user, patient)
    cdt = cdt_context(user, patient, can_record=can_record)
    if not sittings and not can_record and not garments and cdt is None:
        return None
    drafts = [
        m
        for m in measurements
        if m.status == LimbMeasurement.Status.DRAFT and m.practitioner.user_id == user.pk
    ]
    if sittings or drafts:
        note_read(patient, limb_measurements=len(sittings) + len(drafts))
    if garments:
        note_read(patient, garment_prescriptions=len(garments))
    return {
        "garments": garments,
        "rows": [sitting_row(s) for s in reversed(sittings)],
        "drafts": drafts,
        "can_record": can_record,
        "cdt": cdt,
    }


SECTION = Section(
    name="limb_volumes",
    order=55,
    template="lymphoedema/_chart_limb_volumes.html",
    context=section,
)
