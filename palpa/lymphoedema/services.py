"""The only code that writes limb measurements: record a draft, change it, sign it,
mark it entered in error. Every verb checks the actor's role and organization,
validates before it writes, runs in one transaction and leaves one audit entry.

A limb measurement is a signed record (``core.records``); it declares its content, its
sign checks (complete and within the input limits of the data file, the recorder's
license current on the day measured) and what signing seals: for a tape measurement, the
volumes computed from the circumferences and the version of the data file."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, require, require_own_or
from palpa.audit.services import Action, record
from palpa.care.authoring import practitioner_of
from palpa.core import records
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.tenancy import require_same_organization
from palpa.lymphoedema.findings import load_findings
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.rules import load_rules
from palpa.lymphoedema.volumes import (
    VolumeInputError,
    check_circumferences,
    check_interval,
    limb_volume,
)
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import require_current_license

# A directly measured limb volume above this is taken for a typing slip (Palpa's own
# sanity limit, like the data file's input limits; not a clinical fact).
VOLUME_MAX_ML = 40000.0

CONTENT_FIELDS = (
    "measured_on",
    "region",
    "affected_side",
    "method",
    "landmark",
    "interval_cm",
    "left_circumferences_cm",
    "right_circumferences_cm",
    "left_volume_ml",
    "right_volume_ml",
)
# What is seen and felt at the sitting (data/findings.json): part of the signed content
# when recorded; a sitting without them hashes as before they existed.
FINDING_FIELDS = (
    "isl_stage",
    "stemmer_sign",
    "pitting",
    "skin",
    "skin_note",
    "heaviness",
    "tightness",
)
SKIN_NOTE_MAX = 300  # LimbMeasurement.skin_note's length
DIRECT_METHODS = frozenset(
    {
        LimbMeasurement.Method.WATER,
        LimbMeasurement.Method.PEROMETER,
        LimbMeasurement.Method.SCAN,
    }
)
LIMBS = ("left", "right")
LANDMARK_MAX = 60  # LimbMeasurement.landmark's length


class MeasurementLocked(Refused):
    code = "measurement_locked"


def audit(actor: User, action: str, measurement: LimbMeasurement, **detail: Any) -> Any:
    return record(
        actor=actor,
        action=action,
        obj=measurement,
        patient_id=str(measurement.patient.public_id),
        detail=detail,
    )


def _choice(errors: dict[str, list[str]], field: str, value: Any, choices: Any) -> None:
    if value not in choices.values:
        errors.setdefault(field, []).append(f"Choose one of {', '.join(choices.values)}.")


def _draft_errors(m: LimbMeasurement, today: dt.date) -> dict[str, list[str]]:
    """What is wrong with a draft's values as far as they are given (drafts may be
    incomplete; signing asks for the rest)."""
    errors: dict[str, list[str]] = {}
    _choice(errors, "region", m.region, LimbMeasurement.Region)
    _choice(errors, "affected_side", m.affected_side, LimbMeasurement.Side)
    _choice(errors, "method", m.method, LimbMeasurement.Method)
    if m.measured_on > today + dt.timedelta(days=1):
        errors["measured_on"] = ["A measurement is recorded once it has been taken."]
    if len(m.landmark) > LANDMARK_MAX or any(
        unicodedata.category(ch) in {"Cc", "Cf"} for ch in m.landmark
    ):
        errors["landmark"] = [
            f"Name the landmark in at most {LANDMARK_MAX} characters, without control characters."
        ]
    rules = load_rules()
    if m.interval_cm is not None:
        try:
            check_interval(float(m.interval_cm), argument="interval_cm", rules=rules)
        except VolumeInputError as exc:
            errors["interval_cm"] = [str(exc).split(": ", 1)[1]]
    direct = m.method in DIRECT_METHODS
    for limb in LIMBS:
        circumferences = getattr(m, f"{limb}_circumferences_cm")
        volume = getattr(m, f"{limb}_volume_ml")
        field = f"{limb}_circumferences_cm"
        if not isinstance(circumferences, list) or not all(
            isinstance(c, int | float) and not isinstance(c, bool) for c in circumferences
        ):
            errors[field] = ["Give the circumferences as a list of numbers (cm)."]
        elif circumferences and direct:
            errors[field] = [
                "A volume measured directly is entered as a volume, not circumferences."
            ]
        elif circumferences:
            try:
                check_circumferences(
                    [float(c) for c in circumferences], argument=field, rules=rules
                )
            except VolumeInputError as exc:
                errors[field] = [str(exc).split(": ", 1)[1]]
        if volume is not None:
            if not direct:
                errors[f"{limb}_volume_ml"] = [
                    "A tape measurement's volume is computed from the circumferences at signing."
                ]
            elif not math.isfinite(volume) or not 0 < volume <= VOLUME_MAX_ML:
                errors[f"{limb}_volume_ml"] = [
                    f"A limb volume is greater than 0 and at most {VOLUME_MAX_ML:g} mL."
                ]
    _finding_errors(errors, m)
    if direct and (m.landmark.strip() or m.interval_cm is not None):
        errors.setdefault("method", []).append(
            "Landmark and interval belong to tape measurements; leave them out for a volume "
            "measured directly."
        )
    return errors


def _finding_errors(errors: dict[str, list[str]], m: LimbMeasurement) -> None:
    findings = load_findings()
    for field, kind in (
        ("isl_stage", "isl_stages"),
        ("stemmer_sign", "stemmer_sign"),
        ("pitting", "pitting"),
    ):
        value = getattr(m, field)
        if value and value not in findings.codes(kind):
            errors[field] = [f"Choose one of {', '.join(findings.codes(kind))}, or leave it empty."]
    skin = m.skin
    if not isinstance(skin, list) or not all(isinstance(c, str) for c in skin):
        errors["skin"] = ["Give the skin findings as a list of codes."]
    else:
        unknown = [c for c in skin if c not in findings.codes("skin")]
        if unknown:
            errors["skin"] = [
                f"Unknown skin finding {unknown[0]!r}; choose from "
                f"{', '.join(findings.codes('skin'))}."
            ]
        elif len(set(skin)) != len(skin):
            errors["skin"] = ["Name each skin finding once."]
    if len(m.skin_note) > SKIN_NOTE_MAX or any(
        unicodedata.category(ch) in {"Cc", "Cf"} and ch not in "\n\t" for ch in m.skin_note
    ):
        errors["skin_note"] = [
            f"Describe the skin in at most {SKIN_NOTE_MAX} characters, without control characters."
        ]
    for rating in findings.ratings:
        value = getattr(m, rating.key)
        if value is None:
            continue
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not rating.low <= value <= rating.high
        ):
            errors[rating.key] = [
                f"The patient's {rating.label.lower()} rating is a whole number from "
                f"{rating.low} to {rating.high}."
            ]


def _complete_errors(m: LimbMeasurement) -> dict[str, list[str]]:
    """What signing needs beyond a valid draft: both limbs, measured the same way."""
    errors: dict[str, list[str]] = {}
    if m.method in DIRECT_METHODS:
        for limb in LIMBS:
            if getattr(m, f"{limb}_volume_ml") is None:
                errors[f"{limb}_volume_ml"] = ["Enter both limbs' volumes before signing."]
        return errors
    if not m.landmark.strip():
        errors["landmark"] = ["Name the landmark measured from (e.g. wrist, ankle)."]
    if m.interval_cm is None:
        errors["interval_cm"] = ["Give the interval between the points (cm)."]
    for limb in LIMBS:
        if not getattr(m, f"{limb}_circumferences_cm"):
            errors[f"{limb}_circumferences_cm"] = [
                "Measure both limbs at the same points before signing."
            ]
    left, right = m.left_circumferences_cm, m.right_circumferences_cm
    if left and right and len(left) != len(right):
        errors["right_circumferences_cm"] = [
            f"Both limbs are measured at the same points: {len(left)} on the left, "
            f"{len(right)} on the right."
        ]
    return errors


def _validate(m: LimbMeasurement) -> None:
    errors = _draft_errors(m, local_today(m.location))
    if errors:
        raise ValidationError(errors)


def record_measurement(
    *,
    actor: User,
    patient: Patient,
    location: Location,
    measured_on: dt.date,
    region: str,
    affected_side: str,
    method: str = LimbMeasurement.Method.TAPE,
    **content: Any,
) -> LimbMeasurement:
    """A draft limb measurement of one sitting, by the practitioner who took it."""
    practitioner = practitioner_of(actor)
    require_same_organization(actor, patient, location)
    unknown = sorted(set(content) - set(CONTENT_FIELDS) - set(FINDING_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))
    if patient.status != Patient.Status.ACTIVE:
        raise ValidationError(
            {"patient": f"The patient's record is {patient.get_status_display().lower()}."}
        )
    measurement = LimbMeasurement(
        organization_id=patient.organization_id,
        patient=patient,
        practitioner=practitioner,
        location=location,
        measured_on=measured_on,
        region=region,
        affected_side=affected_side,
        method=method,
        **content,
    )
    _validate(measurement)
    with transaction.atomic():
        measurement.save()
        audit(actor, Action.CREATE, measurement, measured_on=measured_on.isoformat())
    return measurement


def _editable(actor: User, measurement: LimbMeasurement) -> Practitioner:
    practitioner = practitioner_of(actor)
    require_same_organization(actor, measurement)
    if measurement.is_locked:
        raise MeasurementLocked(
            f"This measurement is {measurement.get_status_display().lower()} and cannot change."
        )
    require_own_or(
        actor, None, own=measurement.practitioner_id == practitioner.pk, what="the measurement"
    )
    return practitioner


def update_measurement(
    *, actor: User, measurement: LimbMeasurement, changes: dict[str, Any]
) -> LimbMeasurement:
    """Change a draft (its own practitioner only)."""
    _editable(actor, measurement)
    unknown = sorted(set(changes) - set(CONTENT_FIELDS) - set(FINDING_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))
    return records.change_draft(
        MEASUREMENT, actor=actor, record=measurement, changes=changes, validate=_validate
    )


def measurement_content(m: LimbMeasurement) -> dict[str, Any]:
    """What a signature covers."""
    return {
        "measurement": str(m.public_id),
        "patient": str(m.patient.public_id),
        "practitioner": str(m.practitioner.public_id),
        "location": str(m.location.public_id),
        "measured_on": m.measured_on.isoformat(),
        **{name: getattr(m, name) for name in CONTENT_FIELDS if name != "measured_on"},
        "rules_version": m.rules_version,
        **{
            name: getattr(m, name)
            for name in FINDING_FIELDS
            if getattr(m, name) not in ("", None, [])
        },
    }


def _sign_checks(actor: User, m: LimbMeasurement) -> None:
    practitioner = _editable(actor, m)
    errors = _draft_errors(m, local_today(m.location)) or _complete_errors(m)
    if errors:
        raise ValidationError(errors)
    require_current_license(practitioner, location=m.location, on=m.measured_on)


def _seal(m: LimbMeasurement) -> str:
    """Tape: the volumes computed now, with the data file's version, are sealed in."""
    m.rules_version = load_rules().version
    if m.method not in DIRECT_METHODS:
        interval = float(m.interval_cm or 0)
        m.left_volume_ml = limb_volume([float(c) for c in m.left_circumferences_cm], interval)
        m.right_volume_ml = limb_volume([float(c) for c in m.right_circumferences_cm], interval)
    return records.content_hash(measurement_content(m))


MEASUREMENT = records.Lifecycle(
    model=LimbMeasurement,
    what="measurement",
    audit=audit,
    locked=MeasurementLocked,
    check=_sign_checks,
    seal=_seal,
    sealed=("left_volume_ml", "right_volume_ml", "rules_version"),
    sign_detail=lambda m: {"rules_version": m.rules_version},
)


def sign_measurement(*, actor: User, measurement: LimbMeasurement) -> LimbMeasurement:
    """Sign a draft under the recorder's license; its content never changes afterwards."""
    return records.sign(MEASUREMENT, actor=actor, record=measurement)


def mark_measurement_entered_in_error(
    *, actor: User, measurement: LimbMeasurement, reason: str
) -> LimbMeasurement:
    """A measurement of the wrong patient or limb: kept, marked, and left out of the trend.
    Its practitioner, or a role that corrects other practitioners' records."""
    require(actor, Capability.CLINICAL_READ)
    require_same_organization(actor, measurement)
    own = Practitioner.objects.filter(user=actor, pk=measurement.practitioner_id).exists()
    if own:
        require(actor, Capability.CLINICAL_AUTHOR)
    else:
        require_own_or(actor, Capability.CLINICAL_CORRECT_OTHERS, own=False, what="the measurement")
    return records.enter_in_error(MEASUREMENT, actor=actor, record=measurement, reason=reason)


def audit_measurements_read(*, actor: User, patient: Patient, count: int) -> None:
    record(
        actor=actor,
        action=Action.READ,
        obj=patient,
        patient_id=str(patient.public_id),
        detail={"view": "limb measurements", "count": count},
    )
