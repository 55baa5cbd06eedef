"""Recording, signing and marking in error a limb measurement: the signed-record kernel,
the volumes sealed at signing, who may, and one audit entry per act."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.records import SignedRecordChanged
from palpa.core.tests.support import clinic_today
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.rules import load_rules
from palpa.lymphoedema.services import (
    MeasurementLocked,
    mark_measurement_entered_in_error,
    record_measurement,
    sign_measurement,
    update_measurement,
)
from palpa.lymphoedema.tests.support import AFFECTED, UNAFFECTED, signed, tape
from palpa.lymphoedema.volumes import limb_volume
from palpa.patients.models import Patient
from palpa.practitioners.services import LicenseError


def _audits(measurement: LimbMeasurement) -> int:
    return AuditEvent.objects.filter(object_id=str(measurement.public_id)).count()


def test_signing_a_tape_measurement_seals_the_computed_volumes_and_the_data_version(
    therapist: User, patient: Patient, location: Location
) -> None:
    draft = record_measurement(actor=therapist, patient=patient, location=location, **tape())
    assert (draft.status, draft.left_volume_ml, _audits(draft)) == ("draft", None, 1)
    sign_measurement(actor=therapist, measurement=draft)
    stored = LimbMeasurement.objects.get(pk=draft.pk)
    assert stored.status == "signed"
    assert stored.left_volume_ml == pytest.approx(limb_volume(AFFECTED, 4))
    assert stored.right_volume_ml == pytest.approx(limb_volume(UNAFFECTED, 4))
    assert stored.rules_version == load_rules().version
    assert len(stored.content_hash) == 64
    assert _audits(stored) == 2


def test_a_signed_measurement_never_changes_and_is_never_deleted(
    therapist: User, patient: Patient, location: Location
) -> None:
    measurement = signed(therapist, patient, location)
    with pytest.raises(MeasurementLocked):
        update_measurement(actor=therapist, measurement=measurement, changes={"landmark": "x"})
    measurement.landmark = "elbow"
    with pytest.raises(SignedRecordChanged):
        measurement.save()
    with pytest.raises(SignedRecordChanged):
        measurement.delete()
    with pytest.raises(SignedRecordChanged):
        LimbMeasurement.objects.filter(pk=measurement.pk).delete()


def test_a_volume_measured_directly_is_entered_with_its_method(
    therapist: User, patient: Patient, location: Location
) -> None:
    draft = record_measurement(
        actor=therapist,
        patient=patient,
        location=location,
        measured_on=clinic_today(),
        region="leg",
        affected_side="right",
        method="perometer",
        left_volume_ml=8200.0,
        right_volume_ml=9650.0,
    )
    sign_measurement(actor=therapist, measurement=draft)
    stored = LimbMeasurement.objects.get(pk=draft.pk)
    assert (stored.method, stored.left_volume_ml, stored.right_volume_ml) == (
        "perometer",
        8200.0,
        9650.0,
    )


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"interval_cm": 0.0}, "interval_cm"),
        ({"interval_cm": 40.0}, "interval_cm"),
        ({"left_circumferences_cm": [22.0, 240.0]}, "left_circumferences_cm"),
        ({"right_circumferences_cm": [21.0]}, "right_circumferences_cm"),
        ({"left_volume_ml": 2000.0}, "left_volume_ml"),
        ({"region": "torso"}, "region"),
        ({"affected_side": "middle"}, "affected_side"),
        ({"measured_on": dt.date(2026, 3, 9)}, "measured_on"),
        ({"method": "perometer"}, "left_circumferences_cm"),
        ({"pulse": 70}, "pulse"),
        ({"landmark": "w" * 61}, "landmark"),
        ({"landmark": "wrist\x00"}, "landmark"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field_and_nothing_is_saved(
    therapist: User, patient: Patient, location: Location, content: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        record_measurement(actor=therapist, patient=patient, location=location, **tape(**content))
    assert field in caught.value.message_dict
    assert not LimbMeasurement.objects.exists()


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"right_circumferences_cm": []}, "right_circumferences_cm"),
        ({"right_circumferences_cm": [21.0, 23.0, 25.0]}, "right_circumferences_cm"),
        ({"landmark": ""}, "landmark"),
        ({"interval_cm": None}, "interval_cm"),
    ],
)
def test_signing_needs_both_limbs_at_the_same_points_from_a_named_landmark(
    therapist: User, patient: Patient, location: Location, content: dict[str, object], field: str
) -> None:
    draft = record_measurement(
        actor=therapist, patient=patient, location=location, **tape(**content)
    )
    with pytest.raises(ValidationError) as caught:
        sign_measurement(actor=therapist, measurement=draft)
    assert field in caught.value.message_dict
    assert LimbMeasurement.objects.get(pk=draft.pk).status == "draft"


def test_signing_needs_a_license_current_on_the_day_measured(
    therapist: User, patient: Patient, location: Location
) -> None:
    long_ago = clinic_today() - dt.timedelta(days=400)
    draft = record_measurement(
        actor=therapist, patient=patient, location=location, **tape(measured_on=long_ago)
    )
    with pytest.raises(LicenseError):
        sign_measurement(actor=therapist, measurement=draft)
    assert LimbMeasurement.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.parametrize("who", ["front_desk", "biller"])
def test_front_desk_and_biller_cannot_record_a_measurement(
    request: pytest.FixtureRequest, who: str, patient: Patient, location: Location
) -> None:
    with pytest.raises(PermissionDenied):
        record_measurement(
            actor=request.getfixturevalue(who), patient=patient, location=location, **tape()
        )


def test_another_therapist_cannot_sign_someone_elses_draft(
    therapist: User, other_therapist: User, patient: Patient, location: Location
) -> None:
    draft = record_measurement(actor=therapist, patient=patient, location=location, **tape())
    with pytest.raises(PermissionDenied):
        sign_measurement(actor=other_therapist, measurement=draft)


def test_an_outsider_cannot_record_for_our_patient(
    outsider: User, patient: Patient, location: Location
) -> None:
    with pytest.raises(PermissionDenied):
        record_measurement(actor=outsider, patient=patient, location=location, **tape())


def test_a_measurement_in_error_is_kept_with_its_reason_in_one_audited_act(
    therapist: User, front_desk: User, patient: Patient, location: Location
) -> None:
    measurement = signed(therapist, patient, location)
    with pytest.raises(PermissionDenied):
        mark_measurement_entered_in_error(actor=front_desk, measurement=measurement, reason="x")
    with pytest.raises(ValidationError):
        mark_measurement_entered_in_error(actor=therapist, measurement=measurement, reason=" ")
    before = _audits(measurement)
    mark_measurement_entered_in_error(
        actor=therapist, measurement=measurement, reason="Measured the wrong patient."
    )
    stored = LimbMeasurement.objects.get(pk=measurement.pk)
    assert (stored.status, stored.status_reason) == (
        "entered-in-error",
        "Measured the wrong patient.",
    )
    assert _audits(stored) == before + 1
