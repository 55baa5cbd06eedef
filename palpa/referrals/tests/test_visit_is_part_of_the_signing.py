"""The visit a signed note counts is part of the act of signing (ADR 0009): its audit
entry links to the signing's entry, and withdrawing it links to the marking in error."""

from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.care.notes.services import mark_note_entered_in_error
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient
from palpa.referrals.models import Referral
from palpa.referrals.tests.support import screen, sign_notes


@pytest.fixture(autouse=True)
def _screened(owner: User, patient: Patient) -> None:
    screen(owner, patient)


def test_the_counted_visit_is_linked_to_the_signing(
    therapist: User, patient: Patient, location: Location, referral: Referral
) -> None:
    (note,) = sign_notes(therapist, patient, location, [TODAY - dt.timedelta(days=1)])
    act = AuditEvent.objects.get(object_id=str(note.public_id), detail__signed=True)
    assert "act" not in act.detail
    visit = AuditEvent.objects.get(object_type="ReferralVisit", action="create")
    assert visit.detail["act"] == act.seq
    assert visit.detail["note"] == str(note.public_id)

    mark_note_entered_in_error(actor=therapist, note=note, reason="Wrong patient chart.")
    marking = AuditEvent.objects.get(object_id=str(note.public_id), action="delete")
    withdrawn = AuditEvent.objects.filter(object_type="ReferralVisit").exclude(action="create")
    assert [e.detail["act"] for e in withdrawn] == [marking.seq]
