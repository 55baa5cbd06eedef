"""Instrument administrations: one patient's answers to one instrument on one day, scored.

An administration is final when it is recorded: the answers, the score, the band and the
versions of the instrument and of the library that scored it are stored together, so a
later library change never rewrites history. A wrong entry is marked entered in error
(with a reason) and is kept; it no longer counts in series or progress.

Links to evaluations and plans of care live in ``care`` (a higher app), so that the
dependencies point one way.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from palpa.core.models import TenantModel


class FinalRecordChanged(Exception):
    """Raised on any attempt to change a recorded administration other than its status."""


class InstrumentAdministration(TenantModel):
    class Context(models.TextChoices):
        BASELINE = "baseline", "Baseline (evaluation)"
        REASSESSMENT = "reassessment", "Re-assessment"
        VISIT = "visit", "Visit"
        DISCHARGE = "discharge", "Discharge"

    class Status(models.TextChoices):
        FINAL = "final", "Final"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="instrument_administrations"
    )
    instrument = models.CharField(max_length=40, help_text="Instrument id, e.g. NPRS, ODI, PSFS.")
    instrument_version = models.CharField(max_length=40)
    library_version = models.CharField(max_length=20)
    answers = models.JSONField(help_text="Answers in item order (null where unanswered).")
    item_labels = models.JSONField(
        default=list, blank=True, help_text="PSFS: the activities the patient named, in order."
    )
    score = models.FloatField()
    percent = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=20)
    band = models.CharField(max_length=60, blank=True)
    items_answered = models.PositiveSmallIntegerField()
    items_total = models.PositiveSmallIntegerField()
    calculation = models.CharField(max_length=300)
    administered_on = models.DateField()
    context = models.CharField(max_length=20, choices=Context.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.FINAL)
    status_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering: ClassVar = ["-administered_on", "-created_at"]
        indexes: ClassVar = [
            models.Index(
                fields=["organization", "patient", "instrument", "administered_on"],
                name="admin_pt_instr_date",
            ),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(items_answered__lte=models.F("items_total")),
                name="admin_answered_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.score:g} on {self.administered_on}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            allowed = {"status", "status_reason", "updated_at"}
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= allowed:
                raise FinalRecordChanged(
                    "A recorded administration never changes; mark it entered in error and "
                    "record it again."
                )
        super().save(*args, **kwargs)

    @property
    def counts(self) -> bool:
        return self.status == self.Status.FINAL
