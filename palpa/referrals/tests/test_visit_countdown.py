"""The visit countdown: signed treatment notes count against the patient's referral."""

from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral, ReferralVisit
from palpa.referrals.services import (
    active_referral,
    cancel_referral,
    count_visit,
    countdown,
    set_referral_policy,
)
from palpa.referrals.tests.support import make_referral, screen, sign_notes


def _days(*offsets: int) -> list[dt.date]:
    return [TODAY + dt.timedelta(days=n) for n in offsets]


@pytest.fixture(autouse=True)
def _screened(owner: User, patient: Patient) -> None:
    screen(owner, patient)


def _fresh(referral: Referral) -> Referral:
    return Referral.objects.get(pk=referral.pk)


def test_each_signed_note_within_the_referral_counts_one_visit(
    therapist: User, patient: Patient, location: Location, referral: Referral
) -> None:
    notes = sign_notes(therapist, patient, location, _days(-6, -3, 0))
    state = countdown(_fresh(referral), TODAY)
    assert (state.visits_authorized, state.visits_used, state.visits_left) == (12, 3, 9)
    assert (state.status, state.warning) == ("active", None)
    assert state.days_left == 60
    counted = ReferralVisit.objects.filter(referral=referral).order_by("visit_on")
    assert [v.note_public_id for v in counted] == [n.public_id for n in notes]
    assert AuditEvent.objects.filter(object_type="ReferralVisit").count() == 3


def test_a_note_before_the_referral_started_is_not_counted(
    therapist: User, patient: Patient, location: Location, referral: Referral
) -> None:
    sign_notes(therapist, patient, location, _days(-20))
    assert countdown(_fresh(referral), TODAY).visits_used == 0
    assert not ReferralVisit.objects.exists()


def test_without_a_referral_nothing_is_counted(
    therapist: User, patient: Patient, location: Location
) -> None:
    sign_notes(therapist, patient, location, _days(-1))
    assert not ReferralVisit.objects.exists()


def test_counting_the_same_note_twice_changes_nothing(
    therapist: User, patient: Patient, location: Location, referral: Referral
) -> None:
    (note,) = sign_notes(therapist, patient, location, _days(-1))
    again = count_visit(
        actor=therapist, patient=patient, note_public_id=note.public_id, visit_on=note.visit_date
    )
    assert again is not None
    assert again.referral == referral
    assert ReferralVisit.objects.count() == 1


def test_the_warning_shows_when_two_visits_are_left(
    therapist: User,
    front_desk: User,
    patient: Patient,
    location: Location,
    physician: Physician,
) -> None:
    referral = make_referral(front_desk, patient, physician, visits=4)
    sign_notes(therapist, patient, location, _days(-5))
    assert countdown(_fresh(referral), TODAY).warning is None
    sign_notes(therapist, patient, location, _days(-2))
    state = countdown(_fresh(referral), TODAY)
    assert state.visits_left == 2
    assert state.warning == "Referral running out: 2 visits left of 4."


def test_all_visits_used_exhausts_the_referral_and_later_visits_count_beyond_it(
    therapist: User,
    front_desk: User,
    patient: Patient,
    location: Location,
    physician: Physician,
) -> None:
    referral = make_referral(front_desk, patient, physician, visits=2)
    sign_notes(therapist, patient, location, _days(-5, -3, -1))
    state = countdown(_fresh(referral), TODAY)
    assert (state.status, state.visits_used, state.visits_left, state.visits_over) == (
        "exhausted",
        3,
        0,
        1,
    )
    assert state.warning == "All 2 authorized visits are used: a new referral is needed."
    assert active_referral(patient, TODAY) is None


def test_a_second_referral_takes_over_when_the_first_is_used_up(
    therapist: User,
    front_desk: User,
    patient: Patient,
    location: Location,
    physician: Physician,
) -> None:
    first = make_referral(front_desk, patient, physician, visits=1)
    second = make_referral(front_desk, patient, physician, visits=6)
    sign_notes(therapist, patient, location, _days(-4, -2))
    assert countdown(_fresh(first), TODAY).visits_used == 1
    assert countdown(_fresh(second), TODAY).visits_used == 1
    assert active_referral(patient, TODAY) == second


def test_the_warning_shows_seven_days_before_expiry_then_the_referral_expires(
    front_desk: User, patient: Patient, physician: Physician
) -> None:
    referral = make_referral(
        front_desk, patient, physician, expires_on=TODAY + dt.timedelta(days=8)
    )
    assert countdown(referral, TODAY).warning is None
    on = TODAY + dt.timedelta(days=1)
    assert countdown(referral, on).warning == (
        "Referral running out: 7 days left (expires 2026-03-10)."
    )
    last_day = countdown(referral, TODAY + dt.timedelta(days=8))
    assert (last_day.status, last_day.days_left) == ("active", 0)
    assert last_day.warning == "Referral running out: expires today."
    after = countdown(referral, TODAY + dt.timedelta(days=9))
    assert after.status == "expired"
    assert after.warning == "The referral expired on 2026-03-10: a new referral is needed."
    assert active_referral(patient, TODAY + dt.timedelta(days=9)) is None


def test_a_visit_after_the_expiry_is_not_counted(
    therapist: User,
    front_desk: User,
    patient: Patient,
    location: Location,
    physician: Physician,
) -> None:
    referral = make_referral(
        front_desk, patient, physician, expires_on=TODAY - dt.timedelta(days=2)
    )
    sign_notes(therapist, patient, location, _days(-3, -1))
    assert countdown(_fresh(referral), TODAY).visits_used == 1


def test_the_owner_sets_the_warning_thresholds(
    owner: User,
    therapist: User,
    patient: Patient,
    location: Location,
    referral: Referral,
) -> None:
    sign_notes(therapist, patient, location, _days(-6, -5, -4, -3, -2, -1, 0, 0))
    assert countdown(_fresh(referral), TODAY).warning is None  # 4 left, 60 days
    set_referral_policy(actor=owner, warn_visits_left=4, warn_days_left=60)
    assert countdown(_fresh(referral), TODAY).warning == (
        "Referral running out: 4 visits left of 12; 60 days left (expires 2026-05-01)."
    )
    entry = AuditEvent.objects.get(object_type="ReferralPolicy")
    assert entry.detail["to"] == {"warn_visits_left": 4, "warn_days_left": 60}


def test_a_cancelled_referral_counts_nothing_and_is_not_in_effect(
    therapist: User,
    front_desk: User,
    patient: Patient,
    location: Location,
    referral: Referral,
) -> None:
    cancel_referral(actor=front_desk, referral=referral, reason="Physician withdrew it.")
    sign_notes(therapist, patient, location, _days(-1))
    state = countdown(_fresh(referral), TODAY)
    assert (state.status, state.visits_used, state.warning) == ("cancelled", 0, None)
    assert active_referral(patient, TODAY) is None
    entry = AuditEvent.objects.filter(object_type="Referral", action="update").get()
    assert entry.detail == {"status": "cancelled", "reason": "Physician withdrew it."}


def test_a_note_marked_entered_in_error_gives_its_visit_back(
    therapist: User, patient: Patient, location: Location, referral: Referral
) -> None:
    from palpa.care.notes.services import mark_note_entered_in_error

    notes = sign_notes(therapist, patient, location, _days(-6, -3, 0))
    assert countdown(_fresh(referral), TODAY).visits_used == 3
    mark_note_entered_in_error(actor=therapist, note=notes[1], reason="Wrong patient's chart")
    state = countdown(_fresh(referral), TODAY)
    assert (state.visits_used, state.visits_left) == (2, 10)
    withdrawn = ReferralVisit.every_visit.get(note_public_id=notes[1].public_id)
    assert withdrawn.withdrawn_at is not None
    assert withdrawn.withdrawn_reason == "Wrong patient's chart"
    assert AuditEvent.objects.filter(
        object_type="ReferralVisit", object_id=str(withdrawn.public_id), action="update"
    ).exists()
