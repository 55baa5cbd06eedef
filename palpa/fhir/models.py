"""FHIR clients: an OAuth2 application (django-oauth-toolkit) that belongs to one
organization, with the SMART scopes it may be granted.

The client's secret is shown once when it is made; the application stores only its hash.
A client made for one patient (``patient`` set) is granted ``patient/…`` scopes and sees
that patient's compartment only.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from palpa.core.models import TenantModel


class FhirClient(TenantModel):
    application = models.OneToOneField(
        "oauth2_provider.Application",
        on_delete=models.PROTECT,
        related_name="fhir_client",
    )
    name = models.CharField(max_length=200)
    scopes = models.CharField(
        max_length=500, help_text="Space-separated SMART scopes, e.g. system/*.read"
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set for a client that acts for one patient (patient/... scopes).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "name"], name="fhir_client_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None or self.revoked_at > timezone.now()

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class PatientIdentifier(TenantModel):
    """An identifier another system gave a patient (the sending EHR's MRN), received in a
    FHIR transaction: the next transaction naming it finds the same patient."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="fhir_identifiers"
    )
    system = models.CharField(max_length=255)
    value = models.CharField(max_length=255)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "system", "value"], name="fhir_identifier_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}"


class ReferralIdentifier(TenantModel):
    """An identifier the sending system gave a referral (ServiceRequest.identifier),
    received in a FHIR transaction: a transaction whose ``ifNoneExist`` names it finds
    this referral instead of recording it again."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, related_name="fhir_identifiers"
    )
    system = models.CharField(max_length=255)
    value = models.CharField(max_length=255)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "system", "value"],
                name="fhir_referral_identifier_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}"


class ExportJob(TenantModel):
    """A bulk data $export: asked by one client, run as a task, files kept until expiry."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    class Level(models.TextChoices):
        SYSTEM = "system", "System"
        PATIENT = "patient", "Patient"

    client = models.ForeignKey(FhirClient, on_delete=models.PROTECT, related_name="exports")
    level = models.CharField(max_length=10, choices=Level.choices)
    types = models.JSONField(default=list, help_text="Resource types to export")
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.CharField(max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.CharField(max_length=200, blank=True)
    transaction_time = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [models.Index(fields=["status", "expires_at"], name="fhir_export_due")]

    def __str__(self) -> str:
        return f"$export {self.public_id} ({self.status})"


class ExportFile(TenantModel):
    """One NDJSON file of an export (one resource type, at most PART_SIZE resources)."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="files")
    resource_type = models.CharField(max_length=64)
    part = models.PositiveIntegerField()
    count = models.PositiveIntegerField()
    content = models.BinaryField()

    class Meta:
        ordering: ClassVar = ["job", "resource_type", "part"]

    def __str__(self) -> str:
        return f"{self.resource_type} part {self.part}"
