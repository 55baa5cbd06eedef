"""The records kernel (core/records.py) holds the same rules for every signed care record:
bulk changes cannot go around a signature, and a reason follows one rule."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from palpa.accounts.models import User
from palpa.care.evaluations import services as evaluation_services
from palpa.care.models import Evaluation, Plan, SignedRecordChanged, TreatmentNote
from palpa.care.notes import services as note_services
from palpa.care.plans import services as plan_services
from palpa.core.records import REASON_MAX_CHARS


def _bulk_refused(model: type[TreatmentNote | Evaluation | Plan], pk: int, field: str) -> None:
    rows = model.objects.filter(pk=pk)
    with pytest.raises(SignedRecordChanged):
        rows.update(**{field: "Changed behind the services' back."})
    with pytest.raises(SignedRecordChanged):
        rows.delete()
    assert rows.exists()


def test_a_signed_note_refuses_bulk_update_and_delete(
    therapist: User, draft: TreatmentNote
) -> None:
    note_services.sign_note(actor=therapist, note=draft)
    _bulk_refused(TreatmentNote, draft.pk, "assessment")
    draft.refresh_from_db()
    assert draft.assessment == ""
    assert draft.status == TreatmentNote.Status.SIGNED


def test_a_signed_evaluation_refuses_bulk_update_and_delete(
    signed_evaluation: Evaluation,
) -> None:
    _bulk_refused(Evaluation, signed_evaluation.pk, "chief_complaint")
    signed_evaluation.refresh_from_db()
    assert signed_evaluation.chief_complaint != "Changed behind the services' back."


def test_a_signed_plan_refuses_bulk_update_and_delete(therapist: User, plan: Plan) -> None:
    plan_services.sign_plan(actor=therapist, plan=plan)
    _bulk_refused(Plan, plan.pk, "precautions")
    plan.refresh_from_db()
    assert plan.precautions == "Avoid prone position longer than 20 minutes."


def test_drafts_are_never_deleted_in_bulk_either(draft: TreatmentNote) -> None:
    with pytest.raises(SignedRecordChanged):
        TreatmentNote.objects.filter(pk=draft.pk).delete()
    with pytest.raises(SignedRecordChanged):
        draft.delete()
    assert TreatmentNote.objects.filter(pk=draft.pk).exists()


def test_a_signed_records_status_still_moves_in_bulk(therapist: User, draft: TreatmentNote) -> None:
    note_services.sign_note(actor=therapist, note=draft)
    TreatmentNote.objects.filter(pk=draft.pk).update(status_reason="Checked.")
    draft.refresh_from_db()
    assert draft.status_reason == "Checked."


def test_the_reason_rule_is_the_same_for_notes_evaluations_and_plans(
    therapist: User, draft: TreatmentNote, signed_evaluation: Evaluation, plan: Plan
) -> None:
    too_long = "x" * (REASON_MAX_CHARS + 1)
    marks: list[Callable[[str], object]] = [
        lambda reason: note_services.mark_note_entered_in_error(
            actor=therapist, note=draft, reason=reason
        ),
        lambda reason: evaluation_services.mark_evaluation_entered_in_error(
            actor=therapist, evaluation=signed_evaluation, reason=reason
        ),
        lambda reason: plan_services.mark_plan_entered_in_error(
            actor=therapist, plan=plan, reason=reason
        ),
    ]
    for mark in marks:
        for reason in ("  ", too_long):
            with pytest.raises(ValidationError) as refused:
                mark(reason)
            assert list(refused.value.message_dict) == ["reason"]
        mark("x" * REASON_MAX_CHARS)
    for record in (draft, signed_evaluation, plan):
        record.refresh_from_db()
        assert record.status == "entered-in-error"
        assert record.status_reason == "x" * REASON_MAX_CHARS
