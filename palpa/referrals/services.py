"""The only code that writes physicians, referrals, counted visits and overrides, and the
one place that answers "does the patient's referral cover this?".

- ``count_visit`` is called by the care app when a treatment note is signed;
- ``require_authorization`` is called before a plan of care is signed (and must be
  called by scheduling when appointments are booked);
- ``countdown`` and ``active_referral`` read the state of a referral on a day.

Every write checks the actor's role and organization, validates everything first, runs in
one transaction and leaves one audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from palpa.accounts.backends import NOT_READ, forget_read_with_account, read_with_account
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, require, tenant_id
from palpa.audit.services import Action, record
from palpa.core import icd10
from palpa.core.errors import Refused
from palpa.core.tenancy import require_same_organization, same_organization
from palpa.core.uploads import checked_document
from palpa.patients.models import Patient
from palpa.referrals import countdown as pure
from palpa.referrals.countdown import Countdown
from palpa.referrals.models import (
    DEFAULT_WARN_DAYS,
    DEFAULT_WARN_VISITS,
    Physician,
    Referral,
    ReferralOverride,
    ReferralPolicy,
    ReferralVisit,
)
from palpa.referrals.queries import referrals_to_watch

DEFAULT_PRESCRIPTION_MAX_BYTES = 10 * 1024 * 1024
MIN_REASON = 20
PHYSICIAN_FIELDS = (
    "given_name",
    "family_name",
    "credentials",
    "npi",
    "practice",
    "address",
    "phone",
    "fax",
    "secure_email",
    "preferred_delivery",
)
REFERRAL_FIELDS = (
    "physician",
    "diagnoses",
    "requested_service",
    "frequency",
    "visits_authorized",
    "starts_on",
    "expires_on",
    "precautions",
)


class ReferralRefused(Refused):
    """The referral does not cover what was asked; the message says why and what to do."""

    code = "referral"


def _check_fields(changes: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))


# --- the physician directory ---------------------------------------------------------


def _directory_errors(physician: Physician) -> None:
    """Every field's rule (the NPI's check digit among them), and one entry per NPI."""
    errors: dict[str, list[str]] = {}
    try:
        physician.full_clean(exclude=["organization"])
    except ValidationError as exc:
        errors = exc.message_dict
    duplicate = Physician.objects.filter(
        organization_id=physician.organization_id, npi=physician.npi
    )
    if physician.npi and "npi" not in errors and duplicate.exclude(pk=physician.pk).exists():
        errors["npi"] = ["A physician with this NPI is already in the directory."]
    if errors:
        raise ValidationError(errors)


def add_physician(*, actor: User, **fields: Any) -> Physician:
    require(actor, Capability.PHYSICIANS_WRITE)
    _check_fields(fields, (*PHYSICIAN_FIELDS, "active"))
    physician = Physician(organization=actor.organization, **fields)
    _directory_errors(physician)
    with transaction.atomic():
        physician.save()
        record(actor=actor, action=Action.CREATE, obj=physician)
    return physician


def update_physician(*, actor: User, physician: Physician, changes: Mapping[str, Any]) -> Physician:
    """Change a directory entry (``active`` False takes it out of new referrals and
    clearances; physicians are never deleted)."""
    require(actor, Capability.PHYSICIANS_WRITE)
    require_same_organization(actor, physician)
    _check_fields(changes, (*PHYSICIAN_FIELDS, "active"))
    stored = Physician.objects.get(pk=physician.pk)
    before = {name: getattr(stored, name) for name in changes}
    for name, value in changes.items():
        setattr(physician, name, value)
    try:
        _directory_errors(physician)
    except ValidationError:
        for name, value in before.items():
            setattr(physician, name, value)
        raise
    changed = {k: [str(before[k]), str(v)] for k, v in changes.items() if before[k] != v}
    with transaction.atomic():
        physician.save()
        record(actor=actor, action=Action.UPDATE, obj=physician, detail={"changed": changed})
    return physician


# --- policy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    warn_visits_left: int
    warn_days_left: int


POLICY_READ = "referral_policy_row"
POLICY_FIELDS = ("warn_visits_left", "warn_days_left")


def policy_for(organization_id: int, *, actor: Any = None) -> Policy:
    """The organization's warning thresholds, else the deployment's, else 2 and 7.
    With ``actor`` (this request's account) the row read with the account is used."""
    row = read_with_account(actor, POLICY_READ, organization_id)
    if row is NOT_READ:
        rows = ReferralPolicy.objects.filter(organization_id=organization_id)
        row = rows.values(*POLICY_FIELDS).first()
    if row is not None:
        return Policy(row["warn_visits_left"], row["warn_days_left"])
    return Policy(
        int(getattr(settings, "PALPA_REFERRAL_WARN_VISITS", DEFAULT_WARN_VISITS)),
        int(getattr(settings, "PALPA_REFERRAL_WARN_DAYS", DEFAULT_WARN_DAYS)),
    )


def set_referral_policy(
    *, actor: User, warn_visits_left: int, warn_days_left: int
) -> ReferralPolicy:
    require(actor, Capability.REFERRALS_CONFIGURE)
    assert actor.organization_id is not None
    policy = ReferralPolicy.objects.filter(organization_id=actor.organization_id).first()
    policy = policy or ReferralPolicy(organization_id=actor.organization_id)
    before = {"warn_visits_left": policy.warn_visits_left, "warn_days_left": policy.warn_days_left}
    policy.warn_visits_left = warn_visits_left
    policy.warn_days_left = warn_days_left
    policy.full_clean(exclude=["organization"])
    forget_read_with_account(actor, POLICY_READ)
    with transaction.atomic():
        policy.save()
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=policy,
            detail={
                "from": before,
                "to": {"warn_visits_left": warn_visits_left, "warn_days_left": warn_days_left},
            },
        )
    return policy


# --- the countdown --------------------------------------------------------------------


def visits_used(referral: Referral) -> int:
    annotated = getattr(referral, "visits_used", None)
    if isinstance(annotated, int):
        return annotated
    return referral.visits.count()


def countdown(referral: Referral, today: dt.date, *, policy: Policy | None = None) -> Countdown:
    """Visits authorized, used and left, days left, the status on ``today`` and the
    warning (thresholds from the organization's policy)."""
    policy = policy or policy_for(referral.organization_id)
    return pure.compute(
        visits_authorized=referral.visits_authorized,
        visits_used=visits_used(referral),
        starts_on=referral.starts_on,
        expires_on=referral.expires_on,
        cancelled=referral.status == Referral.Status.CANCELLED,
        today=today,
        warn_visits=policy.warn_visits_left,
        warn_days=policy.warn_days_left,
    )


def _covering(patient: Patient, on: dt.date) -> list[Referral]:
    """The patient's referrals not cancelled whose dates include ``on``, oldest first."""
    return list(
        Referral.objects.filter(
            patient=patient, starts_on__lte=on, expires_on__gte=on, status=Referral.Status.ACTIVE
        )
        .select_related("physician")
        .order_by("starts_on", "created_at", "pk")
    )


def active_referral(patient: Patient, on: dt.date) -> Referral | None:
    """The referral in effect for the patient on a day: not cancelled, within its dates
    and with visits left (the oldest such, which is used up first); None if there is none."""
    for referral in _covering(patient, on):
        if referral.visits.count() < referral.visits_authorized:
            return referral
    return None


def latest_referral(patient: Patient) -> Referral | None:
    return Referral.objects.filter(patient=patient).select_related("physician").first()


# --- referrals ------------------------------------------------------------------------


def _checked_prescription(file: UploadedFile[bytes]) -> tuple[str, str, bytes]:
    """The file's content type, extension and bytes, or ValidationError on ``prescription``."""
    limit = int(getattr(settings, "PALPA_PRESCRIPTION_MAX_BYTES", DEFAULT_PRESCRIPTION_MAX_BYTES))
    too_big = {"prescription": f"The prescription is larger than {limit // (1024 * 1024)} MB."}
    if file.size is not None and file.size > limit:
        raise ValidationError(too_big)
    content = file.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(too_big)
    if not content:
        raise ValidationError({"prescription": "The prescription file is empty."})
    content_type, extension = checked_document(
        content, field="prescription", label="The prescription"
    )
    return content_type, extension, content


def _original_name(file: UploadedFile[bytes]) -> str:
    name = PurePath(str(file.name or "prescription")).name
    return re.sub(r"[^\w.\- ]", "_", name)[:200] or "prescription"


def _attach(referral: Referral, file: UploadedFile[bytes]) -> None:
    content_type, extension, content = _checked_prescription(file)
    referral.prescription_name = _original_name(file)
    referral.prescription_content_type = content_type
    referral.prescription_size = len(content)
    referral.prescription_sha256 = hashlib.sha256(content).hexdigest()
    referral.prescription.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(content), save=False)


def _diagnoses(codes: Any) -> tuple[list[str], list[str]]:
    if not isinstance(codes, (list, tuple)) or not codes:
        return [], ["Give at least one ICD-10-CM code from the bundled subset."]
    found: list[str] = []
    problems: list[str] = []
    for code in codes:
        try:
            checked = icd10.validate(str(code))
        except icd10.Icd10Error as exc:
            problems.append(f"{code}: {exc}")
        else:
            if checked.code not in found:
                found.append(checked.code)
    return found, problems


def _referral_errors(actor: User, referral: Referral, codes: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    physician = referral.physician
    if not same_organization(physician, actor):
        errors["physician"] = ["No physician of your directory has this id."]
    elif not physician.active:
        errors["physician"] = ["This physician is no longer active in the directory."]
    found, problems = _diagnoses(codes)
    if problems:
        errors["diagnoses"] = problems
    referral.diagnoses = found
    referral.codeset_version = icd10.code_set().version
    referral.requested_service = str(referral.requested_service or "").strip()
    referral.frequency = str(referral.frequency or "").strip()
    referral.precautions = str(referral.precautions or "").strip()
    if not referral.requested_service:
        errors["requested_service"] = ["Say what the physician requests (e.g. 'medical massage')."]
    if referral.starts_on and referral.expires_on and referral.expires_on < referral.starts_on:
        errors["expires_on"] = ["A referral cannot expire before it starts."]
    try:
        referral.full_clean(  # the constraints' rules are checked above, by field
            exclude=["organization", "patient", "physician", "recorded_by"],
            validate_constraints=False,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            if name not in errors:
                errors[name] = messages
    return errors


def record_referral(
    *,
    actor: User,
    patient: Patient,
    physician: Physician,
    diagnoses: list[str],
    requested_service: str,
    visits_authorized: int,
    starts_on: dt.date,
    expires_on: dt.date,
    frequency: str = "",
    precautions: str = "",
    prescription: UploadedFile[bytes] | None = None,
) -> Referral:
    """A physician's referral (prescription) for a patient, with the scanned document."""
    require(actor, Capability.REFERRALS_WRITE)
    require_same_organization(actor, patient)
    if patient.status != Patient.Status.ACTIVE:
        raise ValidationError(
            {"patient": f"The patient's record is {patient.get_status_display().lower()}."}
        )
    referral = Referral(
        organization_id=patient.organization_id,
        patient=patient,
        physician=physician,
        requested_service=requested_service,
        frequency=frequency,
        visits_authorized=visits_authorized,
        starts_on=starts_on,
        expires_on=expires_on,
        precautions=precautions,
        recorded_by=actor,
    )
    errors = _referral_errors(actor, referral, diagnoses)
    if prescription is not None:
        try:
            _checked_prescription(prescription)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        prescription.seek(0)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if prescription is not None:
            _attach(referral, prescription)
        referral.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=referral,
            patient_id=str(patient.public_id),
            detail={
                "physician": str(physician.public_id),
                "diagnoses": referral.diagnoses,
                "visits_authorized": referral.visits_authorized,
                "starts_on": starts_on.isoformat(),
                "expires_on": expires_on.isoformat(),
                "prescription_sha256": referral.prescription_sha256,
            },
        )
    return referral


def update_referral(
    *,
    actor: User,
    referral: Referral,
    changes: Mapping[str, Any],
    prescription: UploadedFile[bytes] | None = None,
) -> Referral:
    """Correct or extend a referral (say the physician authorizes more visits), or attach
    its scanned prescription. A cancelled referral does not change."""
    require(actor, Capability.REFERRALS_WRITE)
    require_same_organization(actor, referral)
    _check_fields(changes, REFERRAL_FIELDS)
    if referral.status == Referral.Status.CANCELLED:
        raise ReferralRefused("This referral is cancelled and cannot change.")
    stored = Referral.objects.get(pk=referral.pk)
    before = {name: getattr(stored, name) for name in changes}
    for name, value in changes.items():
        if name != "diagnoses":
            setattr(referral, name, value)
    errors = _referral_errors(actor, referral, changes.get("diagnoses", stored.diagnoses))
    if prescription is not None:
        try:
            _checked_prescription(prescription)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        prescription.seek(0)
    if errors:
        referral.refresh_from_db()
        raise ValidationError(errors)
    changed = {
        k: [str(before[k]), str(getattr(referral, k))]
        for k in changes
        if before[k] != getattr(referral, k)
    }
    with transaction.atomic():
        if prescription is not None:
            _attach(referral, prescription)
            changed["prescription_sha256"] = [
                stored.prescription_sha256,
                referral.prescription_sha256,
            ]
        referral.save()
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=referral,
            patient_id=str(referral.patient.public_id),
            detail={"changed": changed},
        )
    return referral


def cancel_referral(*, actor: User, referral: Referral, reason: str) -> Referral:
    """The physician withdrew the referral, or it was recorded by mistake: kept, marked
    cancelled with the reason, no longer counted or in effect."""
    require(actor, Capability.REFERRALS_WRITE)
    require_same_organization(actor, referral)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the referral is cancelled."})
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if locked.status == Referral.Status.CANCELLED:
            raise ReferralRefused("This referral is already cancelled.")
        referral.status = Referral.Status.CANCELLED
        referral.cancelled_reason = reason.strip()
        referral.cancelled_at = timezone.now()
        referral.cancelled_by = actor
        referral.save(
            update_fields=[
                "status",
                "cancelled_reason",
                "cancelled_at",
                "cancelled_by",
                "updated_at",
            ]
        )
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=referral,
            patient_id=str(referral.patient.public_id),
            detail={"status": "cancelled", "reason": referral.cancelled_reason},
        )
    return referral


def audit_referral_read(*, actor: User, patient: Patient, what: str) -> None:
    record(
        actor=actor,
        action=Action.READ,
        object_type="Referral",
        patient_id=str(patient.public_id),
        detail={"what": what},
    )


def audit_prescription_read(*, actor: User, referral: Referral) -> None:
    record(
        actor=actor,
        action=Action.READ,
        obj=referral,
        patient_id=str(referral.patient.public_id),
        detail={"prescription": referral.prescription_name},
    )


# --- counted visits -------------------------------------------------------------------


def count_visit(
    *, actor: User, patient: Patient, note_public_id: UUID, visit_on: dt.date
) -> ReferralVisit | None:
    """Count a signed treatment note against the patient's referral in effect on the visit
    date (called inside the note's signing transaction). Without such a referral nothing
    is counted; when every covering referral is used up, the visit counts against the
    newest of them (beyond its authorization, as an owner's override allows). Counting
    the same note twice changes nothing."""
    require_same_organization(actor, patient)
    existing = ReferralVisit.every_visit.filter(note_public_id=note_public_id).first()
    if existing is not None:
        return existing
    covering = _covering(patient, visit_on)
    if not covering:
        return None
    with transaction.atomic():
        # Two notes signed at once must not both take the last authorized visit.
        list(Referral.objects.select_for_update().filter(pk__in=[r.pk for r in covering]))
        referral = next(
            (r for r in covering if r.visits.count() < r.visits_authorized), covering[-1]
        )
        visit = ReferralVisit.objects.create(
            organization_id=patient.organization_id,
            referral=referral,
            note_public_id=note_public_id,
            visit_on=visit_on,
        )
        record(
            actor=actor,
            action=Action.CREATE,
            obj=visit,
            patient_id=str(patient.public_id),
            detail={
                "referral": str(referral.public_id),
                "note": str(note_public_id),
                "visit_on": visit_on.isoformat(),
                "visits_used": referral.visits.count(),
            },
        )
    return visit


def withdraw_visit(*, actor: User, note_public_id: UUID, reason: str) -> ReferralVisit | None:
    """The note behind a counted visit was entered in error: the visit stops counting
    (kept, marked withdrawn, audited). Called inside the note's marking transaction; a
    note that was never counted changes nothing."""
    visit = (
        ReferralVisit.objects.select_related("referral__patient")
        .filter(note_public_id=note_public_id, organization_id=tenant_id(actor))
        .first()
    )
    if visit is None:
        return None
    with transaction.atomic():
        visit.withdrawn_at = timezone.now()
        visit.withdrawn_reason = reason.strip()[:300]
        visit.save(update_fields=["withdrawn_at", "withdrawn_reason", "updated_at"])
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=visit,
            patient_id=str(visit.referral.patient.public_id),
            detail={
                "referral": str(visit.referral.public_id),
                "note": str(note_public_id),
                "withdrawn": visit.withdrawn_reason,
                "visits_used": visit.referral.visits.count(),
            },
        )
    return visit


# --- authorization of new care --------------------------------------------------------


def _problems(
    patient: Patient, on: dt.date, visits_planned: int | None, ends_on: dt.date | None
) -> tuple[Referral | None, list[str]]:
    """The referral the request is judged against, and what it does not cover."""
    referral = active_referral(patient, on)
    if referral is None:
        latest = latest_referral(patient)
        if latest is None:
            return None, []  # no referral at all: the patient came without one
        state = countdown(latest, on)
        return latest, [
            f"No referral is in effect on {on.isoformat()}: the latest, from "
            f"{latest.physician}, is {state.status} ({state.visits_used} of "
            f"{state.visits_authorized} visits used, expires {latest.expires_on.isoformat()})."
        ]
    state = countdown(referral, on)
    problems = []
    if visits_planned is not None and visits_planned > state.visits_left:
        problems.append(
            f"{visits_planned} visits are planned but the referral from {referral.physician} "
            f"has {state.visits_left} of {state.visits_authorized} left."
        )
    if ends_on is not None and ends_on > referral.expires_on:
        problems.append(
            f"The care runs to {ends_on.isoformat()}, past the referral's expiry on "
            f"{referral.expires_on.isoformat()}."
        )
    return referral, problems


def _covered_by(
    referral: Referral, visits_planned: int | None, ends_on: dt.date | None
) -> ReferralOverride | None:
    for override in referral.overrides.all():
        visits_ok = (
            override.visits_planned is None
            or visits_planned is None
            or visits_planned <= override.visits_planned
        )
        date_ok = override.ends_on is None or ends_on is None or ends_on <= override.ends_on
        if visits_ok and date_ok:
            return override
    return None


def _grant(
    actor: User,
    patient: Patient,
    referral: Referral,
    reason: str,
    visits_planned: int | None,
    ends_on: dt.date | None,
    problems: list[str],
    field: str = "override_reason",
) -> ReferralOverride:
    require(
        actor,
        Capability.REFERRALS_OVERRIDE,
        "Only an owner may override a referral's authorization.",
    )
    require_same_organization(actor, patient)
    if len(reason.strip()) < MIN_REASON:
        raise ValidationError(
            {field: f"Write the reason in full (at least {MIN_REASON} characters)."}
        )
    override = ReferralOverride(
        organization_id=patient.organization_id,
        patient=patient,
        referral=referral,
        reason=reason.strip(),
        visits_planned=visits_planned,
        ends_on=ends_on,
        granted_by=actor,
    )
    with transaction.atomic():
        override.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=override,
            patient_id=str(patient.public_id),
            detail={
                "referral": str(referral.public_id),
                "reason": override.reason,
                "visits_planned": visits_planned,
                "ends_on": ends_on.isoformat() if ends_on else None,
                "beyond": problems,
            },
        )
    return override


def require_authorization(
    *,
    actor: User,
    patient: Patient,
    visits_planned: int | None,
    ends_on: dt.date | None,
    override_reason: str = "",
    on: dt.date | None = None,
) -> ReferralOverride | None:
    """Refuse (``ReferralRefused``, 409) new care that goes beyond the visits left on the
    patient's referral or past its expiry, or that comes after the referral has lapsed,
    unless an owner's override covers it. An owner may give ``override_reason`` here to
    grant it on the spot (stored and audited); anyone else giving one is refused.
    A patient who never had a referral needs none. Returns the override relied on."""
    day = on or timezone.localdate()
    referral, problems = _problems(patient, day, visits_planned, ends_on)
    if referral is None or not problems:
        return None
    if override_reason.strip():
        return _grant(actor, patient, referral, override_reason, visits_planned, ends_on, problems)
    covered = _covered_by(referral, visits_planned, ends_on)
    if covered is not None:
        return covered
    raise ReferralRefused(
        " ".join(problems)
        + " An owner may override this with a written reason, or record a new referral."
    )


def override_authorization(
    *,
    actor: User,
    patient: Patient,
    reason: str,
    visits_planned: int | None = None,
    ends_on: dt.date | None = None,
) -> ReferralOverride:
    """An owner allows care beyond the patient's latest referral, in writing: up to
    ``visits_planned`` visits and to ``ends_on`` when given, otherwise without limit."""
    referral = latest_referral(patient)
    if referral is None:
        raise ReferralRefused("This patient has no referral: there is nothing to override.")
    require_same_organization(actor, patient)
    if visits_planned is not None and visits_planned < 1:
        raise ValidationError({"visits_planned": "Give at least one visit, or leave it empty."})
    return _grant(actor, patient, referral, reason, visits_planned, ends_on, [], "reason")


@dataclass(frozen=True)
class Watched:
    referral: Referral
    countdown: Countdown


def referrals_running_low(*, actor: User, today: dt.date) -> list[Watched]:
    """The owner's dashboard list: referrals of active patients that warn (few visits or
    days left) or lapsed within the last 30 days while the patient has no other referral
    in effect; fewest visits left first."""
    if actor.organization_id is None:
        return []
    policy = policy_for(actor.organization_id)
    rows = [
        Watched(r, countdown(r, today, policy=policy)) for r in referrals_to_watch(actor, today)
    ]
    covered = {w.referral.patient_id for w in rows if w.countdown.status == pure.ACTIVE}
    shown = [
        w
        for w in rows
        if w.countdown.warning
        and (w.countdown.status == pure.ACTIVE or w.referral.patient_id not in covered)
    ]
    return sorted(shown, key=lambda w: (w.countdown.visits_left, w.countdown.days_left))
