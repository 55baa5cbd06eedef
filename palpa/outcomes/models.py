"""Instrument administrations: one patient's answers to one instrument on one day, scored.

An administration is final when it is recorded: the answers, the score, the band and the
versions of the instrument and of the library that scored it are stored together, so a
later library change never rewrites history. A wrong entry is marked entered in error
(with a reason) and is kept; it no longer counts in series or progress.

Links to evaluations and plans of care live in ``care`` (a higher app), so that the
dependencies point one way.

An instrument link is a one-time link the patient opens on their phone to fill chosen
instruments before a visit. Only a SHA-256 hash of its token is stored; the token is shown
once, when the link is made.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from palpa.core.models import TenantModel


class FinalRecordChanged(Exception):
    """Raised on any attempt to change a recorded administration other than its status."""


DEFAULT_INSTRUMENT_LINK_DAYS = 7


class InstrumentLink(TenantModel):
    """A one-time link for a patient to fill chosen instruments on their phone."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for the patient"
        USED = "used", "Filled in"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="instrument_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    instruments = models.JSONField(help_text="Instrument ids, in the order the patient sees them.")
    psfs_activities = models.JSONField(
        default=list,
        blank=True,
        help_text="PSFS: the activities on file that the patient is asked to rate again.",
    )
    context = models.CharField(max_length=20)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["organization", "patient", "created_at"], name="ilink_pt_created"),
        ]

    def __str__(self) -> str:
        return f"Instrument link {', '.join(self.instruments)} {self.created_at:%Y-%m-%d}"

    def state_at(self, now: dt.datetime) -> InstrumentLink.State:
        if self.used_at is not None:
            return self.State.USED
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at <= now:
            return self.State.EXPIRED
        return self.State.PENDING

    @property
    def state(self) -> InstrumentLink.State:
        return self.state_at(timezone.now())

    def get_state_display(self) -> str:
        return str(self.state.label)

    @property
    def context_label(self) -> str:
        labels = dict(InstrumentAdministration.Context.choices)
        return str(labels.get(self.context, self.context))


class InstrumentAdministration(TenantModel):
    class Context(models.TextChoices):
        BASELINE = "baseline", "Baseline (evaluation)"
        REASSESSMENT = "reassessment", "Re-assessment"
        VISIT = "visit", "Visit"
        DISCHARGE = "discharge", "Discharge"

    class Status(models.TextChoices):
        FINAL = "final", "Final"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    class Source(models.TextChoices):
        CLINIC = "clinic", "Entered at the clinic"
        PATIENT_LINK = "patient_link", "Filled by the patient through a link"

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
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.CLINIC)
    instrument_link = models.ForeignKey(
        InstrumentLink,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="administrations",
    )

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
