"""Garment prescriptions: drafted and signed by a licensed practitioner, then never
changed; the fitting sets the replacement due date from the clinic's interval; marked in
error, never deleted; every write audited; the data file names its standard."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import tenant_id
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import clinic_today
from palpa.lymphoedema.garments.catalogue import GarmentDataError, load_garments
from palpa.lymphoedema.garments.queries import garments_due
from palpa.lymphoedema.garments.services import (
    FittingRefused,
    add_months,
    mark_prescription_entered_in_error,
    prescribe_garment,
    record_fitting,
    replacement_interval,
    set_replacement_interval,
    sign_prescription,
    update_prescription,
)
from palpa.lymphoedema.models import GarmentPrescription, GarmentPrescriptionChanged
from palpa.lymphoedema.tests.garments_support import fitted_sleeve, signed_sleeve, sleeve
from palpa.lymphoedema.tests.support import signed
from palpa.patients.models import Patient


def test_the_data_file_names_the_ral_gzg_classes_with_their_ranges_and_sources() -> None:
    data = load_garments()
    ral = data.standard("RAL-GZG")
    assert ral is not None
    assert ral.tag == "P"
    assert [(c.code, c.min_mmhg, c.max_mmhg) for c in ral.classes] == [
        ("I", 18, 21),
        ("II", 23, 32),
        ("III", 34, 46),
        ("IV", 49, None),
    ]
    assert "RAL-GZG" in ral.source.citation
    assert data.class_line("RAL-GZG", "II") == "RAL-GZG class II (23-32 mmHg)"
    assert data.class_line("RAL-GZG", "IV") == "RAL-GZG class IV (49 mmHg and above)"
    assert data.replacement.default_months == 6
    assert data.replacement.tag == "P"
    assert {"flat", "circular"} == set(data.codes("knits"))
    for choice in (*data.garment_types, *data.knits):
        assert choice.source.citation
        assert choice.tag in ("V", "P")


def test_a_broken_data_file_is_refused_naming_the_place(tmp_path: Path) -> None:
    text = resources.files("palpa.lymphoedema").joinpath("data/garments.json").read_text()
    raw = json.loads(text)
    raw["standards"][0]["classes"][1]["min_mmhg"] = 20  # overlaps class I
    path = tmp_path / "garments.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(GarmentDataError, match=r"standards\[0\]\.classes\[1\]"):
        load_garments(path)
    raw = json.loads(text)
    raw["knits"][0]["source"] = "nowhere"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(GarmentDataError, match=r"knits\[0\]\.source"):
        load_garments(path)


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (dt.date(2026, 3, 2), 6, dt.date(2026, 9, 2)),
        (dt.date(2026, 8, 31), 6, dt.date(2027, 2, 28)),
        (dt.date(2027, 8, 31), 6, dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 15), 3, dt.date(2027, 2, 15)),
    ],
)
def test_months_are_added_to_the_calendar_day(start: dt.date, months: int, due: dt.date) -> None:
    assert add_months(start, months) == due


def test_a_therapist_drafts_and_signs_a_prescription_which_then_never_changes(
    therapist: User, patient: Patient, location: Location
) -> None:
    draft = prescribe_garment(actor=therapist, patient=patient, location=location, **sleeve())
    assert draft.status == "draft"
    update_prescription(actor=therapist, prescription=draft, changes={"quantity": 1})
    signed_one = sign_prescription(actor=therapist, prescription=draft)
    assert signed_one.status == "signed"
    assert signed_one.content_hash
    assert signed_one.data_version == load_garments().version
    with pytest.raises(GarmentPrescriptionChanged):
        GarmentPrescription.objects.filter(pk=draft.pk).update(quantity=3)
    actions = list(
        AuditEvent.objects.filter(object_id=str(draft.public_id))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "update"]


def test_a_prescription_may_be_made_from_a_signed_limb_measurement(
    therapist: User, patient: Patient, location: Location
) -> None:
    measurement = signed(therapist, patient, location)
    content = sleeve(measurement=measurement, landmark="", interval_cm=None)
    content["left_circumferences_cm"] = []
    draft = prescribe_garment(actor=therapist, patient=patient, location=location, **content)
    assert sign_prescription(actor=therapist, prescription=draft).status == "signed"


def test_bad_values_are_refused_naming_the_field_and_nothing_is_saved(
    therapist: User, patient: Patient, location: Location
) -> None:
    with pytest.raises(ValidationError) as caught:
        prescribe_garment(
            actor=therapist,
            patient=patient,
            location=location,
            **sleeve(
                garment_type="stocking_knee",
                compression_class="V",
                quantity=0,
                left_circumferences_cm=[17.5, -2.0],
            ),
        )
    assert set(caught.value.message_dict) == {
        "garment_type",
        "compression_class",
        "quantity",
        "left_circumferences_cm",
    }
    assert "not worn on the arm" in caught.value.message_dict["garment_type"][0]
    assert GarmentPrescription.objects.count() == 0


def test_signing_needs_the_measurements_the_garment_is_made_from(
    therapist: User, patient: Patient, location: Location
) -> None:
    draft = prescribe_garment(
        actor=therapist, patient=patient, location=location, **sleeve(left_circumferences_cm=[])
    )
    with pytest.raises(ValidationError) as caught:
        sign_prescription(actor=therapist, prescription=draft)
    assert "left_circumferences_cm" in caught.value.message_dict
    assert GarmentPrescription.objects.get(pk=draft.pk).status == "draft"


def test_front_desk_and_owner_cannot_prescribe(
    owner: User, front_desk: User, patient: Patient, location: Location
) -> None:
    for who in (owner, front_desk):
        with pytest.raises(PermissionDenied):
            prescribe_garment(actor=who, patient=patient, location=location, **sleeve())


def test_the_fitting_sets_the_replacement_due_date_from_the_clinics_interval(
    owner: User, therapist: User, patient: Patient, location: Location
) -> None:
    p = signed_sleeve(therapist, patient, location, days_ago=10)
    fitting = record_fitting(
        actor=therapist, prescription=p, fitted_on=clinic_today() - dt.timedelta(days=2)
    )
    assert (fitting.interval_months, fitting.replacement_due_on) == (6, dt.date(2026, 8, 28))
    with pytest.raises(FittingRefused):
        record_fitting(actor=therapist, prescription=p)
    set_replacement_interval(actor=owner, months=4)
    assert replacement_interval(tenant_id(owner)) == 4
    other = signed_sleeve(therapist, patient, location, garment_type="glove")
    assert record_fitting(actor=therapist, prescription=other).replacement_due_on == dt.date(
        2026, 7, 2
    )
    assert (
        AuditEvent.objects.filter(object_id=str(p.public_id), action="update").count() == 2
    )  # signed, fitted


def test_only_the_owner_sets_the_interval_within_bounds(owner: User, therapist: User) -> None:
    with pytest.raises(PermissionDenied):
        set_replacement_interval(actor=therapist, months=4)
    with pytest.raises(ValidationError) as caught:
        set_replacement_interval(actor=owner, months=0)
    assert "replacement_interval_months" in caught.value.message_dict


def test_a_fitting_is_not_in_the_future_nor_before_the_prescription(
    therapist: User, patient: Patient, location: Location
) -> None:
    p = signed_sleeve(therapist, patient, location, days_ago=3)
    for day in (clinic_today() + dt.timedelta(days=1), clinic_today() - dt.timedelta(days=4)):
        with pytest.raises(ValidationError) as caught:
            record_fitting(actor=therapist, prescription=p, fitted_on=day)
        assert "fitted_on" in caught.value.message_dict


def test_the_fitting_day_is_the_clinics_day_not_utc(
    therapist: User, patient: Patient, location: Location
) -> None:
    p = signed_sleeve(therapist, patient, location)
    # 02:30 UTC on March 3 is still March 2 in Tampa.
    with time_machine.travel(dt.datetime(2026, 3, 3, 2, 30, tzinfo=dt.UTC), tick=False):
        fitting = record_fitting(actor=therapist, prescription=p)
    assert (fitting.fitted_on, fitting.replacement_due_on) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 9, 2),
    )


def test_garments_due_within_thirty_days_or_overdue_are_listed_and_replaced_ones_are_not(
    owner: User, therapist: User, patient: Patient, location: Location
) -> None:
    overdue = fitted_sleeve(therapist, patient, location, fitted_days_ago=200)
    due_soon = fitted_sleeve(
        therapist,
        patient,
        location,
        fitted_days_ago=170,
        side="right",
        left_circumferences_cm=[],
        right_circumferences_cm=[20.0, 22.0],
    )
    fitted_sleeve(therapist, patient, location, fitted_days_ago=30, garment_type="glove")
    due = garments_due(owner)
    assert [(d.prescription.pk, d.overdue) for d in due] == [
        (overdue.pk, True),
        (due_soon.pk, False),
    ]
    fitted_sleeve(therapist, patient, location, fitted_days_ago=1)  # the left sleeve replaced
    assert [d.prescription.pk for d in garments_due(therapist)] == [due_soon.pk]
    mark_prescription_entered_in_error(actor=therapist, prescription=due_soon, reason="wrong side")
    assert garments_due(therapist) == []
