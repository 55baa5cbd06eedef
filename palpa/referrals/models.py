"""The organization's directory of referring physicians, and their referrals.

A ``Referral`` is a physician's prescription for a patient: diagnoses, the service and its
frequency, how many visits are authorized between two dates, precautions and the scanned
prescription. Only ``active`` and ``cancelled`` are stored in ``status``; ``exhausted``
(every authorized visit used) and ``expired`` (past ``expires_on``) follow from the
visits counted (``ReferralVisit``, one per signed treatment note) and the date, and are
computed by ``services.countdown``. Nothing here is ever deleted.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from palpa.core.models import TenantModel
from palpa.core.npi import validate_npi

DEFAULT_WARN_VISITS = 2
DEFAULT_WARN_DAYS = 7


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


class ReferralPolicy(TenantModel):
    """When the countdown warns; without a row the defaults (2 visits, 7 days) apply."""

    warn_visits_left = models.PositiveIntegerField(
        "warn when this many visits are left",
        default=DEFAULT_WARN_VISITS,
        validators=[MinValueValidator(0), MaxValueValidator(50)],
    )
    warn_days_left = models.PositiveIntegerField(
        "warn when this many days are left",
        default=DEFAULT_WARN_DAYS,
        validators=[MinValueValidator(0), MaxValueValidator(90)],
    )

    class Meta:
        verbose_name_plural = "referral policies"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization"], name="referral_policy_one_per_org")
        ]

    def __str__(self) -> str:
        return f"warn at {self.warn_visits_left} visits / {self.warn_days_left} days"


class Referral(TenantModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXHAUSTED = "exhausted", "Exhausted"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="referrals"
    )
    physician = models.ForeignKey(Physician, on_delete=models.PROTECT, related_name="referrals")
    diagnoses = models.JSONField(default=list, help_text="ICD-10-CM codes, most important first")
    codeset_version = models.CharField(max_length=20, blank=True)
    requested_service = models.CharField(max_length=200)
    frequency = models.CharField(max_length=100, blank=True, help_text="e.g. 2x/week x 6 weeks")
    visits_authorized = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    starts_on = models.DateField()
    expires_on = models.DateField()
    precautions = models.TextField(blank=True)
    prescription = models.FileField(upload_to="referrals/prescriptions/%Y/%m/", blank=True)
    prescription_name = models.CharField(max_length=200, blank=True)
    prescription_content_type = models.CharField(max_length=40, blank=True)
    prescription_size = models.PositiveIntegerField(default=0)
    prescription_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    cancelled_reason = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-starts_on", "-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(
                fields=["organization", "patient", "-starts_on"], name="referral_pt_start"
            ),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(expires_on__gte=F("starts_on")), name="referral_expires_after_start"
            ),
            models.CheckConstraint(
                condition=Q(visits_authorized__gte=1), name="referral_authorizes_a_visit"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "cancelled"]),
                name="referral_stored_status_active_or_cancelled",
            ),
            models.CheckConstraint(
                condition=Q(status="active") | ~Q(cancelled_reason=""),
                name="referral_cancelled_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.starts_on} to {self.expires_on} ({self.requested_service})"


class CountedVisits(models.Manager["ReferralVisit"]):
    """Visits that count: not withdrawn because their note was entered in error."""

    def get_queryset(self) -> models.QuerySet[ReferralVisit]:
        return super().get_queryset().filter(withdrawn_at__isnull=True)


class ReferralVisit(TenantModel):
    """One signed treatment note counted against a referral (recorded when it is signed).

    When the note is later marked entered in error the visit is withdrawn (kept, with
    when and why) and no longer counts; ``referral.visits`` and ``objects`` see only
    the visits that count, ``every_visit`` sees all.
    """

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="visits")
    note_public_id = models.UUIDField(unique=True)
    visit_on = models.DateField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    objects = CountedVisits()
    every_visit = models.Manager()

    class Meta:
        base_manager_name = "every_visit"
        ordering: ClassVar = ["visit_on", "pk"]

    def __str__(self) -> str:
        return f"Visit {self.visit_on}"


class ReferralOverride(TenantModel):
    """An owner lets care go beyond a referral's authorized visits or past its expiry.

    It covers later checks for the same referral while the plan stays within
    ``visits_planned`` and ``ends_on`` (when they are set)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="overrides")
    reason = models.TextField()
    visits_planned = models.PositiveIntegerField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=~Q(reason=""), name="referral_override_has_a_reason"),
        ]

    def __str__(self) -> str:
        return f"Override {self.created_at:%Y-%m-%d}"
