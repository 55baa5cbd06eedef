"""Appointment types, working hours and time off, room features, appointments and the
waitlist.

Times are stored in UTC; working hours are wall-clock times in the location's time zone
(``Location.time_zone``) and are turned into UTC per day by ``palpa.scheduling.hours``.
No double booking: on PostgreSQL two exclusion constraints (added by migration 0001,
outside the model state because SQLite has no such constraint) forbid overlapping
``[start, busy_until)`` ranges of active appointments per practitioner and per room; on
SQLite the service checks overlaps inside the IMMEDIATE write transaction, which
serializes writers.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from palpa.core.models import TenantModel

# The names of the PostgreSQL exclusion constraints (see migrations/0001_initial.py).
PRACTITIONER_EXCLUSION = "appointment_practitioner_no_overlap"
ROOM_EXCLUSION = "appointment_room_no_overlap"
# The longest appointment and buffer a type may have (its validators, and a check
# constraint in the database): no appointment's ``[start, busy_until)`` is longer than
# ``MAX_BUSY_SPAN``, which lets the busy-time queries bound ``start`` from below as well
# as from above, so the ``(practitioner|room|location, start)`` indexes read only the span.
MAX_DURATION_MINUTES = 480
MAX_BUFFER_MINUTES = 120
MAX_BUSY_SPAN = dt.timedelta(minutes=MAX_DURATION_MINUTES + MAX_BUFFER_MINUTES)


class RoomFeature(TenantModel):
    """One piece of equipment or property of a room (``hydraulic_table``, ``hot_stones``,
    ``hydrotherapy_tub``): appointment types may require features."""

    room = models.ForeignKey("accounts.Room", on_delete=models.PROTECT, related_name="features")
    feature = models.SlugField(max_length=60, help_text="e.g. hydraulic_table, hot_stones")

    class Meta:
        ordering: ClassVar = ["room_id", "feature"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["room", "feature"], name="room_feature_unique")
        ]

    def __str__(self) -> str:
        return f"{self.room_id}: {self.feature}"


class AppointmentType(TenantModel):
    class Kind(models.TextChoices):
        EVALUATION = "evaluation", "Initial evaluation"
        TREATMENT = "treatment", "Treatment"
        REASSESSMENT = "reassessment", "Re-assessment"
        SPA = "spa", "Spa service"

    code = models.SlugField(max_length=60, help_text="Stable name, e.g. treatment-60")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    duration_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    buffer_minutes = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)],
        help_text="Time kept free after the appointment (notes, turning the room over).",
    )
    practitioners = models.ManyToManyField(
        "practitioners.Practitioner",
        blank=True,
        related_name="+",
        help_text="Who may perform it; empty means every active practitioner.",
    )
    required_features = models.JSONField(
        default=list, blank=True, help_text="Room features the room must have (list of slugs)."
    )
    needs_room = models.BooleanField(default=True)
    online_bookable = models.BooleanField(default=False)
    counts_as_visit = models.BooleanField(
        default=True,
        help_text="Counts against the patient's referral (visits authorized, expiry).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["kind", "duration_minutes", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "code"], name="appointment_type_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(
                    duration_minutes__lte=MAX_DURATION_MINUTES,
                    buffer_minutes__lte=MAX_BUFFER_MINUTES,
                ),
                name="appointment_type_length_bounded",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    @property
    def buffer(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.buffer_minutes)


class WorkingHours(TenantModel):
    """A practitioner's weekly hours at one location, in the location's local time."""

    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="working_hours"
    )
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(6)], help_text="0 Monday … 6 Sunday"
    )
    start_time = models.TimeField()
    end_time = models.TimeField()
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["practitioner_id", "weekday", "start_time"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="working_hours_end_after_start"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner_id} day {self.weekday} {self.start_time}-{self.end_time}"


class AvailabilityException(TenantModel):
    """Time off (vacation, a sick afternoon) or extra hours outside the weekly pattern.

    ``starts_at``/``ends_at`` are UTC instants, so partial days and multi-day ranges are
    one row. Time off without a location applies at every location.
    """

    class Kind(models.TextChoices):
        TIME_OFF = "time_off", "Time off"
        EXTRA_HOURS = "extra_hours", "Extra hours"

    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="exceptions"
    )
    location = models.ForeignKey(
        "accounts.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TIME_OFF)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["starts_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="availability_exception_order"
            ),
            models.CheckConstraint(
                condition=Q(kind="time_off") | Q(location__isnull=False),
                name="extra_hours_have_a_location",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"


class ClosedDay(TenantModel):
    """A local day a location (or, without a location, every location of the
    organization) is closed, such as Thanksgiving: nobody is offered or booked then
    (staff may book anyway with a reason, as outside working hours). A day is the
    location's local calendar day; partial-day closing is time off or hours instead."""

    location = models.ForeignKey(
        "accounts.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    date = models.DateField()
    reason = models.CharField(max_length=120, help_text="e.g. Thanksgiving")

    class Meta:
        ordering: ClassVar = ["date", "pk"]
        indexes: ClassVar = [
            models.Index(fields=["organization", "date"], name="closed_day_organization_date"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "location", "date"],
                condition=Q(location__isnull=False),
                name="closed_day_location_date_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "date"],
                condition=Q(location__isnull=True),
                name="closed_day_everywhere_date_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"closed {self.date:%Y-%m-%d}: {self.reason}"


class Appointment(TenantModel):
    class Status(models.TextChoices):  # FHIR R4 AppointmentStatus codes (those used)
        BOOKED = "booked", "Booked"
        ARRIVED = "arrived", "Arrived"
        FULFILLED = "fulfilled", "Fulfilled"
        CANCELLED = "cancelled", "Cancelled"
        NOSHOW = "noshow", "No-show"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    class Source(models.TextChoices):
        STAFF = "staff", "Staff"
        ONLINE = "online", "Online"

    ACTIVE: ClassVar[tuple[str, ...]] = ("booked", "arrived", "fulfilled")

    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="appointments"
    )
    room = models.ForeignKey(
        "accounts.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    busy_until = models.DateTimeField(help_text="end plus the type's buffer")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.STAFF)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    series = models.UUIDField(null=True, blank=True, help_text="The recurring course it is in")
    notes = models.CharField(max_length=500, blank=True)
    screening_decision = models.CharField(
        max_length=20, blank=True, help_text="The patient's screening decision when booked"
    )
    outside_hours_reason = models.CharField(max_length=300, blank=True)
    referral_override = models.ForeignKey(
        "referrals.ReferralOverride",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    arrived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["start", "pk"]
        indexes: ClassVar = [
            models.Index(fields=["practitioner", "start"], name="appointment_practitioner_start"),
            models.Index(fields=["location", "start"], name="appointment_location_start"),
            models.Index(fields=["room", "start"], name="appointment_room_start"),
            models.Index(fields=["patient", "start"], name="appointment_patient_start"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="appointment_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(busy_until__gte=F("end")), name="appointment_busy_until_after_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type_id} {self.start:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class WaitlistEntry(TenantModel):
    """A patient waiting for an earlier or any slot of one appointment type."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered a slot"
        BOOKED = "booked", "Booked"
        WITHDRAWN = "withdrawn", "Withdrawn"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="+"
    )
    practitioner = models.ForeignKey(
        "practitioners.Practitioner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Preferred practitioner; empty means anyone.",
    )
    earliest_date = models.DateField(null=True, blank=True)
    latest_date = models.DateField(null=True, blank=True)
    weekdays = models.JSONField(
        default=list, blank=True, help_text="0 Monday … 6 Sunday; empty: any"
    )
    window_start = models.TimeField(null=True, blank=True, help_text="Local time, earliest start")
    window_end = models.TimeField(null=True, blank=True, help_text="Local time, latest end")
    notes = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WAITING)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"waitlist {self.patient_id} {self.appointment_type_id} ({self.status})"


class WaitlistOffer(TenantModel):
    """A freed slot offered to a waiting patient (recorded; contacting them is done by
    the front desk or the reminder backends)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        LAPSED = "lapsed", "Lapsed"

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.PROTECT, related_name="offers")
    freed_by = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="offers"
    )
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="+"
    )
    room = models.ForeignKey(
        "accounts.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-created_at", "pk"]

    def __str__(self) -> str:
        return f"offer {self.entry_id} {self.start:%Y-%m-%d %H:%M} ({self.status})"


# --- Patient self-booking, reminders and calendar feeds (palpa.scheduling.online,
# --- palpa.scheduling.reminders, palpa.scheduling.feeds; see docs/scheduling.md) -------


class OnlineBookingSettings(TenantModel):
    """What patients may book for themselves at one location (the owner decides)."""

    class NewPatients(models.TextChoices):
        BOOK = "book", "New patients may book"
        REQUEST = "request", "New patients send a request; staff book it"
        CLOSED = "closed", "Only patients already on file"

    location = models.OneToOneField(
        "accounts.Location", on_delete=models.PROTECT, related_name="online_booking"
    )
    enabled = models.BooleanField(default=False, help_text="The booking page is open.")
    appointment_types = models.ManyToManyField(
        AppointmentType,
        blank=True,
        related_name="+",
        help_text="Types patients may book here (only active, online-bookable types).",
    )
    days_ahead = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="How far ahead patients may book (days).",
    )
    min_notice_hours = models.PositiveIntegerField(
        default=24,
        validators=[MinValueValidator(2), MaxValueValidator(720)],
        help_text="The earliest bookable slot is this many hours from now (2 at least).",
    )
    cancel_notice_hours = models.PositiveIntegerField(
        default=24,
        validators=[MaxValueValidator(720)],
        help_text="Patients may cancel or move online until this many hours before.",
    )

    class StartEvery(models.IntegerChoices):
        QUARTER = 15, "Every 15 minutes"
        HALF = 30, "On the hour and the half hour"
        HOUR = 60, "On the hour"

    start_every_minutes = models.PositiveSmallIntegerField(
        choices=StartEvery.choices,
        default=StartEvery.QUARTER,
        help_text="The start times patients are offered online and in the portal, counted "
        "from the start of each working period (staff book on the 15-minute grid).",
    )
    move_any_therapist = models.BooleanField(
        default=False,
        help_text="In the patient portal, a patient changing a time may choose another "
        "therapist who performs the type (otherwise: the same therapist only).",
    )
    new_patients = models.CharField(
        max_length=10, choices=NewPatients.choices, default=NewPatients.REQUEST
    )
    notify_email = models.EmailField(
        blank=True, help_text="Who is emailed about online bookings; empty: the owners."
    )
    welcome = models.CharField(
        max_length=500, blank=True, help_text="A line shown at the top of the booking page."
    )

    class Meta:
        verbose_name_plural = "online booking settings"

    def __str__(self) -> str:
        return f"online booking at {self.location_id} ({'open' if self.enabled else 'closed'})"


class OnlineBookingNotice(TenantModel):
    """Staff are told of every online booking, cancellation, move and new-patient
    request; a notice stays open until someone marks it handled."""

    class Kind(models.TextChoices):
        BOOKED = "booked", "Booked online"
        REQUESTED = "requested", "New patient request"
        CANCELLED = "cancelled", "Cancelled online"
        MOVED = "moved", "Moved online"
        REFERRAL = "referral", "Request to book: the referral does not cover it"

    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A new patient's request (request-only mode): what they gave, nothing more.
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    wanted_start = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["organization", "handled_at"], name="online_notice_open"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.location_id} {self.created_at:%Y-%m-%d %H:%M}"


class BookingAccessCode(TenantModel):
    """A one-time link and code that let a patient on file book online. Only hashes are
    stored: the link's token (SHA-256) and the 6-digit code (HMAC with the secret key,
    so a stolen table does not give codes away by brute force)."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=100, help_text="salt$HMAC-SHA256")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["patient", "created_at"], name="booking_code_pt_created"),
        ]

    def __str__(self) -> str:
        return f"booking code {self.public_id} ({self.channel})"


class AppointmentLink(TenantModel):
    """A patient's link to see, cancel or move one appointment (sent in the confirmation
    and each reminder). Only the SHA-256 of its token is stored; it works until the
    appointment starts and stops when the appointment is cancelled."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="patient_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"appointment link {self.public_id}"


class ReminderPolicy(TenantModel):
    """One reminder the organization sends before every appointment: a channel, a lead
    time and its own wording (``palpa.scheduling.wording`` placeholders)."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    channel = models.CharField(max_length=5, choices=Channel.choices)
    lead_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(30), MaxValueValidator(14 * 24 * 60)],
        help_text="How long before the appointment it is sent (minutes).",
    )
    subject = models.CharField(max_length=200, blank=True, help_text="Email only.")
    body = models.TextField(max_length=2000)
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["-lead_minutes", "channel"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "channel", "lead_minutes"],
                name="reminder_policy_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.lead_minutes} min before"


class AppointmentReminder(TenantModel):
    """One reminder of one appointment at one time, planned then sent at most once.

    Unique per (appointment, channel, lead, appointment start): a worker claims the row
    (planned -> sending) in one UPDATE before sending, so two workers or a rerun never
    send it twice. A moved appointment gets new rows for its new start; the old ones are
    cancelled."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        CANCELLED = "cancelled", "Cancelled"

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="reminders")
    channel = models.CharField(max_length=5, choices=ReminderPolicy.Channel.choices)
    lead_minutes = models.PositiveIntegerField()
    appointment_start = models.DateTimeField(help_text="The start this reminder announces.")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.CharField(max_length=254, blank=True)
    note = models.CharField(max_length=300, blank=True, help_text="Why skipped or failed.")

    class Meta:
        ordering: ClassVar = ["due_at", "pk"]
        indexes: ClassVar = [
            models.Index(fields=["status", "due_at"], name="reminder_status_due"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["appointment", "channel", "lead_minutes", "appointment_start"],
                name="reminder_once_per_start",
            )
        ]

    def __str__(self) -> str:
        return f"reminder {self.channel} {self.lead_minutes} min for {self.appointment_id}"


class CalendarFeed(TenantModel):
    """A therapist's secret iCalendar feed URL. Only the SHA-256 of its token is stored;
    revoked feeds stop at once."""

    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"calendar feed {self.public_id} ({'revoked' if self.revoked_at else 'active'})"
