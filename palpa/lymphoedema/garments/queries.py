"""Reads of garment prescriptions, limited to what the actor may see (clinical roles of
the organization), and the garments due for replacement (the clinic's reminder)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.core.dates import local_today
from palpa.lymphoedema.garments.catalogue import load_garments
from palpa.lymphoedema.models import GarmentPrescription, LimbMeasurement
from palpa.patients.models import Patient

SIGNED = GarmentPrescription.Status.SIGNED


def prescriptions_for(actor: User) -> QuerySet[GarmentPrescription]:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return GarmentPrescription.objects.none()
    return GarmentPrescription.objects.filter(organization_id=tenant_id(actor)).select_related(
        "patient",
        "practitioner",
        "location",
        "measurement",
        "signed_by",
        "fitting",
    )


def patient_prescriptions(actor: User, patient: Patient) -> QuerySet[GarmentPrescription]:
    """Every prescription of the patient (drafts and those in error too), newest first."""
    return prescriptions_for(actor).filter(patient=patient).order_by("-prescribed_on", "-pk")


def tape_measurements(actor: User, patient: Patient) -> QuerySet[LimbMeasurement]:
    """The patient's signed tape measurements a garment may be made from, newest first."""
    if not has_capability(actor, Capability.CLINICAL_READ):
        return LimbMeasurement.objects.none()
    return LimbMeasurement.objects.filter(
        organization_id=tenant_id(actor),
        patient=patient,
        status=LimbMeasurement.Status.SIGNED,
        method=LimbMeasurement.Method.TAPE,
    ).order_by("-measured_on", "-pk")


def _replaced() -> Exists:
    """A later signed prescription of the same garment for the same patient and side has
    been fitted: the earlier garment is replaced."""
    return Exists(
        GarmentPrescription.objects.filter(
            patient=OuterRef("patient"),
            garment_type=OuterRef("garment_type"),
            side=OuterRef("side"),
            status=SIGNED,
            fitting__isnull=False,
            fitting__fitted_on__gt=OuterRef("fitting__fitted_on"),
        )
    )


def current_garments(actor: User) -> QuerySet[GarmentPrescription]:
    """Signed, fitted prescriptions not yet replaced by a later fitted one."""
    return (
        prescriptions_for(actor)
        .filter(status=SIGNED, fitting__isnull=False, patient__status=Patient.Status.ACTIVE)
        .annotate(replaced=_replaced())
        .filter(replaced=False)
    )


@dataclass(frozen=True)
class Due:
    prescription: GarmentPrescription
    due_on: dt.date
    days: int  # days until due (negative: overdue)

    @property
    def overdue(self) -> bool:
        return self.days < 0


def garments_due(actor: User, today: dt.date | None = None) -> list[Due]:
    """The garments due for replacement within the reminder window (30 days, data file)
    or overdue, soonest first; ``today`` is the clinic's (the organization's zone)."""
    if not has_capability(actor, Capability.CLINICAL_READ):
        return []
    today = today or local_today(actor.organization)
    window = load_garments().replacement.reminder_days
    rows = (
        current_garments(actor)
        .filter(fitting__replacement_due_on__lte=today + dt.timedelta(days=window))
        .order_by("fitting__replacement_due_on", "pk")
    )
    return [
        Due(p, p.fitting.replacement_due_on, (p.fitting.replacement_due_on - today).days)
        for p in rows
    ]


def due_state(p: GarmentPrescription, today: dt.date) -> str:
    """ "" | "due" (within the reminder window) | "overdue", for a fitted prescription."""
    fitting = getattr(p, "fitting", None) if p.pk else None
    if fitting is None or p.status != SIGNED:
        return ""
    if fitting.replacement_due_on < today:
        return "overdue"
    if fitting.replacement_due_on <= today + dt.timedelta(
        days=load_garments().replacement.reminder_days
    ):
        return "due"
    return ""
