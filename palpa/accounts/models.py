"""Organizations (tenants), their locations and rooms, staff accounts and API tokens."""

from __future__ import annotations

import hashlib
import uuid
import zoneinfo
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from palpa.core.models import TenantModel, TimestampedModel


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. America/New_York).")


class Organization(TimestampedModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    require_mfa = models.BooleanField(
        default=True,
        help_text="Owners and therapists must use two-factor authentication (TOTP).",
    )
    session_idle_minutes = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(720)],
        help_text="Staff are signed out after this many minutes without activity.",
    )
    license_warning_days = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Licenses expiring within this many days are listed on the dashboard.",
    )
    time_zone = models.CharField(
        max_length=64,
        default="America/New_York",
        validators=[validate_time_zone],
        help_text="Organization-wide pages (dashboard, audit log, billing) show dates and "
        "times in this zone; each location's pages use the location's own zone.",
    )
    next_mrn = models.PositiveIntegerField(default=1, editable=False)

    def __str__(self) -> str:
        return self.name


class Location(TenantModel):
    class Kind(models.TextChoices):
        CLINIC = "clinic", "Clinic"
        MEDICAL_SPA = "medical_spa", "Medical spa"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CLINIC)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(
        "state / region",
        max_length=10,
        help_text="Two-letter state code; also the jurisdiction whose license is required.",
    )
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2, default="US")
    phone = models.CharField(max_length=30, blank=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "name"], name="location_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def jurisdiction(self) -> str:
        return self.region.upper()


class Room(TenantModel):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)
    equipment = models.CharField(
        max_length=300, blank=True, help_text="e.g. hydraulic table, hot stones"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["location__name", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["location", "name"], name="room_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.location.name} / {self.name}"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    THERAPIST = "therapist", "Therapist"
    FRONT_DESK = "front_desk", "Front desk"
    BILLER = "biller", "Biller"


class User(AbstractUser):
    """A staff member. Signs in with an email address; belongs to one organization."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    full_name = models.CharField(max_length=200, blank=True)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    @property
    def mfa_required(self) -> bool:
        org = self.organization
        if org is None:
            return True
        # Imported here: the permission table imports this module's Role.
        from palpa.accounts.permissions import Capability, role_has

        return org.require_mfa and role_has(self.role, Capability.SECOND_FACTOR)

    def __str__(self) -> str:
        return self.full_name or self.username


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(TenantModel):
    """A personal access token: shown once, stored as its SHA-256, revocable."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class StaffInvitation(TenantModel):
    """An emailed link that lets an invited staff member set their own password.

    The account exists from the invitation on (inactive, without a usable password), so
    it can be linked to a practitioner before its owner first signs in. Only the link's
    SHA-256 is stored; a resend voids the open invitation and issues a fresh one."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation of {self.user}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None and self.voided_at is None and self.expires_at > timezone.now()
        )
