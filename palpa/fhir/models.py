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
