"""Reads of limb measurements, limited to what the actor may see, and the trend of a
patient's signed sittings with the figures of ``volumes`` (each with its formula and
source). Sittings measured differently from the first one are not compared: the row
says what differs instead of giving a change figure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.rules import load_rules
from palpa.lymphoedema.volumes import (
    ChangeUndefined,
    Measure,
    MeasurementSet,
    NotComparable,
    check_comparable,
    excess,
    percent_change,
    percent_of,
    rvc,
)
from palpa.patients.models import Patient

DIRECT = {"water_displacement", "perometer", "3d_scan"}


def measurements_for(actor: User) -> QuerySet[LimbMeasurement]:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return LimbMeasurement.objects.none()
    return LimbMeasurement.objects.filter(organization_id=tenant_id(actor)).select_related(
        "patient", "practitioner", "location", "signed_by"
    )


def patient_measurements(actor: User, patient: Patient) -> QuerySet[LimbMeasurement]:
    """Every measurement of the patient (drafts and those in error too), oldest first."""
    return measurements_for(actor).filter(patient=patient).order_by("measured_on", "pk")


@dataclass(frozen=True)
class Sitting:
    """One signed sitting with its figures; ``not_compared`` says why a change figure is
    missing (measured differently from the first sitting, or no excess at the start)."""

    measurement: LimbMeasurement
    left: dict[str, Any]
    right: dict[str, Any]
    excess_ml: Measure | None = None
    excess_percent: Measure | None = None
    changes: dict[str, Measure] = field(default_factory=dict)
    first: bool = False
    not_compared: str = ""
    # The first sitting with an excess after a baseline without one: the % change in
    # excess volume counts from here.
    excess_start: bool = False
    excess_since: dt.date | None = None  # the sitting the % change in excess counts from


def _sets(m: LimbMeasurement) -> tuple[MeasurementSet, MeasurementSet] | None:
    if m.method in DIRECT:
        return None
    return tuple(  # type: ignore[return-value]
        MeasurementSet(
            limb=f"{limb} {m.region}",
            landmark=m.landmark,
            interval_cm=float(m.interval_cm or 0),
            circumferences_cm=tuple(float(c) for c in getattr(m, f"{limb}_circumferences_cm")),
        )
        for limb in ("left", "right")
    )


def _volume(m: LimbMeasurement, limb: str) -> dict[str, Any]:
    value = getattr(m, f"{limb}_volume_ml")
    if m.method in DIRECT:
        return {
            "value": round(value, 1),
            "unit": "mL",
            "formula": "",
            "source": f"measured directly ({m.get_method_display().lower()})",
            "source_short": m.get_method_display(),
            "tag": "",
            "evidence": "",
        }
    return Measure(value, load_rules().formulas["limb_volume"]).as_dict()


def _difference(first: LimbMeasurement, now: LimbMeasurement) -> str:
    """Why ``now`` is not compared with ``first``, or ''."""
    if first.method != now.method:
        return (
            f"Measured by {now.get_method_display().lower()}, the first sitting by "
            f"{first.get_method_display().lower()}: the two are not compared."
        )
    a, b = _sets(first), _sets(now)
    if a is None or b is None:
        return ""
    try:
        check_comparable(a[0], b[0])
    except NotComparable as exc:
        return str(exc)
    return ""


def _sides(m: LimbMeasurement) -> tuple[str, str] | None:
    """(affected, unaffected) for a one-sided lymphoedema, else None."""
    if m.affected_side == "left":
        return "left", "right"
    if m.affected_side == "right":
        return "right", "left"
    return None


def sittings_of(measurements: Sequence[LimbMeasurement]) -> list[Sitting]:
    """The figures of signed sittings (given oldest first). The episode's first sitting is
    the first signed one of the same region and affected side: the baseline of both limbs
    that the relative volume change (one-sided cases) and the % change in absolute volume
    (both sides affected) are counted from. The % change in excess volume is counted from
    the first sitting with an excess greater than 0, which is the first sitting unless that
    one was a baseline taken before the limb swelled (before surgery, say)."""
    formulas = load_rules().formulas
    firsts: dict[tuple[str, str], LimbMeasurement] = {}
    excess_starts: dict[tuple[str, str], tuple[LimbMeasurement, float]] = {}
    out: list[Sitting] = []
    for m in measurements:
        if m.status != LimbMeasurement.Status.SIGNED:
            continue
        key = (m.region, m.affected_side)
        first = firsts.setdefault(key, m)
        is_first = first.pk == m.pk
        left, right = _volume(m, "left"), _volume(m, "right")
        sides = _sides(m)
        excess_ml = excess_pct = None
        changes: dict[str, Measure] = {}
        why = "" if is_first else _difference(first, m)
        excess_start = False
        if sides is not None:
            affected = float(getattr(m, f"{sides[0]}_volume_ml"))
            unaffected = float(getattr(m, f"{sides[1]}_volume_ml"))
            excess_ml = Measure(excess(affected, unaffected), formulas["excess_volume"])
            excess_pct = Measure(
                percent_of(affected - unaffected, unaffected), formulas["excess_percent"]
            )
            if not why and key not in excess_starts and excess_ml.value > 0:
                excess_starts[key] = (m, excess_ml.value)
                excess_start = not is_first
        if not is_first and not why:
            if sides is not None:
                assert excess_ml is not None
                a1 = float(getattr(first, f"{sides[0]}_volume_ml"))
                u1 = float(getattr(first, f"{sides[1]}_volume_ml"))
                changes["rvc"] = Measure(
                    rvc(a1, u1, affected, unaffected), formulas["relative_volume_change"]
                )
                start = excess_starts.get(key)
                if start is not None and start[0].pk != m.pk:
                    changes["excess"] = Measure(
                        percent_change(start[1], excess_ml.value),
                        formulas["excess_change_percent"],
                    )
            else:
                for limb in ("left", "right"):
                    try:
                        changes[limb] = Measure(
                            percent_change(
                                float(getattr(first, f"{limb}_volume_ml")),
                                float(getattr(m, f"{limb}_volume_ml")),
                            ),
                            formulas["absolute_change_percent"],
                        )
                    except ChangeUndefined as exc:  # pragma: no cover - volumes are > 0
                        why = str(exc)
        start = excess_starts.get(key)
        out.append(
            Sitting(
                m,
                left,
                right,
                excess_ml,
                excess_pct,
                changes,
                first=is_first,
                not_compared=why,
                excess_start=excess_start,
                excess_since=start[0].measured_on if start and start[0].pk != m.pk else None,
            )
        )
    return out


def patient_sittings(actor: User, patient: Patient) -> list[Sitting]:
    """The patient's signed sittings with their figures, in one query."""
    signed = patient_measurements(actor, patient).filter(status=LimbMeasurement.Status.SIGNED)
    return sittings_of(list(signed))
