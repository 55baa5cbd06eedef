"""The MLD and bandaging section of a treatment note: shown when the note records manual
lymphatic drainage, written by the note's practitioner while it is a draft, sealed into
the note's signature, and the screening's MLD stops enforced at signing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.care.models import TreatmentNote
from palpa.care.notes import services as note_services
from palpa.core.records import content_hash
from palpa.core.tests.support import clinic_today, web_client
from palpa.lymphoedema import mld_section
from palpa.lymphoedema.models import MldRecord
from palpa.lymphoedema.tests.mld_support import BANDAGING
from palpa.patients.models import Patient
from palpa.screening.services import record_clearance, record_screening
from palpa.screening.tests.support import letter, make_physician

pytestmark = pytest.mark.usefixtures("screened")  # a screened patient: no STOP open


def test_the_section_is_recorded_and_sealed_into_the_notes_signature(
    therapist: User, mld_note: TreatmentNote
) -> None:
    mld_section.save_mld_record(actor=therapist, note=mld_note, values=BANDAGING)
    note_services.sign_note(actor=therapist, note=mld_note)
    mld_note.refresh_from_db()
    content = note_services.note_content(mld_note)
    assert content["sections"]["mld"]["bandage_layers"] == 4
    assert mld_note.content_hash == content_hash(content)
    with pytest.raises(mld_section.MldLocked):
        mld_section.save_mld_record(
            actor=therapist, note=mld_note, values={"skin_check": "redness"}
        )
    assert MldRecord.objects.get(note=mld_note).skin_check == "intact"


def test_a_note_without_the_section_hashes_as_before(
    therapist: User, mld_note: TreatmentNote
) -> None:
    assert "sections" not in note_services.note_content(mld_note)


def test_the_section_needs_mld_among_the_techniques(
    therapist: User, patient: Patient, location: Location
) -> None:
    note = note_services.start_note(
        actor=therapist, patient=patient, location=location, visit_date=clinic_today()
    )
    with pytest.raises(ValidationError) as caught:
        mld_section.save_mld_record(actor=therapist, note=note, values=BANDAGING)
    assert set(caught.value.message_dict) == {"technique"}


def test_bad_values_are_refused_naming_the_field_and_nothing_is_saved(
    therapist: User, mld_note: TreatmentNote
) -> None:
    with pytest.raises(ValidationError) as caught:
        mld_section.save_mld_record(
            actor=therapist,
            note=mld_note,
            values={"bandage_layers": 40, "bandaged_limb": "tail", "sequence": "x" * 600},
        )
    assert set(caught.value.message_dict) == {"bandage_layers", "bandaged_limb", "sequence"}
    assert not MldRecord.objects.exists()


def test_only_the_notes_practitioner_writes_the_section(
    other_therapist: User, mld_note: TreatmentNote
) -> None:
    with pytest.raises(PermissionDenied):
        mld_section.save_mld_record(actor=other_therapist, note=mld_note, values=BANDAGING)


def test_a_section_left_after_mld_was_removed_refuses_the_signature(
    therapist: User, mld_note: TreatmentNote
) -> None:
    mld_section.save_mld_record(actor=therapist, note=mld_note, values=BANDAGING)
    note_services.remove_technique(actor=therapist, entry=mld_note.techniques.get())
    note_services.update_note(actor=therapist, note=mld_note, changes={"assessment": "Tolerated."})
    with pytest.raises(ValidationError, match="no manual lymphatic drainage is recorded"):
        note_services.sign_note(actor=therapist, note=mld_note)


# --- the screening's MLD stops ----------------------------------------------------------


def test_an_mld_restriction_found_after_the_technique_was_recorded_refuses_the_signature(
    therapist: User, owner: User, patient: Patient, mld_note: TreatmentNote
) -> None:
    screening = record_screening(
        actor=owner,
        patient=patient,
        facts={"conditions": [{"code": "cellulitis", "regions": ["left_lower_limb"]}]},
    )
    with pytest.raises(ValidationError) as caught:
        note_services.sign_note(actor=therapist, note=mld_note)
    message = " ".join(caught.value.messages)
    assert "rules out lymph drainage (MLD)" in message
    assert "rule local_infection_mld" in message
    assert "Sources: Batavia M. 2004" in message
    assert "Földi's Textbook of Lymphology" in message
    assert TreatmentNote.objects.get(pk=mld_note.pk).status == TreatmentNote.Status.DRAFT
    assert screening.result["decision"] == "MODIFY"


def test_an_mld_stop_refuses_the_signature_naming_the_rule_and_a_clearance_lifts_it(
    therapist: User, owner: User, patient: Patient, mld_note: TreatmentNote
) -> None:
    screening = record_screening(
        actor=owner,
        patient=patient,
        facts={"conditions": [{"code": "oedema_of_unknown_cause", "regions": ["abdomen"]}]},
    )
    with pytest.raises(ValidationError, match="rule oedema_unexplained_mld"):
        note_services.sign_note(actor=therapist, note=mld_note)
    record_clearance(
        actor=therapist,
        screening=screening,
        physician=make_physician(owner),
        cleared_on=screening.as_of,
        scope="Swelling explained (hypothyroidism); lymph drainage allowed",
        letter=letter(),
    )
    signed = note_services.sign_note(actor=therapist, note=mld_note)
    assert signed.status == TreatmentNote.Status.SIGNED


def test_a_note_without_mld_is_not_held_by_an_mld_restriction(
    therapist: User, owner: User, patient: Patient, location: Location
) -> None:
    record_screening(
        actor=owner,
        patient=patient,
        facts={"conditions": [{"code": "cellulitis", "regions": ["left_lower_limb"]}]},
    )
    note = note_services.start_note(
        actor=therapist, patient=patient, location=location, visit_date=clinic_today()
    )
    note_services.add_technique(
        actor=therapist,
        note=note,
        technique="swedish",
        region="upper_back",
        minutes=20,
        pressure="light",
    )
    mld_section.check(therapist, note)  # no refusal
    assert note_services.sign_note(actor=therapist, note=note).status == "signed"


# --- the note page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "shown", "form"),
    [
        ("therapist", True, True),
        ("other_therapist", True, False),
        ("owner", True, False),
    ],
)
def test_who_sees_the_section_on_the_note_page(
    request: pytest.FixtureRequest, who: str, shown: bool, form: bool, mld_note: TreatmentNote
) -> None:
    response = web_client(request, who).get(f"/care/notes/{mld_note.public_id}/")
    body = response.content.decode()
    assert ("MLD and bandaging" in body) is shown
    assert ("Save MLD and bandaging" in body) is form
    assert "45 min of MLD" in body


@pytest.mark.parametrize(
    ("who", "status", "saved"),
    [
        ("therapist", 302, True),
        ("other_therapist", 403, False),
        ("owner", 403, False),
        ("front_desk", 403, False),
        ("biller", 403, False),
        ("outsider", 404, False),
        ("anonymous", 302, False),
    ],
)
def test_who_may_save_the_section_from_the_note_page(
    request: pytest.FixtureRequest, who: str, status: int, saved: bool, mld_note: TreatmentNote
) -> None:
    form = {**BANDAGING, "bandage_layers": "4", "short_stretch": "yes"}
    response = web_client(request, who).post(f"/care/notes/{mld_note.public_id}/mld/", form)
    assert response.status_code == status
    assert MldRecord.objects.filter(note=mld_note).exists() is saved
    if saved:
        assert AuditEvent.objects.filter(
            object_id=str(mld_note.public_id), detail__mld_section="recorded"
        ).exists()


def test_a_refused_save_names_the_field_on_the_page(
    request: pytest.FixtureRequest, mld_note: TreatmentNote
) -> None:
    response = web_client(request, "therapist").post(
        f"/care/notes/{mld_note.public_id}/mld/", {"bandage_layers": "four"}, follow=True
    )
    assert "Layers: Layers are a whole number." in response.content.decode()


def test_the_signed_section_reads_back_without_a_form(
    request: pytest.FixtureRequest, therapist: User, mld_note: TreatmentNote
) -> None:
    mld_section.save_mld_record(actor=therapist, note=mld_note, values=BANDAGING)
    note_services.sign_note(actor=therapist, note=mld_note)
    body = (
        web_client(request, "therapist").get(f"/care/notes/{mld_note.public_id}/").content.decode()
    )
    assert "Save MLD and bandaging" not in body
    assert "stockinette, foam padding" in body
    assert "Left arm" in body
