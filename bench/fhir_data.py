"""Scale the demo up for the FHIR benchmark (bench-only: rows are copied in bulk, not
written through the services, so copies carry no audit entries of their own).

``multiply(factor)`` copies every demo patient ``factor - 1`` times (new MRN and id, same
demographics) together with its instrument scores and ROM measurements, so the FHIR
Observation volume grows by ``factor``; ``deepen(patient, at_least)`` copies one
patient's own instrument scores (a day apart, going back) until it has ``at_least``
Observations, for the one-patient search.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

BATCH = 2_000


def _copy(row: Any, **changes: Any) -> Any:
    row.pk = None
    row.id = None
    row.public_id = uuid.uuid4()
    for name, value in changes.items():
        setattr(row, name, value)
    return row


def multiply(organization_id: int, factor: int) -> tuple[int, int]:
    """Returns (patients, observation rows) of the organization afterwards."""
    from django.db import transaction

    from palpa.care.models import RomMeasurement
    from palpa.outcomes.models import InstrumentAdministration
    from palpa.patients.models import Patient

    originals = list(
        Patient.objects.filter(organization_id=organization_id)
        .exclude(status=Patient.Status.ENTERED_IN_ERROR)
        .order_by("pk")
    )
    admins: dict[int, list[Any]] = {}
    for row in InstrumentAdministration.objects.filter(organization_id=organization_id):
        admins.setdefault(row.patient_id, []).append(row)
    roms: dict[int, list[Any]] = {}
    for rom in RomMeasurement.objects.filter(organization_id=organization_id):
        roms.setdefault(rom.patient_id, []).append(rom)
    serial = 0
    with transaction.atomic():
        for _ in range(1, factor):
            clones = []
            for patient in originals:
                serial += 1
                clones.append(_copy(_fresh(patient), mrn=f"B{serial:07d}"))
            Patient.objects.bulk_create(clones, batch_size=BATCH)
            new_admins, new_roms = [], []
            for original, clone in zip(originals, clones, strict=True):
                for row in admins.get(original.pk, []):
                    new_admins.append(_copy(_fresh(row), patient_id=clone.pk))
                for rom in roms.get(original.pk, []):
                    new_roms.append(_copy(_fresh(rom), patient_id=clone.pk))
            InstrumentAdministration.objects.bulk_create(new_admins, batch_size=BATCH)
            RomMeasurement.objects.bulk_create(new_roms, batch_size=BATCH)
    patients = Patient.objects.filter(organization_id=organization_id).count()
    observations = (
        InstrumentAdministration.objects.filter(organization_id=organization_id).count()
        + RomMeasurement.objects.filter(organization_id=organization_id).count()
    )
    return patients, observations


def _fresh(row: Any) -> Any:
    """An unsaved copy of a model instance (the original stays as it is)."""
    clone = type(row)()
    for f in row._meta.concrete_fields:
        setattr(clone, f.attname, getattr(row, f.attname))
    return clone


def deepen(patient_id: int, at_least: int) -> int:
    """Copy the patient's own instrument scores until it has ``at_least`` of them."""
    from palpa.outcomes.models import InstrumentAdministration

    rows = list(InstrumentAdministration.objects.filter(patient_id=patient_id).order_by("pk"))
    if not rows:
        return 0
    have, day = len(rows), 0
    extra: list[Any] = []
    while have + len(extra) < at_least:
        day += 1
        base = rows[day % len(rows)]
        extra.append(
            _copy(_fresh(base), administered_on=base.administered_on - dt.timedelta(days=day))
        )
    InstrumentAdministration.objects.bulk_create(extra, batch_size=BATCH)
    return have + len(extra)
