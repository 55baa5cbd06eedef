"""Instrument links over the API: create one for a patient (the URL is returned once),
list a patient's links (never a token) and revoke an unused one.

Therapists and owners only: the patient's answers become clinical measurements. Front desk
and billers get 403; other organizations' patients and links are 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router, Status

from palpa.accounts.gates import api_requires
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability
from palpa.core.api import ERRORS, RefusedOut, actor
from palpa.core.schemas import extended
from palpa.outcomes import queries, services
from palpa.outcomes.models import InstrumentLink
from palpa.outcomes.schemas import (
    InstrumentLinkCreatedOut,
    InstrumentLinkIn,
    InstrumentLinkOut,
    RevokeIn,
)
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for

router = Router()
LINK_ERRORS: dict[int, Any] = {**ERRORS, 409: RefusedOut}


def _patient(user: User, patient_id: UUID) -> Patient:
    return get_object_or_404(patients_for(user), public_id=patient_id)


@router.post(
    "/patients/{patient_id}/instrument-links",
    response={201: InstrumentLinkCreatedOut, **ERRORS},
    summary="Send the patient chosen instruments as a one-time phone link (clinical)",
)
@api_requires(Capability.CLINICAL_WRITE)
def create_instrument_link(
    request: HttpRequest, patient_id: UUID, payload: InstrumentLinkIn
) -> Status[InstrumentLinkCreatedOut]:
    user = actor(request)
    patient = _patient(user, patient_id)
    link, token = services.create_instrument_link(
        actor=user, patient=patient, instruments=payload.instruments, context=payload.context
    )
    url = request.build_absolute_uri(reverse("instrument_link:form", args=[token]))
    return Status(
        201, extended(InstrumentLinkCreatedOut, InstrumentLinkOut.model_validate(link), url=url)
    )


@router.get(
    "/patients/{patient_id}/instrument-links",
    response={200: list[InstrumentLinkOut], **ERRORS},
    summary="A patient's instrument links and their state, newest first (no tokens)",
)
@api_requires(Capability.CLINICAL_READ)
def list_instrument_links(request: HttpRequest, patient_id: UUID) -> list[InstrumentLink]:
    user = actor(request)
    patient = _patient(user, patient_id)
    links = list(
        queries.patient_instrument_links(user, patient).prefetch_related("administrations")
    )
    services.audit_instrument_links_read(actor=user, patient=patient, what="instrument links")
    return links


@router.post(
    "/instrument-links/{link_id}/revoke",
    response={200: InstrumentLinkOut, **LINK_ERRORS},
    summary="Revoke an unused instrument link (409 once it is used, expired or revoked)",
)
@api_requires(Capability.CLINICAL_WRITE)
def revoke_instrument_link(
    request: HttpRequest, link_id: UUID, payload: RevokeIn
) -> InstrumentLink:
    user = actor(request)
    link = get_object_or_404(queries.instrument_links_for(user), public_id=link_id)
    revoked = services.revoke_instrument_link(actor=user, link=link, reason=payload.reason)
    return revoked
