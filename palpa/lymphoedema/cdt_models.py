"""Complete decongestive therapy (CDT) and the MLD and bandaging section of a treatment
note (clinical reference G: phase 1 intensive, MLD, multilayer short-stretch bandaging,
exercise and skin care; phase 2 maintenance, garments and self-MLD).

Kept apart from the limb measurements (``models.py`` imports these so Django finds
them). Written only by ``cdt.py`` (phases) and ``mld_section.py`` (the note section)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from palpa.core.models import TenantModel


class CdtCourse(TenantModel):
    """A patient's course of CDT: phase 1 (intensive) from its start date; the switch to
    phase 2 (maintenance) recorded with its date, who switched and why. One course per
    patient; its phase is 2 once switched."""

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="cdt_course"
    )
    phase_1_started_on = models.DateField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    phase_2_started_on = models.DateField(null=True, blank=True)
    switched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    switch_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(phase_2_started_on__isnull=True)
                | Q(phase_2_started_on__gte=models.F("phase_1_started_on")),
                name="cdt_phase_2_not_before_phase_1",
            ),
            models.CheckConstraint(
                condition=Q(phase_2_started_on__isnull=True, switched_by__isnull=True)
                | Q(phase_2_started_on__isnull=False, switched_by__isnull=False),
                name="cdt_switch_has_date_and_author",
            ),
        ]

    @property
    def phase(self) -> int:
        return 1 if self.phase_2_started_on is None else 2

    def __str__(self) -> str:
        return f"CDT phase {self.phase}"


class MldRecord(TenantModel):
    """The MLD and bandaging section of one treatment note: a draft while the note is a
    draft, sealed into the note's signed content when it is signed, never changed after."""

    class Limb(models.TextChoices):
        LEFT_ARM = "left_arm", "Left arm"
        RIGHT_ARM = "right_arm", "Right arm"
        LEFT_LEG = "left_leg", "Left leg"
        RIGHT_LEG = "right_leg", "Right leg"

    note = models.OneToOneField(
        "care.TreatmentNote", on_delete=models.PROTECT, related_name="mld_record"
    )
    sequence = models.CharField(
        max_length=500, blank=True, help_text="The regions cleared, in the order cleared."
    )
    bandaged_limb = models.CharField(max_length=12, choices=Limb.choices, blank=True)
    bandage_layers = models.PositiveSmallIntegerField(null=True, blank=True)
    bandage_materials = models.CharField(max_length=300, blank=True)
    short_stretch = models.BooleanField(null=True, blank=True)
    skin_check = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return "MLD and bandaging"
