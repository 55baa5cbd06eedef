"""Complete decongestive therapy (CDT) phases of a patient's lymphoedema care: start
phase 1 (intensive: daily MLD, multilayer short-stretch bandaging, exercise, skin care),
then switch to phase 2 (maintenance: compression garments, self-MLD), the switch
recorded with its date, who switched and why (clinical reference G, "standard
description" [V]).

The only code that writes ``CdtCourse``: each verb checks the actor's role and
organization, validates before it writes, runs in one transaction and leaves one audit
entry. ``course_for`` reads (scoped to the actor's organization and role)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, require, tenant_id
from palpa.audit.services import Action, record
from palpa.care.authoring import practitioner_of
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.tenancy import require_same_organization
from palpa.lymphoedema.cdt_models import CdtCourse
from palpa.patients.models import Patient

REASON_MAX = 500  # CdtCourse.switch_reason's length


@dataclass(frozen=True)
class Phase:
    number: int
    name: str
    what: str


# Clinical reference G: CDT [V: standard description].
PHASES = {
    1: Phase(
        1, "Phase 1, intensive", "MLD, multilayer short-stretch bandaging, exercise, skin care"
    ),
    2: Phase(2, "Phase 2, maintenance", "compression garments, self-MLD"),
}
SOURCE = "Complete decongestive therapy, standard description (Palpa clinical reference G)"


class CdtRefused(Refused):
    code = "cdt_refused"


def course_for(actor: User, patient: Patient) -> CdtCourse | None:
    """The patient's CDT course, for clinical roles of the patient's organization."""
    if not has_capability(actor, Capability.CLINICAL_READ):
        return None
    if patient.organization_id != tenant_id(actor):
        return None
    return (
        CdtCourse.objects.filter(organization_id=patient.organization_id, patient=patient)
        .select_related("started_by", "switched_by")
        .first()
    )


def _audit(actor: User, action: str, course: CdtCourse, **detail: object) -> None:
    record(
        actor=actor,
        action=action,
        obj=course,
        patient_id=str(course.patient.public_id),
        detail=dict(detail),
    )


def audit_course_read(*, actor: User, course: CdtCourse) -> None:
    require(actor, Capability.CLINICAL_READ)
    require_same_organization(actor, course)
    with transaction.atomic():
        _audit(actor, Action.READ, course, phase=course.phase)


def audit_not_started_read(*, actor: User, patient: Patient) -> None:
    require(actor, Capability.CLINICAL_READ)
    require_same_organization(actor, patient)
    with transaction.atomic():
        record(
            actor=actor,
            action=Action.READ,
            obj=patient,
            patient_id=str(patient.public_id),
            detail={"cdt": "not started"},
        )


def _date_errors(field: str, on: dt.date, today: dt.date) -> dict[str, list[str]]:
    if on > today + dt.timedelta(days=1):
        return {field: ["A phase is recorded when it starts: the date is in the future."]}
    return {}


def start_phase_1(*, actor: User, patient: Patient, on: dt.date) -> CdtCourse:
    """Start the patient's CDT with phase 1 (intensive) on ``on``."""
    practitioner_of(actor)
    require_same_organization(actor, patient)
    errors = _date_errors("started_on", on, local_today(patient))
    if patient.status != Patient.Status.ACTIVE:
        errors["patient"] = [f"The patient's record is {patient.get_status_display().lower()}."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if CdtCourse.objects.select_for_update().filter(patient=patient).exists():
            raise CdtRefused("This patient's CDT has already started.")
        course = CdtCourse.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            phase_1_started_on=on,
            started_by=actor,
        )
        _audit(actor, Action.CREATE, course, phase=1, started_on=on.isoformat())
    return course


def switch_to_phase_2(*, actor: User, patient: Patient, on: dt.date, reason: str) -> CdtCourse:
    """Record the switch to phase 2 (maintenance) on ``on``, with the reason (e.g. the
    limb volume has stopped falling and the garment is fitted)."""
    practitioner_of(actor)
    require_same_organization(actor, patient)
    reason = reason.strip()
    errors = _date_errors("switched_on", on, local_today(patient))
    if not reason:
        errors["reason"] = ["Say why the patient moves to maintenance."]
    elif len(reason) > REASON_MAX or any(
        unicodedata.category(ch) in {"Cc", "Cf"} and ch not in "\n\t" for ch in reason
    ):
        errors["reason"] = [f"At most {REASON_MAX} characters, without control characters."]
    with transaction.atomic():
        course = CdtCourse.objects.select_for_update().filter(patient=patient).first()
        if course is None:
            raise CdtRefused("Start phase 1 before switching to phase 2.")
        if course.phase_2_started_on is not None:
            raise CdtRefused(
                f"This patient switched to phase 2 on {course.phase_2_started_on.isoformat()}."
            )
        if on < course.phase_1_started_on:
            errors["switched_on"] = [
                f"Phase 1 started on {course.phase_1_started_on.isoformat()}; "
                "phase 2 cannot start before it."
            ]
        if errors:
            raise ValidationError(errors)
        course.phase_2_started_on = on
        course.switched_by = actor
        course.switch_reason = reason
        course.save(
            update_fields=["phase_2_started_on", "switched_by", "switch_reason", "updated_at"]
        )
        _audit(actor, Action.UPDATE, course, phase=2, switched_on=on.isoformat())
    return course
