"""The demo clinic's lymphoedema patients, written through the patients, screening and
lymphoedema services (data in ``data.LYMPH_PATIENTS`` and the ARM_/LEG_ lists).

Diane Whitaker has breast-cancer-related lymphoedema of the left arm: her arms measured
by tape before the surgery, then the ten daily sittings of the intensive phase of
decongestive therapy with Sofia Ramirez, the excess volume falling from about 25 % to
11 %. Henry Osei has lymphoedema of both legs, measured by perometer once a week with
Maya Chen. Every sitting falls on a weekday the therapist works at that location
(``scheduling.HOURS``), never on a holiday or a closed day, and before today. Built
last, so nothing else in the demo picks these patients for its own stories.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from palpa.accounts.models import Location, Organization, User
from palpa.demo import data
from palpa.demo.care import dated
from palpa.demo.scheduling import DOWNTOWN, HOURS, SPA
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.services import record_measurement, sign_measurement
from palpa.patients.models import Patient
from palpa.patients.services import create_patient, record_consent
from palpa.scheduling.models import ClosedDay
from palpa.screening.services import record_screening

ARM_THERAPIST = "sofia@harbor.example"
LEG_THERAPIST = "therapist@harbor.example"


def us_holiday(day: dt.date) -> str:
    """The US holidays the demo clinic closes for (its own choice, not a clinical fact),
    or ''."""
    fixed = {(1, 1): "New Year's Day", (7, 4): "Independence Day", (12, 25): "Christmas Day"}
    if (day.month, day.day) in fixed:
        return fixed[(day.month, day.day)]
    weekday_in_month = (day.day - 1) // 7 + 1
    last_in_month = (day + dt.timedelta(days=7)).month != day.month
    if day.month == 11 and day.weekday() == 3 and weekday_in_month == 4:
        return "Thanksgiving"
    if day.month == 5 and day.weekday() == 0 and last_in_month:
        return "Memorial Day"
    if day.month == 9 and day.weekday() == 0 and weekday_in_month == 1:
        return "Labor Day"
    return ""


def workplace(org: Organization, email: str, day: dt.date) -> Location | None:
    """Where the therapist works on ``day``, or None: not her day, a weekend, a holiday
    or a closed day of that location (scheduling's ClosedDay)."""
    if day.weekday() >= 5 or us_holiday(day):
        return None
    for name, weekdays, _start, _end in HOURS[email]:
        if day.weekday() in weekdays:
            location = Location.objects.get(organization=org, name=name)
            closed = ClosedDay.objects.filter(organization=org, date=day).filter(
                Q(location=location) | Q(location__isnull=True)
            )
            return None if closed.exists() else location
    return None


def working_days(
    org: Organization, email: str, before: dt.date, count: int, *, step: int = 1
) -> list[dt.date]:
    """The therapist's last ``count`` working days before ``before``, oldest first; with
    ``step`` = 7, one a week on the same weekday (a closed one skipped)."""
    day = before - dt.timedelta(days=1)
    while workplace(org, email, day) is None:
        day -= dt.timedelta(days=1)
    days = [day]
    while len(days) < count:
        day -= dt.timedelta(days=step)
        if workplace(org, email, day) is not None:
            days.append(day)
    return days[::-1]


def _patient(owner: User, spec: dict[str, Any], location: Location, since: dt.date) -> Patient:
    contact, relationship, contact_phone = spec["emergency_contact"]
    patient = create_patient(
        actor=owner,
        given_name=spec["given_name"],
        family_name=spec["family_name"],
        date_of_birth=dt.date.fromisoformat(spec["date_of_birth"]),
        sex=spec["sex"],
        email=f"{spec['given_name'].lower()}.{spec['family_name'].lower()}@mail.example",
        phone=spec["phone"],
        address_line1=spec["address_line1"],
        city=spec["city"],
        region="FL",
        postal_code=spec["postal_code"],
        preferred_language="en",
        emergency_contact_name=contact,
        emergency_contact_relationship=relationship,
        emergency_contact_phone=contact_phone,
        primary_location=location,
    )
    for kind in ("treatment", "privacy_notice", "contact_sms"):
        record_consent(
            actor=owner, patient=patient, kind=kind, version="2026.1", given_on=since, granted=True
        )
    return patient


def _sitting(therapist: User, patient: Patient, on: dt.date, **content: Any) -> LimbMeasurement:
    location = workplace(patient.organization, therapist.email, on)
    assert location is not None, on
    measurement = record_measurement(
        actor=therapist,
        patient=patient,
        location=location,
        measured_on=on,
        **content,
    )
    return sign_measurement(actor=therapist, measurement=measurement)


def _screen(therapist: User, patient: Patient, on: dt.date, facts: dict[str, Any]) -> None:
    record_screening(
        actor=therapist, patient=patient, facts={"as_of": on.isoformat(), **dated(facts, on)}
    )


def add_lymphoedema_patients(org: Organization, today: dt.date) -> None:
    """The arm patient and the leg patient with their signed sittings."""
    owner = User.objects.get(organization=org, role="owner")
    sofia = User.objects.get(organization=org, email=ARM_THERAPIST)
    maya = User.objects.get(organization=org, email=LEG_THERAPIST)

    surgery_ago = today - dt.timedelta(days=data.ARM_PRE_SURGERY_DAYS_AGO)
    before_surgery = working_days(org, ARM_THERAPIST, surgery_ago, 1)[0]
    intensive = working_days(org, ARM_THERAPIST, today, len(data.ARM_SITTINGS))
    spa = Location.objects.get(organization=org, name=SPA)
    diane = _patient(owner, data.LYMPH_PATIENTS[0], spa, before_surgery)
    _screen(
        sofia,
        diane,
        intensive[0],
        {
            "conditions": [{"code": "lymphedema", "regions": ["left_upper_limb"]}],
            "lymph_node_removal": [{"region": "left_upper_limb"}],
            "cancer": [{"status": "past", "site": "breast"}],
        },
    )
    tape = {"region": "arm", "affected_side": "left", "landmark": "wrist", "interval_cm": 4}
    left, right = data.ARM_PRE_SURGERY
    _sitting(
        sofia,
        diane,
        before_surgery,
        **tape,
        left_circumferences_cm=left,
        right_circumferences_cm=right,
        **data.ARM_PRE_SURGERY_FINDINGS,
    )
    for on, (left, right), findings in zip(
        intensive, data.ARM_SITTINGS, data.ARM_FINDINGS, strict=True
    ):
        _sitting(
            sofia,
            diane,
            on,
            **tape,
            left_circumferences_cm=left,
            right_circumferences_cm=right,
            **findings,
        )

    weekly = working_days(org, LEG_THERAPIST, today, len(data.LEG_SITTINGS), step=7)
    downtown = Location.objects.get(organization=org, name=DOWNTOWN)
    henry = _patient(owner, data.LYMPH_PATIENTS[1], downtown, weekly[0])
    _screen(
        maya,
        henry,
        weekly[0],
        {
            "conditions": [
                {"code": "lymphedema", "regions": ["left_lower_limb", "right_lower_limb"]}
            ]
        },
    )
    for on, (left_ml, right_ml), findings in zip(
        weekly, data.LEG_SITTINGS, data.LEG_FINDINGS, strict=True
    ):
        _sitting(
            maya,
            henry,
            on,
            region="leg",
            affected_side="both",
            method="perometer",
            left_volume_ml=left_ml,
            right_volume_ml=right_ml,
            **findings,
        )
