"""Limb measurements for the tests: a tape sitting of both arms, 4 cm apart from the wrist."""

from __future__ import annotations

import datetime as dt
from typing import Any

from palpa.accounts.models import Location, User
from palpa.core.tests.support import clinic_today
from palpa.lymphoedema import cdt
from palpa.lymphoedema.models import CdtCourse, LimbMeasurement
from palpa.lymphoedema.services import record_measurement, sign_measurement
from palpa.patients.models import Patient

AFFECTED = [22.0, 24.0, 27.0, 30.0]
UNAFFECTED = [21.0, 23.0, 25.0, 28.0]


def tape(**overrides: Any) -> dict[str, Any]:
    return {
        "measured_on": clinic_today(),
        "region": "arm",
        "affected_side": "left",
        "method": "tape",
        "landmark": "wrist",
        "interval_cm": 4.0,
        "left_circumferences_cm": AFFECTED,
        "right_circumferences_cm": UNAFFECTED,
        **overrides,
    }


def signed(
    therapist: User, patient: Patient, location: Location, days_ago: int = 0, **overrides: Any
) -> LimbMeasurement:
    content = tape(measured_on=clinic_today() - dt.timedelta(days=days_ago), **overrides)
    draft = record_measurement(actor=therapist, patient=patient, location=location, **content)
    return sign_measurement(actor=therapist, measurement=draft)


def cdt_started(therapist: User, patient: Patient, days_ago: int = 14) -> CdtCourse:
    """Phase 1 of complete decongestive therapy, started ``days_ago`` days ago."""
    return cdt.start_phase_1(
        actor=therapist, patient=patient, on=clinic_today() - dt.timedelta(days=days_ago)
    )
