"""Evaluations: findings on coded regions, ROM with its norm, diagnoses, signing, locking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.care.evaluations import services as evaluation_services
from palpa.care.models import (
    Diagnosis,
    Evaluation,
    PainMapEntry,
    RomMeasurement,
    SignedRecordChanged,
)
from palpa.care.queries import evaluations_for, patient_evaluations
from palpa.core.records import content_hash
from palpa.core.tests.support import clinic_today
from palpa.outcomes.models import InstrumentAdministration
from palpa.patients.models import Patient
from palpa.practitioners.models import License
from palpa.practitioners.services import LicenseError


def test_an_evaluation_records_its_findings_in_order(evaluation: Evaluation) -> None:
    (pain,) = evaluation.pain_map.all()
    assert (pain.region, pain.side, pain.intensity, pain.quality) == ("low_back", "", 6, "aching")
    (finding,) = evaluation.palpation.all()
    assert finding.trigger_point_count == 2
    (rom,) = evaluation.rom_measurements.all()
    assert rom.side == "midline"
    assert rom.measured_on == evaluation.evaluated_on
    assert rom.rater == evaluation.practitioner
    baselines = [link.administration for link in evaluation.administration_links.all()]
    assert [(a.instrument, a.score, a.context) for a in baselines] == [
        ("ODI", 40, "baseline"),
        ("NPRS", 6, "baseline"),
    ]
    assert evaluation.regions_version
    assert evaluation.codeset_version


def test_rom_copies_the_norm_and_its_source_at_the_time(evaluation: Evaluation) -> None:
    rom = RomMeasurement.objects.get(evaluation=evaluation)
    assert rom.norm_degrees == 90
    assert "38 CFR 4.71a" in rom.norm_source
    assert rom.norm_tag == "V"
    assert rom.norms_version == "1.0.0"


def test_a_rom_joint_motion_or_side_outside_the_norms_is_refused_by_field(
    therapist: User, evaluation: Evaluation
) -> None:
    with pytest.raises(ValidationError) as caught:
        evaluation_services.record_rom(
            actor=therapist,
            evaluation=evaluation,
            joint="wrist",
            motion="flexion",
            degrees=400,
            instrument="tape",
        )
    assert set(caught.value.message_dict) == {"joint", "degrees", "instrument"}
    with pytest.raises(ValidationError) as caught:
        evaluation_services.record_rom(
            actor=therapist,
            evaluation=evaluation,
            joint="shoulder",
            motion="abduction",
            side="midline",
            degrees=120,
            instrument="goniometer",
        )
    assert caught.value.message_dict["side"] == [
        "shoulder abduction is measured on side left or right."
    ]


def test_pain_and_palpation_are_checked_against_the_region_chart(
    therapist: User, evaluation: Evaluation
) -> None:
    with pytest.raises(ValidationError) as caught:
        evaluation_services.add_pain_map_entry(
            actor=therapist, evaluation=evaluation, region="shoulder", intensity=11, quality="dull"
        )
    assert set(caught.value.message_dict) == {"side", "intensity"}
    with pytest.raises(ValidationError) as caught:
        evaluation_services.add_pain_map_entry(
            actor=therapist, evaluation=evaluation, region="tail", intensity=3, quality="zingy"
        )
    assert set(caught.value.message_dict) == {"region", "quality"}
    with pytest.raises(ValidationError) as caught:
        evaluation_services.add_palpation_finding(
            actor=therapist,
            evaluation=evaluation,
            region="neck",
            tone="tight",
            tenderness=4,
            trigger_point_count=3,
        )
    assert set(caught.value.message_dict) == {"tone", "tenderness", "trigger_point_count"}
    assert PainMapEntry.objects.count() == 1


def test_diagnoses_are_ranked_and_a_new_primary_moves_the_others_down(
    therapist: User, evaluation: Evaluation
) -> None:
    evaluation_services.add_diagnosis(actor=therapist, evaluation=evaluation, code="m62830")
    evaluation_services.add_diagnosis(
        actor=therapist, evaluation=evaluation, code="S39.012D", rank=1
    )
    ranked = [(d.rank, d.code) for d in Diagnosis.objects.filter(evaluation=evaluation)]
    assert ranked == [(1, "S39.012D"), (2, "M54.50"), (3, "M62.830")]
    with pytest.raises(ValidationError, match="already a working diagnosis"):
        evaluation_services.add_diagnosis(actor=therapist, evaluation=evaluation, code="M54.50")
    with pytest.raises(ValidationError) as caught:
        evaluation_services.add_diagnosis(
            actor=therapist, evaluation=evaluation, code="J45.909", rank=9
        )
    assert "not in Palpa's ICD-10-CM subset" in caught.value.message_dict["code"][0]


def test_m54_5_and_a_missing_7th_character_are_refused_as_the_code_field(
    therapist: User, evaluation: Evaluation
) -> None:
    with pytest.raises(ValidationError) as caught:
        evaluation_services.add_diagnosis(actor=therapist, evaluation=evaluation, code="M54.5")
    assert "not billable since 1 October 2021" in caught.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as caught:
        evaluation_services.add_diagnosis(actor=therapist, evaluation=evaluation, code="S13.4XX")
    assert "needs a 7th character" in caught.value.message_dict["code"][0]


def test_signing_locks_the_evaluation_and_hashes_everything_it_holds(
    therapist: User, evaluation: Evaluation
) -> None:
    evaluation_services.sign_evaluation(actor=therapist, evaluation=evaluation)
    evaluation.refresh_from_db()
    assert evaluation.status == Evaluation.Status.SIGNED
    assert evaluation.content_hash == content_hash(
        evaluation_services.evaluation_content(evaluation)
    )
    content = evaluation_services.evaluation_content(evaluation)
    assert content["diagnoses"] == [[1, "M54.50"]]
    assert len(content["baselines"]) == 2
    assert AuditEvent.objects.filter(
        object_id=str(evaluation.public_id), detail__signed=True
    ).exists()


def test_a_signed_evaluation_refuses_every_change(therapist: User, evaluation: Evaluation) -> None:
    evaluation_services.sign_evaluation(actor=therapist, evaluation=evaluation)
    with pytest.raises(evaluation_services.EvaluationLocked):
        evaluation_services.update_evaluation(
            actor=therapist, evaluation=evaluation, changes={"history": "rewritten"}
        )
    with pytest.raises(evaluation_services.EvaluationLocked):
        evaluation_services.add_diagnosis(actor=therapist, evaluation=evaluation, code="M54.2")
    with pytest.raises(evaluation_services.EvaluationLocked):
        evaluation_services.record_baseline_administration(
            actor=therapist, evaluation=evaluation, instrument="NPRS", answers=[3]
        )
    evaluation.history = "sneaky"
    with pytest.raises(SignedRecordChanged):
        evaluation.save()
    pain = evaluation.pain_map.get()
    pain.intensity = 1
    with pytest.raises(SignedRecordChanged):
        pain.save()
    rom = evaluation.rom_measurements.get()
    rom.degrees = 90
    with pytest.raises(SignedRecordChanged):
        rom.save()
    diagnosis = evaluation.diagnoses.get()
    diagnosis.code = "M54.2"
    with pytest.raises(SignedRecordChanged):
        diagnosis.save()


def test_signing_needs_a_complaint_and_a_diagnosis(
    therapist: User, patient: Patient, location: Location
) -> None:
    empty = evaluation_services.start_evaluation(
        actor=therapist, patient=patient, location=location, evaluated_on=clinic_today()
    )
    with pytest.raises(ValidationError) as caught:
        evaluation_services.sign_evaluation(actor=therapist, evaluation=empty)
    assert set(caught.value.message_dict) == {"chief_complaint", "diagnoses"}


def test_signing_is_refused_when_the_license_has_lapsed(
    therapist: User, evaluation: Evaluation
) -> None:
    License.objects.filter(practitioner__user=therapist).update(
        expires_on=clinic_today() - dt.timedelta(days=1)
    )
    with pytest.raises(LicenseError, match="expired on"):
        evaluation_services.sign_evaluation(actor=therapist, evaluation=evaluation)
    evaluation.refresh_from_db()
    assert evaluation.status == Evaluation.Status.DRAFT


def test_only_the_evaluations_practitioner_edits_the_draft(
    other_therapist: User, owner: User, evaluation: Evaluation
) -> None:
    with pytest.raises(PermissionDenied, match="own practitioner"):
        evaluation_services.update_evaluation(
            actor=other_therapist, evaluation=evaluation, changes={"posture": "x"}
        )
    with pytest.raises(PermissionDenied, match="active practitioner"):
        evaluation_services.sign_evaluation(actor=owner, evaluation=evaluation)


@pytest.mark.parametrize("persona", ["front_desk", "biller"])
def test_front_desk_and_biller_neither_see_nor_start_evaluations(
    request: pytest.FixtureRequest,
    persona: str,
    patient: Patient,
    location: Location,
    evaluation: Evaluation,
) -> None:
    user = request.getfixturevalue(persona)
    assert not evaluations_for(user).exists()
    with pytest.raises(PermissionDenied):
        evaluation_services.start_evaluation(
            actor=user, patient=patient, location=location, evaluated_on=clinic_today()
        )


def test_an_outsider_sees_none_of_our_evaluations(
    outsider: User, patient: Patient, evaluation: Evaluation
) -> None:
    assert not patient_evaluations(outsider, patient).exists()
    with pytest.raises(PermissionDenied):
        evaluation_services.add_pain_map_entry(
            actor=outsider, evaluation=evaluation, region="neck", intensity=2, quality="stiff"
        )


def test_an_earlier_administration_can_be_linked_as_a_baseline_once(
    therapist: User, evaluation: Evaluation
) -> None:
    from palpa.outcomes.services import administer_instrument

    earlier = administer_instrument(
        actor=therapist,
        patient=evaluation.patient,
        instrument="RMDQ",
        answers=[1] * 10 + [0] * 14,
        administered_on=clinic_today(),
        context="visit",
    )
    evaluation_services.link_baseline_administration(
        actor=therapist, evaluation=evaluation, administration=earlier
    )
    with pytest.raises(ValidationError, match="already a baseline"):
        evaluation_services.link_baseline_administration(
            actor=therapist, evaluation=evaluation, administration=earlier
        )
    assert evaluation.administration_links.count() == 3
    assert InstrumentAdministration.objects.count() == 3


def test_an_evaluation_made_in_error_is_kept_and_marked(
    therapist: User, evaluation: Evaluation
) -> None:
    evaluation_services.mark_evaluation_entered_in_error(
        actor=therapist, evaluation=evaluation, reason="Wrong chart."
    )
    evaluation.refresh_from_db()
    assert evaluation.status == "entered-in-error"
    assert AuditEvent.objects.filter(object_id=str(evaluation.public_id), action="delete").exists()
