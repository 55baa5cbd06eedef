"""A patient's signed sittings with their figures: volumes, excess (mL, %), the % change
in excess since the first sitting with an excess, the relative volume change against the
first sitting (the baseline of both limbs), or what differs when they are not compared."""

from __future__ import annotations

import pytest

from palpa.accounts.models import Location, User
from palpa.lymphoedema.queries import patient_sittings
from palpa.lymphoedema.services import mark_measurement_entered_in_error, record_measurement
from palpa.lymphoedema.tests.support import signed, tape
from palpa.lymphoedema.volumes import excess, limb_volume, percent_change, rvc
from palpa.patients.models import Patient

LATER_AFFECTED = [21.5, 23.5, 26.0, 29.0]


def test_each_sitting_has_volumes_excess_and_change_in_excess_since_the_first(
    therapist: User, patient: Patient, location: Location
) -> None:
    signed(therapist, patient, location, days_ago=14)
    signed(therapist, patient, location, left_circumferences_cm=LATER_AFFECTED)
    record_measurement(actor=therapist, patient=patient, location=location, **tape())  # draft
    first, now = patient_sittings(therapist, patient)
    unaffected = limb_volume([21.0, 23.0, 25.0, 28.0], 4)
    e1 = excess(limb_volume([22.0, 24.0, 27.0, 30.0], 4), unaffected)
    e2 = excess(limb_volume(LATER_AFFECTED, 4), unaffected)
    assert first.first
    assert not first.changes
    assert first.excess_ml is not None
    assert first.excess_ml.value == pytest.approx(e1)
    assert first.excess_percent is not None
    assert first.excess_percent.value == pytest.approx(e1 / unaffected * 100)
    assert now.changes["excess"].value == pytest.approx(percent_change(e1, e2))
    assert now.changes["excess"].formula.source.short
    assert now.not_compared == ""


def test_a_sitting_with_another_interval_says_what_differs_instead_of_a_change(
    therapist: User, patient: Patient, location: Location
) -> None:
    signed(therapist, patient, location, days_ago=14)
    signed(therapist, patient, location, interval_cm=5.0)
    _, now = patient_sittings(therapist, patient)
    assert not now.changes
    assert "interval (4 cm vs 5 cm)" in now.not_compared


def test_a_sitting_by_another_method_is_not_compared(
    therapist: User, patient: Patient, location: Location
) -> None:
    signed(therapist, patient, location, days_ago=14)
    signed(
        therapist,
        patient,
        location,
        method="water_displacement",
        landmark="",
        interval_cm=None,
        left_circumferences_cm=[],
        right_circumferences_cm=[],
        left_volume_ml=2100.0,
        right_volume_ml=1900.0,
    )
    _, now = patient_sittings(therapist, patient)
    assert not now.changes
    assert "water displacement" in now.not_compared
    assert now.excess_ml is not None
    assert now.excess_ml.value == pytest.approx(200.0)
    assert now.left["source_short"] == "Water displacement"


def test_a_baseline_without_excess_counts_the_excess_change_from_the_first_swollen_sitting(
    therapist: User, patient: Patient, location: Location
) -> None:
    """A baseline of both arms before surgery (no excess), then the arm swells, then it
    goes down: the % change in excess counts from the first sitting with an excess, the
    relative volume change (RVC) from the baseline."""
    baseline = [21.0, 23.0, 25.0, 28.0]
    swollen = [23.0, 25.5, 28.0, 31.0]
    better = [22.0, 24.0, 26.5, 29.5]
    signed(therapist, patient, location, days_ago=60, left_circumferences_cm=baseline)
    start = signed(therapist, patient, location, days_ago=14, left_circumferences_cm=swollen)
    signed(therapist, patient, location, left_circumferences_cm=better)
    first, swelled, now = patient_sittings(therapist, patient)
    u = limb_volume([21.0, 23.0, 25.0, 28.0], 4)
    a1, a_swollen, a_now = (limb_volume(c, 4) for c in (baseline, swollen, better))
    assert first.first
    assert not first.changes
    assert swelled.excess_start
    assert "excess" not in swelled.changes
    assert swelled.changes["rvc"].value == pytest.approx(rvc(a1, u, a_swollen, u))
    assert now.excess_since == start.measured_on
    assert now.changes["excess"].value == pytest.approx(
        percent_change(excess(a_swollen, u), excess(a_now, u))
    )
    assert now.changes["rvc"].value == pytest.approx(rvc(a1, u, a_now, u))
    assert now.changes["rvc"].formula.tag == "P"
    assert now.not_compared == ""


def test_no_excess_ever_gives_only_the_relative_volume_change(
    therapist: User, patient: Patient, location: Location
) -> None:
    signed(therapist, patient, location, days_ago=14, affected_side="right")
    signed(therapist, patient, location, affected_side="right")
    _, now = patient_sittings(therapist, patient)
    assert set(now.changes) == {"rvc"}
    assert now.changes["rvc"].value == pytest.approx(0.0)
    assert now.excess_since is None


def test_both_limbs_affected_gives_each_limbs_change_and_no_excess(
    therapist: User, patient: Patient, location: Location
) -> None:
    signed(therapist, patient, location, days_ago=14, affected_side="both")
    signed(
        therapist, patient, location, affected_side="both", left_circumferences_cm=LATER_AFFECTED
    )
    _, now = patient_sittings(therapist, patient)
    assert now.excess_ml is None
    assert set(now.changes) == {"left", "right"}
    assert now.changes["right"].value == pytest.approx(0.0)
    assert now.changes["left"].value < 0


def test_a_sitting_in_error_leaves_the_trend(
    therapist: User, patient: Patient, location: Location
) -> None:
    wrong = signed(therapist, patient, location, days_ago=14)
    signed(therapist, patient, location)
    mark_measurement_entered_in_error(actor=therapist, measurement=wrong, reason="Wrong arm.")
    (only,) = patient_sittings(therapist, patient)
    assert only.first


def test_front_desk_sees_no_sittings(
    therapist: User, front_desk: User, patient: Patient, location: Location
) -> None:
    signed(therapist, patient, location)
    assert patient_sittings(front_desk, patient) == []
