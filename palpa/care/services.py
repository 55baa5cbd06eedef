"""The only code that writes treatment notes, their techniques and addenda.

Every verb checks the actor's role and organization, validates everything before it
writes, runs in one transaction and leaves one audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, require, tenant_id
from palpa.audit.services import Action, record
from palpa.care.catalog import catalog, check_region
from palpa.care.events import TreatmentNoteSigned
from palpa.care.models import NoteAddendum, TechniqueEntry, TreatmentNote
from palpa.core.errors import Refused
from palpa.core.events import publish
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import require_current_license

SOAP_FIELDS = (
    "pain_today",
    "subjective",
    "home_care_adherence",
    "objective",
    "assessment",
    "plan",
)


class NoteLocked(Refused):
    code = "note_locked"


def _practitioner_of(actor: User) -> Practitioner:
    require(actor, Capability.EDIT_CLINICAL)
    practitioner = Practitioner.objects.filter(user=actor, organization_id=tenant_id(actor))
    found = practitioner.first()
    if found is None or not found.active:
        raise PermissionDenied("Only an active practitioner of this organization writes notes.")
    return found


def _same_org(actor: User, *objs: Any) -> None:
    for obj in objs:
        if obj.organization_id != actor.organization_id:
            raise PermissionDenied("This record belongs to another organization.")


def _audit(actor: User, action: str, note: TreatmentNote, **detail: Any) -> None:
    record(
        actor=actor,
        action=action,
        obj=note,
        patient_id=str(note.patient.public_id),
        detail=detail,
    )


def _check_soap(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(SOAP_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))


def start_note(
    *,
    actor: User,
    patient: Patient,
    location: Location,
    visit_date: dt.date,
    **soap: Any,
) -> TreatmentNote:
    practitioner = _practitioner_of(actor)
    _same_org(actor, patient, location)
    _check_soap(soap)
    errors: dict[str, list[str]] = {}
    if patient.status != Patient.Status.ACTIVE:
        errors["patient"] = [f"The patient's record is {patient.get_status_display().lower()}."]
    if visit_date > timezone.localdate() + dt.timedelta(days=1):
        errors["visit_date"] = ["A note is written for a visit that has taken place."]
    note = TreatmentNote(
        organization_id=patient.organization_id,
        patient=patient,
        practitioner=practitioner,
        location=location,
        visit_date=visit_date,
        catalog_version=catalog().version,
        **soap,
    )
    try:
        note.full_clean(exclude=["content_hash"])
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        note.save()
        _audit(actor, Action.CREATE, note, visit_date=visit_date.isoformat())
    return note


def _editable(actor: User, note: TreatmentNote) -> Practitioner:
    practitioner = _practitioner_of(actor)
    _same_org(actor, note)
    if note.is_locked:
        raise NoteLocked(
            f"This note is {note.get_status_display().lower()} and cannot change; "
            "add a signed addendum instead."
        )
    if note.practitioner_id != practitioner.pk:
        raise PermissionDenied("Only the note's own practitioner edits a draft note.")
    return practitioner


def update_note(*, actor: User, note: TreatmentNote, changes: dict[str, Any]) -> TreatmentNote:
    _editable(actor, note)
    _check_soap(changes)
    stored = TreatmentNote.objects.get(pk=note.pk)
    for name, value in changes.items():
        setattr(stored, name, value)
    stored.full_clean(exclude=["content_hash"])
    with transaction.atomic():
        stored.save()
        _audit(actor, Action.UPDATE, stored, changed=sorted(changes))
    for name in changes:
        setattr(note, name, getattr(stored, name))
    return note


def add_technique(
    *,
    actor: User,
    note: TreatmentNote,
    technique: str,
    region: str,
    side: str = "",
    minutes: int,
    pressure: str,
    tool: str = "none",
) -> TechniqueEntry:
    _editable(actor, note)
    cat = catalog()
    errors: dict[str, list[str]] = {}
    if technique not in cat.techniques:
        errors["technique"] = [f"{technique!r} is not in the technique catalog."]
    if pressure not in cat.pressures:
        errors["pressure"] = ["Pressure is one of light, moderate, firm or deep."]
    if tool not in cat.tools:
        errors["tool"] = [f"{tool!r} is not a known tool (massage_ball, foam_roller, other)."]
    region_problems = check_region(region, side)
    if region_problems:
        errors["side" if region in cat.regions else "region"] = region_problems
    if not 1 <= minutes <= 180:
        errors["minutes"] = ["Minutes are between 1 and 180."]
    if errors:
        raise ValidationError(errors)
    entry = TechniqueEntry(
        organization_id=note.organization_id,
        note=note,
        technique=technique,
        region=region,
        side=side,
        minutes=minutes,
        pressure=pressure,
        tool=tool,
        position=note.techniques.count(),
    )
    with transaction.atomic():
        entry.save()
        _audit(
            actor,
            Action.UPDATE,
            note,
            added_technique={
                "technique": technique,
                "region": region,
                "side": side,
                "minutes": minutes,
                "pressure": pressure,
                "tool": tool,
            },
        )
    return entry


def remove_technique(*, actor: User, entry: TechniqueEntry) -> None:
    """Drafts only; the audit entry keeps what was removed."""
    note = entry.note
    _editable(actor, note)
    removed = {
        "technique": entry.technique,
        "region": entry.region,
        "side": entry.side,
        "minutes": entry.minutes,
        "pressure": entry.pressure,
        "tool": entry.tool,
    }
    with transaction.atomic():
        TechniqueEntry.objects.filter(pk=entry.pk, note__status=TreatmentNote.Status.DRAFT).delete()
        _audit(actor, Action.UPDATE, note, removed_draft_technique=removed)


def note_content(note: TreatmentNote) -> dict[str, Any]:
    """What a signature covers: the note's clinical content and its techniques."""
    return {
        "note": str(note.public_id),
        "patient": str(note.patient.public_id),
        "practitioner": str(note.practitioner.public_id),
        "location": str(note.location.public_id),
        "visit_date": note.visit_date.isoformat(),
        **{name: getattr(note, name) for name in SOAP_FIELDS},
        "techniques": [
            [t.technique, t.region, t.side, t.minutes, t.pressure, t.tool]
            for t in note.techniques.order_by("position", "pk")
        ],
        "catalog_version": note.catalog_version,
    }


def content_hash(content: dict[str, Any]) -> str:
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def sign_note(*, actor: User, note: TreatmentNote) -> TreatmentNote:
    """Lock the note under the practitioner's signature, if their license allows it."""
    practitioner = _editable(actor, note)
    if not note.techniques.exists() and not note.assessment.strip():
        raise ValidationError(
            {"techniques": "Record at least one technique, or an assessment, before signing."}
        )
    require_current_license(practitioner, location=note.location, on=note.visit_date)
    with transaction.atomic():
        locked = TreatmentNote.objects.select_for_update().get(pk=note.pk)
        if locked.status != TreatmentNote.Status.DRAFT:
            raise NoteLocked("This note was signed a moment ago.")
        note.status = TreatmentNote.Status.SIGNED
        note.signed_at = timezone.now()
        note.signed_by = actor
        note.content_hash = content_hash(note_content(note))
        note.save(update_fields=["status", "signed_at", "signed_by", "content_hash", "updated_at"])
        _audit(actor, Action.UPDATE, note, signed=True, content_hash=note.content_hash)
        publish(
            TreatmentNoteSigned(
                note_id=note.pk,
                organization_id=note.organization_id,
                patient_id=note.patient_id,
            )
        )
    return note


def add_addendum(*, actor: User, note: TreatmentNote, text: str) -> NoteAddendum:
    practitioner = _practitioner_of(actor)
    _same_org(actor, note)
    if note.status != TreatmentNote.Status.SIGNED:
        raise Refused("Addenda are added to signed notes; edit the draft itself instead.")
    if not text.strip():
        raise ValidationError({"text": "Write the correction or addition."})
    require_current_license(practitioner, location=note.location, on=timezone.localdate())
    now = timezone.now()
    addendum = NoteAddendum(
        organization_id=note.organization_id,
        note=note,
        text=text.strip(),
        signed_by=actor,
        signed_at=now,
        content_hash=content_hash(
            {"note": note.content_hash, "text": text.strip(), "by": actor.pk, "at": now}
        ),
    )
    with transaction.atomic():
        addendum.save()
        _audit(actor, Action.CREATE, note, addendum=str(addendum.public_id))
    return addendum


def mark_note_entered_in_error(*, actor: User, note: TreatmentNote, reason: str) -> TreatmentNote:
    """A note written for the wrong patient or visit: kept, but marked and out of counts."""
    require(actor, Capability.EDIT_CLINICAL)
    _same_org(actor, note)
    own = Practitioner.objects.filter(user=actor, pk=note.practitioner_id).exists()
    if not own and actor.role != "owner":
        raise PermissionDenied("Only the note's practitioner or an owner may do this.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the note is in error."})
    if note.status == TreatmentNote.Status.ENTERED_IN_ERROR:
        return note
    with transaction.atomic():
        previous = note.status
        note.status = TreatmentNote.Status.ENTERED_IN_ERROR
        note.status_reason = reason.strip()
        note.save(update_fields=["status", "status_reason", "updated_at"])
        record(
            actor=actor,
            action=Action.DELETE,
            obj=note,
            patient_id=str(note.patient.public_id),
            detail={"from": previous, "reason": reason.strip()},
        )
    return note


def audit_note_read(*, actor: User, note: TreatmentNote) -> None:
    _audit(actor, Action.READ, note)
