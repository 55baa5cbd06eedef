"""Limb measurements: one sitting's circumferences (or directly measured volumes) of
both limbs, a signed record (``core.records``): draft, signed with a content hash, then
never changed; a measurement taken in error is marked, never deleted. The volumes of a
tape measurement are computed at signing from the versioned data file and stored with
its version."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from palpa.core.records import SignedRecord, SignedRecordChanged, signature_constraint


class LimbMeasurementChanged(SignedRecordChanged):
    pass


class LimbMeasurement(SignedRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    class Region(models.TextChoices):
        ARM = "arm", "Arm"
        LEG = "leg", "Leg"

    class Side(models.TextChoices):
        LEFT = "left", "Left"
        RIGHT = "right", "Right"
        BOTH = "both", "Both"

    class Method(models.TextChoices):
        TAPE = "tape", "Tape measure (circumferences)"
        WATER = "water_displacement", "Water displacement"
        PEROMETER = "perometer", "Perometer"
        SCAN = "3d_scan", "3D scan"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="limb_measurements"
    )
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="limb_measurements"
    )
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    measured_on = models.DateField()
    region = models.CharField(max_length=10, choices=Region.choices)
    affected_side = models.CharField(max_length=10, choices=Side.choices)
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.TAPE)
    landmark = models.CharField(
        max_length=60, blank=True, help_text="The distal landmark, e.g. wrist or ankle (tape)."
    )
    interval_cm = models.FloatField(null=True, blank=True)
    left_circumferences_cm = models.JSONField(default=list, blank=True)
    right_circumferences_cm = models.JSONField(default=list, blank=True)
    left_volume_ml = models.FloatField(
        null=True, blank=True, help_text="Entered (direct methods) or computed at signing (tape)."
    )
    right_volume_ml = models.FloatField(null=True, blank=True)
    rules_version = models.CharField(max_length=20, blank=True)

    # What is seen and felt besides the size (codes from data/findings.json; blank or
    # None = not recorded at this sitting).
    isl_stage = models.CharField(max_length=4, blank=True)
    stemmer_sign = models.CharField(max_length=10, blank=True)
    pitting = models.CharField(max_length=10, blank=True)
    skin = models.JSONField(default=list, blank=True)
    skin_note = models.CharField(max_length=300, blank=True)
    heaviness = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The patient's own rating, 0-10."
    )
    tightness = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The patient's own rating, 0-10."
    )

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)

    Changed = LimbMeasurementChanged
    changed_message = "A signed limb measurement never changes; mark it in error instead."

    class Meta:
        ordering: ClassVar = ["measured_on", "signed_at", "pk"]
        constraints: ClassVar = [
            signature_constraint("limb_measurement_signed_has_signature", ("signed",)),
        ]
        indexes: ClassVar = [models.Index(fields=["patient", "status", "measured_on"])]

    def __str__(self) -> str:
        return f"Limb measurement {self.measured_on:%Y-%m-%d}"


# CDT phases and the note's MLD and bandaging section live in a module of their own.
from palpa.lymphoedema.cdt_models import CdtCourse, MldRecord  # noqa: E402

__all__ = ["CdtCourse", "LimbMeasurement", "LimbMeasurementChanged", "MldRecord"]
