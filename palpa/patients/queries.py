"""Patients and their records as the actor may see them (own organization, by role)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from typing import Any, cast

from django.db import connection
from django.db.models import Q, QuerySet

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.core.rows import columns_of, instance_from_row
from palpa.patients.models import (
    Allergy,
    Consent,
    Guardian,
    MessageTemplate,
    Patient,
    PatientMessage,
    phone_digits,
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def patients_for(actor: User) -> QuerySet[Patient]:
    if not has_capability(actor, Capability.PATIENTS_READ):
        return Patient.objects.none()
    return Patient.objects.filter(organization_id=tenant_id(actor))


def _patient_sql() -> str:
    quote = connection.ops.quote_name
    columns = columns_of(Patient, connection.alias, "p")
    return (
        f"SELECT {columns}, l.public_id AS location_public_id"  # noqa: S608 (model identifiers)
        f" FROM {quote(Patient._meta.db_table)} p"
        f" LEFT JOIN {quote(Location._meta.db_table)} l ON l.id = p.primary_location_id"
        " WHERE p.organization_id = %s AND p.public_id = %s"
    )


_PATIENT_SQL: list[str] = []


def patient_sql() -> str:
    """One patient by organization and public id, with its location's public id last
    (parameters: organization id, public id)."""
    if not _PATIENT_SQL:
        _PATIENT_SQL.append(_patient_sql())
    return _PATIENT_SQL[0]


def patient_lookup(actor: User, public_id: uuid.UUID) -> list[Any] | None:
    """The parameters of ``patient_sql`` for the actor, or None when the actor's role may
    not see patients at all (the same rule as ``patients_for``)."""
    if not has_capability(actor, Capability.PATIENTS_READ):
        return None
    key = Patient._meta.get_field("public_id").get_db_prep_value(public_id, connection)
    return [tenant_id(actor), key]


def patient_from_row(row: Sequence[Any]) -> Patient:
    """The patient of a ``patient_sql`` row; the primary location comes along as a deferred
    instance with its id and public id only (its other fields load if used)."""
    patient = cast("Patient", instance_from_row(Patient, connection.alias, row))
    location = row[len(Patient._meta.concrete_fields)]
    if location is not None:
        public = location if isinstance(location, uuid.UUID) else uuid.UUID(str(location))
        loaded = Location.from_db(
            connection.alias, ["id", "public_id"], [patient.primary_location_id, public]
        )
        patient.primary_location = loaded
    return patient


def patient_by_public_id(actor: User, public_id: uuid.UUID) -> Patient | None:
    """One patient of ``patients_for(actor)`` by public id, as a single prepared statement.

    The same rule as ``patients_for`` (capability, then own organization only); written
    out because reading one patient is the API's hottest path, where compiling a
    queryset cost more than the query.
    """
    params = patient_lookup(actor, public_id)
    if params is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(patient_sql(), params)
        row = cursor.fetchone()
    return patient_from_row(row) if row is not None else None


def parse_date_query(text: str) -> dt.date | None:
    try:
        if _DATE.match(text):
            return dt.date.fromisoformat(text)
        match = _US_DATE.match(text)
        if match:
            month, day, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


PHONE_DIGITS_MIN = 7
PHONE_TEXT = re.compile(r"\+?[\d\s().-]+")


def _by_phone(digits: str) -> Q:
    """Ten digits or more match the number exactly; seven to nine match its end."""
    if len(digits) >= 10:
        return Q(phone_digits=digits[-10:])
    return Q(phone_digits__endswith=digits)


def search_patients(
    actor: User, text: str = "", *, include_inactive: bool = False
) -> QuerySet[Patient]:
    """Search by name (every word must match), MRN, phone (seven or more digits, however
    written) or date of birth (YYYY-MM-DD or M/D/YYYY)."""
    qs = patients_for(actor)
    if not include_inactive:
        qs = qs.exclude(status=Patient.Status.ENTERED_IN_ERROR)
    text = text.strip()
    if not text:
        return qs
    born = parse_date_query(text)
    if born is not None:
        return qs.filter(date_of_birth=born)
    if re.fullmatch(r"[Pp]?\d{3,}", text):
        digits = text.lstrip("Pp")
        by_mrn = Q(mrn__iexact=text) | Q(mrn__endswith=digits.zfill(6))
        if text.isdigit() and len(text) >= PHONE_DIGITS_MIN:
            return qs.filter(by_mrn | _by_phone(text))
        return qs.filter(by_mrn)
    if PHONE_TEXT.fullmatch(text):
        digits = phone_digits(text)
        if len(digits) >= PHONE_DIGITS_MIN:
            return qs.filter(_by_phone(digits))
    for word in text.lower().split()[:4]:
        qs = qs.filter(search_name__contains=word)
    return qs


def consents_for(actor: User, patient: Patient) -> QuerySet[Consent]:
    if not has_capability(actor, Capability.PATIENTS_READ):
        return Consent.objects.none()
    return Consent.objects.filter(organization_id=tenant_id(actor), patient=patient)


def guardians_for(actor: User, patient: Patient) -> QuerySet[Guardian]:
    """The patient's guardians, current first, for staff who may read patients."""
    if not has_capability(actor, Capability.PATIENTS_READ):
        return Guardian.objects.none()
    return Guardian.objects.filter(organization_id=tenant_id(actor), patient=patient).order_by(
        "-active", "name", "created_at"
    )


def allergies_for(actor: User, patient: Patient) -> QuerySet[Allergy]:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return Allergy.objects.none()
    return Allergy.objects.filter(organization_id=tenant_id(actor), patient=patient).exclude(
        status=Allergy.Status.ENTERED_IN_ERROR
    )


def messages_for(actor: User, *, patient: Patient | None = None) -> QuerySet[PatientMessage]:
    """Messages to patients of the actor's organization, newest first; none for roles
    without ``patients.messages``."""
    if not has_capability(actor, Capability.PATIENT_MESSAGES):
        return PatientMessage.objects.none()
    found = PatientMessage.objects.filter(organization_id=tenant_id(actor)).select_related(
        "patient"
    )
    if patient is not None:
        found = found.filter(patient=patient)
    return found.order_by("-created_at", "-pk")


def message_templates_for(actor: User) -> QuerySet[MessageTemplate]:
    if not has_capability(actor, Capability.ORGANIZATION_MANAGE):
        return MessageTemplate.objects.none()
    return MessageTemplate.objects.filter(organization_id=tenant_id(actor))
