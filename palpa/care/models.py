"""Treatment notes (SOAP), the techniques performed, and addenda.

A note is written as a draft by its practitioner, then signed: signing checks the
practitioner's license for the location on the visit date, locks the note and stores a
hash of its content. A signed note never changes; corrections are signed addenda.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from palpa.core.models import TenantModel


class SignedNoteChanged(Exception):
    """Raised on any attempt to change a signed note's content."""


class TreatmentNote(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    class Adherence(models.TextChoices):
        NOT_ASKED = "", "Not recorded"
        NONE = "none", "Not done"
        SOME = "some", "Some of the program"
        MOST = "most", "Most of the program"
        ALL = "all", "All of the program"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_notes"
    )
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="treatment_notes"
    )
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    visit_date = models.DateField()
    # S
    pain_today = models.PositiveSmallIntegerField(
        "pain today (NPRS 0-10)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(10)],
    )
    subjective = models.TextField("patient report", blank=True)
    home_care_adherence = models.CharField(
        max_length=10, choices=Adherence.choices, blank=True, default=""
    )
    # O
    objective = models.TextField(blank=True)
    # A
    assessment = models.TextField("response to treatment", blank=True)
    # P
    plan = models.TextField(blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.CharField(max_length=300, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    content_hash = models.CharField(max_length=64, blank=True)
    catalog_version = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering: ClassVar = ["-visit_date", "-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["organization", "patient", "-visit_date"], name="note_pt_date"),
            models.Index(fields=["organization", "status", "practitioner"], name="note_status"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=~Q(status="signed")
                | (Q(signed_at__isnull=False) & Q(signed_by__isnull=False) & ~Q(content_hash="")),
                name="signed_note_has_signature",
            )
        ]

    def __str__(self) -> str:
        return f"Treatment note {self.visit_date} ({self.get_status_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = TreatmentNote.objects.filter(pk=self.pk).values_list("status", flat=True)
            was = stored.first()
            allowed = {"status", "status_reason", "updated_at"}
            fields = kwargs.get("update_fields")
            if was == self.Status.SIGNED and (fields is None or not set(fields) <= allowed):
                raise SignedNoteChanged("A signed note never changes; add an addendum.")
        super().save(*args, **kwargs)

    @property
    def is_locked(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def total_minutes(self) -> int:
        return sum(t.minutes for t in self.techniques.all())


class TechniqueEntry(TenantModel):
    note = models.ForeignKey(TreatmentNote, on_delete=models.PROTECT, related_name="techniques")
    technique = models.CharField(max_length=40)
    region = models.CharField(max_length=40)
    side = models.CharField(max_length=10, blank=True)
    minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(180)]
    )
    pressure = models.CharField(max_length=10)
    tool = models.CharField(max_length=20, default="none")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["position", "created_at"]

    def __str__(self) -> str:
        return f"{self.technique} {self.region} {self.side} {self.minutes} min".strip()


class NoteAddendum(TenantModel):
    """A signed correction or addition to a signed note; the note itself stays as signed."""

    note = models.ForeignKey(TreatmentNote, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering: ClassVar = ["signed_at"]
        verbose_name_plural = "note addenda"

    def __str__(self) -> str:
        return f"Addendum {self.signed_at:%Y-%m-%d}"
