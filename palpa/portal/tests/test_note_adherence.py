"""The home care a patient ticks off in the portal shows on the therapist's next draft
treatment note: per item, the days done out of the days since the last visit (at most
seven), read-only, for clinical roles of the clinic only."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from conftest import verified_client
from palpa.accounts.models import Location, User
from palpa.billing.tests.documents_support import signed_visit
from palpa.care.models import HomeCareItem, TreatmentNote
from palpa.care.notes import adherence
from palpa.care.notes.services import start_note
from palpa.core.tests.support import NOW, TODAY
from palpa.patients.models import Patient
from palpa.portal import queries, services
from palpa.portal.tests.support import Course, portal_course

STRETCH = "Doorway stretch for the chest, 30 seconds, three times."
TICKED = "Home care the patient ticked off"


@pytest.fixture
def course(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> Course:
    return portal_course(
        owner=owner,
        therapist=therapist,
        biller=biller,
        patient=patient,
        location=location,
        today=TODAY,
        more_home_care=[
            {
                "kind": "stretch",
                "instructions": STRETCH,
                "tool": "none",
                "frequency": "Twice a day",
            }
        ],
    )


def _url(note: TreatmentNote) -> str:
    return reverse("care:note", args=[note.public_id])


def _tick_both_on(course: Course, *days_ago: int) -> None:
    """The patient ticks both items done, on days counted back from the fixed instant."""
    items = list(HomeCareItem.objects.filter(plan=course.plan))
    assert len(items) == 2
    for back in days_ago:
        with time_machine.travel(NOW - dt.timedelta(days=back), tick=False):
            for item in items:
                services.set_home_care_done(patient=course.patient, item=item, done=True)


@pytest.fixture
def draft(course: Course, therapist: User, location: Location) -> TreatmentNote:
    """Today's draft note; the last signed visit was a week ago."""
    return start_note(
        actor=therapist,
        patient=course.patient,
        location=location,
        visit_date=TODAY,
        plan_of_care=course.plan,
    )


def test_the_therapists_draft_note_shows_what_the_patient_ticked_since_the_last_visit(
    course: Course, draft: TreatmentNote, therapist: User
) -> None:
    _tick_both_on(course, 1, 3)
    with time_machine.travel(NOW - dt.timedelta(days=9), tick=False):  # before the last visit
        services.set_home_care_done(patient=course.patient, item=course.item, done=True)
    page = verified_client(therapist).get(_url(draft)).content.decode()
    assert TICKED in page
    assert "Since the last visit on Feb 23" in page
    assert page.count("done 2 of 7 days") == 2
    assert STRETCH in page


def test_the_span_is_the_days_since_the_last_visit(
    course: Course, draft: TreatmentNote, therapist: User, location: Location
) -> None:
    _tick_both_on(course, 1, 3)
    signed_visit(therapist, course.patient, location, course.plan, TODAY - dt.timedelta(days=2))
    shown = adherence.for_note(therapist, draft)
    assert shown is not None
    assert (shown.first_day, shown.last_day, shown.days) == (
        TODAY - dt.timedelta(days=1),
        TODAY,
        2,
    )
    assert [item.days_done for item in shown.items] == [1, 1]


def test_the_ticks_are_counted_in_one_query(
    course: Course, django_assert_num_queries: object
) -> None:
    _tick_both_on(course, 1, 3)
    ids = list(HomeCareItem.objects.filter(plan=course.plan).values_list("pk", flat=True))
    with django_assert_num_queries(1):  # type: ignore[operator]
        days = queries.home_care_days(course.patient.pk, ids, TODAY - dt.timedelta(days=6), TODAY)
    assert days == dict.fromkeys(ids, 2)


def test_front_desk_and_billers_never_see_it(
    course: Course, draft: TreatmentNote, front_desk: User, biller: User
) -> None:
    _tick_both_on(course, 1)
    for member in (front_desk, biller):
        response = verified_client(member).get(_url(draft))
        assert response.status_code == 403
        assert TICKED not in response.content.decode()
        assert adherence.for_note(member, draft) is None


def test_another_organization_never_sees_it(
    course: Course, draft: TreatmentNote, outsider: User
) -> None:
    _tick_both_on(course, 1)
    response = verified_client(outsider).get(_url(draft))
    assert response.status_code == 404
    assert adherence.for_note(outsider, draft) is None
    assert TICKED not in Client().get(_url(draft)).content.decode()


def test_a_signed_note_shows_what_the_therapist_recorded_not_the_ticks(
    course: Course, therapist: User
) -> None:
    _tick_both_on(course, 1)
    signed = TreatmentNote.objects.filter(patient=course.patient, status="signed").first()
    assert signed is not None
    response = verified_client(therapist).get(_url(signed))
    assert response.status_code == 200
    assert TICKED not in response.content.decode()
