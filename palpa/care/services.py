"""The only code that writes care records: treatment notes, evaluations, plans of care.

Every verb checks the actor's role and organization, validates everything before it
writes, runs in one transaction and leaves one audit entry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, require, require_own_or, tenant_id
from palpa.audit.services import Action, record
from palpa.care import icd10, progress, queries
from palpa.care.catalog import catalog, check_region
from palpa.care.events import TreatmentNoteEnteredInError, TreatmentNoteSigned
from palpa.care.models import (
    Diagnosis,
    Discharge,
    Evaluation,
    EvaluationAddendum,
    Goal,
    HomeCareItem,
    LinkedAdministration,
    NoteAddendum,
    PainMapEntry,
    PalpationFinding,
    Plan,
    RomMeasurement,
    SpecialTest,
    TechniqueEntry,
    TreatmentNote,
)
from palpa.core import records
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.events import publish
from palpa.core.records import content_hash as content_hash
from palpa.outcomes.library import UnknownInstrument, get_instrument, load_rom_norms
from palpa.outcomes.models import InstrumentAdministration
from palpa.outcomes.services import administer_instrument
from palpa.patients import messages as ledger
from palpa.patients.models import MessageKind, Patient, PatientMessage
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import require_current_license
from palpa.referrals.services import count_visit, require_authorization, withdraw_visit
from palpa.scheduling.models import Appointment
from palpa.scheduling.services import NotAllowedNow, mark_fulfilled
from palpa.screening.services import (
    check_planned_techniques,
    check_technique,
    require_can_sign,
    require_can_start,
)

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


def _practitioner_of(
    actor: User, capability: Capability = Capability.CLINICAL_AUTHOR
) -> Practitioner:
    require(actor, capability)
    practitioner = Practitioner.objects.filter(user=actor, organization_id=tenant_id(actor))
    found = practitioner.first()
    if found is None or not found.active:
        raise PermissionDenied("Only an active practitioner of this organization writes notes.")
    return found


def _require_author_or_corrector(
    actor: User, record: TreatmentNote | Evaluation | Plan, *, what: str
) -> None:
    """Marking a record entered in error: its own practitioner (``clinical.author``), or
    a role that corrects other practitioners' records (``clinical.correct_others``)."""
    own = Practitioner.objects.filter(user=actor, pk=record.practitioner_id).exists()
    if own:
        require(actor, Capability.CLINICAL_AUTHOR)
    else:
        require_own_or(actor, Capability.CLINICAL_CORRECT_OTHERS, own=False, what=what)


def _same_org(actor: User, *objs: Any) -> None:
    for obj in objs:
        if obj.organization_id != actor.organization_id:
            raise PermissionDenied("This record belongs to another organization.")


def _audit(actor: User, action: str, obj: TreatmentNote | Evaluation | Plan, **detail: Any) -> Any:
    """One entry about a care record (a plan's names its version)."""
    version = {"version": obj.version} if isinstance(obj, Plan) else {}
    patient_id = str(obj.patient.public_id)
    return record(
        actor=actor, action=action, obj=obj, patient_id=patient_id, detail=version | detail
    )


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
    practitioner = _practitioner_of(actor)
    _same_org(actor, patient, location)
    _check_fields_of(soap, SOAP_FIELDS)
    errors: dict[str, list[str]] = {}
    if appointment is not None:
        _same_org(actor, appointment)
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
    require_own_or(actor, None, own=note.practitioner_id == practitioner.pk, what="the note")
    return practitioner


def update_note(*, actor: User, note: TreatmentNote, changes: dict[str, Any]) -> TreatmentNote:
    _editable(actor, note)
    _check_fields_of(changes, SOAP_FIELDS)
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
        **({"plan_of_care": str(note.plan_of_care.public_id)} if note.plan_of_care else {}),
    }


def _note_sign_checks(actor: User, note: TreatmentNote) -> None:
    practitioner = _editable(actor, note)
    if not note.techniques.exists() and not note.assessment.strip():
        raise ValidationError(
            {"techniques": "Record at least one technique, or an assessment, before signing."}
        )
    require_current_license(practitioner, location=note.location, on=note.visit_date)
    require_can_sign(patient=note.patient, on=note.visit_date)  # screening, clearance


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
    audit=_audit,
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
    practitioner = _practitioner_of(actor, Capability.CLINICAL_ADDENDUM)
    _same_org(actor, note)
    if note.status != TreatmentNote.Status.SIGNED:
        raise Refused("Addenda are added to signed notes; edit the draft itself instead.")
    addendum = records.add_addendum(
        NOTE, actor=actor, record=note, text=text, check_signer=_license_today(practitioner, note)
    )
    assert isinstance(addendum, NoteAddendum)
    return addendum


def _license_today(practitioner: Practitioner, record: Any) -> Callable[[], Any]:
    """An addendum is signed under a license current today for the record's location."""
    return lambda: require_current_license(
        practitioner, location=record.location, on=local_today(record.location)
    )


def mark_note_entered_in_error(*, actor: User, note: TreatmentNote, reason: str) -> TreatmentNote:
    """A note written for the wrong patient or visit: kept, but marked and out of counts."""
    require(actor, Capability.CLINICAL_READ)
    _same_org(actor, note)
    _require_author_or_corrector(actor, note, what="the note")
    return records.enter_in_error(NOTE, actor=actor, record=note, reason=reason)


def audit_note_read(*, actor: User, note: TreatmentNote) -> None:
    _audit(actor, Action.READ, note)


# ---------------------------------------------------------------------------------------
# Evaluations

EVALUATION_FIELDS = ("chief_complaint", "history", "posture")
ROM_SIDES = ("left", "right", "midline")


class EvaluationLocked(Refused):
    code = "evaluation_locked"


def _check_fields_of(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))


def _not_after_tomorrow(value: dt.date, field: str, what: str) -> dict[str, list[str]]:
    if value > timezone.localdate() + dt.timedelta(days=1):
        return {field: [f"{what} is recorded once it has taken place."]}
    return {}


def start_evaluation(
    *,
    actor: User,
    patient: Patient,
    location: Location,
    evaluated_on: dt.date,
    **fields: Any,
) -> Evaluation:
    practitioner = _practitioner_of(actor)
    _same_org(actor, patient, location)
    _check_fields_of(fields, EVALUATION_FIELDS)
    errors = _not_after_tomorrow(evaluated_on, "evaluated_on", "An evaluation")
    if patient.status != Patient.Status.ACTIVE:
        errors["patient"] = [f"The patient's record is {patient.get_status_display().lower()}."]
    if errors:
        raise ValidationError(errors)
    evaluation = Evaluation(
        organization_id=patient.organization_id,
        patient=patient,
        practitioner=practitioner,
        location=location,
        evaluated_on=evaluated_on,
        regions_version=catalog().regions_version,
        codeset_version=icd10.code_set().version,
        **{name: str(value).strip() for name, value in fields.items()},
    )
    evaluation.full_clean(exclude=["content_hash"])
    with transaction.atomic():
        evaluation.save()
        _audit(actor, Action.CREATE, evaluation, evaluated_on=evaluated_on.isoformat())
    return evaluation


def _editable_evaluation(actor: User, evaluation: Evaluation) -> Practitioner:
    practitioner = _practitioner_of(actor)
    _same_org(actor, evaluation)
    if evaluation.is_locked:
        raise EvaluationLocked(
            f"This evaluation is {evaluation.get_status_display().lower()} and cannot change."
        )
    own = evaluation.practitioner_id == practitioner.pk
    require_own_or(actor, None, own=own, what="the evaluation")
    return practitioner


def update_evaluation(
    *, actor: User, evaluation: Evaluation, changes: dict[str, Any]
) -> Evaluation:
    _editable_evaluation(actor, evaluation)
    _check_fields_of(changes, EVALUATION_FIELDS)
    for name, value in changes.items():
        setattr(evaluation, name, str(value).strip())
    evaluation.full_clean(exclude=["content_hash"])
    with transaction.atomic():
        evaluation.save()
        _audit(actor, Action.UPDATE, evaluation, changed=sorted(changes))
    return evaluation


def _region_errors(region: str, side: str) -> dict[str, list[str]]:
    problems = check_region(region, side)
    if not problems:
        return {}
    return {"side" if region in catalog().regions else "region": problems}


def _choice_error(field: str, value: str, choices: Any, what: str) -> dict[str, list[str]]:
    if value in choices.values:
        return {}
    return {field: [f"{what} is one of {', '.join(choices.values)}."]}


def add_pain_map_entry(
    *,
    actor: User,
    evaluation: Evaluation,
    region: str,
    side: str = "",
    intensity: int,
    quality: str,
    note: str = "",
) -> PainMapEntry:
    _editable_evaluation(actor, evaluation)
    errors = _region_errors(region, side)
    if not 0 <= intensity <= 10:
        errors["intensity"] = ["Intensity is a whole number from 0 (no pain) to 10."]
    errors |= _choice_error("quality", quality, PainMapEntry.Quality, "Quality")
    if errors:
        raise ValidationError(errors)
    entry = PainMapEntry(
        organization_id=evaluation.organization_id,
        evaluation=evaluation,
        region=region,
        side=side,
        intensity=intensity,
        quality=quality,
        note=note.strip()[:300],
        position=evaluation.pain_map.count(),
    )
    with transaction.atomic():
        entry.save()
        _audit(
            actor,
            Action.UPDATE,
            evaluation,
            added_pain={"region": region, "side": side, "intensity": intensity, "quality": quality},
        )
    return entry


def add_palpation_finding(
    *,
    actor: User,
    evaluation: Evaluation,
    region: str,
    side: str = "",
    tone: str,
    tenderness: int,
    trigger_points: bool = False,
    trigger_point_count: int | None = None,
    texture: str = "",
) -> PalpationFinding:
    _editable_evaluation(actor, evaluation)
    errors = _region_errors(region, side)
    errors |= _choice_error("tone", tone, PalpationFinding.Tone, "Tone")
    if not 0 <= tenderness <= 3:
        errors["tenderness"] = ["Tenderness is graded 0 (none) to 3."]
    if trigger_point_count is not None:
        if not trigger_points:
            errors["trigger_point_count"] = ["A count is given only when trigger points are found."]
        elif not 1 <= trigger_point_count <= 50:
            errors["trigger_point_count"] = ["The count of trigger points is between 1 and 50."]
    if len(texture) > 300:
        errors["texture"] = ["Tissue texture is at most 300 characters."]
    if errors:
        raise ValidationError(errors)
    finding = PalpationFinding(
        organization_id=evaluation.organization_id,
        evaluation=evaluation,
        region=region,
        side=side,
        tone=tone,
        tenderness=tenderness,
        trigger_points=trigger_points,
        trigger_point_count=trigger_point_count,
        texture=texture.strip(),
        position=evaluation.palpation.count(),
    )
    with transaction.atomic():
        finding.save()
        _audit(
            actor,
            Action.UPDATE,
            evaluation,
            added_palpation={"region": region, "side": side, "tone": tone},
        )
    return finding


def add_special_test(
    *,
    actor: User,
    evaluation: Evaluation,
    name: str,
    side: str = "",
    result: str,
    note: str = "",
) -> SpecialTest:
    _editable_evaluation(actor, evaluation)
    errors: dict[str, list[str]] = {}
    if not name.strip() or len(name.strip()) > 80:
        errors["name"] = ["Name the test (1 to 80 characters)."]
    if side not in ("", "left", "right", "bilateral"):
        errors["side"] = ["Side is left, right, bilateral, or empty."]
    errors |= _choice_error("result", result, SpecialTest.Result, "The result")
    if errors:
        raise ValidationError(errors)
    test = SpecialTest(
        organization_id=evaluation.organization_id,
        evaluation=evaluation,
        name=name.strip(),
        side=side,
        result=result,
        note=note.strip()[:300],
        position=evaluation.special_tests.count(),
    )
    with transaction.atomic():
        test.save()
        _audit(actor, Action.UPDATE, evaluation, added_test={"name": test.name, "result": result})
    return test


def _rom_entry(
    *,
    patient: Patient,
    rater: Practitioner,
    joint: str,
    motion: str,
    side: str,
    degrees: int,
    mode: str,
    instrument: str,
    position: str,
    measured_on: dt.date,
) -> RomMeasurement:
    """Validate one ROM measurement and attach the norm in force (not saved)."""
    norms = load_rom_norms()
    errors: dict[str, list[str]] = {}
    known = {(n.joint, n.motion) for n in norms.norms}
    if (joint, motion) not in known:
        joints = sorted({n.joint for n in norms.norms})
        if joint not in joints:
            errors["joint"] = [f"Joint is one of {', '.join(joints)}."]
        else:
            motions = sorted(
                n.motion for n in norms.norms if n.joint == joint and n.side != "right"
            )
            errors["motion"] = [f"For the {joint}, motion is one of {', '.join(motions)}."]
    else:
        sides = [n.side for n in norms.norms if (n.joint, n.motion) == (joint, motion)]
        if side not in sides:
            errors["side"] = [f"{joint} {motion} is measured on side {' or '.join(sides)}."]
    if not -90 <= degrees <= 360:
        errors["degrees"] = ["Degrees are between -90 and 360."]
    errors |= _choice_error("mode", mode, RomMeasurement.Mode, "Mode")
    errors |= _choice_error("instrument", instrument, RomMeasurement.Tool, "The instrument")
    if len(position) > 120:
        errors["position"] = ["The position is at most 120 characters."]
    errors |= _not_after_tomorrow(measured_on, "measured_on", "A measurement")
    if errors:
        raise ValidationError(errors)
    norm = norms.norm(joint, motion, side)
    return RomMeasurement(
        organization_id=patient.organization_id,
        patient=patient,
        joint=joint,
        motion=motion,
        side=side,
        degrees=degrees,
        mode=mode,
        instrument=instrument,
        position=position.strip(),
        norm_degrees=norm.degrees,
        norm_source=norm.source.citation[:300],
        norm_tag=norm.tag,
        norms_version=norms.version,
        measured_on=measured_on,
        rater=rater,
    )


def record_rom(
    *,
    actor: User,
    evaluation: Evaluation,
    joint: str,
    motion: str,
    side: str = "midline",
    degrees: int,
    mode: str = "active",
    instrument: str,
    position: str = "",
) -> RomMeasurement:
    """A ROM measurement of the evaluation, with the norm (and its source) at the time."""
    practitioner = _editable_evaluation(actor, evaluation)
    entry = _rom_entry(
        patient=evaluation.patient,
        rater=practitioner,
        joint=joint,
        motion=motion,
        side=side,
        degrees=degrees,
        mode=mode,
        instrument=instrument,
        position=position,
        measured_on=evaluation.evaluated_on,
    )
    entry.evaluation = evaluation
    entry.order = evaluation.rom_measurements.count()
    with transaction.atomic():
        entry.save()
        _audit(
            actor,
            Action.UPDATE,
            evaluation,
            added_rom={"joint": joint, "motion": motion, "side": side, "degrees": degrees},
        )
    return entry


def _checked_code(code: str) -> icd10.Diagnosis:
    try:
        return icd10.validate(code)
    except icd10.Icd10Error as exc:
        raise ValidationError({"code": [ValidationError(str(exc), code=exc.rule)]}) from None


def add_diagnosis(
    *, actor: User, evaluation: Evaluation, code: str, rank: int | None = None
) -> Diagnosis:
    """A working diagnosis from the subset; ``rank`` 1 makes it the primary (default: last)."""
    _editable_evaluation(actor, evaluation)
    checked = _checked_code(code)
    existing = list(evaluation.diagnoses.order_by("rank", "created_at"))
    if any(d.code == checked.code for d in existing):
        raise ValidationError({"code": f"{checked.code} is already a working diagnosis."})
    last = len(existing) + 1
    if rank is not None and not 1 <= rank <= last:
        raise ValidationError({"rank": f"Rank is between 1 (primary) and {last}."})
    place = rank or last
    with transaction.atomic():
        for index, other in enumerate(existing, start=1):
            new_rank = index if index < place else index + 1
            if other.rank != new_rank:
                Diagnosis.objects.filter(pk=other.pk).update(rank=new_rank)
        diagnosis = Diagnosis.objects.create(
            organization_id=evaluation.organization_id,
            evaluation=evaluation,
            code=checked.code,
            label=checked.label,
            rank=place,
            codeset_version=checked.version,
        )
        _audit(
            actor, Action.UPDATE, evaluation, added_diagnosis={"code": checked.code, "rank": place}
        )
    return diagnosis


def record_baseline_administration(
    *,
    actor: User,
    evaluation: Evaluation,
    instrument: str,
    answers: object,
    item_labels: list[str] | tuple[str, ...] = (),
) -> InstrumentAdministration:
    """Score an instrument on the evaluation's date and keep it as one of its baselines."""
    _editable_evaluation(actor, evaluation)
    with transaction.atomic():
        administration = administer_instrument(
            actor=actor,
            patient=evaluation.patient,
            instrument=instrument,
            answers=answers,
            item_labels=item_labels,
            administered_on=evaluation.evaluated_on,
            context=InstrumentAdministration.Context.BASELINE,
        )
        LinkedAdministration.objects.create(
            organization_id=evaluation.organization_id,
            administration=administration,
            evaluation=evaluation,
        )
        _audit(
            actor,
            Action.UPDATE,
            evaluation,
            added_baseline={"instrument": administration.instrument, "score": administration.score},
        )
    return administration


def link_baseline_administration(
    *, actor: User, evaluation: Evaluation, administration: InstrumentAdministration
) -> LinkedAdministration:
    """Keep an administration already recorded for the patient as a baseline."""
    _editable_evaluation(actor, evaluation)
    _same_org(actor, administration)
    if administration.patient_id != evaluation.patient_id:
        raise ValidationError({"administration": "This administration is another patient's."})
    if not administration.counts:
        raise ValidationError({"administration": "This administration was entered in error."})
    if evaluation.administration_links.filter(administration=administration).exists():
        raise ValidationError({"administration": "It is already a baseline of this evaluation."})
    with transaction.atomic():
        link = LinkedAdministration.objects.create(
            organization_id=evaluation.organization_id,
            administration=administration,
            evaluation=evaluation,
        )
        _audit(
            actor,
            Action.UPDATE,
            evaluation,
            linked_baseline=str(administration.public_id),
        )
    return link


def evaluation_content(evaluation: Evaluation) -> dict[str, Any]:
    """What an evaluation's signature covers."""
    return {
        "evaluation": str(evaluation.public_id),
        "patient": str(evaluation.patient.public_id),
        "practitioner": str(evaluation.practitioner.public_id),
        "location": str(evaluation.location.public_id),
        "evaluated_on": evaluation.evaluated_on.isoformat(),
        **{name: getattr(evaluation, name) for name in EVALUATION_FIELDS},
        "pain_map": [
            [p.region, p.side, p.intensity, p.quality, p.note]
            for p in evaluation.pain_map.order_by("position", "pk")
        ],
        "palpation": [
            [
                f.region,
                f.side,
                f.tone,
                f.tenderness,
                f.trigger_points,
                f.trigger_point_count,
                f.texture,
            ]
            for f in evaluation.palpation.order_by("position", "pk")
        ],
        "rom": [
            [
                r.joint,
                r.motion,
                r.side,
                r.degrees,
                r.mode,
                r.instrument,
                r.position,
                r.norm_degrees,
                r.norms_version,
            ]
            for r in evaluation.rom_measurements.order_by("order", "pk")
        ],
        "special_tests": [
            [t.name, t.side, t.result, t.note]
            for t in evaluation.special_tests.order_by("position", "pk")
        ],
        "diagnoses": [[d.rank, d.code] for d in evaluation.diagnoses.order_by("rank", "pk")],
        "baselines": [
            [
                str(link.administration.public_id),
                link.administration.instrument,
                link.administration.score,
            ]
            for link in evaluation.administration_links.select_related("administration")
        ],
        "regions_version": evaluation.regions_version,
        "codeset_version": evaluation.codeset_version,
    }


def _evaluation_sign_checks(actor: User, evaluation: Evaluation) -> None:
    practitioner = _editable_evaluation(actor, evaluation)
    errors: dict[str, list[str]] = {}
    if not evaluation.chief_complaint.strip():
        errors["chief_complaint"] = ["Record the chief complaint before signing."]
    if not evaluation.diagnoses.exists():
        errors["diagnoses"] = ["Record at least one working diagnosis before signing."]
    if errors:
        raise ValidationError(errors)
    require_current_license(practitioner, location=evaluation.location, on=evaluation.evaluated_on)


EVALUATION = records.Lifecycle(
    model=Evaluation,
    what="evaluation",
    audit=_audit,
    locked=EvaluationLocked,
    check=_evaluation_sign_checks,
    seal=lambda evaluation: content_hash(evaluation_content(evaluation)),
    addendum=EvaluationAddendum,
)


def sign_evaluation(*, actor: User, evaluation: Evaluation) -> Evaluation:
    """Lock the evaluation under the practitioner's signature, if their license allows it."""
    return records.sign(EVALUATION, actor=actor, record=evaluation)


def mark_evaluation_entered_in_error(
    *, actor: User, evaluation: Evaluation, reason: str
) -> Evaluation:
    require(actor, Capability.CLINICAL_READ)
    _same_org(actor, evaluation)
    _require_author_or_corrector(actor, evaluation, what="the evaluation")
    return records.enter_in_error(EVALUATION, actor=actor, record=evaluation, reason=reason)


class EvaluationAddendumRefused(Refused):
    code = "addendum_refused"


def add_evaluation_addendum(
    *, actor: User, evaluation: Evaluation, text: str
) -> EvaluationAddendum:
    """A signed correction or addition to a signed evaluation, which stays as signed.

    The same rules as a note's addendum: any active practitioner of the organization
    (``clinical.addendum``) with a current license for the evaluation's location today.
    """
    practitioner = _practitioner_of(actor, Capability.CLINICAL_ADDENDUM)
    _same_org(actor, evaluation)
    if evaluation.status != Evaluation.Status.SIGNED:
        raise EvaluationAddendumRefused(
            f"This evaluation is {evaluation.get_status_display().lower()}: addenda are "
            "added to signed evaluations"
            + ("; edit the draft itself instead." if not evaluation.is_locked else ".")
        )
    addendum = records.add_addendum(
        EVALUATION,
        actor=actor,
        record=evaluation,
        text=text,
        check_signer=_license_today(practitioner, evaluation),
    )
    assert isinstance(addendum, EvaluationAddendum)
    return addendum


class FindingInUse(Refused):
    code = "finding_in_use"


def _remove_from_draft_evaluation(
    actor: User, evaluation: Evaluation, row: Any, what: str, removed: dict[str, Any]
) -> None:
    """Delete one finding of a draft evaluation; the audit entry keeps what was removed."""
    _editable_evaluation(actor, evaluation)
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if locked.status != Evaluation.Status.DRAFT:
            raise EvaluationLocked(
                f"This evaluation is {locked.get_status_display().lower()} and cannot change."
            )
        row.delete()
        _audit(actor, Action.UPDATE, evaluation, **{f"removed_draft_{what}": removed})


def remove_pain_map_entry(*, actor: User, entry: PainMapEntry) -> None:
    """Drafts only (a region tapped by mistake); refused once the evaluation is signed."""
    removed = {
        "region": entry.region,
        "side": entry.side,
        "intensity": entry.intensity,
        "quality": entry.quality,
        "note": entry.note,
    }
    _remove_from_draft_evaluation(actor, entry.evaluation, entry, "pain", removed)


def remove_palpation_finding(*, actor: User, finding: PalpationFinding) -> None:
    removed = {
        "region": finding.region,
        "side": finding.side,
        "tone": finding.tone,
        "tenderness": finding.tenderness,
        "trigger_points": finding.trigger_points,
        "trigger_point_count": finding.trigger_point_count,
        "texture": finding.texture,
    }
    _remove_from_draft_evaluation(actor, finding.evaluation, finding, "palpation", removed)


def remove_special_test(*, actor: User, test: SpecialTest) -> None:
    removed = {"name": test.name, "side": test.side, "result": test.result, "note": test.note}
    _remove_from_draft_evaluation(actor, test.evaluation, test, "test", removed)


def remove_rom_measurement(*, actor: User, measurement: RomMeasurement) -> None:
    """Drafts only; refused while a goal uses the measurement as its baseline."""
    evaluation = measurement.evaluation
    if evaluation is None:
        raise Refused("A re-assessment's measurement is kept; it is not removed.")
    _editable_evaluation(actor, evaluation)
    if Goal.objects.filter(baseline_rom=measurement).exists():
        raise FindingInUse(
            "This measurement is the baseline of a goal; remove that goal from its draft "
            "plan first."
        )
    removed = {
        "joint": measurement.joint,
        "motion": measurement.motion,
        "side": measurement.side,
        "degrees": measurement.degrees,
        "mode": measurement.mode,
        "instrument": measurement.instrument,
    }
    _remove_from_draft_evaluation(actor, evaluation, measurement, "rom", removed)


def remove_diagnosis(*, actor: User, diagnosis: Diagnosis) -> None:
    """Drafts only; the diagnoses after it move up (removing the primary promotes the next)."""
    evaluation = diagnosis.evaluation
    if evaluation is None:
        raise Refused("A plan's diagnoses are changed by editing the draft plan.")
    removed = {"code": diagnosis.code, "rank": diagnosis.rank}
    with transaction.atomic():
        _remove_from_draft_evaluation(actor, evaluation, diagnosis, "diagnosis", removed)
        rest = Diagnosis.objects.filter(evaluation=evaluation).order_by("rank", "created_at")
        for rank, other in enumerate(rest, start=1):
            if other.rank != rank:
                Diagnosis.objects.filter(pk=other.pk).update(rank=rank)


Finding = PainMapEntry | PalpationFinding | RomMeasurement | SpecialTest | Diagnosis


def remove_evaluation_finding(*, actor: User, finding: Finding) -> None:
    """Remove any one finding of a draft evaluation (the verb for its kind)."""
    if isinstance(finding, PainMapEntry):
        remove_pain_map_entry(actor=actor, entry=finding)
    elif isinstance(finding, PalpationFinding):
        remove_palpation_finding(actor=actor, finding=finding)
    elif isinstance(finding, RomMeasurement):
        remove_rom_measurement(actor=actor, measurement=finding)
    elif isinstance(finding, SpecialTest):
        remove_special_test(actor=actor, test=finding)
    else:
        remove_diagnosis(actor=actor, diagnosis=finding)


def audit_evaluation_read(*, actor: User, evaluation: Evaluation) -> None:
    _audit(actor, Action.READ, evaluation)


# ---------------------------------------------------------------------------------------
# Plans of care and goals

PLAN_FIELDS = (
    "starts_on",
    "frequency_per_week",
    "duration_weeks",
    "techniques",
    "precautions",
    "reassess_every_visits",
    "reassess_every_days",
)
PLAN_LISTS = ("diagnoses", "home_care")


class PlanLocked(Refused):
    code = "plan_locked"


class PlanRefused(Refused):
    code = "plan_refused"


def _plan_errors(plan: Plan) -> dict[str, list[str]]:
    """Every rule of a plan's own fields at once."""
    errors: dict[str, list[str]] = {}
    try:
        plan.full_clean(exclude=["content_hash", "evaluation", "supersedes", "lineage"])
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    techniques = plan.techniques
    known = catalog().techniques
    if not isinstance(techniques, list) or not all(isinstance(t, str) for t in techniques):
        errors["techniques"] = ["Techniques are a list of technique ids."]
    else:
        unknown = [t for t in techniques if t not in known]
        if unknown:
            errors["techniques"] = [
                f"Not in the technique catalog: {', '.join(unknown)} (known: {', '.join(known)})."
            ]
        elif len(set(techniques)) != len(techniques):
            errors["techniques"] = ["Each technique is listed once."]
    if plan.reassess_every_visits is None and plan.reassess_every_days is None:
        errors["reassess_every_visits"] = [
            "Re-assessment needs an interval: every N visits, every N days, or both."
        ]
    if isinstance(plan.starts_on, dt.date) and plan.starts_on < plan.evaluation.evaluated_on:
        errors.setdefault("starts_on", []).append(
            "The plan starts on or after the evaluation it follows."
        )
    return errors


def _home_care_items(plan: Plan, items: Any) -> tuple[list[HomeCareItem], list[str]]:
    out: list[HomeCareItem] = []
    problems: list[str] = []
    if not isinstance(items, list | tuple):
        return [], ["Home care is a list of items."]
    tools = catalog().tools
    for number, raw in enumerate(items, start=1):
        item = dict(raw) if isinstance(raw, dict) else {}
        kind = str(item.get("kind", ""))
        instructions = str(item.get("instructions", "")).strip()
        frequency = str(item.get("frequency", "")).strip()
        tool = str(item.get("tool", "none") or "none")
        if kind not in HomeCareItem.Kind.values:
            problems.append(f"Item {number}: kind is one of {', '.join(HomeCareItem.Kind.values)}.")
        if not instructions or len(instructions) > 500:
            problems.append(f"Item {number}: write the instructions (1 to 500 characters).")
        if not frequency or len(frequency) > 120:
            problems.append(f"Item {number}: say how often (1 to 120 characters).")
        if tool not in tools:
            problems.append(f"Item {number}: tool is one of {', '.join(tools)}.")
        out.append(
            HomeCareItem(
                organization_id=plan.organization_id,
                kind=kind,
                instructions=instructions,
                frequency=frequency,
                tool=tool,
                position=number - 1,
            )
        )
    return out, problems


def _diagnoses_from(codes: Any) -> tuple[list[icd10.Diagnosis], list[str]]:
    if not isinstance(codes, list | tuple) or not codes:
        return [], ["A plan treats at least one diagnosis."]
    found: list[icd10.Diagnosis] = []
    problems: list[str] = []
    for code in codes:
        try:
            checked = icd10.validate(str(code))
        except icd10.Icd10Error as exc:
            problems.append(str(exc))
            continue
        if any(d.code == checked.code for d in found):
            problems.append(f"{checked.code} is listed twice.")
        found.append(checked)
    return found, problems


def _write_plan_lists(
    plan: Plan, diagnoses: list[icd10.Diagnosis], home: list[HomeCareItem]
) -> None:
    for rank, diagnosis in enumerate(diagnoses, start=1):
        Diagnosis.objects.create(
            organization_id=plan.organization_id,
            plan=plan,
            code=diagnosis.code,
            label=diagnosis.label,
            rank=rank,
            codeset_version=diagnosis.version,
        )
    for item in home:
        item.plan = plan
        item.save()


def create_plan(
    *,
    actor: User,
    evaluation: Evaluation,
    frequency_per_week: int,
    duration_weeks: int,
    techniques: list[str] | tuple[str, ...] = (),
    precautions: str = "",
    starts_on: dt.date | None = None,
    reassess_every_visits: int | None = 6,
    reassess_every_days: int | None = None,
    diagnoses: list[str] | None = None,
    home_care: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
) -> Plan:
    """A draft plan of care following a signed evaluation (its diagnoses unless given)."""
    practitioner = _practitioner_of(actor)
    _same_org(actor, evaluation)
    if evaluation.status != Evaluation.Status.SIGNED:
        raise PlanRefused("A plan of care follows a signed evaluation; sign the evaluation first.")
    plan = Plan(
        organization_id=evaluation.organization_id,
        patient=evaluation.patient,
        evaluation=evaluation,
        practitioner=practitioner,
        location=evaluation.location,
        starts_on=starts_on or evaluation.evaluated_on,
        frequency_per_week=frequency_per_week,
        duration_weeks=duration_weeks,
        techniques=list(techniques),
        precautions=precautions.strip(),
        reassess_every_visits=reassess_every_visits,
        reassess_every_days=reassess_every_days,
        catalog_version=catalog().version,
    )
    errors = _plan_errors(plan)
    codes = diagnoses if diagnoses is not None else [d.code for d in evaluation.diagnoses.all()]
    checked, problems = _diagnoses_from(codes)
    if problems:
        errors["diagnoses"] = problems
    home, home_problems = _home_care_items(plan, home_care)
    if home_problems:
        errors["home_care"] = home_problems
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan.save()
        _write_plan_lists(plan, checked, home)
        _audit(
            actor,
            Action.CREATE,
            plan,
            evaluation=str(evaluation.public_id),
            diagnoses=[d.code for d in checked],
        )
    return plan


def _editable_plan(actor: User, plan: Plan) -> Practitioner:
    practitioner = _practitioner_of(actor)
    _same_org(actor, plan)
    if plan.is_locked:
        raise PlanLocked(
            f"Version {plan.version} of this plan is {plan.get_status_display().lower()} and "
            "cannot change; revise it to make a new version."
        )
    require_own_or(actor, None, own=plan.practitioner_id == practitioner.pk, what="the plan")
    return practitioner


def update_plan(*, actor: User, plan: Plan, changes: dict[str, Any]) -> Plan:
    """Change a draft plan; ``diagnoses`` (codes) and ``home_care`` replace their lists."""
    _editable_plan(actor, plan)
    _check_fields_of(changes, PLAN_FIELDS + PLAN_LISTS)
    stored = Plan.objects.get(pk=plan.pk)
    for name in PLAN_FIELDS:
        if name in changes:
            value = changes[name]
            setattr(stored, name, value.strip() if isinstance(value, str) else value)
    errors = _plan_errors(stored)
    checked: list[icd10.Diagnosis] | None = None
    home: list[HomeCareItem] | None = None
    if "diagnoses" in changes:
        checked, problems = _diagnoses_from(changes["diagnoses"])
        if problems:
            errors["diagnoses"] = problems
    if "home_care" in changes:
        home, problems = _home_care_items(stored, changes["home_care"])
        if problems:
            errors["home_care"] = problems
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        stored.save()
        if checked is not None:
            Diagnosis.objects.filter(plan=stored).delete()
        if home is not None:
            HomeCareItem.objects.filter(plan=stored).delete()
        _write_plan_lists(stored, checked or [], home or [])
        _audit(actor, Action.UPDATE, stored, changed=sorted(changes))
    for name in PLAN_FIELDS:
        setattr(plan, name, getattr(stored, name))
    return plan


def _baseline_administration(plan: Plan, instrument: str) -> InstrumentAdministration | None:
    """The evaluation's baseline of that instrument; else the patient's latest score."""
    linked = (
        InstrumentAdministration.objects.filter(
            pk__in=plan.evaluation.administration_links.values("administration"),
            instrument=instrument,
            status=InstrumentAdministration.Status.FINAL,
        )
        .order_by("-administered_on", "-created_at")
        .first()
    )
    if linked is not None:
        return linked
    return (
        InstrumentAdministration.objects.filter(
            patient=plan.patient,
            instrument=instrument,
            status=InstrumentAdministration.Status.FINAL,
            administered_on__lte=local_today(plan.location),
        )
        .order_by("-administered_on", "-created_at")
        .first()
    )


def _baseline_rom(plan: Plan, joint: str, motion: str, side: str) -> RomMeasurement | None:
    measures = RomMeasurement.objects.filter(
        patient=plan.patient,
        joint=joint,
        motion=motion,
        side=side,
        status=RomMeasurement.Status.FINAL,
    ).exclude(evaluation__status=Evaluation.Status.ENTERED_IN_ERROR)
    own = measures.filter(evaluation=plan.evaluation).order_by("-order", "-created_at").first()
    return own or measures.order_by("-measured_on", "-created_at").first()


def _goal_label(goal: Goal) -> str:
    return goal.measure_label


def pure_goal(goal: Goal) -> progress.Goal:
    """The goal as the pure progress module sees it."""
    rom = goal.baseline_rom
    baseline = progress.Point(
        on=goal.baseline_on,
        value=goal.baseline_value,
        rater=str(rom.rater_id) if rom else "",
        instrument=rom.instrument if rom else "",
        position=rom.position if rom else "",
    )
    return progress.Goal(
        measure=goal.measure_kind,  # type: ignore[arg-type]
        label=_goal_label(goal),
        baseline=baseline,
        target=goal.target_value,
        target_kind=goal.target_kind,  # type: ignore[arg-type]
        due_on=goal.due_on,
        instrument="PSFS" if goal.measure_kind == Goal.Measure.PSFS_ACTIVITY else goal.instrument,
        rom_local_mdc=goal.rom_local_mdc,
    )


def goal_progress(
    goal: Goal, on: dt.date, series: list[progress.Point] | None = None
) -> progress.GoalProgress:
    """The goal's status on ``on``: the one place every page, report, API and FHIR resource
    gets it from (the rules are ``progress.goal_status``, pure). ``series`` is
    ``queries.goal_series(goal)`` when the caller has read it already."""
    points = queries.goal_series(goal) if series is None else series
    return progress.goal_status(pure_goal(goal), points, on)


def goal_outcome(goal: Goal, result: progress.GoalProgress) -> dict[str, Any]:
    """A goal's status as data: what a discharge stores, and what the API, the reports and
    FHIR show beside the status (which threshold decided, the noise band)."""
    return {
        "goal": str(goal.public_id),
        "statement": goal.statement,
        "measure": goal.measure_label,
        "primary": goal.is_primary,
        "baseline": result.baseline,
        "baseline_on": result.baseline_on.isoformat(),
        "latest": result.latest,
        "latest_on": result.latest_on.isoformat(),
        "target": result.target,
        "target_basis": goal.target_basis,
        "due_on": result.due_on.isoformat(),
        "status": result.status,
        "status_label": result.status_label,
        "meaningful": result.meaningful,
        "decided_by": result.decided_by,
        "decided_by_label": result.decided_by_label,
        "detected": result.detected,
        "noise_band": result.noise_band,
        "noise_basis": result.noise_basis,
        "explanation": result.meaningful_explanation,
        "thresholds": [
            {"kind": t.kind, "value": t.value, "source": t.source, "met": t.met}
            for t in result.thresholds
        ],
        "reason": result.reason,
    }


def add_goal(
    *,
    actor: User,
    plan: Plan,
    statement: str,
    measure_kind: str,
    due_on: dt.date,
    target_kind: str = "value",
    target_value: float | None = None,
    instrument: str = "",
    rom_joint: str = "",
    rom_motion: str = "",
    rom_side: str = "midline",
    psfs_index: int | None = None,
    primary: bool = False,
    rom_local_mdc: float | None = None,
) -> Goal:
    """A goal on a measure whose baseline Palpa already holds (evaluation first)."""
    _editable_plan(actor, plan)
    errors: dict[str, list[str]] = {}
    if not statement.strip() or len(statement.strip()) > 500:
        errors["statement"] = ["Say the goal in plain words (1 to 500 characters)."]
    errors |= _choice_error("measure_kind", measure_kind, Goal.Measure, "The measure")
    errors |= _choice_error("target_kind", target_kind, Goal.Target, "The target kind")
    if errors:
        raise ValidationError(errors)
    goal = Goal(
        organization_id=plan.organization_id,
        plan=plan,
        statement=statement.strip(),
        measure_kind=measure_kind,
        target_kind=target_kind,
        due_on=due_on,
        position=plan.goals.count(),
    )
    if measure_kind == Goal.Measure.ROM:
        _goal_rom_baseline(plan, goal, rom_joint, rom_motion, rom_side, rom_local_mdc, errors)
    else:
        _goal_score_baseline(plan, goal, measure_kind, instrument, psfs_index, errors)
        if rom_local_mdc is not None:
            errors["rom_local_mdc"] = ["A local MDC in degrees is for range-of-motion goals."]
    if errors:
        raise ValidationError(errors)
    _goal_target(goal, target_value, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        first = not plan.goals.exists()
        if primary and not first:
            Goal.objects.filter(plan=plan, is_primary=True).update(is_primary=False)
        goal.is_primary = primary or first
        goal.save()
        _audit(
            actor,
            Action.UPDATE,
            plan,
            added_goal={
                "measure": goal.measure_label,
                "baseline": goal.baseline_value,
                "target": goal.target_value,
                "due_on": due_on.isoformat(),
                "primary": goal.is_primary,
            },
        )
    return goal


def _goal_rom_baseline(
    plan: Plan,
    goal: Goal,
    joint: str,
    motion: str,
    side: str,
    local_mdc: float | None,
    errors: dict[str, list[str]],
) -> None:
    norms = load_rom_norms()
    if not any((n.joint, n.motion, n.side) == (joint, motion, side) for n in norms.norms):
        errors["rom_joint"] = [
            f"No ROM norm for {joint or '(joint)'} {motion or '(motion)'} ({side}); use a "
            "joint, motion and side of the ROM norms."
        ]
        return
    baseline = _baseline_rom(plan, joint, motion, side)
    if baseline is None:
        errors["rom_joint"] = [
            f"No {joint} {motion} ({side}) measurement to use as the baseline: measure it in "
            "the evaluation or a re-assessment first."
        ]
        return
    if local_mdc is not None and not 0 < local_mdc <= 90:
        errors["rom_local_mdc"] = ["The local MDC is a number of degrees above 0 (up to 90)."]
    goal.rom_joint, goal.rom_motion, goal.rom_side = joint, motion, side
    goal.rom_local_mdc = local_mdc
    goal.baseline_rom = baseline
    goal.baseline_value = float(baseline.degrees)
    goal.baseline_on = baseline.measured_on


def _goal_score_baseline(
    plan: Plan,
    goal: Goal,
    measure_kind: str,
    instrument: str,
    psfs_index: int | None,
    errors: dict[str, list[str]],
) -> None:
    if measure_kind == Goal.Measure.PSFS_ACTIVITY:
        instrument = "PSFS"
        if psfs_index is None or psfs_index < 1:
            errors["psfs_index"] = ["Name the PSFS activity by its number (1 for the first)."]
            return
    try:
        definition = get_instrument(instrument)
    except UnknownInstrument as exc:
        errors["instrument"] = [str(exc)]
        return
    baseline = _baseline_administration(plan, definition.id)
    if baseline is None:
        errors["instrument"] = [
            f"No {definition.id} score to use as the baseline: record one in the evaluation "
            "or a re-assessment first."
        ]
        return
    goal.instrument = definition.id
    goal.baseline_administration = baseline
    goal.baseline_on = baseline.administered_on
    if measure_kind == Goal.Measure.PSFS_ACTIVITY:
        assert psfs_index is not None
        labels: list[str] = list(baseline.item_labels or [])
        answers: list[int | None] = list(baseline.answers or [])
        if psfs_index > len(labels) or answers[psfs_index - 1] is None:
            errors["psfs_index"] = [
                f"The baseline PSFS rates {len(labels)} activities; choose one of 1 to "
                f"{len(labels)} that was rated."
            ]
            return
        goal.psfs_index = psfs_index
        goal.psfs_activity = labels[psfs_index - 1]
        goal.baseline_value = float(answers[psfs_index - 1] or 0)
    else:
        goal.baseline_value = baseline.score


def _goal_target(goal: Goal, target_value: float | None, errors: dict[str, list[str]]) -> None:
    if goal.target_kind == Goal.Target.MEANINGFUL_CHANGE:
        if goal.measure_kind == Goal.Measure.ROM:
            errors["target_kind"] = ["Range of motion has no MCID; set a target value in degrees."]
            return
        if target_value is not None:
            errors["target_value"] = ["Leave the value empty: the MCID sets the target."]
            return
        activity = goal.measure_kind == Goal.Measure.PSFS_ACTIVITY
        instrument = "PSFS" if activity else goal.instrument
        try:
            goal.target_value, goal.target_basis = progress.meaningful_change_target(
                instrument, goal.baseline_value, activity=activity
            )
        except progress.GoalError as exc:
            errors[exc.field] = [str(exc)]
            return
    else:
        if target_value is None:
            errors["target_value"] = ["Give the target value (or choose a meaningful change)."]
            return
        goal.target_value = float(target_value)
        goal.target_basis = "target value set by the therapist"
    try:
        progress.check_target(pure_goal(goal))
    except progress.GoalError as exc:
        errors[exc.field] = [str(exc)]
    if goal.due_on < goal.plan.starts_on:
        errors.setdefault("due_on", []).append("The due date falls within the plan.")


def remove_goal(*, actor: User, goal: Goal) -> None:
    """Drafts only (say, a goal carried into a new version that no longer applies)."""
    plan = goal.plan
    _editable_plan(actor, plan)
    with transaction.atomic():
        was_primary = goal.is_primary
        removed = {"measure": goal.measure_label, "statement": goal.statement}
        Goal.objects.filter(pk=goal.pk).delete()
        if was_primary:
            successor = plan.goals.order_by("position", "created_at").first()
            if successor is not None:
                Goal.objects.filter(pk=successor.pk).update(is_primary=True)
        _audit(actor, Action.UPDATE, plan, removed_draft_goal=removed)


def plan_content(plan: Plan) -> dict[str, Any]:
    """What a plan's signature covers."""
    return {
        "plan": str(plan.public_id),
        "lineage": str(plan.lineage),
        "version": plan.version,
        "supersedes": str(plan.supersedes.public_id) if plan.supersedes else None,
        "patient": str(plan.patient.public_id),
        "evaluation": str(plan.evaluation.public_id),
        "practitioner": str(plan.practitioner.public_id),
        **{
            name: (value.isoformat() if isinstance(value, dt.date) else value)
            for name in PLAN_FIELDS
            for value in [getattr(plan, name)]
        },
        "diagnoses": [[d.rank, d.code] for d in plan.diagnoses.order_by("rank", "pk")],
        "goals": [
            [
                g.measure_kind,
                g.measure_label,
                g.baseline_value,
                g.baseline_on.isoformat(),
                g.target_kind,
                g.target_value,
                g.due_on.isoformat(),
                g.is_primary,
                g.statement,
            ]
            for g in plan.goals.order_by("position", "pk")
        ],
        "home_care": [
            [h.kind, h.instructions, h.tool, h.frequency]
            for h in plan.home_care.order_by("position", "pk")
        ],
        "catalog_version": plan.catalog_version,
    }


def _plan_sign_checks(actor: User, plan: Plan) -> None:
    practitioner = _editable_plan(actor, plan)
    errors: dict[str, list[str]] = {}
    if not plan.goals.exists():
        errors["goals"] = ["Set at least one goal before signing."]
    if not plan.diagnoses.exists():
        errors["diagnoses"] = ["A plan treats at least one diagnosis."]
    if errors:
        raise ValidationError(errors)
    require_current_license(practitioner, location=plan.location, on=local_today(plan.location))
    # the screening's restrictions in force today, in the treatment note's words
    check_planned_techniques(
        patient=plan.patient, on=local_today(plan.location), techniques=plan.techniques
    )


def _refuse_unless_active(previous: Plan) -> None:
    if previous.status != Plan.Status.ACTIVE:
        raise PlanRefused(
            f"Version {previous.version} is {previous.get_status_display().lower()} "
            "now, so this revision can no longer replace it."
        )


def _after_plan_signed(actor: User, plan: Plan) -> None:
    """The referral's visits left and expiry (or an owner's override) cover the plan; a
    new version supersedes the active one."""
    require_authorization(
        actor=actor,
        patient=plan.patient,
        visits_planned=plan.frequency_per_week * plan.duration_weeks,
        ends_on=plan.starts_on + dt.timedelta(weeks=plan.duration_weeks, days=-1),
    )
    records.supersede(
        PLAN,
        actor=actor,
        record=plan,
        status=Plan.Status.SUPERSEDED,
        reason=f"Superseded by version {plan.version}.",
        refuse=_refuse_unless_active,
    )


PLAN = records.Lifecycle(
    model=Plan,
    what="plan",
    audit=_audit,
    locked=PlanLocked,
    check=_plan_sign_checks,
    seal=lambda plan: content_hash(plan_content(plan)),
    signed_status=Plan.Status.ACTIVE,
    after_sign=_after_plan_signed,
)


def sign_plan(*, actor: User, plan: Plan) -> Plan:
    """Sign a draft plan; a new version's signature supersedes the version before."""
    return records.sign(PLAN, actor=actor, record=plan)


def _copy_plan_lists(plan: Plan) -> Callable[[Plan], None]:
    def copy(new: Plan) -> None:
        for diagnosis in plan.diagnoses.all():
            Diagnosis.objects.create(
                organization_id=new.organization_id,
                plan=new,
                code=diagnosis.code,
                label=diagnosis.label,
                rank=diagnosis.rank,
                codeset_version=diagnosis.codeset_version,
            )
        for row in [*plan.goals.all(), *plan.home_care.all()]:
            row.pk = None
            row.public_id = uuid.uuid4()
            row._state.adding = True
            row.plan = new
            row.save()

    return copy


def revise_plan(*, actor: User, plan: Plan) -> Plan:
    """A new draft version of an active plan, carrying over everything; both are kept."""
    practitioner = _practitioner_of(actor)
    _same_org(actor, plan)
    plan.refresh_from_db(fields=["status", "status_reason"])
    if plan.status != Plan.Status.ACTIVE:
        raise PlanRefused(
            f"Only the active version of a plan is revised; version {plan.version} is "
            f"{plan.get_status_display().lower()}."
        )
    pending = records.pending_version(plan)
    if pending is not None:
        raise PlanRefused(
            f"Version {pending.version} of this plan is already drafted; change and sign it."
        )
    return records.new_version(
        PLAN,
        actor=actor,
        record=plan,
        fields={
            "patient": plan.patient,
            "evaluation": plan.evaluation,
            "practitioner": practitioner,
            "location": plan.location,
            "catalog_version": catalog().version,
            **{name: getattr(plan, name) for name in PLAN_FIELDS},
        },
        taken=PlanRefused("A revision of this plan was drafted a moment ago; change and sign it."),
        copy=_copy_plan_lists(plan),
        detail={"revises": str(plan.public_id)},
    )


def _active_plan(actor: User, plan: Plan) -> Practitioner:
    practitioner = _practitioner_of(actor)
    _same_org(actor, plan)
    plan.refresh_from_db(fields=["status", "status_reason"])
    if plan.status != Plan.Status.ACTIVE:
        raise PlanRefused(
            f"Re-assessments are recorded under the active plan; version {plan.version} is "
            f"{plan.get_status_display().lower()}."
        )
    return practitioner


def record_reassessment(
    *,
    actor: User,
    plan: Plan,
    instrument: str,
    answers: object,
    administered_on: dt.date | None = None,
    item_labels: list[str] | tuple[str, ...] = (),
) -> InstrumentAdministration:
    """Score an instrument again under an active plan (context: re-assessment)."""
    _active_plan(actor, plan)
    on = administered_on or local_today(plan.location)
    if on < plan.evaluation.evaluated_on:
        raise ValidationError(
            {"administered_on": "A re-assessment comes after the plan's evaluation."}
        )
    with transaction.atomic():
        administration = administer_instrument(
            actor=actor,
            patient=plan.patient,
            instrument=instrument,
            answers=answers,
            item_labels=item_labels,
            administered_on=on,
            context=InstrumentAdministration.Context.REASSESSMENT,
        )
        LinkedAdministration.objects.create(
            organization_id=plan.organization_id, administration=administration, plan=plan
        )
        _audit(
            actor,
            Action.UPDATE,
            plan,
            reassessment={"instrument": administration.instrument, "score": administration.score},
        )
    return administration


def record_reassessment_rom(
    *,
    actor: User,
    plan: Plan,
    joint: str,
    motion: str,
    side: str = "midline",
    degrees: int,
    mode: str = "active",
    instrument: str,
    position: str = "",
    measured_on: dt.date | None = None,
) -> RomMeasurement:
    practitioner = _active_plan(actor, plan)
    on = measured_on or local_today(plan.location)
    entry = _rom_entry(
        patient=plan.patient,
        rater=practitioner,
        joint=joint,
        motion=motion,
        side=side,
        degrees=degrees,
        mode=mode,
        instrument=instrument,
        position=position,
        measured_on=on,
    )
    if on < plan.evaluation.evaluated_on:
        raise ValidationError({"measured_on": "A re-assessment comes after the evaluation."})
    entry.plan = plan
    with transaction.atomic():
        entry.save()
        _audit(
            actor,
            Action.UPDATE,
            plan,
            reassessment_rom={"joint": joint, "motion": motion, "side": side, "degrees": degrees},
        )
    return entry


def home_care_text(plan: Plan) -> str:
    """The plan's home-care program as the patient reads it in an email: one numbered
    item a line, with how often."""
    tools = catalog().tools
    lines = []
    for n, item in enumerate(plan.home_care.order_by("position", "pk"), start=1):
        tool = tools[item.tool].label if item.tool in tools and item.tool != "none" else ""
        line = f"{n}. {item.get_kind_display()}: {item.instructions}"
        if item.frequency:
            line += f" ({item.frequency})"
        if tool:
            line += f". With: {tool}"
        lines.append(line)
    return "\n".join(lines)


def send_home_care_program(*, actor: User, plan: Plan) -> list[PatientMessage]:
    """Send the signed plan's home-care program to the patient through the message ledger
    (the program in the email; a text message only says it is ready: no clinical detail
    in a text)."""
    require(actor, Capability.CLINICAL_WRITE)
    _same_org(actor, plan)
    if plan.status != Plan.Status.ACTIVE:
        raise ValidationError(
            {"plan": "Only a signed, active plan's home-care program is sent to the patient."}
        )
    if not plan.home_care.exists():
        raise ValidationError({"plan": "This plan has no home-care program to send."})
    practitioner = plan.practitioner
    with transaction.atomic():
        return ledger.send_message(
            actor=actor,
            patient=plan.patient,
            kind=MessageKind.HOME_CARE,
            values={
                "therapist": f"{practitioner.given_name} {practitioner.family_name}",
                "program": home_care_text(plan),
            },
            about=f"plan:{plan.public_id}",
        )


def audit_plan_read(*, actor: User, plan: Plan) -> None:
    _audit(actor, Action.READ, plan)


@dataclass(frozen=True)
class PlanProgress:
    plan: Plan
    as_of: dt.date
    goals: list[tuple[Goal, progress.GoalProgress]]
    signed_notes: int
    non_responder: progress.NonResponder
    reassessment_due: bool
    reassessment_reason: str
    # Each goal's measurements since its baseline (by goal id), as the statuses used them:
    # the trend charts draw the same points without reading them again.
    series: dict[int, list[progress.Point]] = field(default_factory=dict)


def plan_progress(
    *,
    actor: User,
    plan: Plan,
    today: dt.date | None = None,
    non_responder_after: int = progress.DEFAULT_NON_RESPONDER_NOTES,
) -> PlanProgress:
    """Each goal's status today, the non-responder alert and whether re-assessment is due."""
    require(actor, Capability.CLINICAL_READ)
    _same_org(actor, plan)
    if non_responder_after < 1:
        raise ValidationError({"after_notes": "Judge the response after at least 1 visit."})
    as_of = today or local_today(plan.location)
    goals = list(plan.goals.select_related("baseline_rom").order_by("position", "created_at"))
    series = {goal.pk: queries.goal_series(goal) for goal in goals}
    results = [(goal, goal_progress(goal, as_of, series[goal.pk])) for goal in goals]
    primary = next((result for goal, result in results if goal.is_primary), None)
    notes = queries.signed_notes_under(plan)
    signed = notes.count()
    alert = progress.non_responder(primary, signed_notes=signed, after_notes=non_responder_after)
    measured = [result.latest_on for _, result in results]
    since = max(measured) if measured else plan.starts_on
    due, why = progress.reassessment_due(
        since=since,
        notes_since=notes.filter(visit_date__gt=since).count(),
        today=as_of,
        every_visits=plan.reassess_every_visits,
        every_days=plan.reassess_every_days,
    )
    _audit(
        actor,
        Action.READ,
        plan,
        progress={goal.measure_label: result.status for goal, result in results},
        non_responder=alert.alert,
    )
    return PlanProgress(
        plan=plan,
        as_of=as_of,
        goals=results,
        signed_notes=signed,
        non_responder=alert,
        reassessment_due=due,
        reassessment_reason=why,
        series=series,
    )


def mark_plan_entered_in_error(*, actor: User, plan: Plan, reason: str) -> Plan:
    """Discard a draft (say, a revision no longer wanted), or a first version made in error.

    A version that replaced another cannot be withdrawn this way: revise it instead.
    """
    require(actor, Capability.CLINICAL_READ)
    _same_org(actor, plan)
    _require_author_or_corrector(actor, plan, what="the plan")
    records.checked_reason(reason, "Say why the plan is in error.")
    first_active = plan.status == Plan.Status.ACTIVE and plan.supersedes_id is None
    if plan.status not in (Plan.Status.DRAFT, Plan.Status.ENTERED_IN_ERROR) and not first_active:
        raise PlanRefused(
            f"Version {plan.version} is {plan.get_status_display().lower()}; only a draft, or "
            "an active first version, can be marked entered in error."
        )
    if first_active and records.pending_version(plan) is not None:
        raise PlanRefused("Mark the drafted revision of this plan entered in error first.")
    return records.enter_in_error(PLAN, actor=actor, record=plan, reason=reason)


def discharge_plan(
    *,
    actor: User,
    plan: Plan,
    reason: str,
    summary: str = "",
    reason_detail: str = "",
    discharged_on: dt.date | None = None,
) -> Discharge:
    """Close the active plan with each goal's computed outcome, signed; the plan completes."""
    practitioner = _practitioner_of(actor)
    _same_org(actor, plan)
    plan.refresh_from_db(fields=["status", "status_reason"])
    if plan.status != Plan.Status.ACTIVE:
        hints: dict[str, str] = {
            "draft": "sign it first, or mark the draft entered in error",
            "superseded": "discharge its newest signed version",
            "completed": "it was discharged already",
        }
        hint = hints.get(plan.status, "it cannot be discharged")
        raise PlanRefused(
            f"Only an active plan is discharged; version {plan.version} is "
            f"{plan.get_status_display().lower()}: {hint}."
        )
    pending = records.pending_version(plan)
    if pending is not None:
        raise PlanRefused(
            f"Version {pending.version} of this plan is drafted: sign it and discharge that "
            "version, or mark the draft entered in error."
        )
    on = discharged_on or local_today(plan.location)
    errors: dict[str, list[str]] = {}
    if reason not in Discharge.Reason.values:
        errors["reason"] = [f"The reason is one of {', '.join(Discharge.Reason.values)}."]
    if on > local_today(plan.location) or on < plan.starts_on:
        errors["discharged_on"] = ["The discharge date is between the plan's start and today."]
    if reason in (Discharge.Reason.OTHER, Discharge.Reason.REFERRED_OUT) and not (
        reason_detail.strip()
    ):
        errors["reason_detail"] = [
            "Say the reason (for a referral: to whom and why)."
            if reason == Discharge.Reason.REFERRED_OUT
            else "Say the reason."
        ]
    if len(reason_detail) > 300:
        errors["reason_detail"] = ["At most 300 characters."]
    if errors:
        raise ValidationError(errors)
    goals = list(plan.goals.select_related("baseline_rom").order_by("position", "created_at"))
    results = [(goal, goal_progress(goal, on)) for goal in goals]
    open_goals = [goal.measure_label for goal, r in results if r.status != "achieved"]
    if reason == Discharge.Reason.GOALS_MET and open_goals:
        raise ValidationError(
            {
                "reason": (
                    f"Not every goal is achieved ({', '.join(open_goals)}); choose another reason."
                )
            }
        )
    require_current_license(practitioner, location=plan.location, on=on)
    outcomes = [goal_outcome(goal, result) for goal, result in results]
    now = timezone.now()
    discharge = Discharge(
        organization_id=plan.organization_id,
        plan=plan,
        patient=plan.patient,
        practitioner=practitioner,
        discharged_on=on,
        reason=reason,
        reason_detail=reason_detail.strip(),
        summary=summary.strip(),
        goal_outcomes=outcomes,
        signed_at=now,
        signed_by=actor,
    )
    discharge.content_hash = content_hash(
        {
            "plan": str(plan.public_id),
            "plan_hash": plan.content_hash,
            "discharged_on": on.isoformat(),
            "reason": reason,
            "reason_detail": discharge.reason_detail,
            "summary": discharge.summary,
            "goal_outcomes": outcomes,
            "by": actor.pk,
            "at": now,
        }
    )
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != Plan.Status.ACTIVE:
            raise PlanRefused("This plan was discharged or revised a moment ago.")
        discharge.save()
        plan.status = Plan.Status.COMPLETED
        plan.status_reason = f"Discharged on {on.isoformat()}: {discharge.get_reason_display()}."
        plan.save(update_fields=["status", "status_reason", "updated_at"])
        _audit(
            actor,
            Action.CREATE,
            plan,
            discharge=str(discharge.public_id),
            reason=reason,
            outcomes={o["measure"]: o["status"] for o in outcomes},
        )
    return discharge
