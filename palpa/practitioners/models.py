"""Practitioners (therapists) and their licenses and credentials."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from palpa.core.models import TenantModel
from palpa.core.npi import validate_npi


class Practitioner(TenantModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="practitioner",
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    credentials = models.CharField(
        max_length=100, blank=True, help_text="As shown after the name, e.g. LMT, CMLDT"
    )
    npi = models.CharField(
        "NPI", max_length=10, blank=True, validators=[validate_npi], help_text="10 digits"
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["family_name", "given_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.given_name} {self.family_name}"
        return f"{name}, {self.credentials}" if self.credentials else name


class License(TenantModel):
    class Verification(models.TextChoices):
        UNVERIFIED = "unverified", "Not yet verified"
        VERIFIED = "verified", "Verified with the board"
        REJECTED = "rejected", "Could not be verified"

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="licenses"
    )
    jurisdiction = models.CharField(
        max_length=10, help_text="Issuing state or region, e.g. FL (two-letter code)"
    )
    license_type = models.CharField(
        max_length=40, help_text="e.g. LMT (licensed massage therapist), LMBT, CMT"
    )
    number = models.CharField(max_length=40)
    issued_on = models.DateField()
    expires_on = models.DateField()
    verification_status = models.CharField(
        max_length=20, choices=Verification.choices, default=Verification.UNVERIFIED
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-expires_on"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=F("issued_on")), name="license_expires_after_issue"
            ),
            models.UniqueConstraint(
                fields=["organization", "jurisdiction", "license_type", "number"],
                name="license_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.license_type} {self.jurisdiction} #{self.number}"

    def is_current_on(self, day: dt.date) -> bool:
        return (
            self.issued_on <= day <= self.expires_on
            and self.verification_status != self.Verification.REJECTED
        )
