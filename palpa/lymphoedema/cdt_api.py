"""CDT phases and the treatment note's MLD and bandaging section over the API. Clinical
roles read; practitioners write (the section: the note's own practitioner, while the
note is a draft). Every read and write is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from palpa.accounts.gates import api_requires
from palpa.accounts.permissions import Capability
from palpa.audit.services import Action, record
from palpa.care import gates as care_gates
from palpa.care.queries import notes_for
from palpa.core.api import ERRORS, RefusedOut, actor
from palpa.core.schemas import InputSchema
from palpa.lymphoedema import cdt, mld_section
from palpa.lymphoedema.cdt_models import CdtCourse, MldRecord
from palpa.patients.queries import patients_for

router = Router()
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: RefusedOut}


class CdtOut(Schema):
    patient: UUID
    phase: int | None  # None: CDT has not started
    phase_name: str
    phase_1_started_on: dt.date | None
    started_by: str | None
    phase_2_started_on: dt.date | None
    switched_by: str | None
    switch_reason: str


class PhaseOneIn(InputSchema):
    model_config = ConfigDict(extra="forbid")
    started_on: dt.date


class PhaseTwoIn(InputSchema):
    model_config = ConfigDict(extra="forbid")
    switched_on: dt.date
    reason: str = Field(min_length=1, max_length=cdt.REASON_MAX)


class MldIn(InputSchema):
    model_config = ConfigDict(extra="forbid")
    sequence: str | None = Field(default=None, max_length=500)
    bandaged_limb: Literal["", "left_arm", "right_arm", "left_leg", "right_leg"] | None = None
    bandage_layers: int | None = Field(default=None, ge=1, le=mld_section.LAYERS_MAX)
    bandage_materials: str | None = Field(default=None, max_length=300)
    short_stretch: bool | None = None
    skin_check: str | None = Field(default=None, max_length=300)


class MldOut(Schema):
    note: UUID
    minutes: int
    sequence: str
    bandaged_limb: str
    bandage_layers: int | None
    bandage_materials: str
    short_stretch: bool | None
    skin_check: str


def cdt_out(course: CdtCourse) -> dict[str, Any]:
    return {
        "patient": course.patient.public_id,
        "phase": course.phase,
        "phase_name": cdt.PHASES[course.phase].name,
        "phase_1_started_on": course.phase_1_started_on,
        "started_by": str(course.started_by),
        "phase_2_started_on": course.phase_2_started_on,
        "switched_by": str(course.switched_by) if course.switched_by else None,
        "switch_reason": course.switch_reason,
    }


@router.get(
    "/patients/{patient_id}/cdt",
    response={200: CdtOut, **ERRORS},
    summary="A patient's complete decongestive therapy: the phase (null: not started), its "
    "dates, the switch",
)
@api_requires(Capability.CLINICAL_READ, record=care_gates.PATIENT)
def read_cdt(request: HttpRequest, patient_id: UUID) -> Any:
    user = actor(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    course = cdt.course_for(user, patient)
    if course is None:
        cdt.audit_not_started_read(actor=user, patient=patient)
        return {
            "patient": patient.public_id,
            "phase": None,
            "phase_name": "Not started",
            "phase_1_started_on": None,
            "started_by": None,
            "phase_2_started_on": None,
            "switched_by": None,
            "switch_reason": "",
        }
    cdt.audit_course_read(actor=user, course=course)
    return cdt_out(course)


@router.post(
    "/patients/{patient_id}/cdt/phase-1",
    response={201: CdtOut, **WRITE_ERRORS},
    summary="Start a patient's CDT with phase 1 (intensive)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PATIENT)
def start_phase_1(request: HttpRequest, patient_id: UUID, payload: PhaseOneIn) -> Any:
    user = actor(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    course = cdt.start_phase_1(actor=user, patient=patient, on=payload.started_on)
    return Status(201, cdt_out(course))


@router.post(
    "/patients/{patient_id}/cdt/phase-2",
    response={200: CdtOut, **WRITE_ERRORS},
    summary="Record the switch to phase 2 (maintenance): the date and the reason",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PATIENT)
def switch_to_phase_2(request: HttpRequest, patient_id: UUID, payload: PhaseTwoIn) -> Any:
    user = actor(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    course = cdt.switch_to_phase_2(
        actor=user, patient=patient, on=payload.switched_on, reason=payload.reason
    )
    return cdt_out(course)


def _mld_out(note: Any, rec: MldRecord | None) -> dict[str, Any]:
    minutes = sum(t.minutes for t in note.techniques.filter(technique=mld_section.MLD))
    return {
        "note": note.public_id,
        "minutes": minutes,
        "sequence": rec.sequence if rec else "",
        "bandaged_limb": rec.bandaged_limb if rec else "",
        "bandage_layers": rec.bandage_layers if rec else None,
        "bandage_materials": rec.bandage_materials if rec else "",
        "short_stretch": rec.short_stretch if rec else None,
        "skin_check": rec.skin_check if rec else "",
    }


@router.get(
    "/notes/{note_id}/mld",
    response={200: MldOut, **ERRORS},
    summary="A treatment note's MLD and bandaging section (minutes from its MLD entries)",
)
@api_requires(Capability.CLINICAL_READ, record=care_gates.NOTE)
def read_mld(request: HttpRequest, note_id: UUID) -> dict[str, Any]:
    user = actor(request)
    note = get_object_or_404(notes_for(user), public_id=note_id)
    rec = MldRecord.objects.filter(note=note).first()
    record(
        actor=user,
        action=Action.READ,
        obj=note,
        patient_id=str(note.patient.public_id),
        detail={"mld_section": True},
    )
    return _mld_out(note, rec)


@router.patch(
    "/notes/{note_id}/mld",
    response={200: MldOut, **WRITE_ERRORS},
    summary="Record or change a draft note's MLD and bandaging section (only fields sent)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.NOTE_DRAFT)
def save_mld(request: HttpRequest, note_id: UUID, payload: MldIn) -> dict[str, Any]:
    user = actor(request)
    note = get_object_or_404(notes_for(user), public_id=note_id)
    values = payload.model_dump(exclude_unset=True)
    for name in ("sequence", "bandaged_limb", "bandage_materials", "skin_check"):
        if name in values and values[name] is None:
            values[name] = ""
    rec = mld_section.save_mld_record(actor=user, note=note, values=values)
    return _mld_out(note, rec)
