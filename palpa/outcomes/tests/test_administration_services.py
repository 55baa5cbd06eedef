"""administer_instrument: scored with the library, stored with its versions, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import clinic_today
from palpa.outcomes.library import load_library
from palpa.outcomes.models import FinalRecordChanged, InstrumentAdministration
from palpa.outcomes.services import (
    administer_instrument,
    audit_administration_read,
    mark_administration_entered_in_error,
)
from palpa.patients.models import Patient

TODAY = clinic_today()


def test_an_odi_is_scored_and_stored_with_both_versions(therapist: User, patient: Patient) -> None:
    administration = administer_instrument(
        actor=therapist,
        patient=patient,
        instrument="odi",
        answers=[2, 3, 1, 2, None, 2, 1, 2, 3, 2],
        administered_on=TODAY,
        context="baseline",
    )
    administration.refresh_from_db()
    assert administration.instrument == "ODI"
    assert administration.score == 40  # 18 / (5 x 9) x 100
    assert administration.band == "moderate disability"
    assert administration.items_answered == 9
    assert administration.items_total == 10
    assert administration.answers[4] is None
    assert administration.library_version == load_library().version
    assert administration.instrument_version
    assert administration.entered_by == therapist
    entry = AuditEvent.objects.get(object_id=str(administration.public_id), action="create")
    assert entry.patient_id == str(patient.public_id)
    assert entry.detail["score"] == 40


def test_an_out_of_range_answer_is_refused_naming_the_item_and_the_rule(
    therapist: User, patient: Patient
) -> None:
    with pytest.raises(ValidationError) as caught:
        administer_instrument(
            actor=therapist,
            patient=patient,
            instrument="NDI",
            answers=[1, 2, 7, 0, 0, 0, 0, 0, 0, 0],
            administered_on=TODAY,
            context="baseline",
        )
    (message,) = caught.value.message_dict["answers"]
    assert "3 answer 7 is out of range 0 to 5" in message
    assert "Rule:" in message
    assert not InstrumentAdministration.objects.exists()


def test_unknown_instrument_future_date_and_bad_context_are_reported_together(
    therapist: User, patient: Patient
) -> None:
    with pytest.raises(ValidationError) as caught:
        administer_instrument(
            actor=therapist,
            patient=patient,
            instrument="SF-36",
            answers=[1],
            administered_on=TODAY + dt.timedelta(days=2),
            context="whenever",
        )
    assert set(caught.value.message_dict) == {"instrument", "administered_on", "context"}
    assert "known instruments" in caught.value.message_dict["instrument"][0]


def test_psfs_stores_the_activities_the_patient_named(therapist: User, patient: Patient) -> None:
    administration = administer_instrument(
        actor=therapist,
        patient=patient,
        instrument="PSFS",
        answers=[3, 4, 5],
        item_labels=["Lift grandchild", "Sit 1 hour", "Garden"],
        administered_on=TODAY,
        context="baseline",
    )
    assert administration.score == 4
    assert administration.item_labels == ["Lift grandchild", "Sit 1 hour", "Garden"]
    with pytest.raises(ValidationError, match="name each activity"):
        administer_instrument(
            actor=therapist,
            patient=patient,
            instrument="PSFS",
            answers=[3, 4],
            item_labels=["Garden"],
            administered_on=TODAY,
            context="baseline",
        )
    with pytest.raises(ValidationError, match="fixed items"):
        administer_instrument(
            actor=therapist,
            patient=patient,
            instrument="NPRS",
            answers=[5],
            item_labels=["pain"],
            administered_on=TODAY,
            context="visit",
        )


@pytest.mark.parametrize("persona", ["front_desk", "biller"])
def test_non_clinical_roles_cannot_record_scores(
    request: pytest.FixtureRequest, persona: str, patient: Patient
) -> None:
    with pytest.raises(PermissionDenied):
        administer_instrument(
            actor=request.getfixturevalue(persona),
            patient=patient,
            instrument="NPRS",
            answers=[5],
            administered_on=TODAY,
            context="visit",
        )


def test_another_organization_cannot_record_for_our_patient(
    outsider: User, patient: Patient
) -> None:
    with pytest.raises(PermissionDenied):
        administer_instrument(
            actor=outsider,
            patient=patient,
            instrument="NPRS",
            answers=[5],
            administered_on=TODAY,
            context="visit",
        )


def test_a_recorded_administration_never_changes_but_can_be_marked_in_error(
    therapist: User, patient: Patient
) -> None:
    administration = administer_instrument(
        actor=therapist,
        patient=patient,
        instrument="NPRS",
        answers=[6],
        administered_on=TODAY,
        context="visit",
    )
    administration.score = 2
    with pytest.raises(FinalRecordChanged):
        administration.save()
    administration.refresh_from_db()
    with pytest.raises(ValidationError):
        mark_administration_entered_in_error(
            actor=therapist, administration=administration, reason=" "
        )
    mark_administration_entered_in_error(
        actor=therapist, administration=administration, reason="Wrong patient."
    )
    administration.refresh_from_db()
    assert administration.status == "entered-in-error"
    assert not administration.counts
    assert administration.score == 6
    audit_administration_read(actor=therapist, administration=administration)
    assert AuditEvent.objects.filter(
        object_id=str(administration.public_id), action="read"
    ).exists()
