"""The physician directory and referrals over the API.

Every staff role reads the directory; owners, therapists and the front desk edit it and
record, read and cancel referrals; only owners override a referral. Reads of referrals
are audited.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Form, Router, Status
from ninja.files import UploadedFile
from ninja.params import functions as param_functions

from palpa.accounts.gates import api_requires
from palpa.accounts.permissions import Capability
from palpa.core.api import ERRORS, RefusedOut, actor
from palpa.core.schemas import QueryBool
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for
from palpa.referrals import queries, services
from palpa.referrals.models import Physician, Referral, ReferralOverride
from palpa.referrals.schemas import (
    OverrideOut,
    PhysicianIn,
    PhysicianOut,
    PhysicianPatch,
    ReferralCancelIn,
    ReferralIn,
    ReferralOut,
    ReferralOverrideIn,
)

router = Router()
WITH_REFUSAL: dict[int, Any] = {**ERRORS, 409: RefusedOut}
OPTIONAL_FILE: Any = param_functions.File(None)  # the scanned prescription may come later


def _physician(request: HttpRequest, physician_id: UUID) -> Physician:
    return get_object_or_404(queries.physicians_for(actor(request)), public_id=physician_id)


def _patient(request: HttpRequest, patient_id: UUID) -> Patient:
    return get_object_or_404(patients_for(actor(request)), public_id=patient_id)


# --- the directory --------------------------------------------------------------------


@router.get("/physicians", response={200: list[PhysicianOut], **ERRORS}, summary="List physicians")
@api_requires(Capability.PHYSICIANS_READ)
def list_physicians(
    request: HttpRequest, include_inactive: QueryBool = False
) -> QuerySet[Physician]:
    user = actor(request)
    found = queries.physicians_for(user)
    if not include_inactive:
        found = found.filter(active=True)
    return found


@router.post(
    "/physicians", response={201: PhysicianOut, **ERRORS}, summary="Add a referring physician"
)
@api_requires(Capability.PHYSICIANS_WRITE)
def create_physician(request: HttpRequest, payload: PhysicianIn) -> Status[Physician]:
    physician = services.add_physician(actor=actor(request), **payload.dict())
    return Status(201, physician)


@router.get("/physicians/{physician_id}", response={200: PhysicianOut, **ERRORS})
@api_requires(Capability.PHYSICIANS_READ)
def get_physician(request: HttpRequest, physician_id: UUID) -> Physician:
    return _physician(request, physician_id)


@router.patch(
    "/physicians/{physician_id}",
    response={200: PhysicianOut, **ERRORS},
    summary="Change or deactivate a physician (never deleted)",
)
@api_requires(Capability.PHYSICIANS_WRITE)
def patch_physician(request: HttpRequest, physician_id: UUID, payload: PhysicianPatch) -> Physician:
    physician = _physician(request, physician_id)
    user = actor(request)
    changes = payload.model_dump(exclude_unset=True)
    nulls = [k for k, v in changes.items() if v is None]
    if nulls:
        raise ValidationError(dict.fromkeys(nulls, "This field cannot be null."))
    services.update_physician(actor=user, physician=physician, changes=changes)
    return physician


# --- referrals ------------------------------------------------------------------------


@router.get(
    "/patients/{patient_id}/referrals",
    response={200: list[ReferralOut], **ERRORS},
    summary="A patient's referrals with their countdown",
)
@api_requires(Capability.REFERRALS_READ)
def list_referrals(request: HttpRequest, patient_id: UUID) -> list[Referral]:
    user = actor(request)
    patient = _patient(request, patient_id)
    found = list(queries.referrals_for(user, patient))
    services.audit_referral_read(actor=user, patient=patient, what="referrals")
    return found


@router.post(
    "/patients/{patient_id}/referrals",
    response={201: ReferralOut, **WITH_REFUSAL},
    summary="Record a referral, with the scanned prescription (multipart/form-data)",
)
@api_requires(Capability.REFERRALS_WRITE)
def create_referral(
    request: HttpRequest,
    patient_id: UUID,
    payload: Form[ReferralIn],
    prescription: UploadedFile | None = OPTIONAL_FILE,
) -> Status[Referral]:
    user = actor(request)
    patient = _patient(request, patient_id)
    physician = queries.physicians_for(user).filter(public_id=payload.physician).first()
    if physician is None:
        raise ValidationError({"physician": "No physician of your directory has this id."})
    fields = payload.dict(exclude={"physician"})
    referral = services.record_referral(
        actor=user, patient=patient, physician=physician, prescription=prescription, **fields
    )
    return Status(201, queries.referrals_for(user).get(pk=referral.pk))


def _referral(request: HttpRequest, referral_id: UUID) -> Referral:
    user = actor(request)
    return get_object_or_404(queries.referrals_for(user), public_id=referral_id)


@router.get("/referrals/{referral_id}", response={200: ReferralOut, **ERRORS})
@api_requires(Capability.REFERRALS_READ)
def get_referral(request: HttpRequest, referral_id: UUID) -> Referral:
    referral = _referral(request, referral_id)
    services.audit_referral_read(actor=actor(request), patient=referral.patient, what="referral")
    return referral


@router.post(
    "/referrals/{referral_id}/cancel",
    response={200: ReferralOut, **WITH_REFUSAL},
    summary="Cancel a referral with the reason (kept, no longer in effect)",
)
@api_requires(Capability.REFERRALS_WRITE)
def cancel_referral(request: HttpRequest, referral_id: UUID, payload: ReferralCancelIn) -> Referral:
    user = actor(request)
    referral = _referral(request, referral_id)
    services.cancel_referral(actor=user, referral=referral, reason=payload.reason)
    return queries.referrals_for(user).get(pk=referral.pk)


@router.post(
    "/patients/{patient_id}/referral-overrides",
    response={201: OverrideOut, **WITH_REFUSAL},
    summary="Owners: let care go beyond the patient's referral, with a written reason",
)
@api_requires(Capability.REFERRALS_OVERRIDE)
def create_override(
    request: HttpRequest, patient_id: UUID, payload: ReferralOverrideIn
) -> Status[ReferralOverride]:
    user = actor(request)
    patient = _patient(request, patient_id)
    override = services.override_authorization(actor=user, patient=patient, **payload.dict())
    return Status(201, override)
