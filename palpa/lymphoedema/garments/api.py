"""Garment prescriptions over the API: prescribe (a draft, or signed at once), sign,
record the fitting, mark in error, read a patient's garments. Clinical roles only; every
read and write is audited."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from palpa.accounts.gates import Record, api_requires
from palpa.accounts.permissions import Capability
from palpa.accounts.queries import locations_for
from palpa.care import gates as care_gates
from palpa.care.schemas import InErrorIn
from palpa.core.api import ERRORS, RefusedOut, actor
from palpa.core.dates import local_today
from palpa.lymphoedema.garments import queries, services
from palpa.lymphoedema.garments.catalogue import load_garments
from palpa.lymphoedema.garments.schemas import (
    FittingIn,
    GarmentPrescriptionIn,
    GarmentPrescriptionOut,
)
from palpa.lymphoedema.models import GarmentPrescription
from palpa.patients.queries import patients_for

router = Router()
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: RefusedOut}
DRAFT = Record("prescription_id", GarmentPrescription, care_gates.AUTHOR, what="the prescription")
ANY = Record("prescription_id", GarmentPrescription)
IN_ERROR = Record(
    "prescription_id",
    GarmentPrescription,
    care_gates.AUTHOR,
    care_gates.OTHERS,
    what="the prescription",
)


def prescription_out(p: GarmentPrescription) -> dict[str, Any]:
    fitting = getattr(p, "fitting", None)
    return {
        "id": p.public_id,
        "patient": p.patient.public_id,
        "practitioner": p.practitioner.public_id,
        "location": p.location.public_id,
        **{
            name: getattr(p, name)
            for name in services.CONTENT_FIELDS
            if name not in ("measurement",)
        },
        "compression": load_garments().class_line(p.standard, p.compression_class),
        "measurement": p.measurement.public_id if p.measurement else None,
        "data_version": p.data_version,
        "status": p.status,
        "status_reason": p.status_reason,
        "signed_at": p.signed_at,
        "content_hash": p.content_hash,
        "fitting": None
        if fitting is None
        else {
            "fitted_on": fitting.fitted_on,
            "interval_months": fitting.interval_months,
            "replacement_due_on": fitting.replacement_due_on,
            "note": fitting.note,
        },
        "replacement": queries.due_state(p, local_today(p.location)),
    }


def _prescription(request: HttpRequest, prescription_id: UUID) -> GarmentPrescription:
    return get_object_or_404(queries.prescriptions_for(actor(request)), public_id=prescription_id)


@router.get(
    "/patients/{patient_id}/garment-prescriptions",
    response={200: list[GarmentPrescriptionOut], **ERRORS},
    summary="A patient's compression garment prescriptions, newest first, with fittings",
)
@api_requires(Capability.CLINICAL_READ)
def list_prescriptions(request: HttpRequest, patient_id: UUID) -> list[dict[str, Any]]:
    user = actor(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    rows = list(queries.patient_prescriptions(user, patient))
    services.audit_prescriptions_read(
        actor=user, patient=patient, count=len(rows), view="garment prescriptions"
    )
    return [prescription_out(p) for p in rows]


@router.post(
    "/patients/{patient_id}/garment-prescriptions",
    response={201: GarmentPrescriptionOut, **WRITE_ERRORS},
    summary="Prescribe a compression garment (a draft, or signed at once with sign=true)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PATIENT)
def create_prescription(
    request: HttpRequest, patient_id: UUID, payload: GarmentPrescriptionIn
) -> Status[dict[str, Any]]:
    user = actor(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    data = payload.model_dump(exclude_none=False)
    sign = data.pop("sign")
    location = locations_for(user).filter(public_id=data.pop("location")).first()
    if location is None:
        raise ValidationError({"location": "No location of yours has this id."})
    if data["prescribed_on"] is None:
        data.pop("prescribed_on")
    measurement_id = data.pop("measurement")
    if measurement_id is not None:
        found = queries.tape_measurements(user, patient).filter(public_id=measurement_id).first()
        if found is None:
            raise ValidationError(
                {"measurement": "No signed tape measurement of this patient has this id."}
            )
        data["measurement"] = found
    with transaction.atomic():
        p = services.prescribe_garment(actor=user, patient=patient, location=location, **data)
        if sign:
            p = services.sign_prescription(actor=user, prescription=p)
    return Status(201, prescription_out(p))


@router.post(
    "/garment-prescriptions/{prescription_id}/sign",
    response={200: GarmentPrescriptionOut, **WRITE_ERRORS},
    summary="Sign a draft garment prescription (its practitioner, with a current license)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=DRAFT)
def sign_prescription(request: HttpRequest, prescription_id: UUID) -> dict[str, Any]:
    p = _prescription(request, prescription_id)
    services.sign_prescription(actor=actor(request), prescription=p)
    return prescription_out(p)


@router.post(
    "/garment-prescriptions/{prescription_id}/fitting",
    response={200: GarmentPrescriptionOut, **WRITE_ERRORS},
    summary="Record the garment's fitting; the replacement due date is set from the "
    "clinic's interval",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=ANY)
def record_fitting(
    request: HttpRequest, prescription_id: UUID, payload: FittingIn
) -> dict[str, Any]:
    p = _prescription(request, prescription_id)
    services.record_fitting(
        actor=actor(request), prescription=p, fitted_on=payload.fitted_on, note=payload.note
    )
    return prescription_out(_prescription(request, prescription_id))


@router.post(
    "/garment-prescriptions/{prescription_id}/entered-in-error",
    response={200: GarmentPrescriptionOut, **WRITE_ERRORS},
    summary="Mark a garment prescription entered in error (kept, with the reason)",
)
@api_requires(Capability.CLINICAL_READ, record=IN_ERROR)
def prescription_in_error(
    request: HttpRequest, prescription_id: UUID, payload: InErrorIn
) -> dict[str, Any]:
    p = _prescription(request, prescription_id)
    services.mark_prescription_entered_in_error(
        actor=actor(request), prescription=p, reason=payload.reason
    )
    return prescription_out(p)
