"""Garment prescriptions for the tests: a left arm sleeve, RAL-GZG class II, made from
circumferences typed on the prescription (or from a signed limb measurement)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from palpa.accounts.models import Location, User
from palpa.core.tests.support import clinic_today
from palpa.lymphoedema.garments.services import (
    prescribe_garment,
    record_fitting,
    sign_prescription,
)
from palpa.lymphoedema.models import GarmentPrescription
from palpa.patients.models import Patient

SLEEVE_CM = [17.5, 21.0, 24.5, 26.0, 28.5]


def sleeve(**overrides: Any) -> dict[str, Any]:
    return {
        "prescribed_on": clinic_today(),
        "limb": "arm",
        "side": "left",
        "garment_type": "arm_sleeve",
        "knit": "flat",
        "standard": "RAL-GZG",
        "compression_class": "II",
        "landmark": "wrist",
        "interval_cm": 4.0,
        "left_circumferences_cm": SLEEVE_CM,
        "product": "Juzo Expert arm sleeve, beige",
        "quantity": 2,
        **overrides,
    }


def signed_sleeve(
    therapist: User, patient: Patient, location: Location, days_ago: int = 0, **overrides: Any
) -> GarmentPrescription:
    content = sleeve(prescribed_on=clinic_today() - dt.timedelta(days=days_ago), **overrides)
    draft = prescribe_garment(actor=therapist, patient=patient, location=location, **content)
    return sign_prescription(actor=therapist, prescription=draft)


def fitted_sleeve(
    therapist: User, patient: Patient, location: Location, fitted_days_ago: int, **overrides: Any
) -> GarmentPrescription:
    p = signed_sleeve(therapist, patient, location, days_ago=fitted_days_ago, **overrides)
    record_fitting(
        actor=therapist,
        prescription=p,
        fitted_on=clinic_today() - dt.timedelta(days=fitted_days_ago),
    )
    return GarmentPrescription.objects.select_related("fitting").get(pk=p.pk)
