"""Plans of care: drafting after a signed evaluation, goals, signing, versions, progress."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.care.evaluations import services as evaluation_services
from palpa.care.models import Evaluation, Goal, Plan, SignedRecordChanged, TreatmentNote
from palpa.care.notes import services as note_services
from palpa.care.plans import services as plan_services
from palpa.care.queries import patient_plans, plans_for
from palpa.core.records import content_hash
from palpa.core.tests.support import clinic_today
from palpa.outcomes.services import mark_administration_entered_in_error
from palpa.patients.models import Patient
from palpa.practitioners.models import License
from palpa.practitioners.services import LicenseError

TODAY = clinic_today()


def test_a_plan_follows_a_signed_evaluation_only(therapist: User, evaluation: Evaluation) -> None:
    with pytest.raises(plan_services.PlanRefused, match="sign the evaluation first"):
        plan_services.create_plan(
            actor=therapist, evaluation=evaluation, frequency_per_week=2, duration_weeks=6
        )


def test_a_plan_carries_the_evaluations_diagnoses_and_its_home_care(plan: Plan) -> None:
    assert [(d.rank, d.code) for d in plan.diagnoses.all()] == [(1, "M54.50")]
    (item,) = plan.home_care.all()
    assert (item.kind, item.tool) == ("self_massage", "massage_ball")
    assert plan.version == 1
    assert plan.status == Plan.Status.DRAFT
    assert plan.planned_visits == 12
    assert plan.ends_on == plan.starts_on + dt.timedelta(weeks=6)
    assert plan.reassess_every_visits == 6


def test_plan_fields_are_checked_all_at_once(
    therapist: User, signed_evaluation: Evaluation
) -> None:
    with pytest.raises(ValidationError) as caught:
        plan_services.create_plan(
            actor=therapist,
            evaluation=signed_evaluation,
            frequency_per_week=9,
            duration_weeks=0,
            techniques=["cupping"],
            reassess_every_visits=None,
            starts_on=signed_evaluation.evaluated_on - dt.timedelta(days=3),
            diagnoses=["M54.5"],
            home_care=[{"kind": "yoga", "instructions": "", "frequency": "daily"}],
        )
    errors = caught.value.message_dict
    assert set(errors) == {
        "frequency_per_week",
        "duration_weeks",
        "techniques",
        "reassess_every_visits",
        "starts_on",
        "diagnoses",
        "home_care",
    }
    assert "not billable since 1 October 2021" in errors["diagnoses"][0]
    assert errors["home_care"][0].startswith("Item 1: kind is one of")
    assert not Plan.objects.exists()


def test_goals_take_their_baseline_from_the_evaluation(plan: Plan) -> None:
    odi, nprs = plan.goals.all()
    assert (odi.baseline_value, odi.target_value, odi.is_primary) == (40, 30, True)
    assert "MCID 10 (Ostelo 2008)" in odi.target_basis
    assert odi.baseline_administration is not None
    assert odi.baseline_administration.context == "baseline"
    assert (nprs.baseline_value, nprs.target_value, nprs.is_primary) == (6, 3, False)


def test_a_rom_goal_uses_the_evaluations_measurement_and_a_target_in_degrees(
    therapist: User, plan: Plan
) -> None:
    with pytest.raises(ValidationError) as caught:
        plan_services.add_goal(
            actor=therapist,
            plan=plan,
            statement="Bend to tie shoes.",
            measure_kind="rom",
            rom_joint="thoracolumbar_spine",
            rom_motion="flexion",
            target_kind="meaningful_change",
            due_on=plan.ends_on,
        )
    assert "no MCID" in caught.value.message_dict["target_kind"][0]
    goal = plan_services.add_goal(
        actor=therapist,
        plan=plan,
        statement="Bend to tie shoes.",
        measure_kind="rom",
        rom_joint="thoracolumbar_spine",
        rom_motion="flexion",
        target_value=80,
        rom_local_mdc=10,
        due_on=plan.ends_on,
    )
    assert goal.baseline_value == 60
    assert goal.baseline_rom is not None
    assert goal.measure_label == "thoracolumbar spine flexion"


def test_a_goal_without_a_baseline_or_with_a_backwards_target_is_refused(
    therapist: User, plan: Plan
) -> None:
    with pytest.raises(ValidationError) as caught:
        plan_services.add_goal(
            actor=therapist,
            plan=plan,
            statement="Walk the dog.",
            measure_kind="instrument",
            instrument="LEFS",
            target_value=60,
            due_on=plan.ends_on,
        )
    assert "No LEFS score to use as the baseline" in caught.value.message_dict["instrument"][0]
    with pytest.raises(ValidationError) as caught:
        plan_services.add_goal(
            actor=therapist,
            plan=plan,
            statement="Less pain.",
            measure_kind="instrument",
            instrument="NPRS",
            target_value=8,
            due_on=plan.ends_on,
        )
    assert "lower is better" in caught.value.message_dict["target_value"][0]
    with pytest.raises(ValidationError) as caught:
        plan_services.add_goal(
            actor=therapist,
            plan=plan,
            statement="Garden again.",
            measure_kind="psfs_activity",
            psfs_index=1,
            target_value=8,
            due_on=plan.ends_on,
        )
    assert "No PSFS score" in caught.value.message_dict["instrument"][0]


def test_a_psfs_goal_follows_one_named_activity(
    therapist: User, patient: Patient, location: Location
) -> None:
    evaluation = evaluation_services.start_evaluation(
        actor=therapist,
        patient=patient,
        location=location,
        evaluated_on=TODAY - dt.timedelta(days=21),
        chief_complaint="Neck pain.",
    )
    evaluation_services.add_diagnosis(actor=therapist, evaluation=evaluation, code="M54.2")
    evaluation_services.record_baseline_administration(
        actor=therapist,
        evaluation=evaluation,
        instrument="PSFS",
        answers=[3, 2],
        item_labels=["Check blind spot driving", "Read in bed"],
    )
    evaluation_services.sign_evaluation(actor=therapist, evaluation=evaluation)
    plan = plan_services.create_plan(
        actor=therapist, evaluation=evaluation, frequency_per_week=1, duration_weeks=8
    )
    goal = plan_services.add_goal(
        actor=therapist,
        plan=plan,
        statement="Turn my head to check the blind spot.",
        measure_kind="psfs_activity",
        psfs_index=1,
        target_kind="meaningful_change",
        due_on=plan.ends_on,
    )
    assert goal.psfs_activity == "Check blind spot driving"
    assert goal.baseline_value == 3
    assert goal.target_value == 6  # one activity: the PSFS form's single-activity MDC, 3
    plan_services.sign_plan(actor=therapist, plan=plan)
    # Re-rated in another order: matched by the activity's name.
    plan_services.record_reassessment(
        actor=therapist,
        plan=plan,
        instrument="PSFS",
        answers=[4, 6],
        item_labels=["Read in bed", "check blind spot driving"],
    )
    report = plan_services.plan_progress(actor=therapist, plan=plan)
    ((_, result),) = report.goals
    assert result.latest == 6
    assert result.status == "achieved"
    assert result.meaningful is True


def test_the_primary_goal_can_be_changed_and_there_is_only_one(therapist: User, plan: Plan) -> None:
    nprs = plan.goals.get(instrument="NPRS")
    plan_services.add_goal(
        actor=therapist,
        plan=plan,
        statement="Pain at most 4.",
        measure_kind="instrument",
        instrument="NPRS",
        target_value=4,
        due_on=plan.ends_on,
        primary=True,
    )
    assert plan.goals.filter(is_primary=True).count() == 1
    plan_services.remove_goal(actor=therapist, goal=plan.goals.get(is_primary=True))
    assert plan.goals.get(is_primary=True).instrument == "ODI"
    assert nprs.pk in plan.goals.values_list("pk", flat=True)


def test_signing_needs_goals_and_a_current_license(
    therapist: User, signed_evaluation: Evaluation, plan: Plan
) -> None:
    empty = plan_services.create_plan(
        actor=therapist, evaluation=signed_evaluation, frequency_per_week=1, duration_weeks=4
    )
    with pytest.raises(ValidationError) as caught:
        plan_services.sign_plan(actor=therapist, plan=empty)
    assert set(caught.value.message_dict) == {"goals"}
    License.objects.filter(practitioner__user=therapist).update(
        expires_on=TODAY - dt.timedelta(days=1)
    )
    with pytest.raises(LicenseError, match="expired on"):
        plan_services.sign_plan(actor=therapist, plan=plan)


def test_a_signed_plan_never_changes(therapist: User, plan: Plan) -> None:
    plan_services.sign_plan(actor=therapist, plan=plan)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.ACTIVE
    assert plan.content_hash == content_hash(plan_services.plan_content(plan))
    with pytest.raises(plan_services.PlanLocked, match="revise it"):
        plan_services.update_plan(actor=therapist, plan=plan, changes={"frequency_per_week": 3})
    with pytest.raises(plan_services.PlanLocked):
        plan_services.add_goal(
            actor=therapist,
            plan=plan,
            statement="x",
            measure_kind="instrument",
            instrument="NPRS",
            target_value=2,
            due_on=plan.ends_on,
        )
    plan.precautions = "changed"
    with pytest.raises(SignedRecordChanged):
        plan.save()
    goal = plan.goals.first()
    assert goal is not None
    goal.target_value = 1
    with pytest.raises(SignedRecordChanged):
        goal.save()


def test_a_revision_is_a_new_version_and_both_are_kept(
    therapist: User, other_therapist: User, plan: Plan
) -> None:
    plan_services.sign_plan(actor=therapist, plan=plan)
    second = plan_services.revise_plan(actor=other_therapist, plan=plan)
    assert (second.version, second.supersedes, second.lineage) == (2, plan, plan.lineage)
    assert second.status == Plan.Status.DRAFT
    assert [g.measure_label for g in second.goals.all()] == ["ODI", "NPRS"]
    assert second.goals.get(is_primary=True).instrument == "ODI"
    assert [d.code for d in second.diagnoses.all()] == ["M54.50"]
    assert second.home_care.count() == 1
    with pytest.raises(plan_services.PlanRefused, match="already drafted"):
        plan_services.revise_plan(actor=therapist, plan=plan)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.ACTIVE  # until the new version is signed

    plan_services.update_plan(
        actor=other_therapist,
        plan=second,
        changes={"frequency_per_week": 1, "techniques": ["stretching"]},
    )
    plan_services.sign_plan(actor=other_therapist, plan=second)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.SUPERSEDED
    assert plan.frequency_per_week == 2
    assert second.frequency_per_week == 1
    assert {p.version for p in patient_plans(therapist, plan.patient)} == {1, 2}
    with pytest.raises(plan_services.PlanRefused, match="Only the active version"):
        plan_services.revise_plan(actor=therapist, plan=plan)
    assert AuditEvent.objects.filter(
        object_id=str(plan.public_id), detail__superseded_by=str(second.public_id)
    ).exists()


def test_only_the_drafts_practitioner_edits_it(
    other_therapist: User, owner: User, plan: Plan
) -> None:
    with pytest.raises(PermissionDenied, match="own practitioner"):
        plan_services.update_plan(actor=other_therapist, plan=plan, changes={"precautions": "x"})
    with pytest.raises(PermissionDenied, match="active practitioner"):
        plan_services.sign_plan(actor=owner, plan=plan)


@pytest.mark.parametrize("persona", ["front_desk", "biller"])
def test_front_desk_and_biller_see_no_plans(
    request: pytest.FixtureRequest, persona: str, plan: Plan
) -> None:
    user = request.getfixturevalue(persona)
    assert not plans_for(user).exists()
    with pytest.raises(PermissionDenied):
        plan_services.plan_progress(actor=user, plan=plan)


def _signed_note(therapist: User, plan: Plan) -> TreatmentNote:
    note = note_services.start_note(
        actor=therapist,
        patient=plan.patient,
        location=plan.location,
        visit_date=TODAY,
        plan_of_care=plan,
        assessment="Tolerated well.",
    )
    return note_services.sign_note(actor=therapist, note=note)


def test_notes_link_to_the_active_plan_only(therapist: User, plan: Plan) -> None:
    with pytest.raises(ValidationError) as caught:
        note_services.start_note(
            actor=therapist,
            patient=plan.patient,
            location=plan.location,
            visit_date=TODAY,
            plan_of_care=plan,
        )
    assert "active (signed) plan" in caught.value.message_dict["plan_of_care"][0]
    plan_services.sign_plan(actor=therapist, plan=plan)
    note = _signed_note(therapist, plan)
    assert note.plan_of_care == plan
    assert note_services.note_content(note)["plan_of_care"] == str(plan.public_id)


def test_progress_reads_re_assessments_and_counts_meaningful_change(
    therapist: User, plan: Plan
) -> None:
    plan_services.sign_plan(actor=therapist, plan=plan)
    plan_services.record_reassessment(
        actor=therapist, plan=plan, instrument="ODI", answers=[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    )
    plan_services.record_reassessment(actor=therapist, plan=plan, instrument="NPRS", answers=[5])
    report = plan_services.plan_progress(actor=therapist, plan=plan, today=TODAY)
    statuses = {goal.instrument: result for goal, result in report.goals}
    assert statuses["ODI"].status == "achieved"  # 40 -> 20
    assert statuses["ODI"].meaningful is True
    assert {t.kind for t in statuses["ODI"].thresholds} == {"MCID", "MDC", "relative MCID"}
    assert statuses["ODI"].decided_by == "absolute"
    assert statuses["NPRS"].latest == 5
    assert statuses["NPRS"].meaningful is False
    assert not report.non_responder.alert
    assert AuditEvent.objects.filter(
        object_id=str(plan.public_id), action="read", detail__non_responder=False
    ).exists()


def test_an_administration_in_error_drops_out_of_the_series(therapist: User, plan: Plan) -> None:
    plan_services.sign_plan(actor=therapist, plan=plan)
    wrong = plan_services.record_reassessment(
        actor=therapist, plan=plan, instrument="ODI", answers=[0] * 10
    )
    mark_administration_entered_in_error(
        actor=therapist, administration=wrong, reason="Another patient's form."
    )
    report = plan_services.plan_progress(actor=therapist, plan=plan)
    odi = next(result for goal, result in report.goals if goal.instrument == "ODI")
    assert odi.measurements == 0
    assert odi.latest == 40


def test_six_signed_notes_without_meaningful_change_raise_the_non_responder_alert(
    therapist: User, plan: Plan
) -> None:
    plan_services.sign_plan(actor=therapist, plan=plan)
    plan_services.record_reassessment(
        actor=therapist, plan=plan, instrument="ODI", answers=[2, 3, 1, 2, 2, 2, 1, 2, 2, 2]
    )  # 38: not meaningful
    for _ in range(5):
        _signed_note(therapist, plan)
    report = plan_services.plan_progress(actor=therapist, plan=plan)
    assert report.signed_notes == 5
    assert not report.non_responder.alert
    assert plan_services.plan_progress(
        actor=therapist, plan=plan, non_responder_after=5
    ).non_responder.alert
    _signed_note(therapist, plan)
    report = plan_services.plan_progress(actor=therapist, plan=plan)
    assert report.non_responder.alert
    assert "refer the patient back" in report.non_responder.suggestion


def test_notes_under_every_version_of_the_plan_count(therapist: User, plan: Plan) -> None:
    plan_services.sign_plan(actor=therapist, plan=plan)
    for _ in range(3):
        _signed_note(therapist, plan)
    second = plan_services.revise_plan(actor=therapist, plan=plan)
    plan_services.sign_plan(actor=therapist, plan=second)
    for _ in range(3):
        _signed_note(therapist, second)
    assert plan_services.plan_progress(actor=therapist, plan=second).signed_notes == 6


def test_rom_re_assessment_is_recorded_under_the_active_plan(therapist: User, plan: Plan) -> None:
    plan_services.add_goal(
        actor=therapist,
        plan=plan,
        statement="Bend to tie shoes.",
        measure_kind="rom",
        rom_joint="thoracolumbar_spine",
        rom_motion="flexion",
        target_value=80,
        rom_local_mdc=10,
        due_on=plan.ends_on,
    )
    with pytest.raises(plan_services.PlanRefused, match="active plan"):
        plan_services.record_reassessment_rom(
            actor=therapist,
            plan=plan,
            joint="thoracolumbar_spine",
            motion="flexion",
            degrees=70,
            instrument="inclinometer",
        )
    plan_services.sign_plan(actor=therapist, plan=plan)
    measured = plan_services.record_reassessment_rom(
        actor=therapist,
        plan=plan,
        joint="thoracolumbar_spine",
        motion="flexion",
        degrees=82,
        instrument="inclinometer",
    )
    assert measured.plan == plan
    assert measured.norm_degrees == 90
    report = plan_services.plan_progress(actor=therapist, plan=plan)
    rom = next(result for goal, result in report.goals if goal.measure_kind == Goal.Measure.ROM)
    assert rom.status == "achieved"
    assert rom.meaningful is True
