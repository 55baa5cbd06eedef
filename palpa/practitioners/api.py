from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Status

from palpa.accounts.gates import api_requires
from palpa.accounts.permissions import Capability
from palpa.audit.services import Action, record
from palpa.core.api import ERRORS, actor
from palpa.core.schemas import Line, QueryDate
from palpa.practitioners import queries, services
from palpa.practitioners.models import License, Practitioner
from palpa.practitioners.schemas import (
    LicenseCheckOut,
    LicenseIn,
    LicenseOut,
    PractitionerIn,
    PractitionerOut,
    PractitionerPatch,
)

router = Router()


def _practitioner(request: HttpRequest, practitioner_id: UUID) -> Practitioner:
    return get_object_or_404(queries.practitioners_for(actor(request)), public_id=practitioner_id)


@router.get("", response={200: list[PractitionerOut], **ERRORS}, summary="List practitioners")
@api_requires(Capability.PRACTITIONERS_READ)
def list_practitioners(request: HttpRequest) -> QuerySet[Practitioner]:
    return queries.practitioners_for(actor(request))


@router.post("", response={201: PractitionerOut, **ERRORS}, summary="Add a practitioner")
@api_requires(Capability.PRACTITIONERS_MANAGE)
def create_practitioner(request: HttpRequest, payload: PractitionerIn) -> Status[Practitioner]:
    p = services.create_practitioner(actor=actor(request), **payload.dict())
    return Status(201, p)


@router.get("/{practitioner_id}", response={200: PractitionerOut, **ERRORS})
@api_requires(Capability.PRACTITIONERS_READ)
def get_practitioner(request: HttpRequest, practitioner_id: UUID) -> Practitioner:
    return _practitioner(request, practitioner_id)


@router.patch("/{practitioner_id}", response={200: PractitionerOut, **ERRORS})
@api_requires(Capability.PRACTITIONERS_MANAGE)
def patch_practitioner(
    request: HttpRequest, practitioner_id: UUID, payload: PractitionerPatch
) -> Practitioner:
    p = _practitioner(request, practitioner_id)
    changes = payload.model_dump(exclude_unset=True)
    nulls = [k for k, v in changes.items() if v is None]
    if nulls:
        raise ValidationError(dict.fromkeys(nulls, "This field cannot be null."))
    services.update_practitioner(actor=actor(request), practitioner=p, changes=changes)
    return p


@router.post("/{practitioner_id}/licenses", response={201: LicenseOut, **ERRORS})
@api_requires(Capability.PRACTITIONERS_MANAGE)
def add_license(request: HttpRequest, practitioner_id: UUID, payload: LicenseIn) -> Status[License]:
    p = _practitioner(request, practitioner_id)
    lic = services.add_license(actor=actor(request), practitioner=p, **payload.dict())
    return Status(201, lic)


@router.get(
    "/{practitioner_id}/license-check",
    response={200: LicenseCheckOut, **ERRORS},
    summary="May this practitioner be booked or sign notes in a jurisdiction on a day?",
)
@api_requires(Capability.PRACTITIONERS_READ)
def license_check(
    request: HttpRequest, practitioner_id: UUID, jurisdiction: Line, on: QueryDate | None = None
) -> dict[str, Any]:
    p = _practitioner(request, practitioner_id)
    day = on or timezone.localdate()
    decision = services.check_license(p, jurisdiction=jurisdiction, on=day)
    record(
        actor=actor(request),
        action=Action.LICENSE_CHECK,
        obj=p,
        detail={
            "jurisdiction": jurisdiction.upper(),
            "on": day.isoformat(),
            "allowed": decision.allowed,
        },
    )
    return {
        "allowed": decision.allowed,
        "reason": decision.reason,
        "jurisdiction": jurisdiction.upper(),
        "on": day,
    }
