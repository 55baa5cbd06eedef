"""The only code that writes patients, consents and allergies: one transaction, one audit
entry each. Patients are never deleted; a record made in error is marked so."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from palpa.accounts.models import Location, Organization, User
from palpa.accounts.permissions import Capability, require, tenant_id
from palpa.audit.services import Action, read_and_record, record
from palpa.core.dates import local_today
from palpa.core.db import hot_cursor
from palpa.core.rows import insert
from palpa.core.tenancy import ANOTHER_ORGANIZATIONS_PATIENT, require_same_organization
from palpa.patients import queries
from palpa.patients.models import Allergy, Consent, Guardian, Patient, phone_digits

# Fields staff may set through forms and the API (status changes go through their own verbs).
DEMOGRAPHIC_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "pronouns",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "preferred_language",
    "preferred_channel",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "primary_location",
)


def _next_mrn(organization_id: int) -> str:
    """Take the organization's next medical record number (inside the caller's transaction).

    One statement: the increment locks the organization's row until the caller commits,
    so two creations never take the same number.
    """
    table = connection.ops.quote_name(Organization._meta.db_table)
    with hot_cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET next_mrn = next_mrn + 1 WHERE id = %s"  # noqa: S608
            " RETURNING next_mrn",
            [organization_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise ValueError(f"no organization with id {organization_id}")
    return f"P{int(row[0]) - 1:06d}"


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(DEMOGRAPHIC_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))


def _validate(organization_id: int | None, patient: Patient) -> None:
    """Every rule at once, so a form or API client sees all its mistakes in one answer."""
    errors: dict[str, list[str]] = {}
    try:
        # public_id is a fresh UUID4 (the database's unique index still guards it):
        # checking it for uniqueness would cost a query on every creation. A primary
        # location already loaded needs no query to prove it exists; its organization is
        # checked below.
        exclude = ["mrn", "search_name", "organization", "public_id"]
        if Patient.primary_location.is_cached(patient):
            exclude.append("primary_location")
        patient.full_clean(exclude=exclude)
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    born = patient.date_of_birth
    if isinstance(born, dt.date) and born > timezone.localdate():
        errors.setdefault("date_of_birth", []).append("The date of birth cannot be in the future.")
    elif isinstance(born, dt.date) and born < dt.date(1900, 1, 1):
        errors.setdefault("date_of_birth", []).append("The date of birth must be after 1900-01-01.")
    loc = patient.primary_location
    if loc is not None and loc.organization_id != organization_id:
        errors.setdefault("primary_location", []).append(
            "Choose one of your organization's locations."
        )
    if errors:
        raise ValidationError(errors)


def validate_patient(*, actor: User, patient: Patient) -> None:
    """Check an unsaved record against every rule; one ValidationError lists them all."""
    _validate(actor.organization_id, patient)


def create_patient(*, actor: User, **fields: Any) -> Patient:
    require(actor, Capability.PATIENTS_WRITE)
    _check_fields(fields)
    patient = Patient(organization_id=tenant_id(actor), **fields)
    patient.refresh_search_name()
    _validate(actor.organization_id, patient)
    with transaction.atomic():
        patient.mrn = _next_mrn(patient.organization_id)
        insert(patient, connection.alias)  # save() without compiling the INSERT each time
        record(actor=actor, action=Action.CREATE, obj=patient, patient_id=str(patient.public_id))
    return patient


def update_patient(*, actor: User, patient: Patient, changes: dict[str, Any]) -> Patient:
    """Apply demographic changes; all are validated before anything is written."""
    require(actor, Capability.PATIENTS_WRITE)
    require_same_organization(actor, patient, message=ANOTHER_ORGANIZATIONS_PATIENT)
    if patient.status == Patient.Status.ENTERED_IN_ERROR:
        raise ValidationError("This record was marked as entered in error and cannot be edited.")
    _check_fields(changes)
    before = {name: getattr(patient, name) for name in changes}
    for name, value in changes.items():
        setattr(patient, name, value)
    patient.refresh_search_name()
    try:
        _validate(actor.organization_id, patient)
    except ValidationError:
        for name, value in before.items():  # leave the caller's object as it was
            setattr(patient, name, value)
        patient.refresh_search_name()
        raise
    changed = {
        name: {"from": str(before[name]), "to": str(value)}
        for name, value in changes.items()
        if before[name] != value
    }
    with transaction.atomic():
        patient.save()
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=patient,
            patient_id=str(patient.public_id),
            detail={"changed": changed},
        )
    return patient


def set_patient_status(*, actor: User, patient: Patient, status: str, reason: str) -> Patient:
    """Inactive, deceased, or entered in error (the way a record is 'deleted')."""
    require(actor, Capability.PATIENTS_WRITE)
    require_same_organization(actor, patient, message=ANOTHER_ORGANIZATIONS_PATIENT)
    if status not in Patient.Status.values:
        raise ValidationError({"status": f"Status must be one of {', '.join(Patient.Status)}."})
    if status != Patient.Status.ACTIVE and not reason.strip():
        raise ValidationError({"reason": "Give a reason for this status change."})
    previous = patient.status
    with transaction.atomic():
        patient.status = status
        patient.status_reason = reason.strip()
        patient.save(update_fields=["status", "status_reason", "updated_at"])
        record(
            actor=actor,
            action=Action.DELETE if status == Patient.Status.ENTERED_IN_ERROR else Action.UPDATE,
            obj=patient,
            patient_id=str(patient.public_id),
            detail={"status": {"from": previous, "to": status}, "reason": reason.strip()},
        )
    return patient


def record_consent(
    *, actor: User, patient: Patient, kind: str, version: str, given_on: dt.date, granted: bool
) -> Consent:
    require(actor, Capability.PATIENTS_WRITE)
    require_same_organization(actor, patient, message=ANOTHER_ORGANIZATIONS_PATIENT)
    consent = Consent(
        organization_id=patient.organization_id,
        patient=patient,
        kind=kind,
        version=version,
        given_on=given_on,
        granted=granted,
        recorded_by=actor,
    )
    consent.full_clean()
    with transaction.atomic():
        consent.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=consent,
            patient_id=str(patient.public_id),
            detail={"kind": kind, "version": version, "granted": granted},
        )
    return consent


WITHDRAWABLE = (Consent.Kind.EMAIL, Consent.Kind.SMS, Consent.Kind.PHONE)


def withdraw_consent_by_patient(
    *, patient: Patient, kind: str, on: dt.date, actor_label: str
) -> Consent:
    """The patient withdraws a consent they gave (from the portal): a new row, withdrawn
    on ``on``, under the version they had agreed to; audited with the patient as actor.
    Only the contact consents may be withdrawn this way (``WITHDRAWABLE``); consent to
    treatment and the privacy notice are changed with the clinic."""
    if kind not in WITHDRAWABLE:
        raise ValidationError({"kind": "This consent is withdrawn with the clinic, not online."})
    latest = (
        Consent.objects.filter(patient=patient, kind=kind)
        .order_by("-given_on", "-created_at", "-pk")
        .first()
    )
    if latest is None or not latest.granted:
        raise ValidationError(
            {"kind": "This consent is not given, so there is nothing to withdraw."}
        )
    consent = Consent(
        organization_id=patient.organization_id,
        patient=patient,
        kind=kind,
        version=latest.version,
        given_on=on,
        granted=False,
        recorded_by=None,
    )
    consent.full_clean(exclude=["recorded_by"])  # the patient, not a staff member
    with transaction.atomic():
        consent.save()
        record(
            actor=None,
            action=Action.CREATE,
            organization=patient.organization,
            obj=consent,
            patient_id=str(patient.public_id),
            detail={"kind": kind, "version": latest.version, "granted": False},
            actor_label=actor_label,
        )
    return consent


def add_allergy(*, actor: User, patient: Patient, **fields: Any) -> Allergy:
    require(actor, Capability.CLINICAL_WRITE)
    require_same_organization(actor, patient, message=ANOTHER_ORGANIZATIONS_PATIENT)
    allergy = Allergy(
        organization_id=patient.organization_id, patient=patient, recorded_by=actor, **fields
    )
    allergy.full_clean()
    with transaction.atomic():
        allergy.save()
        record(actor=actor, action=Action.CREATE, obj=allergy, patient_id=str(patient.public_id))
    return allergy


def read_patient(*, actor: User, public_id: uuid.UUID, what: str) -> Patient | None:
    """One patient the actor may see, with the read recorded in the audit log: on
    PostgreSQL in the same statement as the read. None (and nothing recorded) when the
    actor may not see such a patient."""
    params = queries.patient_lookup(actor, public_id)
    if params is None:
        return None
    row = read_and_record(
        queries.patient_sql(),
        params,
        actor=actor,
        action=Action.READ,
        object_type="Patient",
        object_id=str(public_id),
        patient_id=str(public_id),
        detail={"view": what},
    )
    return queries.patient_from_row(row) if row is not None else None


def audit_patient_read(
    *, actor: User, patient: Patient, what: str = "chart", also: dict[str, object] | None = None
) -> None:
    """``also``: what the page read beside the patient, as its sections noted it (the
    chart's plan of care and its progress)."""
    record(
        actor=actor,
        action=Action.READ,
        obj=patient,
        patient_id=str(patient.public_id),
        detail={"view": what, **(also or {})},
    )


def audit_patient_search(*, actor: User, query: dict[str, str], results: list[Patient]) -> None:
    record(
        actor=actor,
        action=Action.SEARCH,
        object_type="Patient",
        detail={"query": query, "results": [str(p.public_id) for p in results]},
    )


# Fields a new patient gives themself when booking online (palpa.scheduling.online).
SELF_REGISTERED_FIELDS = ("given_name", "family_name", "date_of_birth", "email", "phone")


def register_patient_online(
    *,
    organization: Organization,
    location: Location,
    fields: dict[str, Any],
    consents: Sequence[str],
    consent_version: str,
    label: str,
) -> Patient:
    """A new patient registers themself while booking online: no staff actor. The record
    is validated like any other, gets the next MRN, and the consents the patient ticked
    are recorded in the same transaction; the audit names ``label`` as the actor."""
    unknown = sorted(set(fields) - set(SELF_REGISTERED_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))
    if location.organization_id != organization.pk:
        raise PermissionDenied("The location belongs to another organization.")
    patient = Patient(organization_id=organization.pk, primary_location=location, **fields)
    patient.refresh_search_name()
    _validate(organization.pk, patient)  # the same rules as a record made by staff
    today = local_today(location)
    with transaction.atomic():
        patient.mrn = _next_mrn(organization.pk)
        patient.save()
        record(
            actor=None,
            action=Action.CREATE,
            organization=organization,
            obj=patient,
            patient_id=str(patient.public_id),
            detail={"source": "online booking"},
            actor_label=label,
        )
        for kind in consents:
            consent = Consent.objects.create(
                organization_id=organization.pk,
                patient=patient,
                kind=kind,
                version=consent_version,
                given_on=today,
                granted=True,
                recorded_by=None,
            )
            record(
                actor=None,
                action=Action.CREATE,
                organization=organization,
                obj=consent,
                patient_id=str(patient.public_id),
                detail={"kind": kind, "version": consent_version, "granted": True},
                actor_label=label,
            )
    return patient


# --- guardians --------------------------------------------------------------------------

GUARDIAN_FIELDS = ("name", "relationship", "email", "phone", "legal_representative")


def is_minor(patient: Patient, on: dt.date) -> bool:
    """Under ``Guardian.ADULT_AGE`` on the given day (a 29 February birthday counts from
    1 March in other years)."""
    born = patient.date_of_birth
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return years < Guardian.ADULT_AGE


def guardian_may_act(guardian: Guardian, patient: Patient) -> bool:
    """Whether this guardian may act for the patient today (the clinic's day): an active
    guardian of an active patient who is a minor, or the legal representative."""
    if not guardian.active or guardian.patient_id != patient.pk:
        return False
    if patient.status != Patient.Status.ACTIVE:
        return False
    return guardian.legal_representative or is_minor(patient, local_today(patient.time_zone))


def _guardian_errors(guardian: Guardian) -> None:
    errors: dict[str, list[str]] = {}
    try:
        guardian.full_clean(exclude=["organization", "patient", "public_id", "recorded_by"])
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    if not guardian.name.strip():
        errors.setdefault("name", []).append("Enter the guardian's name.")
    if not guardian.email.strip() and not guardian.phone.strip():
        errors.setdefault("email", []).append(
            "Enter an email or a mobile number: the guardian signs in to the portal with one."
        )
    if errors:
        raise ValidationError(errors)


def add_guardian(*, actor: User, patient: Patient, **fields: Any) -> Guardian:
    """Record a parent or guardian who may act for the patient in the portal."""
    require(actor, Capability.PATIENTS_WRITE)
    if patient.organization_id != actor.organization_id:
        raise PermissionDenied("This patient belongs to another organization.")
    unknown = sorted(set(fields) - set(GUARDIAN_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))
    guardian = Guardian(
        organization_id=patient.organization_id, patient=patient, recorded_by=actor, **fields
    )
    guardian.name = guardian.name.strip()
    guardian.email = guardian.email.strip()
    guardian.phone_digits = phone_digits(guardian.phone)
    _guardian_errors(guardian)
    with transaction.atomic():
        guardian.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=guardian,
            patient_id=str(patient.public_id),
            detail={"guardian": guardian.relationship},
        )
    return guardian


def end_guardian(*, actor: User, guardian: Guardian) -> Guardian:
    """The guardian no longer acts for the patient (kept, marked inactive)."""
    require(actor, Capability.PATIENTS_WRITE)
    if guardian.organization_id != actor.organization_id:
        raise PermissionDenied("This patient belongs to another organization.")
    with transaction.atomic():
        row = Guardian.objects.select_for_update().get(pk=guardian.pk)
        if row.active:
            row.active = False
            row.save(update_fields=["active", "updated_at"])
            record(
                actor=actor,
                action=Action.UPDATE,
                obj=row,
                patient_id=str(row.patient.public_id),
                detail={"guardian": "ended"},
            )
    return row
