"""Stored screenings: intake facts, the engine's result, clearances, overrides, rule sets.

A ``Screening`` keeps everything needed to show later why it decided what it did: the
facts as given, the questionnaire version that collected them, the version (and, for an
organization's own rules, the stored document) of the rule set that judged them, and the
engine's whole result. Nothing here is ever deleted; a screening made in error is marked.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from palpa.core.models import TenantModel

DECISION_CHOICES = [(d, d) for d in ("PROCEED", "MODIFY", "CLEARANCE", "STOP")]
URGENCY_CHOICES = [(u, u) for u in ("none", "referral", "urgent", "emergency")]

DEFAULT_RESCREEN_DAYS = 90
DEFAULT_INTAKE_LINK_DAYS = 7


class RuleSetVersion(TenantModel):
    """One version of an organization's own rule set (a whole document, validated on save
    by ``rules.load_rule_set``). The newest is in force; older ones stay for the record."""

    version = models.CharField(max_length=60)
    name = models.CharField(max_length=200)
    document = models.JSONField()
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="screening_ruleset_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"


class ScreeningPolicy(TenantModel):
    """An organization's screening timings; without a row the defaults apply."""

    rescreen_days = models.PositiveIntegerField(
        default=DEFAULT_RESCREEN_DAYS,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text="A full re-screen is due this many days after the last one.",
    )
    intake_link_days = models.PositiveIntegerField(
        default=DEFAULT_INTAKE_LINK_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="A patient's intake link expires after this many days.",
    )

    class Meta:
        verbose_name_plural = "screening policies"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization"], name="screening_policy_one_per_org")
        ]

    def __str__(self) -> str:
        return f"re-screen every {self.rescreen_days} days"


class IntakeLink(TenantModel):
    """A one-time link for a patient to fill in the health questions on their phone.

    Only a SHA-256 hash of the token is stored; the token itself is shown once."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="intake_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The answers saved so far, step by step, so the patient can stop and come back with
    # the same link: {"data": {field: [values]}, "step": next step, "from_last_time": bool}.
    # Emptied when the answers are sent or the link is replaced.
    draft = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"Intake link {self.created_at:%Y-%m-%d}"


class Screening(TenantModel):
    class Source(models.TextChoices):
        PATIENT_LINK = "patient_link", "Patient, through an intake link"
        STAFF = "staff", "Staff"

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="screenings"
    )
    as_of = models.DateField("screened for")
    facts = models.JSONField()
    questionnaire_version = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    intake_link = models.OneToOneField(
        IntakeLink, on_delete=models.PROTECT, null=True, blank=True, related_name="screening"
    )
    rule_set = models.ForeignKey(
        RuleSetVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rule_set_version = models.CharField(max_length=60)
    decision = models.CharField(max_length=10, choices=DECISION_CHOICES)
    urgency = models.CharField(max_length=10, choices=URGENCY_CHOICES)
    result = models.JSONField()
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.VALID)
    history_on = models.DateField(
        "whole health history taken on",
        null=True,
        blank=True,
        help_text="Set when only a visit's blood pressure was added to an earlier history: "
        "the day that history was taken (the re-screen falls due from it).",
    )

    class Meta:
        ordering: ClassVar = ["-as_of", "-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["organization", "patient", "-as_of"], name="screening_pt_date"),
        ]

    def __str__(self) -> str:
        return f"Screening {self.as_of} {self.decision}"


class VisitConfirmation(TenantModel):
    """At a visit, the therapist confirmed the health history has not changed."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="confirmations")
    on = models.DateField("visit date")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-on", "-created_at"]

    def __str__(self) -> str:
        return f"No change confirmed {self.on}"


class Clearance(TenantModel):
    """A physician's clearance (with the letter) or an owner's override with a reason.

    ``covered`` maps each finding it clears (rule id) to the facts that made the rule
    fire; it covers a later screening's finding only while those facts are unchanged.
    """

    class Kind(models.TextChoices):
        PHYSICIAN = "physician", "Physician clearance"
        OVERRIDE = "override", "Owner override"

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="clearances")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    covered = models.JSONField(default=dict)
    physician = models.ForeignKey(
        "referrals.Physician", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cleared_on = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    scope = models.TextField(blank=True, help_text="What the physician cleared")
    conditions = models.TextField(blank=True, help_text="Any conditions the physician set")
    reason = models.TextField(blank=True, help_text="The owner's written reason (overrides)")
    letter = models.FileField(upload_to="screening/clearances/%Y/%m/", blank=True)
    letter_name = models.CharField(max_length=200, blank=True)
    letter_content_type = models.CharField(max_length=40, blank=True)
    letter_size = models.PositiveIntegerField(default=0)
    letter_sha256 = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.VALID)

    class Meta:
        ordering: ClassVar = ["-cleared_on", "-created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(kind="override")
                | (Q(physician__isnull=False) & ~Q(letter="") & ~Q(scope="")),
                name="physician_clearance_has_physician_letter_and_scope",
            ),
            models.CheckConstraint(
                condition=Q(kind="physician") | ~Q(reason=""),
                name="override_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.cleared_on}"
