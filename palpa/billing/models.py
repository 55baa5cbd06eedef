"""Billing: configuration (payers, fee schedules, self-pay prices, code map, prepaid plans),
patient coverage, charges captured from signed notes, and the patient ledger.

The ledger is append-only: an entry, once posted, never changes and is never deleted;
a correction is a new entry (a reversal carries ``reverses``), so a patient's balance is
always the plain sum of their entries. Amounts are ``Decimal`` with two places and an ISO
4217 ``currency`` beside them; rounding happens in ``palpa.billing.money.round_money``.

Sign convention of ``LedgerEntry.amount``: positive raises what is owed (charges,
refunds, debit adjustments), negative lowers it (payments, credit adjustments, prepaid
credits).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Never

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from palpa.billing.money import DEFAULT_CURRENCY
from palpa.core.models import TenantModel
from palpa.core.npi import validate_npi

MONEY: dict[str, Any] = {"max_digits": 10, "decimal_places": 2}


def _currency_field() -> models.CharField[str, str]:
    return models.CharField(max_length=3, default=DEFAULT_CURRENCY)


class UnitRule(models.TextChoices):
    CMS = "cms", "CMS total-minutes rule (8-minute rule)"
    PER_CODE = "per-code", "Per-code rule (each code on its own minutes)"


# ---------------------------------------------------------------------------------------
# Configuration


class Payer(TenantModel):
    """An insurer (or other third party) the organization bills, with its rules."""

    name = models.CharField(max_length=200)
    payer_code = models.CharField(
        "payer id", max_length=20, blank=True, help_text="The electronic payer id, if known"
    )
    unit_rule = models.CharField(max_length=10, choices=UnitRule.choices, default=UnitRule.CMS)
    modifiers = models.JSONField(
        default=list,
        blank=True,
        help_text="Modifiers added to every timed line for this payer (e.g. GP); configuration",
    )
    diagnosis_pointers = models.PositiveSmallIntegerField(
        default=4, help_text="Diagnosis pointers per line (1-4; some payers want 1)"
    )
    currency = _currency_field()
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "name"], name="payer_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class FeeScheduleEntry(TenantModel):
    """The payer's price of one unit of a code."""

    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="fees")
    code = models.CharField(max_length=10)
    unit_price = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])

    class Meta:
        ordering: ClassVar = ["code"]
        verbose_name_plural = "fee schedule entries"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["payer", "code"], name="fee_once_per_payer_code"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.payer} {self.code}: {self.unit_price}"


class SelfPayPrice(TenantModel):
    """A location's price of one unit of a code for patients who pay themselves."""

    location = models.ForeignKey(
        "accounts.Location", on_delete=models.PROTECT, related_name="self_pay_prices"
    )
    code = models.CharField(max_length=10)
    unit_price = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])
    currency = _currency_field()

    class Meta:
        ordering: ClassVar = ["code"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["location", "code"], name="self_pay_once_per_location_code"
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="self_pay_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.location} {self.code}: {self.unit_price}"


class ServicePrice(TenantModel):
    """A location's self-pay price of one service (an appointment type): a self-pay visit
    booked as that service costs this, whatever its codes and units."""

    location = models.ForeignKey(
        "accounts.Location", on_delete=models.PROTECT, related_name="service_prices"
    )
    appointment_type = models.ForeignKey(
        "scheduling.AppointmentType", on_delete=models.PROTECT, related_name="+"
    )
    price = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])
    currency = _currency_field()

    class Meta:
        ordering: ClassVar = ["location", "appointment_type"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["location", "appointment_type"], name="service_price_once_per_location"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="service_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.location} {self.appointment_type}: {self.price}"


class CodeMapping(TenantModel):
    """The organization's own billing code for a technique (overrides the default map)."""

    technique = models.CharField(max_length=40)
    code = models.CharField(max_length=10)

    class Meta:
        ordering: ClassVar = ["technique"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "technique"], name="code_mapping_once_per_technique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.technique} -> {self.code}"


class TaxIdKind(models.TextChoices):
    EIN = "ein", "EIN (employer identification number)"
    SSN = "ssn", "SSN (social security number)"


class LocationBilling(TenantModel):
    """Billing settings of one location: its place-of-service code (default 11, office)
    and the identifiers of the 1500 claim form: the billing provider's federal tax id
    (item 25, digits only, with its kind), its organization NPI (item 33a) and the service
    facility's NPI (item 32a, optional). ``billing.services.set_billing_identifiers``
    validates them; only owners and billers see the tax id unmasked."""

    location = models.OneToOneField(
        "accounts.Location", on_delete=models.PROTECT, related_name="billing"
    )
    place_of_service = models.CharField(max_length=2, default="11")
    tax_id = models.CharField(
        max_length=9, blank=True, default="", help_text="Federal tax id, 9 digits (item 25)"
    )
    tax_id_kind = models.CharField(
        max_length=3, choices=TaxIdKind.choices, blank=True, default="", help_text="ein or ssn"
    )
    billing_npi = models.CharField(
        max_length=10,
        blank=True,
        default="",
        validators=[validate_npi],
        help_text="Billing provider's organization (type 2) NPI (item 33a)",
    )
    facility_npi = models.CharField(
        max_length=10,
        blank=True,
        default="",
        validators=[validate_npi],
        help_text="Service facility NPI (item 32a), when it has its own",
    )

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(Q(tax_id="") & Q(tax_id_kind=""))
                | (~Q(tax_id="") & Q(tax_id_kind__in=["ein", "ssn"])),
                name="location_billing_tax_id_with_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location}: POS {self.place_of_service}"

    @property
    def tax_id_display(self) -> str:
        """The tax id as written: EIN 12-3456789, SSN 123-45-6789 (for owners and billers)."""
        return format_tax_id(self.tax_id, self.tax_id_kind)

    @property
    def tax_id_masked(self) -> str:
        """The tax id with all but its last four digits hidden (for everyone else)."""
        return mask_tax_id(self.tax_id, self.tax_id_kind)


def format_tax_id(digits: str, kind: str) -> str:
    if not digits:
        return ""
    if kind == TaxIdKind.SSN:
        return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
    return f"{digits[:2]}-{digits[2:]}"


def mask_tax_id(digits: str, kind: str) -> str:
    if not digits:
        return ""
    if kind == TaxIdKind.SSN:
        return f"***-**-{digits[5:]}"
    return f"**-***{digits[5:]}"


class PrepaidPlan(TenantModel):
    """A spa package (N visits paid ahead) or a membership (monthly fee, visits included)."""

    class Kind(models.TextChoices):
        PACKAGE = "package", "Package"
        MEMBERSHIP = "membership", "Membership"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=200)
    location = models.ForeignKey(
        "accounts.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Sold at this location only; empty: every location",
    )
    visits = models.PositiveSmallIntegerField(
        help_text="Package: visits bought. Membership: visits included each month.",
        validators=[MinValueValidator(1)],
    )
    minutes_per_visit = models.PositiveSmallIntegerField(null=True, blank=True)
    price = models.DecimalField(
        **MONEY, validators=[MinValueValidator(0)], help_text="Package: once. Membership: monthly."
    )
    currency = _currency_field()
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["kind", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "name"], name="prepaid_plan_name"),
            models.CheckConstraint(condition=Q(visits__gte=1), name="prepaid_plan_has_visits"),
            models.CheckConstraint(condition=Q(price__gte=0), name="prepaid_plan_price"),
        ]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------
# Coverage


class Coverage(TenantModel):
    """Who a patient's visits are billed to: an insurer (member id, group, subscriber) or
    the patient (self-pay). The coverage in effect on the date of service is used."""

    class Kind(models.TextChoices):
        INSURANCE = "insurance", "Insurance"
        SELF_PAY = "self_pay", "Self-pay"

    class Relationship(models.TextChoices):
        SELF = "self", "Self"
        SPOUSE = "spouse", "Spouse"
        CHILD = "child", "Child"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="coverages"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, null=True, blank=True, related_name="coverages"
    )
    member_id = models.CharField(max_length=40, blank=True)
    group_number = models.CharField(max_length=40, blank=True)
    subscriber_name = models.CharField(max_length=200, blank=True)
    subscriber_relationship = models.CharField(
        max_length=10, choices=Relationship.choices, default=Relationship.SELF
    )
    subscriber_date_of_birth = models.DateField(null=True, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering: ClassVar = ["-starts_on", "-created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(kind="self_pay", payer__isnull=True)
                | (Q(kind="insurance", payer__isnull=False) & ~Q(member_id="")),
                name="coverage_insurance_has_payer_and_member",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="coverage_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.SELF_PAY:
            return "Self-pay"
        return f"{self.payer} #{self.member_id}"


class PatientPrepaid(TenantModel):
    """A package or membership a patient bought; visits are drawn from it."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="prepaids"
    )
    plan = models.ForeignKey(PrepaidPlan, on_delete=models.PROTECT, related_name="sold")
    kind = models.CharField(max_length=12, choices=PrepaidPlan.Kind.choices)
    visits = models.PositiveSmallIntegerField(help_text="As sold (package total, or per month)")
    price = models.DecimalField(**MONEY)
    currency = _currency_field()
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering: ClassVar = ["-starts_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.plan} from {self.starts_on}"


# ---------------------------------------------------------------------------------------
# Charges


class Charge(TenantModel):
    """The charges of one signed treatment note (one visit): the header of its lines.

    Captured once per note (unique), to review until a biller marks it ready, which posts
    it to the ledger. A note entered in error voids its charge (reversing the posted
    entries)."""

    class Status(models.TextChoices):
        TO_REVIEW = "to_review", "To review"
        READY = "ready", "Ready to bill"
        VOID = "void", "Void"

    note = models.OneToOneField(
        "care.TreatmentNote", on_delete=models.PROTECT, related_name="charge"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    rendering_provider = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="+"
    )
    rendering_npi = models.CharField(max_length=10, blank=True)
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    place_of_service = models.CharField(max_length=2)
    date_of_service = models.DateField()
    coverage = models.ForeignKey(
        Coverage, on_delete=models.PROTECT, null=True, blank=True, related_name="charges"
    )
    payer = models.ForeignKey(
        Payer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charges",
        help_text="Empty: self-pay",
    )
    unit_rule = models.CharField(max_length=10, choices=UnitRule.choices)
    service = models.ForeignKey(
        "scheduling.AppointmentType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Self-pay priced per service: the service (appointment type) of the visit",
    )
    service_price = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text="The service's self-pay price at the location; empty: none was set",
    )
    diagnoses = models.JSONField(
        default=list, blank=True, help_text="ICD-10-CM codes, primary first (pointers 1..n)"
    )
    prepaid = models.ForeignKey(
        PatientPrepaid,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="draws",
        help_text="The package or membership this visit was drawn from",
    )
    total = models.DecimalField(**MONEY, default=0)
    currency = _currency_field()
    problems = models.JSONField(
        default=list, blank=True, help_text="What the biller must look at before billing"
    )
    codes_version = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.TO_REVIEW)
    status_reason = models.CharField(max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-date_of_service", "-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["organization", "status", "date_of_service"], name="charge_q"),
            models.Index(fields=["organization", "patient"], name="charge_pt"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(total__gte=0), name="charge_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Charge {self.date_of_service} ({self.get_status_display()})"

    @property
    def self_pay(self) -> bool:
        return self.payer_id is None


class ChargeLine(TenantModel):
    """One code of a charge: minutes summed over its techniques, units by the payer's
    rule, modifiers, diagnosis pointers (1-based into ``Charge.diagnoses``), price."""

    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    code = models.CharField(max_length=10)
    timed = models.BooleanField(default=True)
    minutes = models.PositiveSmallIntegerField(default=0)
    units = models.PositiveSmallIntegerField(default=0)
    modifiers = models.JSONField(default=list, blank=True)
    diagnosis_pointers = models.JSONField(default=list, blank=True)
    techniques = models.JSONField(default=list, blank=True, help_text="Technique ids mapped here")
    unit_price = models.DecimalField(**MONEY, null=True, blank=True)
    amount = models.DecimalField(**MONEY, default=0)

    class Meta:
        ordering: ClassVar = ["position"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["charge", "code"], name="charge_line_once_per_code"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="charge_line_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} x{self.units}"


# ---------------------------------------------------------------------------------------
# The ledger


class LedgerChanged(Exception):
    """Raised on any attempt to change or remove a posted ledger entry."""


class PostedQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> Never:
        raise LedgerChanged("Posted entries never change; post a reversing entry.")

    def delete(self) -> Never:
        raise LedgerChanged("Posted entries are never deleted; post a reversing entry.")


class Invoice(TenantModel):
    """A bill to the patient for charge entries of their responsibility; numbered per
    organization; never changed once issued."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    issued_on = models.DateField()
    total = models.DecimalField(**MONEY)
    currency = _currency_field()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = PostedQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-issued_on", "-number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "number"], name="invoice_number")
        ]

    def __str__(self) -> str:
        return f"Invoice {self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerChanged("An issued invoice never changes.")
        super().save(*args, **kwargs)


class LedgerEntry(TenantModel):
    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"
        ADJUSTMENT = "adjustment", "Adjustment"
        PREPAID_CREDIT = "prepaid", "Drawn from prepaid"
        REVERSAL = "reversal", "Reversal"

    class Responsibility(models.TextChoices):
        PATIENT = "patient", "Patient"
        INSURER = "insurer", "Insurer"

    class Method(models.TextChoices):
        NONE = "", "-"
        CASH = "cash", "Cash"
        CARD = "card", "Card (terminal)"
        CHECK = "check", "Check"
        INSURER = "insurer", "Insurer payment"
        OTHER = "other", "Other"

    class Reason(models.TextChoices):
        NONE = "", "-"
        CONTRACTUAL = "contractual", "Contractual adjustment (payer's allowed amount)"
        WRITE_OFF = "write_off", "Write-off"
        COURTESY = "courtesy", "Courtesy discount"
        TRANSFER = "transfer", "Transfer of responsibility"
        CORRECTION = "correction", "Correction"
        NOTE_IN_ERROR = "note_in_error", "Treatment note entered in error"
        OTHER = "other", "Other"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    responsibility = models.CharField(
        max_length=10, choices=Responsibility.choices, default=Responsibility.PATIENT
    )
    amount = models.DecimalField(**MONEY)
    currency = _currency_field()
    posted_on = models.DateField()
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    charge = models.ForeignKey(
        Charge, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    prepaid = models.ForeignKey(
        PatientPrepaid, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    method = models.CharField(max_length=10, choices=Method.choices, blank=True, default="")
    reference = models.CharField(
        max_length=100, blank=True, help_text="Card terminal reference, check or remittance no."
    )
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True, default="")
    memo = models.CharField(max_length=300, blank=True)
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    period_start = models.DateField(
        null=True, blank=True, help_text="A membership fee: the first day of the month it pays"
    )
    batch = models.UUIDField(help_text="Entries posted together share a batch")

    objects = PostedQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["posted_at", "pk"]
        verbose_name_plural = "ledger entries"
        indexes: ClassVar = [
            models.Index(fields=["organization", "patient", "posted_at"], name="ledger_pt"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind="charge") | Q(amount__gt=0), name="ledger_charge_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["payment", "prepaid"]) | Q(amount__lt=0),
                name="ledger_payment_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="refund") | (Q(amount__gt=0) & Q(refund_of__isnull=False)),
                name="ledger_refund_positive_of_payment",
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="ledger_reversal_names_entry",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["adjustment", "reversal"]) | ~Q(reason=""),
                name="ledger_correction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.shown_amount} {self.currency} ({self.posted_on})"

    @property
    def credits_account(self) -> bool:
        """A payment, a draw from prepaid credit or a credit adjustment: it lowers the
        balance (stored as a negative amount, shown to people as a positive one)."""
        return self.amount < 0

    @property
    def shown_amount(self) -> Decimal:
        """The amount as a person reads it: always positive; whether it was charged or
        paid/credited is said by ``credits_account`` (the ledger's two columns)."""
        return abs(self.amount)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerChanged("Posted entries never change; post a reversing entry.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Never:
        raise LedgerChanged("Posted entries are never deleted; post a reversing entry.")


class InvoiceItem(TenantModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="items")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="invoice_item")

    class Meta:
        ordering: ClassVar = ["pk"]

    def __str__(self) -> str:
        return f"{self.invoice} / {self.entry}"
