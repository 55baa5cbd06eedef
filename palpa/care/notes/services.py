"""The only code that writes treatment notes: SOAP, the technique log, signing, addenda,
entered in error. Every verb checks the actor's role and organization, validates
everything before it writes, runs in one transaction and leaves one audit entry."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, require, require_own_or
from palpa.audit.services import Action
from palpa.care import queries
from palpa.care.authoring import (
    audit,
    check_fields_of,
    license_today,
    practitioner_of,
    require_author_or_corrector,
)
from palpa.care.catalog import catalog, check_region
from palpa.care.events import TreatmentNoteEnteredInError, TreatmentNoteSigned
from palpa.care.models import (
    NoteAddendum,
    Plan,
    TechniqueEntry,
    TreatmentNote,
)
from palpa.care.notes import sections as note_sections
from palpa.core import records
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.events import publish
from palpa.core.records import content_hash as content_hash
from palpa.core.tenancy import require_same_organization
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import require_current_license
from palpa.referrals.services import count_visit, withdraw_visit
from palpa.scheduling.models import Appointment
from palpa.scheduling.services import NotAllowedNow, mark_fulfilled
from palpa.screening.services import check_technique, require_can_sign, require_can_start

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


def _appointment_problem(appointment: Appointment, patient: Patient) -> str:
    """Why a note may not document this appointment, or ''."""
    if appointment.patient_id != patient.pk:
        return "This appointment is another patient's."
    if appointment.status not in (Appointment.Status.BOOKED, Appointment.Status.ARRIVED):
        return f"This appointment is {appointment.get_status_display().lower()}."
    taken = queries.documenting_notes().filter(appointment=appointment).exists()
    return "Another treatment note already documents this appointment." if taken else ""


def start_note(
    *,
    actor: User,
    patient: Patient,
    location: Location,
    visit_date: dt.date,
    plan_of_care: Plan | None = None,
    appointment: Appointment | None = None,
    **soap: Any,
) -> TreatmentNote:
    """Open a draft note for a visit; ``appointment`` links the booked visit it documents
    (the patient's, not cancelled, not documented by another note), and signing the note
    then marks the appointment fulfilled."""
    practitioner = practitioner_of(actor)
    require_same_organization(actor, patient, location)
    check_fields_of(soap, SOAP_FIELDS)
    errors: dict[str, list[str]] = {}
    if appointment is not None:
        require_same_organization(actor, appointment)
        problem = _appointment_problem(appointment, patient)
        if problem:
            errors["appointment"] = [problem]
    if patient.status != Patient.Status.ACTIVE:
        errors["patient"] = [f"The patient's record is {patient.get_status_display().lower()}."]
    if visit_date > local_today(location) + dt.timedelta(days=1):
        errors["visit_date"] = ["A note is written for a visit that has taken place."]
    if plan_of_care is not None and (
        plan_of_care.patient_id != patient.pk or plan_of_care.status != Plan.Status.ACTIVE
    ):
        errors["plan_of_care"] = ["Link the note to this patient's active (signed) plan of care."]
    note = TreatmentNote(
        organization_id=patient.organization_id,
        patient=patient,
        practitioner=practitioner,
        location=location,
        visit_date=visit_date,
        plan_of_care=plan_of_care,
        appointment=appointment,
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
    require_can_start(patient=patient, on=visit_date)  # a whole-body STOP or an emergency
    with transaction.atomic():
        note.save()
        audit(actor, Action.CREATE, note, visit_date=visit_date.isoformat())
    return note


def _editable(actor: User, note: TreatmentNote) -> Practitioner:
    practitioner = practitioner_of(actor)
    require_same_organization(actor, note)
    if note.is_locked:
        raise NoteLocked(
            f"This note is {note.get_status_display().lower()} and cannot change; "
            "add a signed addendum instead."
        )
    require_own_or(actor, None, own=note.practitioner_id == practitioner.pk, what="the note")
    return practitioner


def update_note(*, actor: User, note: TreatmentNote, changes: dict[str, Any]) -> TreatmentNote:
    _editable(actor, note)
    check_fields_of(changes, SOAP_FIELDS)
    return records.change_draft(
        NOTE,
        actor=actor,
        record=note,
        changes=changes,
        validate=lambda stored: stored.full_clean(exclude=["content_hash"]),
    )


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
    check_technique(  # the screening's restrictions, naming the field and the rule
        patient=note.patient,
        on=note.visit_date,
        technique=technique,
        region=region,
        side=side,
        pressure=pressure,
        tool=tool,
    )
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
        audit(
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
        audit(actor, Action.UPDATE, note, removed_draft_technique=removed)


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
        **({"plan_of_care": str(note.plan_of_care.public_id)} if note.plan_of_care else {}),
        # sections added by higher apps (MLD and bandaging), only when recorded
        **({"sections": sections} if (sections := note_sections.content_of(note)) else {}),
    }


def _note_sign_checks(actor: User, note: TreatmentNote) -> None:
    practitioner = _editable(actor, note)
    if not note.techniques.exists() and not note.assessment.strip():
        raise ValidationError(
            {"techniques": "Record at least one technique, or an assessment, before signing."}
        )
    require_current_license(practitioner, location=note.location, on=note.visit_date)
    # sections of higher apps first (MLD stops, naming the rule and its source), then the
    # screening and clearances as a whole
    note_sections.check_sign(actor, note)
    require_can_sign(patient=note.patient, on=note.visit_date)


def _after_note_signed(actor: User, note: TreatmentNote) -> None:
    """The visit counts against the patient's referral in effect on the visit date, if
    any, and the documented appointment is fulfilled. The signature does not depend on
    the calendar: an appointment that cannot change now (cancelled meanwhile, or not
    started yet) is left as it is."""
    count_visit(
        actor=actor, patient=note.patient, note_public_id=note.public_id, visit_on=note.visit_date
    )
    if note.appointment_id is None:
        return
    appointment = Appointment.objects.get(pk=note.appointment_id)
    if appointment.status in (Appointment.Status.BOOKED, Appointment.Status.ARRIVED):
        with contextlib.suppress(NotAllowedNow):
            mark_fulfilled(actor=actor, appointment=appointment)


def _after_note_in_error(actor: User, note: TreatmentNote, reason: str) -> None:
    """A signed note in error is no visit: it stops counting, and billing reacts."""
    withdraw_visit(actor=actor, note_public_id=note.public_id, reason=reason)
    publish(
        TreatmentNoteEnteredInError(
            note_id=note.pk,
            organization_id=note.organization_id,
            patient_id=note.patient_id,
            actor_id=actor.pk,
        )
    )


NOTE = records.Lifecycle(
    model=TreatmentNote,
    what="note",
    audit=audit,
    locked=NoteLocked,
    check=_note_sign_checks,
    seal=lambda note: content_hash(note_content(note)),
    after_sign=_after_note_signed,
    signed_event=lambda note: TreatmentNoteSigned(
        note_id=note.pk, organization_id=note.organization_id, patient_id=note.patient_id
    ),
    after_error=_after_note_in_error,
    addendum=NoteAddendum,
)


def sign_note(*, actor: User, note: TreatmentNote) -> TreatmentNote:
    """Lock the note under the practitioner's signature, if their license allows it."""
    return records.sign(NOTE, actor=actor, record=note)


def add_addendum(*, actor: User, note: TreatmentNote, text: str) -> NoteAddendum:
    """A signed addition to a signed note, by any active practitioner of the organization
    (``clinical.addendum``) with a current license for the note's location today, signed
    and shown under its own writer's name."""
    practitioner = practitioner_of(actor, Capability.CLINICAL_ADDENDUM)
    require_same_organization(actor, note)
    if note.status != TreatmentNote.Status.SIGNED:
        raise Refused("Addenda are added to signed notes; edit the draft itself instead.")
    addendum = records.add_addendum(
        NOTE, actor=actor, record=note, text=text, check_signer=license_today(practitioner, note)
    )
    assert isinstance(addendum, NoteAddendum)
    return addendum


def mark_note_entered_in_error(*, actor: User, note: TreatmentNote, reason: str) -> TreatmentNote:
    """A note written for the wrong patient or visit: kept, but marked and out of counts."""
    require(actor, Capability.CLINICAL_READ)
    require_same_organization(actor, note)
    require_author_or_corrector(actor, note, what="the note")
    return records.enter_in_error(NOTE, actor=actor, record=note, reason=reason)


def audit_note_read(*, actor: User, note: TreatmentNote) -> None:
    audit(actor, Action.READ, note)
