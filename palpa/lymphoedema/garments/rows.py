"""A prescription's measurements as rows, one per point from the landmark up (the
detail page and the order form show the same)."""

from __future__ import annotations

from typing import Any

from palpa.lymphoedema.models import GarmentPrescription, LimbMeasurement


def point_label(landmark: str, interval: float | None, index: int) -> str:
    place = (landmark.strip() or "landmark").capitalize()
    if index == 0:
        return place
    return f"{place} + {index * interval:g} cm" if interval else f"{place}, point {index + 1}"


def measurement_label(m: LimbMeasurement) -> str:
    side = m.get_affected_side_display().lower()
    return f"{m.measured_on:%b %-d, %Y}: {m.get_region_display().lower()}s, {side} affected"


def measurement_rows(p: GarmentPrescription) -> tuple[str, list[dict[str, str]]]:
    """(how measured, one row per point with each side's circumference)."""
    m = p.measurement
    source: Any = m if m is not None else p
    left, right = list(source.left_circumferences_cm), list(source.right_circumferences_cm)
    sides = ("left", "right") if p.side == "both" else (p.side,)
    points = max((len(left) if "left" in sides else 0), (len(right) if "right" in sides else 0))
    rows = [
        {
            "label": point_label(source.landmark, source.interval_cm, i),
            "left": f"{left[i]:g}" if "left" in sides and i < len(left) else "",
            "right": f"{right[i]:g}" if "right" in sides and i < len(right) else "",
        }
        for i in range(points)
    ]
    how = (
        f"From the signed limb measurement of {measurement_label(m)}"
        if m is not None
        else "Circumferences taken for this prescription"
    )
    if source.landmark:
        how += f", from the {source.landmark} every {source.interval_cm:g} cm"
    return how, rows
