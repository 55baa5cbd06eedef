"""Patients and their records as the actor may see them (own organization, by role)."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Q, QuerySet

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.patients.models import Allergy, Consent, Patient

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def patients_for(actor: User) -> QuerySet[Patient]:
    if not has_capability(actor, Capability.VIEW_DEMOGRAPHICS):
        return Patient.objects.none()
    return Patient.objects.filter(organization_id=tenant_id(actor))


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


def search_patients(
    actor: User, text: str = "", *, include_inactive: bool = False
) -> QuerySet[Patient]:
    """Search by name (every word must match), MRN, or date of birth (YYYY-MM-DD or M/D/YYYY)."""
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
        return qs.filter(Q(mrn__iexact=text) | Q(mrn__endswith=digits.zfill(6)))
    for word in text.lower().split()[:4]:
        qs = qs.filter(search_name__contains=word)
    return qs


def consents_for(actor: User, patient: Patient) -> QuerySet[Consent]:
    if not has_capability(actor, Capability.VIEW_DEMOGRAPHICS):
        return Consent.objects.none()
    return Consent.objects.filter(organization_id=tenant_id(actor), patient=patient)


def allergies_for(actor: User, patient: Patient) -> QuerySet[Allergy]:
    if not has_capability(actor, Capability.VIEW_CLINICAL):
        return Allergy.objects.none()
    return Allergy.objects.filter(organization_id=tenant_id(actor), patient=patient).exclude(
        status=Allergy.Status.ENTERED_IN_ERROR
    )
