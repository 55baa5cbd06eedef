"""Treatment notes as the actor may see them: clinical roles of the same organization."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.care.models import TreatmentNote
from palpa.patients.models import Patient


def notes_for(actor: User) -> QuerySet[TreatmentNote]:
    if not has_capability(actor, Capability.VIEW_CLINICAL):
        return TreatmentNote.objects.none()
    return TreatmentNote.objects.filter(organization_id=tenant_id(actor)).select_related(
        "patient", "practitioner", "location", "signed_by"
    )


def patient_notes(actor: User, patient: Patient) -> QuerySet[TreatmentNote]:
    return notes_for(actor).filter(patient=patient).prefetch_related("techniques", "addenda")


def unsigned_notes(actor: User, *, older_than_hours: int = 72) -> QuerySet[TreatmentNote]:
    """The actor's own drafts started more than ``older_than_hours`` ago."""
    cutoff = timezone.now() - dt.timedelta(hours=older_than_hours)
    return notes_for(actor).filter(
        practitioner__user=actor,
        status=TreatmentNote.Status.DRAFT,
        created_at__lt=cutoff,
    )
