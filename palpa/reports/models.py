"""Progress and discharge reports to the referring physician, and their delivery.

A report is drafted by a practitioner (the assessment and the recommendation are theirs;
everything else is read from the chart), then signed: signing checks the practitioner's
license, takes a snapshot of the content, renders the PDF and stores the PDF's SHA-256.
A signed report never changes and is never deleted. A correction is a new version of the
same report (same ``lineage``, ``version`` + 1, ``supersedes`` the one before, which
becomes *superseded* when the new version is signed); both are kept.

A ``ReportDelivery`` records each time a signed report left the clinic: an email to the
physician with a single-use link (only the SHA-256 of its token is stored), or a
download for fax.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from palpa.core.models import TenantModel
from palpa.core.records import SignedRecord, SignedRecordChanged, Versioned, signature_constraint

DEFAULT_EVERY_VISITS = 10
DEFAULT_EVERY_DAYS = 30
DEFAULT_LINK_DAYS = 14
SIGNED_REPORT_STATUSES = ("signed", "superseded")


class SignedReportChanged(SignedRecordChanged):
    """Raised on any attempt to change or delete a signed report."""


class ReportPolicy(TenantModel):
    """When a progress report is due, and how long a physician's link works.

    Without a row the defaults apply (settings ``PALPA_REPORT_EVERY_VISITS``,
    ``PALPA_REPORT_EVERY_DAYS``, ``PALPA_REPORT_LINK_DAYS``, else 10 visits, 30 days and
    14 days)."""

    every_visits = models.PositiveSmallIntegerField(
        "a progress report is due after this many signed visits",
        null=True,
        blank=True,
        default=DEFAULT_EVERY_VISITS,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Leave empty to count days only.",
    )
    every_days = models.PositiveSmallIntegerField(
        "or after this many days",
        null=True,
        blank=True,
        default=DEFAULT_EVERY_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Leave empty to count visits only.",
    )
    link_days = models.PositiveSmallIntegerField(
        "the physician's link works for this many days",
        default=DEFAULT_LINK_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )

    class Meta:
        verbose_name_plural = "report policies"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization"], name="report_policy_one_per_org")
        ]

    def __str__(self) -> str:
        return f"every {self.every_visits} visits / {self.every_days} days"


class Report(Versioned, SignedRecord):
    class Kind(models.TextChoices):
        PROGRESS = "progress", "Progress report"
        DISCHARGE = "discharge", "Discharge report"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        SUPERSEDED = "superseded", "Superseded by a correction"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    class Recommendation(models.TextChoices):
        CONTINUE = "continue", "Continue the plan of care"
        MODIFY = "modify", "Modify the plan of care"
        DISCHARGE = "discharge", "Discharge"
        REFER_BACK = "refer_back", "Refer back to the physician"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey("care.Plan", on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    physician = models.ForeignKey(
        "referrals.Physician", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    correction_reason = models.CharField(max_length=300, blank=True)
    assessment = models.TextField("therapist's assessment", blank=True)
    recommendation = models.CharField(
        max_length=12, choices=Recommendation.choices, default=Recommendation.CONTINUE
    )
    recommendation_detail = models.TextField(blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    content = models.JSONField(
        default=dict, blank=True, help_text="The snapshot of what the signed PDF shows."
    )
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pdf_size = models.PositiveIntegerField(default=0)
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the signed PDF's bytes."
    )

    SIGNED = SIGNED_REPORT_STATUSES
    Changed = SignedReportChanged
    changed_message = "A signed report never changes; correct it instead."
    deleted_message = "Reports are never deleted; mark a draft entered in error."

    class Meta:
        ordering: ClassVar = ["-period_end", "-version", "-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["organization", "patient", "-period_end"], name="report_pt_end"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["lineage", "version"], name="report_version_once"),
            models.UniqueConstraint(
                fields=["supersedes"],
                condition=~Q(status="entered-in-error"),
                name="one_live_correction_per_report",
            ),
            signature_constraint(
                "signed_report_has_signature_and_pdf",
                SIGNED_REPORT_STATUSES,
                also=Q(pdf__isnull=False),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="report_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} to {self.period_end}"


class ReportDelivery(TenantModel):
    """One way a signed report left the clinic."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email link to the physician"
        DOWNLOAD = "download", "Downloaded (for fax)"

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    opened_from = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        verbose_name_plural = "report deliveries"

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.created_at:%Y-%m-%d}"


class ReportShare(TenantModel):
    """A signed report the clinic chose to share with the patient (in the portal).

    Kept apart from the report, whose signed content never changes. Staff share a
    signed, current version and may stop sharing it (``withdrawn_at``); sharing again
    makes a new row, so the history stays. The portal shows a report while its share is
    not withdrawn and the report is still the current signed version: a correction is
    not shared until it is shared itself."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="shares")
    shared_at = models.DateTimeField()
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-shared_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(withdrawn_at__isnull=True),
                name="report_shared_once_at_a_time",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="report_share_withdrawn_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"shared {self.shared_at:%Y-%m-%d}"
