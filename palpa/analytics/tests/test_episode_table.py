"""The episode table is built as care is recorded: one episode per signed evaluation,
updated by each signed note, re-assessment and discharge, and the same when recomputed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management import call_command
from django.forms.models import model_to_dict

from palpa.accounts.models import User
from palpa.analytics import rows
from palpa.analytics.models import Episode
from palpa.analytics.services import rebuild_episodes, refresh_episode
from palpa.analytics.tests.conftest import (
    EVALUATED,
    REASSESSED,
    VISITS,
    Commit,
    Course,
    reassess,
    visit,
)
from palpa.care.plans import services as plan_services
from palpa.core.tests.support import TODAY
from palpa.practitioners.models import Practitioner
from palpa.screening.models import Screening
from tests.builders import Technique


def _table() -> list[dict[str, Any]]:
    return [
        model_to_dict(e, exclude=["id"]) | {"public_id": e.public_id}
        for e in Episode.objects.order_by("evaluation_id")
    ]


def test_a_signed_course_makes_one_episode_with_its_fields(course: Course) -> None:
    episode = Episode.objects.get()
    practitioner = Practitioner.objects.get(user=course.therapist)
    screening = Screening.objects.get(patient=course.patient)
    assert episode.organization_id == course.patient.organization_id
    assert episode.evaluation == course.evaluation
    assert episode.plan == course.plan
    assert episode.practitioner == practitioner
    assert episode.location == course.location
    assert (episode.icd10, episode.condition_group) == ("M54.50", "low-back-pain")
    # the primary goal's instrument, its baseline, its thresholds (outcomes' library)
    assert (episode.measure, episode.higher_is_better) == ("ODI", False)
    assert (episode.intake_score, episode.intake_on) == (40.0, EVALUATED)
    assert (episode.last_score, episode.last_on) == (None, None)
    assert (episode.mcid, episode.mdc) == (10.0, 10.0)
    assert episode.visits == 3
    assert episode.planned_visits == 6
    assert episode.technique_minutes == {"myofascial_release": 75, "trigger_point": 30}
    assert episode.technique_mix == "myofascial_release"
    assert episode.payer_type == "unknown"
    assert episode.age_band == "50-59"  # born 14 March 1971, evaluated 9 February 2026
    assert episode.sex == course.patient.sex
    assert episode.chronicity == rows.CHRONIC
    assert episode.screening_decision == screening.decision
    assert episode.comorbidity_count == 1  # hypertension now; osteoporosis was in the past
    assert episode.visits_to_meaningful_change is None
    assert episode.ending == rows.ONGOING
    assert (episode.start, episode.end) == (EVALUATED, None)
    assert episode.last_contact_on == VISITS[-1]


def test_signing_another_note_updates_visits_and_technique_minutes(
    course: Course, commit: Commit
) -> None:
    with commit():
        visit(course, TODAY - dt.timedelta(days=4), [Technique("swedish", "low_back", 50, "light")])
    episode = Episode.objects.get()
    assert episode.visits == 4
    assert episode.technique_minutes == {
        "swedish": 50,
        "myofascial_release": 75,
        "trigger_point": 30,
    }
    assert episode.technique_mix == "myofascial_release+swedish"
    assert episode.last_contact_on == TODAY - dt.timedelta(days=4)


def test_a_reassessment_updates_the_last_score_and_the_visits_to_meaningful_change(
    course: Course, commit: Commit
) -> None:
    with commit():
        reassess(course, [1] * 10)
    episode = Episode.objects.get()
    assert (episode.last_score, episode.last_on) == (20.0, REASSESSED)
    assert episode.visits_to_meaningful_change == 3  # three visits before the re-assessment
    with commit():
        reassess(course, [2] * 10, on=TODAY)
    assert Episode.objects.get().last_score == 40.0


def test_discharge_sets_the_ending_and_the_end(course: Course, commit: Commit) -> None:
    with commit():
        plan_services.discharge_plan(
            actor=course.therapist, plan=course.plan, reason="plateau", discharged_on=TODAY
        )
    episode = Episode.objects.get()
    assert (episode.ending, episode.end) == (rows.PLATEAU, TODAY)
    assert episode.discharge_reason == "plateau"


def test_refreshing_an_episode_twice_changes_nothing(course: Course, commit: Commit) -> None:
    with commit():
        reassess(course, [1] * 10)
    before = _table()
    refresh_episode(course.evaluation)
    refresh_episode(course.evaluation)
    assert _table() == before


def test_the_rebuild_command_makes_the_same_table(course: Course, commit: Commit) -> None:
    with commit():
        reassess(course, [1] * 10)
    before = _table()
    Episode.objects.all().delete()
    call_command("episodes", "rebuild")
    after = _table()
    assert len(after) == 1
    # the same row, under a new public id
    assert [{**row, "public_id": None} for row in after] == [
        {**row, "public_id": None} for row in before
    ]


def test_an_evaluation_entered_in_error_leaves_no_episode(course: Course, commit: Commit) -> None:
    from palpa.care.evaluations.services import mark_evaluation_entered_in_error

    with commit():
        mark_evaluation_entered_in_error(
            actor=course.therapist, evaluation=course.evaluation, reason="Wrong patient."
        )
    assert not Episode.objects.exists()
    assert rebuild_episodes() == 0


def test_the_evaluation_alone_opens_an_episode_before_any_plan(
    owner: User, therapist: User, patient: Any, location: Any, commit: Commit
) -> None:
    from tests.builders import ODI_BASELINE, signed_evaluation

    with commit():
        evaluation = signed_evaluation(
            therapist=therapist,
            patient=patient,
            location=location,
            evaluated_on=EVALUATED,
            baselines={"NDI": [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]},
            diagnoses=["M54.2"],
        )
    episode = Episode.objects.get(evaluation=evaluation)
    assert (episode.condition_group, episode.measure, episode.plan) == ("neck-pain", "NDI", None)
    assert episode.chronicity == rows.UNKNOWN  # no onset recorded
    assert episode.screening_decision == ""  # never screened
    assert episode.planned_visits is None
    assert ODI_BASELINE  # the course builder's baseline is not this episode's


def test_the_payer_type_is_the_coverage_in_effect_on_the_evaluation_day(
    course: Course, owner: User
) -> None:
    from palpa.billing import services as billing

    payer = billing.add_payer(actor=owner, name="Gulf Coast Health")
    billing.add_coverage(
        actor=owner,
        patient=course.patient,
        kind="insurance",
        payer=payer,
        member_id="XGC123456",
        subscriber_name=course.patient.full_name,
        starts_on=EVALUATED - dt.timedelta(days=30),
    )
    assert refresh_episode(course.evaluation).payer_type == "insurance"  # type: ignore[union-attr]


def test_a_new_evaluation_closes_the_score_window_of_the_episode_before(
    course: Course, commit: Commit
) -> None:
    from tests.builders import signed_evaluation

    with commit():
        signed_evaluation(
            therapist=course.therapist,
            patient=course.patient,
            location=course.location,
            evaluated_on=TODAY,
            baselines={"ODI": [1] * 10},
            diagnoses=["M54.2"],
        )
    first = Episode.objects.get(evaluation=course.evaluation)
    assert first.last_score is None  # the new evaluation's baseline opens the next episode
    second = Episode.objects.exclude(pk=first.pk).get()
    assert (second.intake_score, second.condition_group) == (20.0, "neck-pain")
