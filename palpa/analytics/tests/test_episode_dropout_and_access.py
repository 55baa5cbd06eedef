"""Drop-outs are judged by a sweep at the clinic's own date; episodes are read only within
the actor's organization and role; signing a note costs the episode only a few statements."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from palpa.accounts.models import Location, User
from palpa.analytics import rows, services
from palpa.analytics.models import Episode
from palpa.analytics.queries import episode_row, episode_rows, episodes_for
from palpa.analytics.tests.conftest import VISITS, Commit, Course, reassess, start_course, visit
from palpa.care.events import TreatmentNoteSigned
from palpa.core import events
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient

LAST_VISIT = VISITS[-1]  # 19 February 2026


def _at_utc(day: dt.date, hour: int) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC), tick=False)


def test_an_episode_drops_out_after_30_days_without_contact_counted_in_the_clinics_date(
    course: Course,
) -> None:
    thirty_first = LAST_VISIT + dt.timedelta(days=31)
    # 02:00 UTC on the 31st day is still the 30th day in Tampa: not yet dropped out.
    with _at_utc(thirty_first, 2):
        assert services.sweep_dropouts() == 0
    assert Episode.objects.get().ending == rows.ONGOING
    # 15:00 UTC on the 31st day is the 31st day in Tampa too.
    with _at_utc(thirty_first, 15):
        assert services.sweep_dropouts() == 1
    episode = Episode.objects.get()
    assert (episode.ending, episode.end) == (rows.DROPPED_OUT, LAST_VISIT)


def test_the_sweep_command_judges_at_the_day_it_is_given(course: Course) -> None:
    call_command("episodes", "sweep", "--on", (LAST_VISIT + dt.timedelta(days=30)).isoformat())
    assert Episode.objects.get().ending == rows.ONGOING
    call_command("episodes", "sweep", "--on", (LAST_VISIT + dt.timedelta(days=31)).isoformat())
    assert Episode.objects.get().ending == rows.DROPPED_OUT


def test_a_signed_visit_after_a_drop_out_reopens_the_episode(
    course: Course, commit: Commit
) -> None:
    services.sweep_dropouts(today=LAST_VISIT + dt.timedelta(days=31))
    assert Episode.objects.get().ending == rows.DROPPED_OUT
    with commit():
        visit(course, TODAY)
    episode = Episode.objects.get()
    assert (episode.ending, episode.end, episode.visits) == (rows.ONGOING, None, 4)


def test_the_owner_sees_every_episode_and_a_therapist_only_their_own(
    course: Course, other_therapist: User, front_desk: User, owner: User
) -> None:
    assert list(episodes_for(owner)) == [Episode.objects.get()]
    assert list(episodes_for(course.therapist)) == [Episode.objects.get()]
    assert list(episodes_for(other_therapist)) == []
    with pytest.raises(PermissionDenied):
        episodes_for(front_desk)


def test_episodes_are_filtered_by_condition_group_and_location(course: Course, owner: User) -> None:
    assert episodes_for(owner, condition_group="low-back-pain").count() == 1
    assert episodes_for(owner, condition_group="neck-pain").count() == 0
    assert episodes_for(owner, location=course.location.public_id).count() == 1
    with pytest.raises(ValueError, match="Unknown episode filters: colour"):
        episodes_for(owner, colour="blue")


def test_an_outsiders_episodes_never_appear_and_ours_never_appear_to_them(
    course: Course, owner: User, outsider: User, outsider_patient: Patient, commit: Commit
) -> None:
    from palpa.practitioners.services import add_license, create_practitioner

    location = Location.objects.get(organization=outsider.organization)
    practitioner = create_practitioner(
        actor=outsider, user=outsider, given_name="Oscar", family_name="Outsider"
    )
    add_license(
        actor=outsider,
        practitioner=practitioner,
        jurisdiction="FL",
        license_type="LMT",
        number="MA99999",
        issued_on=TODAY - dt.timedelta(days=300),
        expires_on=TODAY + dt.timedelta(days=300),
    )
    theirs = start_course(
        owner=outsider,
        therapist=outsider,
        patient=outsider_patient,
        location=location,
        commit=commit,
    )
    ours = Episode.objects.get(evaluation=course.evaluation)
    their_episode = Episode.objects.get(evaluation=theirs.evaluation)
    assert list(episodes_for(owner)) == [ours]
    assert list(episodes_for(outsider)) == [their_episode]
    assert [r.episode_id for r in episode_rows(episodes_for(owner))] == [str(ours.public_id)]


def test_episode_rows_carry_the_episode_as_the_statistics_see_it(
    course: Course, owner: User, commit: Commit
) -> None:
    with commit():
        reassess(course, [1] * 10)
    (row,) = episode_rows(episodes_for(owner))
    assert isinstance(row, rows.EpisodeRow)
    assert (row.measure, row.intake_score, row.last_score) == ("ODI", 40.0, 20.0)
    assert row.improvement == 20.0
    assert row.responder is True
    assert row.technique_minutes == {"myofascial_release": 75, "trigger_point": 30}
    assert row.therapist == str(Episode.objects.get().practitioner.public_id)
    # the values read of a queryset and the read of a model instance give the same row
    assert row == episode_row(Episode.objects.get())


def test_signing_a_note_costs_the_episode_only_a_few_statements(
    course: Course, commit: Commit
) -> None:
    def statements_to_sign(on: dt.date) -> int:
        with CaptureQueriesContext(connection) as queries, commit():
            visit(course, on)
        return len(queries)

    events.unsubscribe(TreatmentNoteSigned, services.on_note_changed)
    try:
        without = statements_to_sign(TODAY - dt.timedelta(days=4))
    finally:
        events.subscribe(TreatmentNoteSigned, services.on_note_changed)
    with_episode = statements_to_sign(TODAY - dt.timedelta(days=3))
    assert Episode.objects.get().visits == 5
    assert with_episode - without <= 4


def test_a_visit_booked_ahead_keeps_a_quiet_episode_open(
    course: Course, owner: User, front_desk: User
) -> None:
    from palpa.practitioners.models import Practitioner
    from palpa.scheduling import services as scheduling
    from palpa.scheduling.tests.support import at, make_type, weekday_hours

    practitioner = Practitioner.objects.get(user=course.therapist)
    day = LAST_VISIT + dt.timedelta(days=31)  # Sunday 22 March 2026: 31 days without contact
    weekday_hours(owner, practitioner, course.location)
    scheduling.book_appointment(
        actor=front_desk,
        patient=course.patient,
        practitioner=practitioner,
        location=course.location,
        appointment_type=make_type(owner, "treatment-45", "treatment", 45, needs_room=False),
        start=at(day + dt.timedelta(days=1), "16:00"),  # booked for Monday
    )
    assert services.sweep_dropouts(today=day) == 0
    assert Episode.objects.get().ending == rows.ONGOING
    # the Tuesday after: the Monday visit was never documented
    assert services.sweep_dropouts(today=day + dt.timedelta(days=2)) == 1


def test_booking_a_visit_reopens_an_episode_that_dropped_out(
    course: Course, owner: User, front_desk: User, commit: Commit
) -> None:
    from palpa.practitioners.models import Practitioner
    from palpa.scheduling import services as scheduling
    from palpa.scheduling.tests.support import at, make_type, weekday_hours

    practitioner = Practitioner.objects.get(user=course.therapist)
    weekday_hours(owner, practitioner, course.location)
    monday = LAST_VISIT + dt.timedelta(days=32)  # 23 March 2026
    with _at_utc(monday, 15):
        assert services.sweep_dropouts() == 1
        with commit():
            scheduling.book_appointment(
                actor=front_desk,
                patient=course.patient,
                practitioner=practitioner,
                location=course.location,
                appointment_type=make_type(
                    owner, "treatment-45", "treatment", 45, needs_room=False
                ),
                start=at(monday + dt.timedelta(days=1), "10:00"),
            )
    episode = Episode.objects.get()
    assert (episode.ending, episode.end) == (rows.ONGOING, None)
