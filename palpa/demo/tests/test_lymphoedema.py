"""The demo's lymphoedema patients: an arm after breast cancer, and both legs."""

from __future__ import annotations

import datetime as dt
import itertools

from palpa.accounts.models import Organization
from palpa.demo.tests.support import DEMO_TODAY
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.queries import sittings_of
from palpa.patients.models import Patient
from palpa.screening.queries import screening_status


def _sittings(org: Organization, given: str, family: str) -> list[LimbMeasurement]:
    patient = Patient.objects.get(organization=org, given_name=given, family_name=family)
    return list(patient.limb_measurements.order_by("measured_on", "pk"))


def test_the_arm_patient_has_a_signed_baseline_before_surgery_and_ten_sittings(
    demo: Organization,
) -> None:
    sittings = _sittings(demo, "Diane", "Whitaker")
    assert len(sittings) == 11
    assert {m.status for m in sittings} == {LimbMeasurement.Status.SIGNED}
    assert {(m.region, m.affected_side, m.method) for m in sittings} == {("arm", "left", "tape")}
    assert {m.practitioner.email for m in sittings} == {"sofia@harbor.example"}
    baseline, intensive = sittings[0], sittings[1:]
    assert (intensive[0].measured_on - baseline.measured_on).days > 100
    assert baseline.isl_stage == ""
    assert baseline.heaviness == 0
    assert all(m.isl_stage == "II" for m in intensive)
    assert intensive[0].pitting == "present"
    assert intensive[-1].pitting == "absent"
    assert [m.heaviness for m in (intensive[0], intensive[-1])] == [7, 3]


def test_the_arm_patients_excess_volume_falls_over_the_intensive_phase(
    demo: Organization,
) -> None:
    figures = sittings_of(_sittings(demo, "Diane", "Whitaker"))
    excess = [s.excess_percent.value for s in figures[1:] if s.excess_percent is not None]
    assert len(excess) == 10
    assert 20 < excess[0] < 30
    assert 8 < excess[-1] < 13
    assert excess[-1] < excess[0]
    assert any(later > earlier for earlier, later in itertools.pairwise(excess))


def test_the_leg_patient_is_measured_by_perometer_on_both_legs(demo: Organization) -> None:
    sittings = _sittings(demo, "Henry", "Osei")
    assert 3 <= len(sittings) <= 4
    assert {(m.region, m.affected_side, m.method, m.status) for m in sittings} == {
        ("leg", "both", "perometer", LimbMeasurement.Status.SIGNED)
    }
    last = sittings_of(sittings)[-1]
    assert last.excess_percent is None
    assert set(last.changes) == {"left", "right"}
    assert all(change.value < 0 for change in last.changes.values())


def test_every_sitting_is_on_a_working_weekday_before_today(demo: Organization) -> None:
    measured = LimbMeasurement.objects.filter(organization=demo)
    assert measured.count() == 15
    for m in measured:
        assert m.measured_on < DEMO_TODAY, m
        assert m.measured_on.weekday() < 5, m
        assert m.measured_on != dt.date(2026, 11, 26), "Thanksgiving"
        assert m.measured_on >= DEMO_TODAY - dt.timedelta(days=200), m
        expected = (
            "Harbor Wellness Spa" if m.measured_on.weekday() < 4 else "Harbor Clinic Downtown"
        )
        if m.practitioner.email == "sofia@harbor.example":
            assert m.location.name == expected, m


def test_both_lymphoedema_patients_are_screened_modify(demo: Organization) -> None:
    for given in ("Diane", "Henry"):
        patient = Patient.objects.get(organization=demo, given_name=given)
        assert screening_status(patient, on=DEMO_TODAY).effective_decision == "MODIFY", given
