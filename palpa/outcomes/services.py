"""The only code that writes instrument administrations.

Scoring is ``palpa.outcomes.scoring.score``: answers that cannot be scored are refused
with a ValidationError naming the item and the rule (the API answers 422), and nothing is
saved. Every verb runs in one transaction and leaves one audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action, record
from palpa.outcomes.library import UnknownInstrument, get_instrument
from palpa.outcomes.models import InstrumentAdministration
from palpa.outcomes.scoring import AnswerError, score
from palpa.patients.models import Patient

MAX_LABEL = 120


def _same_org(actor: User, patient: Patient) -> None:
    if patient.organization_id != actor.organization_id:
        raise PermissionDenied("This patient belongs to another organization.")


def _labels(
    instrument_id: str, patient_names_items: bool, answers: object, labels: Sequence[str]
) -> list[str]:
    if not patient_names_items:
        if labels:
            raise ValidationError(
                {"item_labels": f"{instrument_id} has fixed items; leave item_labels empty."}
            )
        return []
    count = len(answers) if isinstance(answers, list | tuple) else 0
    cleaned = [label.strip() if isinstance(label, str) else "" for label in labels]
    if len(cleaned) != count:
        raise ValidationError(
            {
                "item_labels": f"{instrument_id}: name each activity the patient rated "
                f"({count} ratings, {len(cleaned)} activities)."
            }
        )
    for number, label in enumerate(cleaned, start=1):
        if not label or len(label) > MAX_LABEL:
            raise ValidationError(
                {"item_labels": f"Activity {number} needs a name of 1 to {MAX_LABEL} characters."}
            )
    return cleaned


def administer_instrument(
    *,
    actor: User,
    patient: Patient,
    instrument: str,
    answers: object,
    administered_on: dt.date,
    context: str,
    item_labels: Sequence[str] = (),
) -> InstrumentAdministration:
    """Score the answers with the outcome library and record them, with both versions."""
    require(actor, Capability.EDIT_CLINICAL)
    _same_org(actor, patient)
    errors: dict[str, list[str]] = {}
    if patient.status != Patient.Status.ACTIVE:
        errors["patient"] = [f"The patient's record is {patient.get_status_display().lower()}."]
    if administered_on > timezone.localdate():
        errors["administered_on"] = ["An administration is recorded once it has taken place."]
    if context not in InstrumentAdministration.Context.values:
        errors["context"] = [
            f"Context is one of {', '.join(InstrumentAdministration.Context.values)}."
        ]
    try:
        definition = get_instrument(instrument)
    except UnknownInstrument as exc:
        errors["instrument"] = [str(exc)]
        raise ValidationError(errors) from None
    try:
        result = score(definition, answers)
    except AnswerError as exc:
        errors["answers"] = [f"{exc.message[:1].upper()}{exc.message[1:]} Rule: {exc.rule}"]
    if errors:
        raise ValidationError(errors)
    labels = _labels(definition.id, definition.items.count is None, answers, item_labels)
    administration = InstrumentAdministration(
        organization_id=patient.organization_id,
        patient=patient,
        instrument=result.instrument,
        instrument_version=result.instrument_version,
        library_version=result.library_version,
        answers=list(result.answers),
        item_labels=labels,
        score=float(result.score),
        percent=None if result.percent is None else float(result.percent),
        unit=result.unit,
        band=result.band or "",
        items_answered=result.items_answered,
        items_total=result.items_total,
        calculation=result.calculation[:300],
        administered_on=administered_on,
        context=context,
        entered_by=actor,
    )
    with transaction.atomic():
        administration.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=administration,
            patient_id=str(patient.public_id),
            detail={
                "instrument": result.instrument,
                "score": result.score,
                "administered_on": administered_on.isoformat(),
                "context": context,
                "library_version": result.library_version,
            },
        )
    return administration


def mark_administration_entered_in_error(
    *, actor: User, administration: InstrumentAdministration, reason: str
) -> InstrumentAdministration:
    """Kept, but out of every series and progress calculation."""
    require(actor, Capability.EDIT_CLINICAL)
    _same_org(actor, administration.patient)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the administration is in error."})
    if administration.status == InstrumentAdministration.Status.ENTERED_IN_ERROR:
        return administration
    with transaction.atomic():
        administration.status = InstrumentAdministration.Status.ENTERED_IN_ERROR
        administration.status_reason = reason.strip()[:300]
        administration.save(update_fields=["status", "status_reason", "updated_at"])
        record(
            actor=actor,
            action=Action.DELETE,
            obj=administration,
            patient_id=str(administration.patient.public_id),
            detail={"from": "final", "reason": reason.strip()},
        )
    return administration


def audit_administration_read(*, actor: User, administration: InstrumentAdministration) -> None:
    record(
        actor=actor,
        action=Action.READ,
        obj=administration,
        patient_id=str(administration.patient.public_id),
    )
