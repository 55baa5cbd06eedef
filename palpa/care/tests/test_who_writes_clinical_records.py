"""Who writes clinical records, as the permission table decides (issue 14).

- Writing notes, evaluations, plans and their addenda needs an account linked to an active
  practitioner (``clinical.author``, ``clinical.addendum``: "as a practitioner"). An owner
  who does not treat reads them but writes none; an owner who treats is added as a
  practitioner and writes like any therapist.
- Any practitioner of the organization may add a signed addendum to a colleague's signed
  note or evaluation; it carries its own writer, never the original author.
- Drafts are their practitioner's: a colleague is refused (403) before the request's body
  is even read, so an empty body tells the colleague nothing more than a full one.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability
from palpa.care.models import TreatmentNote
from palpa.care.notes import services as note_services
from palpa.core.tests.support import api_as, clinic_today, verified_session
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import add_license, create_practitioner


def _signed_note(therapist: User, patient: Patient, location: Location) -> TreatmentNote:
    note = note_services.start_note(
        actor=therapist, patient=patient, location=location, visit_date=clinic_today()
    )
    note_services.add_technique(
        actor=therapist,
        note=note,
        technique="myofascial_release",
        region="low_back",
        minutes=20,
        pressure="moderate",
    )
    return note_services.sign_note(actor=therapist, note=note)


def _make_practitioner(owner: User) -> Practitioner:
    practitioner = create_practitioner(
        actor=owner, user=owner, given_name="Olive", family_name="Owner", credentials="LMT"
    )
    add_license(
        actor=owner,
        practitioner=practitioner,
        jurisdiction="FL",
        license_type="LMT",
        number="MA54321",
        issued_on=clinic_today() - dt.timedelta(days=100),
        expires_on=clinic_today() + dt.timedelta(days=300),
    )
    return practitioner


def test_an_owner_who_is_not_a_practitioner_reads_but_does_not_write_clinical_records(
    owner: User, therapist: User, patient: Patient, location: Location
) -> None:
    note = _signed_note(therapist, patient, location)
    assert has_capability(owner, Capability.CLINICAL_READ)
    assert not has_capability(owner, Capability.CLINICAL_AUTHOR)
    with pytest.raises(PermissionDenied, match="active practitioner"):
        note_services.start_note(
            actor=owner, patient=patient, location=location, visit_date=clinic_today()
        )
    with pytest.raises(PermissionDenied, match="active practitioner"):
        note_services.add_addendum(actor=owner, note=note, text="Seen in the waiting room.")
    note_services.mark_note_entered_in_error(
        actor=owner, note=note, reason="Wrong patient's chart."
    )


def test_an_owner_who_treats_writes_once_added_as_a_practitioner(
    owner: User, patient: Patient, location: Location
) -> None:
    _make_practitioner(owner)
    assert has_capability(owner, Capability.CLINICAL_AUTHOR)
    note = _signed_note(owner, patient, location)
    assert note.status == TreatmentNote.Status.SIGNED
    assert note.practitioner.user == owner


def test_an_inactive_practitioner_writes_no_more(
    therapist: User, patient: Patient, location: Location
) -> None:
    Practitioner.objects.filter(user=therapist).update(active=False)
    assert not has_capability(therapist, Capability.CLINICAL_AUTHOR)
    with pytest.raises(PermissionDenied, match="active practitioner"):
        note_services.start_note(
            actor=therapist, patient=patient, location=location, visit_date=clinic_today()
        )


def test_a_colleagues_addendum_carries_the_colleague_not_the_author(
    therapist: User, other_therapist: User, patient: Patient, location: Location
) -> None:
    note = _signed_note(therapist, patient, location)
    signed_hash = note.content_hash
    addendum = note_services.add_addendum(
        actor=other_therapist, note=note, text="Called the patient: less pain the day after."
    )
    assert addendum.signed_by == other_therapist
    note.refresh_from_db()
    assert note.practitioner.user == therapist  # the note stays its author's, as signed
    assert note.signed_by == therapist
    assert note.content_hash == signed_hash


def test_the_note_page_shows_a_colleague_the_addendum_form_and_the_owner_none(
    owner: User, therapist: User, other_therapist: User, patient: Patient, location: Location
) -> None:
    note = _signed_note(therapist, patient, location)
    url = f"/care/notes/{note.public_id}/"
    assert "Sign addendum" in verified_session(other_therapist).get(url).content.decode()
    assert "Sign addendum" not in verified_session(owner).get(url).content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [("therapist", 422), ("other_therapist", 403), ("owner", 403), ("front_desk", 403)],
)
def test_a_draft_is_its_practitioners_whatever_the_body(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    draft = note_services.start_note(
        actor=therapist, patient=patient, location=location, visit_date=clinic_today()
    )
    response = api_as(request, who, "token").post(f"/notes/{draft.public_id}/techniques", {})
    assert response.status_code == status, response.content
