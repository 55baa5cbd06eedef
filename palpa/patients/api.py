from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from pydantic import Field

from palpa.accounts.gates import api_requires
from palpa.accounts.models import Location
from palpa.accounts.permissions import Capability, tenant_id
from palpa.core.api import ERRORS, actor
from palpa.core.rows import get_by
from palpa.core.schemas import MAX_OFFSET, Line, TextInputSchema
from palpa.patients import queries, services
from palpa.patients.models import Allergy, Consent, Patient
from palpa.patients.schemas import (
    AllergyIn,
    AllergyOut,
    ConsentIn,
    ConsentOut,
    PatientIn,
    PatientOut,
    PatientPage,
    PatientPatch,
    StatusIn,
)

router = Router()


def _resolve_location(request: HttpRequest, data: dict[str, Any]) -> None:
    if "primary_location" not in data:
        return
    ref = data["primary_location"]
    if ref is None:
        return
    # One prepared statement: this runs on every creation through the API.
    found = get_by(
        Location, connection.alias, public_id=ref, organization=tenant_id(actor(request))
    )
    if found is None:
        raise ValidationError({"primary_location": "No location of yours has this id."})
    data["primary_location"] = found


def _patient(request: HttpRequest, patient_id: UUID) -> Patient:
    patient = queries.patient_by_public_id(actor(request), patient_id)
    if patient is None:
        raise Http404("No patient of yours has this id.")
    return patient


class SearchParams(TextInputSchema):
    q: str = Field("", max_length=100, description="name words, MRN, or date of birth")
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    include_inactive: bool = False


@router.get("", response={200: PatientPage, **ERRORS}, summary="Search patients")
@api_requires(Capability.PATIENTS_READ)
def list_patients(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    user = actor(request)
    qs = queries.search_patients(user, params.q, include_inactive=params.include_inactive)
    count = qs.count()
    rows = list(qs.select_related("primary_location")[params.offset : params.offset + params.limit])
    services.audit_patient_search(actor=user, query={"q": params.q}, results=rows)
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "results": rows,
    }


@router.post("", response={201: PatientOut, **ERRORS}, summary="Create a patient")
@api_requires(Capability.PATIENTS_WRITE)
def create_patient(request: HttpRequest, payload: PatientIn) -> Status[Patient]:
    data = payload.model_dump()
    _resolve_location(request, data)
    patient = services.create_patient(actor=actor(request), **data)
    return Status(201, patient)


@router.get("/{patient_id}", response={200: PatientOut, **ERRORS}, summary="Read a patient")
@api_requires(Capability.PATIENTS_READ)
def get_patient(request: HttpRequest, patient_id: UUID) -> Patient:
    patient = services.read_patient(actor=actor(request), public_id=patient_id, what="api")
    if patient is None:
        raise Http404("No patient of yours has this id.")
    return patient


@router.patch("/{patient_id}", response={200: PatientOut, **ERRORS}, summary="Change a patient")
@api_requires(Capability.PATIENTS_WRITE)
def patch_patient(request: HttpRequest, patient_id: UUID, payload: PatientPatch) -> Patient:
    patient = _patient(request, patient_id)
    changes = payload.model_dump(exclude_unset=True)
    nulls = [k for k, v in changes.items() if v is None and k != "primary_location"]
    if nulls:
        raise ValidationError(dict.fromkeys(nulls, "This field cannot be null."))
    _resolve_location(request, changes)
    services.update_patient(actor=actor(request), patient=patient, changes=changes)
    return patient


@router.post(
    "/{patient_id}/status",
    response={200: PatientOut, **ERRORS},
    summary="Set status (inactive, deceased, entered-in-error); patients are never deleted",
)
@api_requires(Capability.PATIENTS_WRITE)
def set_status(request: HttpRequest, patient_id: UUID, payload: StatusIn) -> Patient:
    patient = _patient(request, patient_id)
    services.set_patient_status(
        actor=actor(request), patient=patient, status=payload.status, reason=payload.reason
    )
    return patient


@router.delete(
    "/{patient_id}",
    response={200: PatientOut, **ERRORS},
    summary="Mark a patient as entered in error (the record is kept)",
)
@api_requires(Capability.PATIENTS_WRITE)
def delete_patient(request: HttpRequest, patient_id: UUID, reason: Line = "") -> Patient:
    patient = _patient(request, patient_id)
    services.set_patient_status(
        actor=actor(request),
        patient=patient,
        status=Patient.Status.ENTERED_IN_ERROR,
        reason=reason,
    )
    return patient


@router.get("/{patient_id}/consents", response={200: list[ConsentOut], **ERRORS})
@api_requires(Capability.PATIENTS_READ)
def list_consents(request: HttpRequest, patient_id: UUID) -> QuerySet[Consent]:
    user = actor(request)
    patient = _patient(request, patient_id)
    services.audit_patient_read(actor=user, patient=patient, what="consents")
    return queries.consents_for(user, patient)


@router.post("/{patient_id}/consents", response={201: ConsentOut, **ERRORS})
@api_requires(Capability.PATIENTS_WRITE)
def add_consent(request: HttpRequest, patient_id: UUID, payload: ConsentIn) -> Status[Consent]:
    patient = _patient(request, patient_id)
    consent = services.record_consent(actor=actor(request), patient=patient, **payload.dict())
    return Status(201, consent)


@router.get(
    "/{patient_id}/allergies",
    response={200: list[AllergyOut], **ERRORS},
    summary="Allergies and sensitivities (clinical: owners and therapists)",
)
@api_requires(Capability.CLINICAL_READ)
def list_allergies(request: HttpRequest, patient_id: UUID) -> QuerySet[Allergy]:
    user = actor(request)
    patient = _patient(request, patient_id)
    services.audit_patient_read(actor=user, patient=patient, what="allergies")
    return queries.allergies_for(user, patient)


@router.post("/{patient_id}/allergies", response={201: AllergyOut, **ERRORS})
@api_requires(Capability.CLINICAL_WRITE)
def add_allergy(request: HttpRequest, patient_id: UUID, payload: AllergyIn) -> Status[Allergy]:
    user = actor(request)
    patient = _patient(request, patient_id)
    allergy = services.add_allergy(actor=user, patient=patient, **payload.dict())
    return Status(201, allergy)
