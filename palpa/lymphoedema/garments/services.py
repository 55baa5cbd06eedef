"""The only code that writes garment prescriptions, their fittings and the clinic's
garment settings. Every verb checks the actor's role and organization, validates before
it writes, runs in one transaction and leaves one audit entry.

A prescription is a signed record (``core.records``): a draft its practitioner changes,
signed under a license current on the day prescribed, then never changed; marked in
error, never deleted. The fitting comes later (``record_fitting``): its date and the
replacement due date (fitting + the clinic's interval in months) are stored with it."""

from __future__ import annotations

import calendar
import datetime as dt
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, require, require_own_or, tenant_id
from palpa.audit.services import Action, record
from palpa.care.authoring import practitioner_of
from palpa.core import records
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.tenancy import require_same_organization
from palpa.lymphoedema.garments.catalogue import load_garments
from palpa.lymphoedema.models import (
    GarmentFitting,
    GarmentPrescription,
    GarmentSettings,
    LimbMeasurement,
)
from palpa.lymphoedema.rules import load_rules
from palpa.lymphoedema.volumes import VolumeInputError, check_circumferences, check_interval
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import require_current_license

CONTENT_FIELDS = (
    "prescribed_on",
    "limb",
    "side",
    "garment_type",
    "knit",
    "standard",
    "compression_class",
    "measurement",
    "landmark",
    "interval_cm",
    "left_circumferences_cm",
    "right_circumferences_cm",
    "product",
    "quantity",
    "notes",
)
QUANTITY_MAX = 20  # Palpa's own check against typing slips
TEXT_MAX = {"landmark": 60, "product": 200, "notes": 500}
FITTING_NOTE_MAX = 300
LIMBS = ("left", "right")


class PrescriptionLocked(Refused):
    code = "prescription_locked"


class FittingRefused(Refused):
    code = "fitting_refused"


def audit(actor: User, action: str, prescription: GarmentPrescription, **detail: Any) -> Any:
    return record(
        actor=actor,
        action=action,
        obj=prescription,
        patient_id=str(prescription.patient.public_id),
        detail=detail,
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the month's last day when it is shorter
    (Aug 31 + 6 months = Feb 28, or Feb 29 in a leap year)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- the clinic's setting ----------------------------------------------------------------


def replacement_interval(organization_id: int) -> int:
    """The clinic's replacement interval in months (the data file's default unless the
    owner set another)."""
    months = (
        GarmentSettings.objects.filter(organization_id=organization_id)
        .values_list("replacement_interval_months", flat=True)
        .first()
    )
    return int(months) if months else load_garments().replacement.default_months


def set_replacement_interval(*, actor: User, months: int) -> GarmentSettings:
    """The owner sets how many months after its fitting a garment is due for replacement
    (from fittings recorded from now on; those recorded keep their due date)."""
    require(actor, Capability.ORGANIZATION_MANAGE)
    bounds = load_garments().replacement
    if (
        not isinstance(months, int)
        or isinstance(months, bool)
        or not bounds.min_months <= months <= bounds.max_months
    ):
        raise ValidationError(
            {
                "replacement_interval_months": (
                    f"Give a whole number of months from {bounds.min_months} to "
                    f"{bounds.max_months}."
                )
            }
        )
    with transaction.atomic():
        found, _ = GarmentSettings.objects.select_for_update().get_or_create(
            organization_id=tenant_id(actor),
            defaults={"replacement_interval_months": months},
        )
        previous = found.replacement_interval_months
        found.replacement_interval_months = months
        found.save()
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=found,
            detail={"replacement_interval_months": months, "was": previous},
        )
    return found


# --- validation ----------------------------------------------------------------------------


def _bad_text(value: str, allow_newlines: bool = False) -> bool:
    return any(
        unicodedata.category(ch) in {"Cc", "Cf"} and not (allow_newlines and ch in "\n\t")
        for ch in value
    )


def _draft_errors(p: GarmentPrescription, today: dt.date) -> dict[str, list[str]]:
    """What is wrong with a draft's values as far as they are given."""
    data = load_garments()
    errors: dict[str, list[str]] = {}

    def bad(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if p.limb not in GarmentPrescription.Limb.values:
        bad("limb", "Choose the arm or the leg.")
    if p.side not in GarmentPrescription.Side.values:
        bad("side", "Choose the left side, the right side or both.")
    if p.prescribed_on > today:
        bad("prescribed_on", "A prescription is dated today or earlier.")
    types = {c.code: c for c in data.garment_types}
    kind = types.get(p.garment_type)
    if kind is None:
        bad("garment_type", f"Choose one of {', '.join(types)}.")
    elif kind.region not in ("any", p.limb):
        bad("garment_type", f"A {kind.label.lower()} is not worn on the {p.limb}.")
    if p.knit not in data.codes("knits"):
        bad("knit", f"Choose one of {', '.join(data.codes('knits'))}.")
    standard = data.standard(p.standard)
    if standard is None:
        bad("standard", f"Choose one of {', '.join(s.code for s in data.standards)}.")
    elif standard.klass(p.compression_class) is None:
        bad(
            "compression_class",
            f"{standard.label} has classes {', '.join(c.code for c in standard.classes)}.",
        )
    for name, limit in TEXT_MAX.items():
        value = getattr(p, name)
        if len(value) > limit or _bad_text(value, allow_newlines=name == "notes"):
            bad(name, f"At most {limit} characters, without control characters.")
    if (
        not isinstance(p.quantity, int)
        or isinstance(p.quantity, bool)
        or not 1 <= p.quantity <= QUANTITY_MAX
    ):
        bad("quantity", f"Order from 1 to {QUANTITY_MAX} garments.")
    m = p.measurement
    typed = bool(p.left_circumferences_cm or p.right_circumferences_cm)
    if m is not None:
        if m.patient_id != p.patient_id or m.status != LimbMeasurement.Status.SIGNED:
            bad("measurement", "Choose a signed limb measurement of this patient.")
        elif m.region != p.limb:
            bad("measurement", f"This measurement is of the {m.region}s, not the {p.limb}s.")
        elif m.method != LimbMeasurement.Method.TAPE:
            bad("measurement", "A garment is made from circumferences: choose a tape measurement.")
        if typed or p.landmark.strip() or p.interval_cm is not None:
            bad(
                "measurement",
                "Use either a signed measurement or circumferences typed here, not both.",
            )
    rules = load_rules()
    if p.interval_cm is not None:
        try:
            check_interval(float(p.interval_cm), argument="interval_cm", rules=rules)
        except (VolumeInputError, TypeError, ValueError) as exc:
            bad("interval_cm", str(exc).split(": ", 1)[-1])
    for limb in LIMBS:
        field = f"{limb}_circumferences_cm"
        values = getattr(p, field)
        if not isinstance(values, list) or not all(
            isinstance(c, int | float) and not isinstance(c, bool) for c in values
        ):
            bad(field, "Give the circumferences as a list of numbers (cm).")
        elif values:
            try:
                check_circumferences([float(c) for c in values], argument=field, rules=rules)
            except VolumeInputError as exc:
                bad(field, str(exc).split(": ", 1)[1])
            if p.side not in (limb, "both"):
                bad(field, f"The garment is for the {p.side} side; leave the {limb} side empty.")
    return errors


def _complete_errors(p: GarmentPrescription) -> dict[str, list[str]]:
    """What signing needs beyond a valid draft: the measurements the garment is made from."""
    if p.measurement is not None:
        return {}
    errors: dict[str, list[str]] = {}
    sides = LIMBS if p.side == "both" else (p.side,)
    for limb in sides:
        if not getattr(p, f"{limb}_circumferences_cm"):
            errors[f"{limb}_circumferences_cm"] = [
                "Choose a signed limb measurement or type the circumferences the garment is "
                "made from."
            ]
    if not errors:
        if not p.landmark.strip():
            errors["landmark"] = ["Name the landmark measured from (e.g. wrist, ankle)."]
        if p.interval_cm is None:
            errors["interval_cm"] = ["Give the interval between the points (cm)."]
        if p.side == "both" and len(p.left_circumferences_cm) != len(p.right_circumferences_cm):
            errors["right_circumferences_cm"] = ["Measure both limbs at the same points."]
    return errors


def _validate(p: GarmentPrescription) -> None:
    errors = _draft_errors(p, local_today(p.location))
    if errors:
        raise ValidationError(errors)


def _unknown(content: dict[str, Any]) -> None:
    unknown = sorted(set(content) - set(CONTENT_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))


# --- the prescription ------------------------------------------------------------------------


def prescribe_garment(
    *,
    actor: User,
    patient: Patient,
    location: Location,
    **content: Any,
) -> GarmentPrescription:
    """A draft garment prescription by the practitioner who prescribes it."""
    practitioner = practitioner_of(actor)
    require_same_organization(actor, patient, location)
    _unknown(content)
    if patient.status != Patient.Status.ACTIVE:
        raise ValidationError(
            {"patient": f"The patient's record is {patient.get_status_display().lower()}."}
        )
    content.setdefault("prescribed_on", local_today(location))
    prescription = GarmentPrescription(
        organization_id=patient.organization_id,
        patient=patient,
        practitioner=practitioner,
        location=location,
        **content,
    )
    _validate(prescription)
    with transaction.atomic():
        prescription.save()
        audit(
            actor,
            Action.CREATE,
            prescription,
            prescribed_on=prescription.prescribed_on.isoformat(),
        )
    return prescription


def _editable(actor: User, p: GarmentPrescription) -> Practitioner:
    practitioner = practitioner_of(actor)
    require_same_organization(actor, p)
    if p.is_locked:
        raise PrescriptionLocked(
            f"This prescription is {p.get_status_display().lower()} and cannot change."
        )
    require_own_or(actor, None, own=p.practitioner_id == practitioner.pk, what="the prescription")
    return practitioner


def update_prescription(
    *, actor: User, prescription: GarmentPrescription, changes: dict[str, Any]
) -> GarmentPrescription:
    """Change a draft (its own practitioner only)."""
    _editable(actor, prescription)
    _unknown(changes)
    return records.change_draft(
        PRESCRIPTION,
        actor=actor,
        record=prescription,
        changes=changes,
        validate=_validate,
        stored=GarmentPrescription.objects.select_related("location", "measurement"),
    )


def prescription_content(p: GarmentPrescription) -> dict[str, Any]:
    """What a signature covers."""
    return {
        "prescription": str(p.public_id),
        "patient": str(p.patient.public_id),
        "practitioner": str(p.practitioner.public_id),
        "location": str(p.location.public_id),
        **{
            name: getattr(p, name)
            for name in CONTENT_FIELDS
            if name not in ("measurement", "prescribed_on")
        },
        "prescribed_on": p.prescribed_on.isoformat(),
        "measurement": str(p.measurement.public_id) if p.measurement else None,
        "measurement_hash": p.measurement.content_hash if p.measurement else None,
        "data_version": p.data_version,
    }


def _sign_checks(actor: User, p: GarmentPrescription) -> None:
    practitioner = _editable(actor, p)
    errors = _draft_errors(p, local_today(p.location)) or _complete_errors(p)
    if errors:
        raise ValidationError(errors)
    require_current_license(practitioner, location=p.location, on=p.prescribed_on)


def _seal(p: GarmentPrescription) -> str:
    p.data_version = load_garments().version
    return records.content_hash(prescription_content(p))


PRESCRIPTION = records.Lifecycle(
    model=GarmentPrescription,
    what="prescription",
    audit=audit,
    locked=PrescriptionLocked,
    check=_sign_checks,
    seal=_seal,
    sealed=("data_version",),
    sign_detail=lambda p: {"data_version": p.data_version},
)


def sign_prescription(*, actor: User, prescription: GarmentPrescription) -> GarmentPrescription:
    """Sign a draft under the prescriber's license; its content never changes afterwards."""
    return records.sign(PRESCRIPTION, actor=actor, record=prescription)


def mark_prescription_entered_in_error(
    *, actor: User, prescription: GarmentPrescription, reason: str
) -> GarmentPrescription:
    """A prescription for the wrong patient or limb: kept, marked, and left out of the
    reminders. Its practitioner, or a role that corrects other practitioners' records."""
    require(actor, Capability.CLINICAL_READ)
    require_same_organization(actor, prescription)
    own = Practitioner.objects.filter(user=actor, pk=prescription.practitioner_id).exists()
    if own:
        require(actor, Capability.CLINICAL_AUTHOR)
    else:
        require_own_or(
            actor, Capability.CLINICAL_CORRECT_OTHERS, own=False, what="the prescription"
        )
    return records.enter_in_error(PRESCRIPTION, actor=actor, record=prescription, reason=reason)


# --- the fitting ---------------------------------------------------------------------------


def record_fitting(
    *,
    actor: User,
    prescription: GarmentPrescription,
    fitted_on: dt.date | None = None,
    note: str = "",
) -> GarmentFitting:
    """The garment was fitted: the date (the clinic's today unless given), and the
    replacement due date, the fitting date plus the clinic's interval in months. Any
    practitioner of the organization with a current license on the day; once per
    prescription."""
    practitioner = practitioner_of(actor)
    require_same_organization(actor, prescription)
    if prescription.status != GarmentPrescription.Status.SIGNED:
        raise FittingRefused("Only a signed prescription is fitted.")
    today = local_today(prescription.location)
    fitted_on = fitted_on or today
    errors: dict[str, list[str]] = {}
    if fitted_on > today:
        errors["fitted_on"] = ["A fitting is recorded once it has happened (today or earlier)."]
    elif fitted_on < prescription.prescribed_on:
        errors["fitted_on"] = [
            f"The fitting comes after the prescription ({prescription.prescribed_on:%b %-d, %Y})."
        ]
    note = note.strip()
    if len(note) > FITTING_NOTE_MAX or _bad_text(note):
        errors["note"] = [f"At most {FITTING_NOTE_MAX} characters, without control characters."]
    if errors:
        raise ValidationError(errors)
    require_current_license(practitioner, location=prescription.location, on=fitted_on)
    months = replacement_interval(prescription.organization_id)
    fitting = GarmentFitting(
        organization_id=prescription.organization_id,
        prescription=prescription,
        fitted_on=fitted_on,
        interval_months=months,
        replacement_due_on=add_months(fitted_on, months),
        recorded_by=actor,
        note=note,
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                fitting.save()
        except IntegrityError as exc:
            raise FittingRefused("This garment's fitting is already recorded.") from exc
        audit(
            actor,
            Action.UPDATE,
            prescription,
            fitted_on=fitted_on.isoformat(),
            replacement_due_on=fitting.replacement_due_on.isoformat(),
            interval_months=months,
        )
    return fitting


def audit_prescriptions_read(*, actor: User, patient: Patient, count: int, view: str) -> None:
    record(
        actor=actor,
        action=Action.READ,
        obj=patient,
        patient_id=str(patient.public_id),
        detail={"view": view, "count": count},
    )
