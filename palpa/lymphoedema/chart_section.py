"""The chart's "Limb volumes" section: the patient's signed limb measurements (each
sitting's volumes, excess and change since the first sitting), for clinical roles, in one
query. Part of the chart, whose opening is audited (the section notes how many sittings
it showed)."""

from __future__ import annotations

from collections.abc import Mapping

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.queries import Sitting, patient_measurements, sittings_of
from palpa.patients.chart import Section, note_read
from palpa.patients.models import Patient


def _row(sitting: Sitting) -> dict[str, object]:
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
        "first": sitting.first,
        "not_compared": sitting.not_compared,
    }


def section(user: User, patient: Patient) -> Mapping[str, object] | None:
    if not has_capability(user, Capability.CLINICAL_READ):
        return None
    if patient.organization_id != tenant_id(user):
        return None
    measurements = list(patient_measurements(user, patient))  # one query
    sittings = sittings_of(measurements)
    can_record = has_capability(user, Capability.CLINICAL_AUTHOR)
    if not sittings and not can_record:
        return None
    drafts = [
        m
        for m in measurements
        if m.status == LimbMeasurement.Status.DRAFT and m.practitioner.user_id == user.pk
    ]
    if sittings or drafts:
        note_read(patient, limb_measurements=len(sittings) + len(drafts))
    return {
        "rows": [_row(s) for s in reversed(sittings)],
        "drafts": drafts,
        "can_record": can_record,
    }


SECTION = Section(
    name="limb_volumes",
    order=55,
    template="lymphoedema/_chart_limb_volumes.html",
    context=section,
)
