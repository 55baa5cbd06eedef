"""Limb measurements: one sitting's circumferences (or directly measured volumes) of
both limbs, a signed record (``core.records``): draft, signed with a content hash, then
never changed; a measurement taken in error is marked, never deleted. The volumes of a
tape measurement are computed at signing from the versioned data file and stored with
its version."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from palpa.core.models import TenantModel
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


# --- Compression garments (docs/lymphoedema.md "Compression garments") -----------------


class GarmentPrescriptionChanged(SignedRecordChanged):
    pass


class GarmentPrescription(SignedRecord):
    """A compression garment prescribed for one patient's limb: the product type, knit,
    compression class by a named standard (codes from data/garments.json), the
    measurements it is made from (a signed limb measurement of the patient, or
    circumferences typed here), the product and quantity. Signed, then never changed;
    its fitting is recorded afterwards as a ``GarmentFitting``."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    class Limb(models.TextChoices):
        ARM = "arm", "Arm"
        LEG = "leg", "Leg"

    class Side(models.TextChoices):
        LEFT = "left", "Left"
        RIGHT = "right", "Right"
        BOTH = "both", "Both"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="garment_prescriptions"
    )
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    prescribed_on = models.DateField()
    limb = models.CharField(max_length=10, choices=Limb.choices)
    side = models.CharField(max_length=10, choices=Side.choices)
    garment_type = models.CharField(max_length=40)
    knit = models.CharField(max_length=20)
    standard = models.CharField(max_length=20)
    compression_class = models.CharField(max_length=10)
    measurement = models.ForeignKey(
        LimbMeasurement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="garment_prescriptions",
        help_text="The signed limb measurement the garment is made from, if any.",
    )
    landmark = models.CharField(max_length=60, blank=True)
    interval_cm = models.FloatField(null=True, blank=True)
    left_circumferences_cm = models.JSONField(default=list, blank=True)
    right_circumferences_cm = models.JSONField(default=list, blank=True)
    product = models.CharField(
        max_length=200, blank=True, help_text="Manufacturer and product name, as ordered."
    )
    quantity = models.PositiveSmallIntegerField(default=1)
    notes = models.CharField(max_length=500, blank=True)
    data_version = models.CharField(max_length=20, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)

    Changed = GarmentPrescriptionChanged
    changed_message = "A signed garment prescription never changes; mark it in error instead."

    class Meta:
        ordering: ClassVar = ["prescribed_on", "pk"]
        constraints: ClassVar = [
            signature_constraint("garment_prescription_signed_has_signature", ("signed",)),
        ]
        indexes: ClassVar = [models.Index(fields=["patient", "status", "prescribed_on"])]

    def __str__(self) -> str:
        return f"Garment prescription {self.prescribed_on:%Y-%m-%d}"


class GarmentFitting(TenantModel):
    """The fitting of a signed prescription: when the garment was fitted, by whom, and
    when it is due for replacement (the fitting date plus the clinic's replacement
    interval at the time, both stored). Written once; never changed."""

    prescription = models.OneToOneField(
        GarmentPrescription, on_delete=models.PROTECT, related_name="fitting"
    )
    fitted_on = models.DateField()
    interval_months = models.PositiveSmallIntegerField()
    replacement_due_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["organization", "replacement_due_on"])]

    def __str__(self) -> str:
        return f"Garment fitting {self.fitted_on:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise GarmentPrescriptionChanged("A recorded fitting never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise GarmentPrescriptionChanged("A recorded fitting is never deleted.")


class GarmentSettings(TenantModel):
    """The clinic's garment settings (the owner decides): how many months after its
    fitting a garment is due for replacement. Without a row, the data file's default."""

    replacement_interval_months = models.PositiveSmallIntegerField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization"], name="garment_settings_one_per_org")
        ]

    def __str__(self) -> str:
        return f"Garment settings ({self.replacement_interval_months} months)"


# CDT phases and the note's MLD and bandaging section live in a module of their own.
from palpa.lymphoedema.cdt_models import CdtCourse, MldRecord  # noqa: E402

__all__ = ["CdtCourse", "LimbMeasurement", "LimbMeasurementChanged", "MldRecord"]
