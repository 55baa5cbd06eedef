"""Patients: demographics, contacts, consents and allergies. Never hard-deleted."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from palpa.core.models import TenantModel

phone_validator = RegexValidator(
    regex=r"^\+?\(?[0-9][0-9 ().-]{6,18}[0-9]$",
    message="Enter a phone number of 7 to 15 digits, e.g. +1 305 555 0142 or (305) 555-0142.",
    code="phone",
)
language_validator = RegexValidator(
    regex=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
    message="Use a language code such as en, es or pt-BR.",
    code="language",
)


def phone_digits(phone: str) -> str:
    """The last ten digits of a phone number as typed ("+1 (813) 555-0101" -> 8135550101)."""
    return "".join(ch for ch in phone if ch.isascii() and ch.isdigit())[-10:]


class Patient(TenantModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        DECEASED = "deceased", "Deceased"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    class Sex(models.TextChoices):  # FHIR administrative gender
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    mrn = models.CharField("MRN", max_length=20, editable=False)
    given_name = models.CharField("first name", max_length=100)
    family_name = models.CharField("last name", max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField("date of birth")
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    pronouns = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True, validators=[phone_validator])
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state", max_length=10, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    preferred_language = models.CharField(
        max_length=20, default="en", validators=[language_validator]
    )

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    preferred_channel = models.CharField(
        "preferred way to send messages",
        max_length=10,
        choices=Channel.choices,
        blank=True,
        default="",
        help_text="Messages go this way when the patient's consent allows it; otherwise by "
        "any way they consented to. Blank: every way they consented to.",
    )
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(
        max_length=30, blank=True, validators=[phone_validator]
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=300, blank=True)
    deceased_on = models.DateField(null=True, blank=True)
    primary_location = models.ForeignKey(
        "accounts.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Lower-cased "given family preferred" for fast, database-neutral name search.
    search_name = models.CharField(max_length=320, editable=False, db_index=True)
    # The phone's last ten digits, however it was typed, for search by phone.
    phone_digits = models.CharField(max_length=10, editable=False, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["family_name", "given_name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "mrn"], name="patient_mrn_unique")
        ]
        indexes: ClassVar = [
            models.Index(fields=["organization", "family_name", "given_name"], name="pt_org_name"),
            models.Index(fields=["organization", "date_of_birth"], name="pt_org_dob"),
            models.Index(fields=["organization", "phone_digits"], name="pt_org_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    @property
    def time_zone(self) -> str:
        """The zone of the patient's clinic (primary location, else the organization): the
        patient's "today" (``palpa.core.dates.local_today(patient)``)."""
        place = self.primary_location or self.organization
        return place.time_zone

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def refresh_search_name(self) -> None:
        """Recompute the search columns (name and phone digits) from the fields."""
        self.search_name = " ".join(
            part.lower()
            for part in (self.given_name, self.family_name, self.preferred_name)
            if part
        )
        self.phone_digits = phone_digits(self.phone)


class Consent(TenantModel):
    """A consent as given or withdrawn on a date. Append-only: a withdrawal is a new row."""

    class Kind(models.TextChoices):
        TREATMENT = "treatment", "Consent to treatment"
        PRIVACY_NOTICE = "privacy_notice", "Privacy notice acknowledged"
        EMAIL = "contact_email", "Contact by email"
        SMS = "contact_sms", "Contact by text message"
        PHONE = "contact_phone", "Contact by phone"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    granted = models.BooleanField(default=True)
    version = models.CharField(max_length=20, help_text="Version of the form or notice")
    given_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-given_on", "-created_at"]

    def __str__(self) -> str:
        state = "granted" if self.granted else "withdrawn"
        return f"{self.get_kind_display()} v{self.version} {state} {self.given_on}"


class Allergy(TenantModel):
    """Allergies and sensitivities that matter on the table (oils, latex, fragrance...).

    Clinical: visible to owners and therapists only.
    """

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=120, help_text="e.g. nut oils, latex, lavender")
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MILD)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["substance"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return self.substance


class MessageKind(models.TextChoices):
    """What a message to a patient is about (the ledger's ``kind``)."""

    INTAKE_LINK = "intake_link", "Health history form link"
    INSTRUMENT_LINK = "instrument_link", "Questionnaire link"
    BOOKING_CONFIRMED = "booking_confirmed", "Booking confirmed"
    BOOKING_MOVED = "booking_moved", "Booking moved"
    BOOKING_CANCELLED = "booking_cancelled", "Booking cancelled"
    REPORT_READY = "report_ready", "Report ready"
    HOME_CARE = "home_care", "Home-care program"
    PORTAL_CODE = "portal_code", "Portal sign-in code"


class PatientMessage(TenantModel):
    """One message to a patient on one channel, as queued, sent or failed: the ledger the
    chart's "Messages" section lists. Written only by ``palpa.patients.messages``.

    The body is kept as sent, except a link in it: the body keeps ``[link]`` in its place
    and the link itself is kept sealed (encrypted with a key derived from SECRET_KEY) only
    until the message is sent or has failed for good, then erased."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        NOT_SENT = "not_sent", "Not sent"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=30, choices=MessageKind.choices)
    channel = models.CharField(max_length=10, choices=Patient.Channel.choices)
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    link_sealed = models.TextField(blank=True, default="")
    # What the message is about, e.g. "appointment:<public id>" (for a resend).
    about = models.CharField(max_length=80, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    resend_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="resends"
    )

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["patient", "-created_at"], name="pt_msg_patient_recent"),
            models.Index(fields=["status", "next_attempt_at"], name="pt_msg_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.get_channel_display()} ({self.status})"


class MessageTemplate(TenantModel):
    """An organization's own wording of one kind of message on one channel (the defaults
    in ``palpa.patients.messages`` apply where it has none)."""

    kind = models.CharField(max_length=30, choices=MessageKind.choices)
    channel = models.CharField(max_length=10, choices=Patient.Channel.choices)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "kind", "channel"], name="message_template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_channel_display()})"


class Guardian(TenantModel):
    """A parent or guardian who may act for the patient in the portal (signing in with
    their own email or mobile). Never deleted: ``active`` false ends it.

    While the patient is a minor (under ``ADULT_AGE`` in the clinic's zone today) an
    active guardian may act for them; once the patient is an adult only a guardian the
    staff marked ``legal_representative`` still may."""

    ADULT_AGE = 18

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="guardians")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=60, help_text="e.g. mother, father, guardian")
    email = models.EmailField(blank=True)
    phone = models.CharField("mobile", max_length=30, blank=True, validators=[phone_validator])
    legal_representative = models.BooleanField(
        "legal representative",
        default=False,
        help_text="Keeps acting for the patient after they turn 18 (e.g. a court-appointed "
        "guardian or power of attorney).",
    )
    active = models.BooleanField(default=True)
    # The mobile's last ten digits, however it was typed, for portal sign-in.
    phone_digits = models.CharField(max_length=10, editable=False, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["name", "created_at"]
        indexes: ClassVar = [
            models.Index(fields=["phone_digits"], name="guardian_phone"),
            models.Index(fields=["patient", "active"], name="guardian_patient_active"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})"
