"""The portal's own records: the one-time sign-in codes and the home care the patient
reports doing. Everything else the portal shows belongs to the apps below it."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from palpa.core.models import TenantModel


class PortalCode(TenantModel):
    """A 6-digit sign-in code sent to one patient's email or phone on file.

    Only an HMAC of the code (with its own salt) is kept; it works once, until
    ``expires_at``, and for at most ``services.CODE_ATTEMPTS`` wrong tries."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    # Set when the contact is a guardian's: who the code reaches and acts for patients.
    guardian = models.ForeignKey(
        "patients.Guardian", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10)
    code_hash = models.CharField(max_length=100)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["patient", "created_at"], name="portal_code_patient_recent"),
        ]

    def __str__(self) -> str:
        return f"Portal code by {self.channel} ({self.created_at:%Y-%m-%d %H:%M})"


class HomeCareLog(TenantModel):
    """The patient ticked one home-care item as done on one day (the day in their
    clinic's zone). One row per item and day; unticking sets ``done`` false."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("care.HomeCareItem", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    done = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["-day"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["item", "day"], name="home_care_log_once_a_day"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["patient", "day"], name="home_care_log_patient_day"),
        ]

    def __str__(self) -> str:
        return f"Home care {'done' if self.done else 'not done'} on {self.day}"
