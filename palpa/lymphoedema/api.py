"""Limb measurements over the API: record a draft, sign it, read a patient's sittings
with the computed figures and their sources. Clinical roles only; every read and write
is audited."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from palpa.accounts.gates import Record, api_requires
from palpa.accounts.permissions import Capability
from palpa.accounts.queries import locations_for
from palpa.care import gates as care_gates
from palpa.care.schemas import InErrorIn
from palpa.core.api import ERRORS, RefusedOut, actor
from palpa.lymphoedema import queries, services
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.queries import Sitting
from palpa.lymphoedema.schemas import (
    LimbMeasurementIn,
    LimbMeasurementOut,
    LimbMeasurementPatch,
)
from palpa.patients.queries import patients_for

router = Router()
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: RefusedOut}
MEASUREMENT_DRAFT = Record(
    "limb_measurement_id", LimbMeasurement, care_gates.AUTHOR, what="the measurement"
)
MEASUREMENT_IN_ERROR = Record(
    "limb_measurement_id",
    LimbMeasurement,
    care_gates.AUTHOR,
    care_gates.OTHERS,
    what="the measurement",
)


def _figures(sitting: Sitting | None) -> dict[str, Any] | None:
    if sitting is None:
        return None

    def out(measure: Any) -> dict[str, Any] | None:
        return measure.as_dict() if measure is not None else None

    return {
        "left_volume": sitting.left,
        "right_volume": sitting.right,
        "excess_volume": out(sitting.excess_ml),
        "excess_percent": out(sitting.excess_percent),
        "change_in_excess_percent": out(sitting.changes.get("excess")),
        "left_change_percent": out(sitting.changes.get("left")),
        "right_change_percent": out(sitting.changes.get("right")),
        "relative_volume_change": out(sitting.changes.get("rvc")),
        "excess_change_since": sitting.excess_since,
        "first_sitting": sitting.first,
        "not_compared": sitting.not_compared,
    }


def measurement_out(m: LimbMeasurement, sitting: Sitting | None = None) -> dict[str, Any]:
    return {
        "id": m.public_id,
        "patient": m.patient.public_id,
        "practitioner": m.practitioner.public_id,
        "location": m.location.public_id,
        **{name: getattr(m, name) for name in services.CONTENT_FIELDS},
        "rules_version": m.rules_version,
        **{name: getattr(m, name) for name in services.FINDING_FIELDS},
        "status": m.status,
        "status_reason": m.status_reason,
        "signed_at": m.signed_at,
        "signed_by": str(m.signed_by) if m.signed_by else None,
        "content_hash": m.content_hash,
        "figures": _figures(sitting),
    }


@router.get(
    "/patients/{patient_id}/limb-measurements",
    response={200: list[LimbMeasurementOut], **ERRORS},
    summary="A patient's limb measurements, with the volumes, excess and change of signed ones",
)
@api_requires(Capability.CLINICAL_READ)
def list_measurements(request: HttpRequest, patient_id: UUID) -> list[dict[str, Any]]:
    user = actor(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    measurements = list(queries.patient_measurements(user, patient))
    sittings = {s.measurement.pk: s for s in queries.sittings_of(measurements)}
    services.audit_measurements_read(actor=user, patient=patient, count=len(measurements))
    return [measurement_out(m, sittings.get(m.pk)) for m in measurements]


@router.post(
    "/patients/{patient_id}/limb-measurements",
    response={201: LimbMeasurementOut, **WRITE_ERRORS},
    summary="Record a draft limb measurement (circumferences, or volumes measured directly)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PATIENT)
def create_measurement(
    request: HttpRequest, patient_id: UUID, payload: LimbMeasurementIn
) -> Status[dict[str, Any]]:
    user = actor(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    data = payload.model_dump()
    location = locations_for(user).filter(public_id=data.pop("location")).first()
    if location is None:
        raise ValidationError({"location": "No location of yours has this id."})
    measurement = services.record_measurement(
        actor=user, patient=patient, location=location, **data
    )
    return Status(201, measurement_out(measurement))


def _measurement(request: HttpRequest, limb_measurement_id: UUID) -> LimbMeasurement:
    return get_object_or_404(
        queries.measurements_for(actor(request)), public_id=limb_measurement_id
    )


def _with_figures(user: Any, measurement: LimbMeasurement) -> dict[str, Any]:
    measurements = list(queries.patient_measurements(user, measurement.patient))
    sittings = {s.measurement.pk: s for s in queries.sittings_of(measurements)}
    return measurement_out(measurement, sittings.get(measurement.pk))


@router.patch(
    "/limb-measurements/{limb_measurement_id}",
    response={200: LimbMeasurementOut, **WRITE_ERRORS},
    summary="Change a draft limb measurement (its own practitioner); only the fields sent change",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=MEASUREMENT_DRAFT)
def patch_measurement(
    request: HttpRequest, limb_measurement_id: UUID, payload: LimbMeasurementPatch
) -> dict[str, Any]:
    measurement = _measurement(request, limb_measurement_id)
    changes = payload.model_dump(exclude_unset=True)
    for name in ("measured_on", "region", "affected_side", "method"):
        if name in changes and changes[name] is None:
            raise ValidationError({name: "This field cannot be empty."})
    for name in ("landmark", "isl_stage", "stemmer_sign", "pitting", "skin_note"):
        if name in changes and changes[name] is None:
            changes[name] = ""
    if "skin" in changes and changes["skin"] is None:
        changes["skin"] = []
    for name in ("left_circumferences_cm", "right_circumferences_cm"):
        if name in changes and changes[name] is None:
            changes[name] = []
    services.update_measurement(actor=actor(request), measurement=measurement, changes=changes)
    return measurement_out(measurement)


@router.post(
    "/limb-measurements/{limb_measurement_id}/entered-in-error",
    response={200: LimbMeasurementOut, **WRITE_ERRORS},
    summary="Mark a limb measurement entered in error (kept, with the reason; out of the trend)",
)
@api_requires(Capability.CLINICAL_READ, record=MEASUREMENT_IN_ERROR)
def measurement_in_error(
    request: HttpRequest, limb_measurement_id: UUID, payload: InErrorIn
) -> dict[str, Any]:
    measurement = _measurement(request, limb_measurement_id)
    services.mark_measurement_entered_in_error(
        actor=actor(request), measurement=measurement, reason=payload.reason
    )
    return measurement_out(measurement)


@router.post(
    "/limb-measurements/{limb_measurement_id}/sign",
    response={200: LimbMeasurementOut, **WRITE_ERRORS},
    summary="Sign a limb measurement (needs a current license); its volumes are computed "
    "and it is locked",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=MEASUREMENT_DRAFT)
def sign_measurement(request: HttpRequest, limb_measurement_id: UUID) -> dict[str, Any]:
    user = actor(request)
    measurement = get_object_or_404(queries.measurements_for(user), public_id=limb_measurement_id)
    services.sign_measurement(actor=user, measurement=measurement)
    signed = list(queries.patient_measurements(user, measurement.patient))
    sittings = {s.measurement.pk: s for s in queries.sittings_of(signed)}
    return measurement_out(measurement, sittings.get(measurement.pk))


# CDT phases and the note's MLD and bandaging section (a module of their own).
router.add_router("", "palpa.lymphoedema.cdt_api.router")
