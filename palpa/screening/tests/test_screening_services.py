"""Stored screenings, the status on a date, clearances, overrides and who may do what."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.audit.services import verify_chain
from palpa.core.errors import Refused
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.referrals.models import Physician
from palpa.screening import queries as screening_queries
from palpa.screening import services
from palpa.screening.models import Clearance, Screening
from palpa.screening.rules import default_rule_set
from palpa.screening.tests.support import (
    PNG,
    facts_clearance,
    facts_emergency,
    facts_modify,
    facts_proceed,
    facts_stop_neck,
    facts_stop_whole_body,
    letter,
    make_physician,
)


def today() -> dt.date:
    return clinic_today()


def days_ago(n: int) -> str:
    return (today() - dt.timedelta(days=n)).isoformat()


def test_a_screening_keeps_the_facts_the_rule_set_version_the_result_and_who(
    therapist: User, patient: Patient
) -> None:
    screening = services.record_screening(
        actor=therapist, patient=patient, facts=facts_clearance(today())
    )
    stored = Screening.objects.get(pk=screening.pk)
    assert stored.decision == "CLEARANCE"
    assert stored.urgency == "referral"
    assert stored.rule_set_version == default_rule_set().version
    assert stored.rule_set is None  # Palpa's own rules
    assert stored.facts["medications"] == [{"name": "warfarin", "kind": "anticoagulant"}]
    assert stored.facts["date_of_birth"] == "1971-03-14"  # from the patient's record
    assert stored.facts["as_of"] == today().isoformat()
    assert {f["rule_id"] for f in stored.result["findings"]} == {"dvt_known", "bleeding_risk"}
    assert stored.screened_by == therapist
    assert stored.source == "staff"
    entry = AuditEvent.objects.get(object_type="Screening", object_id=str(stored.public_id))
    assert entry.detail["decision"] == "CLEARANCE"
    assert entry.patient_id == str(patient.public_id)


def test_bad_facts_are_refused_naming_each_field_and_nothing_is_saved(
    therapist: User, patient: Patient
) -> None:
    with pytest.raises(ValidationError) as bad:
        services.record_screening(
            actor=therapist,
            patient=patient,
            facts={
                "conditions": [{"code": "gout"}],
                "red_flags": {"low_back": {"saddle": True}},
            },
        )
    assert set(bad.value.message_dict) == {
        "facts.conditions[0].code",
        "facts.red_flags.low_back.saddle",
    }
    assert not Screening.objects.exists()


def test_a_screening_for_a_future_day_is_refused(therapist: User, patient: Patient) -> None:
    future = (today() + dt.timedelta(days=3)).isoformat()
    with pytest.raises(ValidationError) as bad:
        services.record_screening(actor=therapist, patient=patient, facts={"as_of": future})
    assert "facts.as_of" in bad.value.message_dict


@pytest.mark.parametrize("persona", ["front_desk", "biller", "outsider"])
def test_only_clinicians_of_the_organization_enter_a_health_history(
    request: pytest.FixtureRequest, persona: str, patient: Patient
) -> None:
    with pytest.raises(PermissionDenied):
        services.record_screening(actor=request.getfixturevalue(persona), patient=patient, facts={})


def test_without_a_screening_signing_is_refused_saying_a_screening_is_needed(
    patient: Patient,
) -> None:
    status = screening_queries.screening_status(patient)
    assert status.screening is None
    assert status.due
    assert "A safety screening is needed" in status.sign_refusal
    assert status.start_refusal == ""  # a note may be started, and the intake done


def test_proceed_allows_signing_on_the_day_it_was_screened(
    therapist: User, patient: Patient
) -> None:
    services.record_screening(actor=therapist, patient=patient, facts=facts_proceed())
    status = screening_queries.screening_status(patient)
    assert status.decision == "PROCEED"
    assert status.effective_decision == "PROCEED"
    assert status.confirmed_for_visit
    assert status.sign_refusal == ""
    assert status.restrictions == {}


def test_a_later_visit_needs_the_no_change_confirmation(therapist: User, patient: Patient) -> None:
    services.record_screening(
        actor=therapist, patient=patient, facts={"as_of": days_ago(10), **facts_proceed()}
    )
    status = screening_queries.screening_status(patient)
    assert not status.confirmed_for_visit
    assert "has not changed since the screening of" in status.sign_refusal
    services.confirm_no_change(actor=therapist, patient=patient, on=today())
    assert screening_queries.screening_status(patient).sign_refusal == ""
    # The confirmation is for that visit only.
    assert not screening_queries.screening_status(
        patient, on=today() - dt.timedelta(days=1)
    ).confirmed_for_visit


def test_a_full_rescreen_is_due_after_90_days_and_then_no_change_cannot_be_confirmed(
    therapist: User, patient: Patient
) -> None:
    services.record_screening(
        actor=therapist, patient=patient, facts={"as_of": days_ago(90), **facts_proceed()}
    )
    status = screening_queries.screening_status(patient)
    assert status.due
    assert status.due_on == today()
    assert "re-screen is due" in status.sign_refusal
    assert not screening_queries.screening_status(patient, on=today() - dt.timedelta(days=1)).due
    with pytest.raises(services.ScreeningRefused, match="full re-screen is due"):
        services.confirm_no_change(actor=therapist, patient=patient, on=today())


def test_the_rescreen_interval_is_set_per_organization(
    owner: User, therapist: User, patient: Patient
) -> None:
    services.record_screening(
        actor=therapist, patient=patient, facts={"as_of": days_ago(40), **facts_proceed()}
    )
    assert not screening_queries.screening_status(patient).due
    services.set_screening_policy(actor=owner, rescreen_days=30, intake_link_days=3)
    assert screening_queries.screening_status(patient).due
    with pytest.raises(ValidationError) as bad:
        services.set_screening_policy(actor=owner, rescreen_days=2, intake_link_days=3)
    assert "rescreen_days" in bad.value.message_dict
    with pytest.raises(PermissionDenied):
        services.set_screening_policy(actor=therapist, rescreen_days=60, intake_link_days=7)


def test_the_latest_screening_on_or_before_the_day_is_the_one_in_force(
    therapist: User, patient: Patient
) -> None:
    services.record_screening(
        actor=therapist, patient=patient, facts={"as_of": days_ago(5), **facts_modify()}
    )
    services.record_screening(actor=therapist, patient=patient, facts=facts_proceed())
    assert screening_queries.screening_status(patient).decision == "PROCEED"
    assert screening_queries.screening_status(
        patient, on=today() - dt.timedelta(days=1)
    ).decision == ("MODIFY")
    assert (
        screening_queries.screening_status(patient, on=today() - dt.timedelta(days=6)).screening
        is None
    )


def test_modify_lists_its_restrictions_in_words(therapist: User, patient: Patient) -> None:
    services.record_screening(actor=therapist, patient=patient, facts=facts_modify())
    status = screening_queries.screening_status(patient)
    assert status.effective_decision == "MODIFY"
    assert status.restrictions == {
        "whole_body": ["deep_pressure", "deep_friction", "percussion", "tools"]
    }
    assert status.restriction_lines == [
        "No deep pressure, deep friction, percussion (tapping), massage tools anywhere."
    ]
    assert status.sign_refusal == ""


def test_clearance_blocks_signing_until_a_physicians_clearance_with_its_letter(
    therapist: User, patient: Patient, physician: Physician, tmp_path: Path
) -> None:
    screening = services.record_screening(
        actor=therapist, patient=patient, facts=facts_clearance(today())
    )
    status = screening_queries.screening_status(patient)
    assert status.effective_decision == "CLEARANCE"
    assert "needs a physician's clearance" in status.sign_refusal
    assert "dvt_known" in status.sign_refusal

    clearance = services.record_clearance(
        actor=therapist,
        screening=screening,
        physician=physician,
        cleared_on=today(),
        scope="Massage with light pressure; avoid the left calf.",
        conditions="Stop if the calf swells.",
        letter=letter(),
    )
    assert clearance.covered.keys() == {"dvt_known"}
    assert clearance.letter_content_type == "application/pdf"
    assert clearance.letter_size > 0
    assert len(clearance.letter_sha256) == 64
    stored_name = str(clearance.letter.name)
    assert stored_name.endswith(".pdf")
    assert clearance.letter_name == "clearance.pdf"
    assert "clearance.pdf" not in stored_name  # stored under a random name
    after = screening_queries.screening_status(patient)
    assert after.sign_refusal == ""
    assert after.effective_decision == "MODIFY"  # warfarin's restrictions remain
    assert after.clearances == (clearance,)
    assert AuditEvent.objects.filter(object_type="Clearance", detail__kind="physician").exists()
    assert verify_chain(patient.organization_id).ok


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"Dear colleague, cleared.", "letter.pdf", "must be a PDF, PNG or JPEG"),
        (b"MZ\x90\x00 windows program", "letter.png", "must be a PDF, PNG or JPEG"),
        (b"", "letter.pdf", "empty"),
    ],
)
def test_the_letter_is_checked_by_its_content(
    therapist: User,
    patient: Patient,
    physician: Physician,
    content: bytes,
    name: str,
    message: str,
) -> None:
    screening = services.record_screening(
        actor=therapist, patient=patient, facts=facts_clearance(today())
    )
    with pytest.raises(ValidationError, match=message) as bad:
        services.record_clearance(
            actor=therapist,
            screening=screening,
            physician=physician,
            cleared_on=today(),
            scope="Massage",
            letter=letter(content, name),
        )
    assert set(bad.value.message_dict) == {"letter"}
    assert not Clearance.objects.exists()


def test_a_letter_over_the_size_limit_is_refused_and_an_image_is_accepted(
    therapist: User, patient: Patient, physician: Physician, settings: object
) -> None:
    settings.PALPA_CLEARANCE_LETTER_MAX_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    screening = services.record_screening(
        actor=therapist, patient=patient, facts=facts_clearance(today())
    )
    big = letter(b"%PDF-1.4\n" + b"0" * (1024 * 1024), "big.pdf")
    with pytest.raises(ValidationError, match="larger than 1 MB"):
        services.record_clearance(
            actor=therapist,
            screening=screening,
            physician=physician,
            cleared_on=today(),
            scope="Massage",
            letter=big,
        )
    photo = services.record_clearance(
        actor=therapist,
        screening=screening,
        physician=physician,
        cleared_on=today(),
        scope="Massage",
        letter=letter(PNG, "photo of letter.png"),
    )
    assert photo.letter_content_type == "image/png"
    assert photo.letter_name == "photo of letter.png"


def test_a_clearance_needs_a_physician_scope_and_sane_dates(
    owner: User, therapist: User, patient: Patient, physician: Physician
) -> None:
    screening = services.record_screening(
        actor=therapist, patient=patient, facts=facts_clearance(today())
    )
    retired = make_physician(owner, npi9="223456789", active=False)
    with pytest.raises(ValidationError) as bad:
        services.record_clearance(
            actor=therapist,
            screening=screening,
            physician=retired,
            cleared_on=today() + dt.timedelta(days=1),
            valid_until=today() - dt.timedelta(days=1),
            scope=" ",
            letter=letter(),
        )
    assert set(bad.value.message_dict) == {"physician", "cleared_on", "valid_until", "scope"}
    with pytest.raises(ValidationError) as unknown:
        services.record_clearance(
            actor=therapist,
            screening=screening,
            physician=physician,
            cleared_on=today(),
            scope="Massage",
            letter=letter(),
            rule_ids=["bleeding_risk"],  # a MODIFY finding needs no clearance
        )
    assert set(unknown.value.message_dict) == {"rule_ids"}


def test_a_clearance_carries_to_a_rescreen_only_while_the_cleared_facts_are_unchanged(
    therapist: User, patient: Patient, physician: Physician
) -> None:
    first = services.record_screening(
        actor=therapist,
        patient=patient,
        facts={"as_of": days_ago(20), **facts_clearance(today() - dt.timedelta(days=20))},
    )
    services.record_clearance(
        actor=therapist,
        screening=first,
        physician=physician,
        cleared_on=today() - dt.timedelta(days=20),
        scope="Massage",
        letter=letter(),
    )
    # Same clot, a new unrelated medicine: still cleared.
    same = facts_clearance(today() - dt.timedelta(days=20))
    same["medications"].append({"name": "vitamin D", "kind": "other"})
    services.record_screening(actor=therapist, patient=patient, facts=same)
    assert screening_queries.screening_status(patient).sign_refusal == ""
    # A new clot (another onset): the old clearance does not cover it.
    services.record_screening(actor=therapist, patient=patient, facts=facts_clearance(today()))
    assert (
        "needs a physician's clearance" in screening_queries.screening_status(patient).sign_refusal
    )


def test_a_clearance_lapses_after_its_end_date(
    therapist: User, patient: Patient, physician: Physician
) -> None:
    screening = services.record_screening(
        actor=therapist,
        patient=patient,
        facts={"as_of": days_ago(3), **facts_clearance(today() - dt.timedelta(days=3))},
    )
    services.record_clearance(
        actor=therapist,
        screening=screening,
        physician=physician,
        cleared_on=today() - dt.timedelta(days=3),
        valid_until=today() - dt.timedelta(days=1),
        scope="Massage",
        letter=letter(),
    )
    assert screening_queries.screening_status(patient, on=today() - dt.timedelta(days=2)).cleared
    assert not screening_queries.screening_status(patient).cleared


def test_an_owner_overrides_a_clearance_in_writing(
    owner: User, therapist: User, patient: Patient
) -> None:
    screening = services.record_screening(
        actor=therapist, patient=patient, facts=facts_clearance(today())
    )
    with pytest.raises(PermissionDenied, match="Only an owner"):
        services.override_clearance(
            actor=therapist, screening=screening, reason="The physician called us today."
        )
    with pytest.raises(ValidationError) as short:
        services.override_clearance(actor=owner, screening=screening, reason="ok")
    assert set(short.value.message_dict) == {"reason"}
    override = services.override_clearance(
        actor=owner,
        screening=screening,
        reason="Dr Bennett cleared her by phone; the letter is in the post.",
    )
    assert override.kind == Clearance.Kind.OVERRIDE
    assert screening_queries.screening_status(patient).cleared
    entry = AuditEvent.objects.get(object_type="Clearance", detail__kind="override")
    assert entry.actor == owner
    assert entry.detail["reason"].startswith("Dr Bennett")


def test_a_stop_cannot_be_overridden_only_cleared_by_a_physician(
    owner: User, therapist: User, patient: Patient, physician: Physician
) -> None:
    screening = services.record_screening(actor=therapist, patient=patient, facts=facts_stop_neck())
    with pytest.raises(Refused, match="no finding that needs clearing"):
        services.override_clearance(
            actor=owner, screening=screening, reason="The patient insists on neck work."
        )
    with pytest.raises(ValidationError, match="cannot be overridden"):
        services.override_clearance(
            actor=owner,
            screening=screening,
            reason="The patient insists on neck work.",
            rule_ids=["neck_trauma"],
        )
    status = screening_queries.screening_status(patient)
    assert status.effective_decision == "STOP"
    assert status.start_refusal == ""  # only the neck is stopped
    assert "says STOP" in status.sign_refusal
    assert status.restrictions == {"neck": ["all_techniques"]}
    services.record_clearance(
        actor=therapist,
        screening=screening,
        physician=physician,
        cleared_on=today(),
        scope="Neck X-ray normal; gentle neck massage",
        letter=letter(),
    )
    cleared = screening_queries.screening_status(patient)
    assert cleared.sign_refusal == ""
    assert cleared.restrictions == {}  # the physician lifted the STOP


def test_a_whole_body_stop_or_an_emergency_stops_a_note_being_started(
    therapist: User, patient: Patient
) -> None:
    services.record_screening(actor=therapist, patient=patient, facts=facts_stop_whole_body())
    status = screening_queries.screening_status(patient)
    assert "no massage today" in status.start_refusal
    assert "Urgent" in status.instruction
    with pytest.raises(services.ScreeningRefused):
        services.require_can_start(patient=patient, on=today())

    services.record_screening(actor=therapist, patient=patient, facts=facts_emergency())
    emergency = screening_queries.screening_status(patient)
    assert emergency.emergency
    assert emergency.instruction.startswith(
        "Emergency: do not treat. The patient needs emergency care now"
    )
    assert "Emergency" in emergency.start_refusal


def test_a_screening_of_another_organizations_patient_is_refused(
    owner: User, outsider: User, outsider_patient: Patient, therapist: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.record_screening(actor=therapist, patient=outsider_patient, facts={})
    theirs = services.record_screening(
        actor=outsider, patient=outsider_patient, facts=facts_clearance(today())
    )
    with pytest.raises(PermissionDenied):
        services.override_clearance(
            actor=owner, screening=theirs, reason="Not ours to override at all."
        )
