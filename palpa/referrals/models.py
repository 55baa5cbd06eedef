"""The organization's directory of referring physicians."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from palpa.core.models import TenantModel
from palpa.core.npi import validate_npi


class Physician(TenantModel):
    class Delivery(models.TextChoices):
        SECURE_EMAIL = "secure_email", "Secure email"
        FAX = "fax", "Fax"
        MAIL = "mail", "Post"

    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    credentials = models.CharField(max_length=60, blank=True, help_text="e.g. MD, DO, NP")
    npi = models.CharField("NPI", max_length=10, validators=[validate_npi])
    practice = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    fax = models.CharField(max_length=30, blank=True)
    secure_email = models.EmailField(blank=True)
    preferred_delivery = models.CharField(
        max_length=20, choices=Delivery.choices, default=Delivery.FAX
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["family_name", "given_name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "npi"], name="physician_npi_unique")
        ]

    def __str__(self) -> str:
        name = f"{self.given_name} {self.family_name}"
        return f"{name}, {self.credentials}" if self.credentials else name
