from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from palpa.accounts.gates import api_requires
from palpa.accounts.permissions import Capability
from palpa.accounts.queries import locations_for
from palpa.care import gates as care_gates
from palpa.care import queries
from palpa.care.models import NoteAddendum, TechniqueEntry, TreatmentNote
from palpa.care.notes import services as note_services
from palpa.care.schemas import (
    AddendumIn,
    AddendumOut,
    InErrorIn,
    NoteIn,
    NoteOut,
    NotePatch,
    TechniqueIn,
    TechniqueOut,
)
from palpa.core.api import ERRORS, RefusedOut, actor
from palpa.patients.queries import patients_for

router = Router()
CARE_ERRORS: dict[int, Any] = {**ERRORS, 409: RefusedOut}


def _note(request: HttpRequest, note_id: UUID) -> TreatmentNote:
    return get_object_or_404(queries.notes_for(actor(request)), public_id=note_id)


@router.get(
    "/patients/{patient_id}/notes",
    response={200: list[NoteOut], **ERRORS},
    summary="A patient's treatment notes (clinical: owners and therapists)",
)
@api_requires(Capability.CLINICAL_READ)
def list_notes(request: HttpRequest, patient_id: UUID) -> list[TreatmentNote]:
    user = actor(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    notes = list(queries.patient_notes(user, patient))
    for note in notes:
        note_services.audit_note_read(actor=user, note=note)
    return notes


@router.post(
    "/patients/{patient_id}/notes",
    response={201: NoteOut, **CARE_ERRORS},
    summary="Start a draft treatment note",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PATIENT)
def create_note(request: HttpRequest, patient_id: UUID, payload: NoteIn) -> Status[TreatmentNote]:
    user = actor(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    data = payload.model_dump()
    location = locations_for(user).filter(public_id=data.pop("location")).first()
    if location is None:
        raise ValidationError({"location": "No location of yours has this id."})
    plan_id = data.pop("plan_of_care")
    plan_of_care = None
    if plan_id is not None:
        plan_of_care = queries.plans_for(user).filter(patient=patient, public_id=plan_id).first()
        if plan_of_care is None:
            raise ValidationError({"plan_of_care": "No plan of care of this patient has this id."})
    appointment_id = data.pop("appointment")
    appointment = None
    if appointment_id is not None:
        appointment = queries.appointment_to_document(user, patient, str(appointment_id))
        if appointment is None:
            raise ValidationError(
                {"appointment": "No booked or arrived appointment of this patient has this id."}
            )
    note = note_services.start_note(
        actor=user,
        patient=patient,
        location=location,
        plan_of_care=plan_of_care,
        appointment=appointment,
        **data,
    )
    return Status(201, note)


@router.get("/notes/{note_id}", response={200: NoteOut, **ERRORS}, summary="Read a note")
@api_requires(Capability.CLINICAL_READ)
def get_note(request: HttpRequest, note_id: UUID) -> TreatmentNote:
    note = _note(request, note_id)
    note_services.audit_note_read(actor=actor(request), note=note)
    return note


@router.patch(
    "/notes/{note_id}", response={200: NoteOut, **CARE_ERRORS}, summary="Change a draft note"
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.NOTE_DRAFT)
def patch_note(request: HttpRequest, note_id: UUID, payload: NotePatch) -> TreatmentNote:
    note = _note(request, note_id)
    note_services.update_note(
        actor=actor(request), note=note, changes=payload.model_dump(exclude_unset=True)
    )
    return note


@router.post(
    "/notes/{note_id}/techniques",
    response={201: TechniqueOut, **CARE_ERRORS},
    summary="Record a technique performed (draft notes)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.NOTE_DRAFT)
def add_technique(
    request: HttpRequest, note_id: UUID, payload: TechniqueIn
) -> Status[TechniqueEntry]:
    note = _note(request, note_id)
    entry = note_services.add_technique(actor=actor(request), note=note, **payload.model_dump())
    return Status(201, entry)


@router.delete(
    "/notes/{note_id}/techniques/{technique_id}",
    response={200: NoteOut, **CARE_ERRORS},
    summary="Remove a technique from a draft note",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.NOTE_DRAFT)
def remove_technique(request: HttpRequest, note_id: UUID, technique_id: UUID) -> TreatmentNote:
    note = _note(request, note_id)
    entry = get_object_or_404(TechniqueEntry, note=note, public_id=technique_id)
    note_services.remove_technique(actor=actor(request), entry=entry)
    return note


@router.post(
    "/notes/{note_id}/sign",
    response={200: NoteOut, **CARE_ERRORS},
    summary="Sign a note (needs a current license); it is locked afterwards",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.NOTE_DRAFT)
def sign_note(request: HttpRequest, note_id: UUID) -> TreatmentNote:
    note = _note(request, note_id)
    note_services.sign_note(actor=actor(request), note=note)
    return note


@router.post(
    "/notes/{note_id}/addenda",
    response={201: AddendumOut, **CARE_ERRORS},
    summary="Add a signed addendum to a signed note",
)
@api_requires(Capability.CLINICAL_ADDENDUM, record=care_gates.NOTE)
def add_addendum(request: HttpRequest, note_id: UUID, payload: AddendumIn) -> Status[NoteAddendum]:
    note = _note(request, note_id)
    addendum = note_services.add_addendum(actor=actor(request), note=note, text=payload.text)
    return Status(201, addendum)


@router.post(
    "/notes/{note_id}/entered-in-error",
    response={200: NoteOut, **CARE_ERRORS},
    summary="Mark a note as entered in error (it is kept)",
)
@api_requires(Capability.CLINICAL_READ, record=care_gates.NOTE_IN_ERROR)
def note_in_error(request: HttpRequest, note_id: UUID, payload: InErrorIn) -> TreatmentNote:
    note = _note(request, note_id)
    note_services.mark_note_entered_in_error(actor=actor(request), note=note, reason=payload.reason)
    return note
