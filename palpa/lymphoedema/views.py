"""The limb measurement entry page, built for a tablet: one column per limb, one row per
measuring point, the previous sitting's value beside each field. A plain form (works
without JavaScript); ``limb_entry.js`` moves to the next field on Enter. Writes go
through ``services``; reads through ``queries``; every read and write is audited."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from palpa.accounts.gates import Record, requires
from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability
from palpa.accounts.queries import locations_for
from palpa.audit.services import Action
from palpa.care import gates as care_gates
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.views import staff_user
from palpa.lymphoedema import queries, services
from palpa.lymphoedema.chart_section import sitting_row
from palpa.lymphoedema.findings import load_findings
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.rules import load_rules
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for

PATIENT = Record("patient_id", Patient)
MEASUREMENT = Record("measurement_id", LimbMeasurement, care_gates.AUTHOR, what="the measurement")
MEASUREMENT_IN_ERROR = Record(
    "measurement_id",
    LimbMeasurement,
    care_gates.AUTHOR,
    care_gates.OTHERS,
    what="the measurement",
)
DIRECT = {m.value for m in services.DIRECT_METHODS}
DEFAULT_POINTS = 8
# The findings typed as text (the skin's checkboxes are a list of their own).
TEXT_FINDINGS = ("isl_stage", "stemmer_sign", "pitting", "skin_note", "heaviness", "tightness")
DEFAULT_INTERVAL = 4.0
Method = LimbMeasurement.Method


@dataclass
class Cell:
    name: str
    label: str  # "Wrist + 8 cm"
    value: str
    previous: str
    error: str = ""


@dataclass
class Column:
    limb: str  # left | right
    heading: str  # "Left (affected)"
    cells: list[Cell]
    volume_name: str
    volume: str
    previous_volume: str
    volume_error: str = ""


def _num(value: Any) -> str:
    return "" if value is None else f"{float(value):g}"


def _point_label(landmark: str, interval: float | None, index: int) -> str:
    place = (landmark.strip() or "landmark").capitalize()
    if index == 0:
        return place
    return f"{place} + {index * interval:g} cm" if interval else f"{place}, point {index + 1}"


def _decimal(text: str) -> float | None:
    """A typed decimal (a comma is taken as the decimal point), or None when empty.
    Raises ValueError for anything that is not a plain finite decimal."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    if not all(c.isascii() and (c.isdigit() or c in ".-+") for c in text):
        raise ValueError(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _previous(
    actor: User, patient: Patient, region: str, exclude: int | None
) -> LimbMeasurement | None:
    signed = queries.patient_measurements(actor, patient).filter(
        status=LimbMeasurement.Status.SIGNED, region=region
    )
    if exclude is not None:
        signed = signed.exclude(pk=exclude)
    return signed.last()


class Entry:
    """The page's form: the settings of the sitting and a grid of values, parsed from
    POST (or from a stored draft), with an error per field naming the point."""

    def __init__(
        self,
        actor: User,
        patient: Patient,
        data: Any,
        *,
        draft: LimbMeasurement | None = None,
    ) -> None:
        self.actor, self.patient, self.draft = actor, patient, draft
        self.errors: dict[str, str] = {}
        self.general: list[str] = []
        self.locations = list(locations_for(actor))
        bound = data is not None
        source = data if bound else {}
        region = str(source.get("region") or (draft.region if draft else "arm"))
        if region not in LimbMeasurement.Region.values:
            region = "arm"
        self.previous = _previous(actor, patient, region, draft.pk if draft else None)
        prev = self.previous
        if bound:
            self.values = {k: str(source.get(k, "")) for k in self._names(source)}
        elif draft is not None:
            self.values = self._from(draft)
        else:
            self.values = {
                "measured_on": local_today(patient.primary_location).isoformat(),
                "location": str(patient.primary_location.public_id)
                if patient.primary_location
                else "",
                "region": region,
                "affected_side": prev.affected_side if prev else "left",
                "method": prev.method if prev else Method.TAPE,
                "landmark": prev.landmark if prev else ("wrist" if region == "arm" else "ankle"),
                "interval_cm": _num(prev.interval_cm) if prev and prev.interval_cm else "4",
                "points": str(len(prev.left_circumferences_cm))
                if prev and prev.left_circumferences_cm
                else str(DEFAULT_POINTS),
            }
        self.values["region"] = region
        if bound:
            self.skin = (
                [str(c) for c in source.getlist("skin")] if hasattr(source, "getlist") else []
            )
        else:
            self.skin = list(draft.skin) if draft is not None else []
        limits = load_rules().limits
        try:
            points = int(self.values.get("points") or DEFAULT_POINTS)
        except ValueError:
            points = DEFAULT_POINTS
            self.errors["points"] = "Give a whole number of points."
        if not limits.min_points <= points <= limits.max_points:
            self.errors["points"] = (
                f"Give from {limits.min_points} to {limits.max_points} points per limb."
            )
            points = max(limits.min_points, min(points, limits.max_points))
        self.points = points
        self.values["points"] = (
            str(points) if "points" not in self.errors else self.values.get("points", "")
        )

    def _names(self, source: Any) -> list[str]:
        fixed = [
            "measured_on",
            "location",
            "region",
            "affected_side",
            "method",
            "landmark",
            "interval_cm",
            "points",
            "left_volume_ml",
            "right_volume_ml",
            *TEXT_FINDINGS,
        ]
        cells = [
            k for k in source if k.startswith(("left_", "right_")) and k.split("_")[-1].isdigit()
        ]
        return fixed + cells

    @staticmethod
    def _from(m: LimbMeasurement) -> dict[str, str]:
        values = {
            "measured_on": m.measured_on.isoformat(),
            "location": str(m.location.public_id),
            "region": m.region,
            "affected_side": m.affected_side,
            "method": m.method,
            "landmark": m.landmark,
            "interval_cm": _num(m.interval_cm),
            "points": str(
                max(len(m.left_circumferences_cm), len(m.right_circumferences_cm)) or DEFAULT_POINTS
            ),
            "left_volume_ml": _num(m.left_volume_ml) if m.method in DIRECT else "",
            "right_volume_ml": _num(m.right_volume_ml) if m.method in DIRECT else "",
        }
        for limb in services.LIMBS:
            for i, c in enumerate(getattr(m, f"{limb}_circumferences_cm")):
                values[f"{limb}_{i}"] = _num(c)
        for name in TEXT_FINDINGS:
            value = getattr(m, name)
            values[name] = "" if value is None else str(value)
        return values

    # --- display ----------------------------------------------------------------------

    @property
    def tape(self) -> bool:
        return self.values.get("method", Method.TAPE) not in DIRECT

    def interval(self) -> float | None:
        try:
            return _decimal(self.values.get("interval_cm", ""))
        except ValueError:
            return None

    def columns(self) -> list[Column]:
        side = self.values.get("affected_side", "")
        landmark = self.values.get("landmark", "")
        interval = self.interval()
        prev = self.previous
        out = []
        for limb in services.LIMBS:
            affected = side in (limb, "both")
            heading = f"{limb.capitalize()}{' (affected)' if affected else ''}"
            earlier = getattr(prev, f"{limb}_circumferences_cm") if prev else []
            cells = [
                Cell(
                    name=f"{limb}_{i}",
                    label=_point_label(landmark, interval, i),
                    value=self.values.get(f"{limb}_{i}", ""),
                    previous=_num(earlier[i]) if i < len(earlier) else "",
                    error=self.errors.get(f"{limb}_{i}", ""),
                )
                for i in range(self.points)
            ]
            out.append(
                Column(
                    limb=limb,
                    heading=heading,
                    cells=cells,
                    volume_name=f"{limb}_volume_ml",
                    volume=self.values.get(f"{limb}_volume_ml", ""),
                    previous_volume=f"{getattr(prev, f'{limb}_volume_ml'):.1f}"
                    if prev and getattr(prev, f"{limb}_volume_ml") is not None
                    else "",
                    volume_error=self.errors.get(f"{limb}_volume_ml", ""),
                )
            )
        return out

    # --- parsing ----------------------------------------------------------------------

    def content(self) -> dict[str, Any] | None:
        """The service arguments, or None (with ``errors``) when a value is unreadable."""
        v = self.values
        out: dict[str, Any] = {}
        try:
            out["measured_on"] = dt.date.fromisoformat(v.get("measured_on", ""))
        except ValueError:
            self.errors["measured_on"] = "Give the date measured (YYYY-MM-DD)."
        location = next(
            (loc for loc in self.locations if str(loc.public_id) == v.get("location")), None
        )
        if location is None:
            self.errors["location"] = "Choose the location measured at."
        out["location"] = location
        for name in ("region", "affected_side", "method"):
            out[name] = v.get(name, "")
        tape = self.tape
        limits = load_rules().limits
        if tape:
            out["landmark"] = v.get("landmark", "").strip()
            if len(out["landmark"]) > 60 or not out["landmark"].isprintable():
                self.errors["landmark"] = "Name the landmark in at most 60 plain characters."
            try:
                out["interval_cm"] = _decimal(v.get("interval_cm", ""))
            except ValueError:
                self.errors["interval_cm"] = "Give the interval as a number of cm, e.g. 4."
            for column in self.columns():
                values: list[float] = []
                for cell in column.cells:
                    where = f"{column.limb.capitalize()}, {cell.label[0].lower()}{cell.label[1:]}"
                    try:
                        number = _decimal(cell.value)
                    except ValueError:
                        self.errors[cell.name] = f"{where}: give a number of cm, e.g. 23.5."
                        continue
                    if number is None:
                        continue
                    if not 0 < number <= limits.circumference_max_cm:
                        self.errors[cell.name] = (
                            f"{where}: must be greater than 0 and at most "
                            f"{limits.circumference_max_cm:g} cm."
                        )
                        continue
                    values.append(number)
                filled = [c for c in column.cells if c.value.strip()]
                if (
                    filled
                    and len(filled) != len(column.cells)
                    and not any(c.name in self.errors for c in column.cells)
                ):
                    gaps = [c for c in column.cells if not c.value.strip()]
                    first_gap = gaps[0]
                    self.errors[first_gap.name] = (
                        f"{column.limb.capitalize()}, {first_gap.label[0].lower()}"
                        f"{first_gap.label[1:]}: missing; measure every point (or none yet)."
                    )
                out[f"{column.limb}_circumferences_cm"] = (
                    values if len(values) == self.points else []
                )
        else:
            out["landmark"] = ""
            out["interval_cm"] = None
            for limb in services.LIMBS:
                name = f"{limb}_volume_ml"
                try:
                    out[name] = _decimal(v.get(name, ""))
                except ValueError:
                    self.errors[name] = f"{limb.capitalize()}: give the volume in mL, e.g. 2350."
                out[f"{limb}_circumferences_cm"] = []
        self._findings(out)
        return None if self.errors else out

    def _findings(self, out: dict[str, Any]) -> None:
        v = self.values
        for name in ("isl_stage", "stemmer_sign", "pitting"):
            out[name] = v.get(name, "")
        out["skin"] = self.skin
        out["skin_note"] = v.get("skin_note", "").strip()
        for rating in load_findings().ratings:
            text = v.get(rating.key, "").strip()
            if not text:
                out[rating.key] = None
            elif text.isascii() and text.isdigit() and rating.low <= int(text) <= rating.high:
                out[rating.key] = int(text)
            else:
                self.errors[rating.key] = (
                    f"{rating.label}: give the patient's rating as a whole number from "
                    f"{rating.low} to {rating.high}."
                )

    def alerts(self) -> list[str]:
        return load_findings().alerts(self.skin)

    def apply(self, exc: ValidationError) -> None:
        """A service's refusal, shown beside the field it names."""
        labels = {
            "left_circumferences_cm": "Left",
            "right_circumferences_cm": "Right",
            "left_volume_ml": "Left volume",
            "right_volume_ml": "Right volume",
        }
        for field, errors in exc.message_dict.items():
            text = " ".join(errors)
            if field in labels:
                self.general.append(f"{labels[field]}: {text}")
                if field.endswith("_volume_ml"):
                    self.errors[field] = text
            elif field in self.values or field == "skin":
                self.errors[field] = text
            else:
                self.general.append(text)


def _context(entry: Entry, **more: Any) -> dict[str, Any]:
    return {
        "entry": entry,
        "patient": entry.patient,
        "v": entry.values,
        "columns": entry.columns(),
        "regions": LimbMeasurement.Region.choices,
        "sides": LimbMeasurement.Side.choices,
        "methods": LimbMeasurement.Method.choices,
        "findings": load_findings(),
        **more,
    }


def _save(
    request: HttpRequest, entry: Entry, measurement: LimbMeasurement | None
) -> LimbMeasurement | None:
    """Save (and, when asked, sign) in one transaction: nothing half saved."""
    user = entry.actor
    content = entry.content()
    if content is None:
        return None
    sign = request.POST.get("action") == "sign"
    try:
        with transaction.atomic():
            if measurement is None:
                location: Location = content.pop("location")
                measurement = services.record_measurement(
                    actor=user, patient=entry.patient, location=location, **content
                )
            else:
                content.pop("location")  # the location is set when the draft is started
                measurement = services.update_measurement(
                    actor=user, measurement=measurement, changes=content
                )
            if sign:
                measurement = services.sign_measurement(actor=user, measurement=measurement)
    except ValidationError as exc:
        entry.apply(exc)
        return None
    except Refused as exc:
        entry.general.append(str(exc))
        return None
    messages.success(request, "Measurement signed." if sign else "Draft saved.")
    return measurement


@login_required
@requires(Capability.CLINICAL_READ, post=Capability.CLINICAL_AUTHOR, record=PATIENT)
def measurement_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    posted = request.method == "POST"
    entry = Entry(user, patient, request.POST if posted else None)
    if posted and request.POST.get("action") in ("save", "sign"):
        saved = _save(request, entry, None)
        if saved is not None:
            return redirect("lymphoedema:measurement", measurement_id=saved.public_id)
    elif not posted and entry.previous is not None:
        services.audit_measurements_read(actor=user, patient=patient, count=1)
    return render(request, "lymphoedema/measurement_form.html", _context(entry))


@login_required
@requires(Capability.CLINICAL_READ, post=Capability.CLINICAL_AUTHOR, record=MEASUREMENT)
def measurement_detail(request: HttpRequest, measurement_id: str) -> HttpResponse:
    user = staff_user(request)
    measurement = get_object_or_404(queries.measurements_for(user), public_id=measurement_id)
    patient = measurement.patient
    mine = measurement.practitioner.user_id == user.pk
    draft = measurement.status == LimbMeasurement.Status.DRAFT
    if draft and mine:
        posted = request.method == "POST"
        entry = Entry(user, patient, request.POST if posted else None, draft=measurement)
        if posted and request.POST.get("action") in ("save", "sign"):
            saved = _save(request, entry, measurement)
            if saved is not None:
                return redirect("lymphoedema:measurement", measurement_id=saved.public_id)
        elif not posted:
            services.audit(user, Action.READ, measurement)
        return render(
            request,
            "lymphoedema/measurement_form.html",
            _context(entry, measurement=measurement),
        )
    if request.method == "POST":
        messages.error(request, "Only the measurement's practitioner changes a draft.")
        return redirect("lymphoedema:measurement", measurement_id=measurement.public_id)
    services.audit(user, Action.READ, measurement)
    sitting = next(
        (s for s in queries.patient_sittings(user, patient) if s.measurement.pk == measurement.pk),
        None,
    )
    points = max(len(measurement.left_circumferences_cm), len(measurement.right_circumferences_cm))
    rows = [
        {
            "label": _point_label(measurement.landmark, measurement.interval_cm, i),
            "left": _num(measurement.left_circumferences_cm[i])
            if i < len(measurement.left_circumferences_cm)
            else "",
            "right": _num(measurement.right_circumferences_cm[i])
            if i < len(measurement.right_circumferences_cm)
            else "",
        }
        for i in range(points)
    ]
    return render(
        request,
        "lymphoedema/measurement.html",
        {
            "measurement": measurement,
            "patient": patient,
            "sitting": sitting,
            "change": sitting_row(sitting) if sitting else None,
            "rows": rows,
            "can_mark": _may_mark(user, measurement),
            "findings": load_findings(),
            "seen": _seen(measurement),
            "alerts": load_findings().alerts(list(measurement.skin)),
            "draft": draft,
        },
    )


def _seen(m: LimbMeasurement) -> list[tuple[str, str]]:
    """The sitting's findings as (what, value) lines, only those recorded."""
    f = load_findings()
    lines = []
    if m.isl_stage:
        lines.append(("ISL stage", f.label("isl_stages", m.isl_stage)))
    if m.stemmer_sign:
        lines.append(("Stemmer sign", f.label("stemmer_sign", m.stemmer_sign)))
    if m.pitting:
        lines.append(("Pitting", f.label("pitting", m.pitting)))
    if m.skin or m.skin_note:
        words = [f.label("skin", c) for c in m.skin]
        lines.append(("Skin", "; ".join([*words, *([m.skin_note] if m.skin_note else [])])))
    for rating in f.ratings:
        value = getattr(m, rating.key)
        if value is not None:
            lines.append((f"{rating.label} (patient's rating)", f"{value} of {rating.high}"))
    return lines


def _may_mark(user: User, measurement: LimbMeasurement) -> bool:
    if measurement.status != LimbMeasurement.Status.SIGNED:
        return False
    if measurement.practitioner.user_id == user.pk:
        return has_capability(user, Capability.CLINICAL_AUTHOR)
    return has_capability(user, Capability.CLINICAL_CORRECT_OTHERS)


@login_required
@requires(Capability.CLINICAL_AUTHOR, record=MEASUREMENT_IN_ERROR)
def measurement_in_error(request: HttpRequest, measurement_id: str) -> HttpResponse:
    user = staff_user(request)
    measurement = get_object_or_404(queries.measurements_for(user), public_id=measurement_id)
    if request.method != "POST":
        return redirect("lymphoedema:measurement", measurement_id=measurement.public_id)
    reason = request.POST.get("reason", "").strip()
    try:
        services.mark_measurement_entered_in_error(
            actor=user, measurement=measurement, reason=reason
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Measurement marked entered in error.")
    return redirect("lymphoedema:measurement", measurement_id=measurement.public_id)
