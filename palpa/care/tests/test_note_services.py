"""Treatment notes: drafts, signing under a current license, immutability, addenda."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.care.models import NoteAddendum, SignedNoteChanged, TreatmentNote
from palpa.care.notes import services as note_services
from palpa.care.queries import notes_for, unsigned_notes
from palpa.core.errors import Refused
from palpa.core.records import content_hash
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.practitioners.models import License
from palpa.practitioners.services import LicenseError


def test_signing_locks_the_note_and_hashes_its_content(
    therapist: User, draft: TreatmentNote
) -> None:
    note_services.sign_note(actor=therapist, note=draft)
    draft.refresh_from_db()
    assert draft.status == TreatmentNote.Status.SIGNED
    assert draft.signed_by == therapist
    assert draft.content_hash == content_hash(note_services.note_content(draft))
    assert draft.total_minutes == 30
    entry = AuditEvent.objects.filter(object_id=str(draft.public_id), detail__signed=True).get()
    assert entry.patient_id == str(draft.patient.public_id)


def test_a_signed_note_refuses_edits_and_new_techniques(
    therapist: User, draft: TreatmentNote
) -> None:
    note_services.sign_note(actor=therapist, note=draft)
    with pytest.raises(note_services.NoteLocked, match="addendum"):
        note_services.update_note(actor=therapist, note=draft, changes={"assessment": "changed"})
    with pytest.raises(note_services.NoteLocked):
        note_services.add_technique(
            actor=therapist,
            note=draft,
            technique="swedish",
            region="neck",
            minutes=5,
            pressure="light",
        )
    draft.assessment = "sneaky change"
    with pytest.raises(SignedNoteChanged):
        draft.save()


def test_a_correction_is_a_signed_addendum_that_keeps_the_original(
    therapist: User, draft: TreatmentNote
) -> None:
    note_services.sign_note(actor=therapist, note=draft)
    original = draft.content_hash
    addendum = note_services.add_addendum(
        actor=therapist, note=draft, text="Trigger point work was on the right, not the left."
    )
    draft.refresh_from_db()
    assert draft.content_hash == original
    assert list(draft.addenda.all()) == [addendum]
    assert addendum.signed_by == therapist


def test_addenda_are_for_signed_notes_only(therapist: User, draft: TreatmentNote) -> None:
    with pytest.raises(Refused, match="signed notes"):
        note_services.add_addendum(actor=therapist, note=draft, text="x")
    assert not NoteAddendum.objects.exists()


def test_signing_is_refused_when_the_license_has_lapsed(
    therapist: User, draft: TreatmentNote
) -> None:
    License.objects.filter(practitioner__user=therapist).update(
        expires_on=clinic_today() - dt.timedelta(days=1)
    )
    with pytest.raises(LicenseError, match=r"license #MA\d+ \(FL\) expired on"):
        note_services.sign_note(actor=therapist, note=draft)
    draft.refresh_from_db()
    assert draft.status == TreatmentNote.Status.DRAFT


def test_only_the_notes_own_practitioner_signs_it(
    other_therapist: User, draft: TreatmentNote
) -> None:
    with pytest.raises(PermissionDenied):
        note_services.sign_note(actor=other_therapist, note=draft)


@pytest.mark.parametrize("persona", ["front_desk", "biller", "outsider"])
def test_non_clinicians_and_outsiders_cannot_write_notes(
    request: pytest.FixtureRequest, persona: str, patient: Patient, location: Location
) -> None:
    actor: User = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        note_services.start_note(
            actor=actor, patient=patient, location=location, visit_date=clinic_today()
        )
    assert not notes_for(actor).exists()


def test_an_owner_without_a_practitioner_record_cannot_write_notes(
    owner: User, patient: Patient, location: Location
) -> None:
    with pytest.raises(PermissionDenied, match="practitioner"):
        note_services.start_note(
            actor=owner, patient=patient, location=location, visit_date=clinic_today()
        )


def test_bad_technique_rows_name_each_field_and_save_nothing(
    therapist: User, draft: TreatmentNote
) -> None:
    before = draft.techniques.count()
    with pytest.raises(ValidationError) as bad:
        note_services.add_technique(
            actor=therapist,
            note=draft,
            technique="reiki",
            region="lower_leg",
            side="",
            minutes=0,
            pressure="crushing",
            tool="hammer",
        )
    assert set(bad.value.message_dict) == {"technique", "side", "minutes", "pressure", "tool"}
    assert "needs a side" in bad.value.message_dict["side"][0]
    assert draft.techniques.count() == before


def test_a_note_with_nothing_done_cannot_be_signed(
    therapist: User, patient: Patient, location: Location
) -> None:
    note = note_services.start_note(
        actor=therapist, patient=patient, location=location, visit_date=clinic_today()
    )
    with pytest.raises(ValidationError, match="at least one technique"):
        note_services.sign_note(actor=therapist, note=note)


def test_future_visits_and_bad_pain_scores_are_refused(
    therapist: User, patient: Patient, location: Location
) -> None:
    with pytest.raises(ValidationError) as bad:
        note_services.start_note(
            actor=therapist,
            patient=patient,
            location=location,
            visit_date=clinic_today() + dt.timedelta(days=9),
            pain_today=11,
        )
    assert set(bad.value.message_dict) == {"visit_date", "pain_today"}
    assert not TreatmentNote.objects.exists()


def test_removing_a_draft_technique_is_audited_with_what_was_removed(
    therapist: User, draft: TreatmentNote
) -> None:
    entry = draft.techniques.get(technique="trigger_point")
    note_services.remove_technique(actor=therapist, entry=entry)
    assert draft.techniques.count() == 1
    audit = AuditEvent.objects.filter(detail__has_key="removed_draft_technique").get()
    assert audit.detail["removed_draft_technique"]["minutes"] == 10


def test_a_note_in_error_is_kept_and_marked(
    therapist: User, owner: User, draft: TreatmentNote
) -> None:
    note_services.sign_note(actor=therapist, note=draft)
    with pytest.raises(ValidationError):
        note_services.mark_note_entered_in_error(actor=owner, note=draft, reason=" ")
    note_services.mark_note_entered_in_error(actor=owner, note=draft, reason="Wrong patient chart.")
    draft.refresh_from_db()
    assert draft.status == TreatmentNote.Status.ENTERED_IN_ERROR
    assert TreatmentNote.objects.filter(pk=draft.pk).exists()


def test_unsigned_notes_older_than_72_hours_are_listed_for_their_therapist(
    therapist: User, other_therapist: User, draft: TreatmentNote
) -> None:
    assert not unsigned_notes(therapist).exists()
    TreatmentNote.objects.filter(pk=draft.pk).update(
        created_at=draft.created_at - dt.timedelta(hours=73)
    )
    assert list(unsigned_notes(therapist)) == [draft]
    assert not unsigned_notes(other_therapist).exists()


def test_signing_publishes_treatment_note_signed_after_commit(
    therapist: User, draft: TreatmentNote, django_capture_on_commit_callbacks: object
) -> None:
    from palpa.care.events import TreatmentNoteSigned
    from palpa.core.events import subscribe, unsubscribe

    seen: list[TreatmentNoteSigned] = []
    subscribe(TreatmentNoteSigned, seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            note_services.sign_note(actor=therapist, note=draft)
    finally:
        unsubscribe(TreatmentNoteSigned, seen.append)
    assert [e.note_id for e in seen] == [draft.pk]
