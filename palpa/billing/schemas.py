from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import AliasPath, ConfigDict, Field

from palpa.billing import services
from palpa.billing.models import (
    Charge,
    Invoice,
    LedgerEntry,
    PatientPrepaid,
    Payer,
)
from palpa.core.dates import local_today
from palpa.core.schemas import InputSchema, public_id, public_id_or_none, shown


def _name_of(attribute: str) -> Any:
    """A ``resolve_<field>`` giving the ``name`` of an optional relation, or ``None``."""

    def resolve(obj: Any) -> str | None:
        related = getattr(obj, attribute)
        return related.name if related else None

    return staticmethod(resolve)


Amount = Decimal
ChargeStatus = Literal["to_review", "ready", "void"]
Method = Literal["cash", "card", "check", "insurer", "other"]
AdjustmentReason = Literal["contractual", "write_off", "courtesy", "correction", "other"]
Responsibility = Literal["patient", "insurer"]
UnitRuleName = Literal["cms", "per-code"]

AMOUNT = Field(
    description='A decimal string with at most 2 places, e.g. "45.00" (never rounded)',
    examples=["45.00"],
)


class Strict(InputSchema):
    model_config = ConfigDict(extra="forbid")


class ChargeLineOut(Schema):
    code: str
    timed: bool
    minutes: int
    units: int
    modifiers: list[str]
    diagnosis_pointers: list[int] = Field(description="1-based, into the charge's diagnoses")
    techniques: list[str]
    unit_price: Decimal | None
    amount: Decimal


class ChargeOut(Schema):
    id: UUID = public_id()
    note: UUID = public_id("note")
    patient: UUID = public_id("patient")
    patient_name: str = Field(validation_alias=AliasPath("patient", "full_name"))
    status: ChargeStatus
    status_reason: str
    date_of_service: dt.date
    rendering_provider: str
    rendering_npi: str
    location: str
    place_of_service: str
    payer: str | None = Field(description="None: self-pay")
    member_id: str
    unit_rule: UnitRuleName
    diagnoses: list[str] = Field(description="ICD-10-CM, primary first")
    prepaid: str | None = Field(description="The package or membership the visit is drawn from")
    lines: list[ChargeLineOut]
    total: Decimal
    currency: str
    problems: list[str]
    blocking: list[str] = Field(description="What stops the charge from being marked ready")
    reviewed_by: str | None
    reviewed_at: dt.datetime | None

    resolve_rendering_provider = shown("rendering_provider")
    resolve_payer = _name_of("payer")

    @staticmethod
    def resolve_location(c: Charge) -> str:
        return c.location.name

    @staticmethod
    def resolve_member_id(c: Charge) -> str:
        return c.coverage.member_id if c.coverage else ""

    @staticmethod
    def resolve_prepaid(c: Charge) -> str | None:
        return str(c.prepaid.plan) if c.prepaid else None

    @staticmethod
    def resolve_blocking(c: Charge) -> list[str]:
        return services.blocking_problems(c) if c.status == Charge.Status.TO_REVIEW else []

    @staticmethod
    def resolve_reviewed_by(c: Charge) -> str | None:
        return str(c.reviewed_by) if c.reviewed_by else None


class VoidIn(Strict):
    reason: str = Field(min_length=1, max_length=300)


class EntryOut(Schema):
    id: UUID = public_id()
    patient: UUID = public_id("patient")
    kind: Literal["charge", "payment", "refund", "adjustment", "prepaid", "reversal"]
    responsibility: Responsibility
    amount: Decimal = Field(description="Positive raises what is owed, negative lowers it")
    currency: str
    posted_on: dt.date
    posted_at: dt.datetime
    posted_by: str
    method: str
    reference: str
    reason: str
    memo: str
    payer: str | None
    charge: UUID | None
    refund_of: UUID | None
    reverses: UUID | None
    reversed: bool
    refundable: Decimal | None = Field(description="Payments: what can still be refunded")

    resolve_posted_by = shown("posted_by")
    resolve_payer = _name_of("payer")
    resolve_charge = public_id_or_none("charge")
    resolve_refund_of = public_id_or_none("refund_of")
    resolve_reverses = public_id_or_none("reverses")

    @staticmethod
    def resolve_reversed(e: LedgerEntry) -> bool:
        return LedgerEntry.objects.filter(reverses=e).exists()

    @staticmethod
    def resolve_refundable(e: LedgerEntry) -> Decimal | None:
        return services.refundable(e) if e.kind == LedgerEntry.Kind.PAYMENT else None


class PaymentIn(Strict):
    amount: str = AMOUNT
    method: Method
    reference: str = Field("", max_length=100, description="Card terminal reference, check no.")
    payer: UUID | None = Field(None, description="Insurer payments: the payer")
    memo: str = Field("", max_length=300)
    posted_on: dt.date | None = Field(None, description="The day it was received (default today)")
    charge: UUID | None = Field(
        None,
        description="Apply the payment to this visit (a charge of the patient): it counts as "
        "paid on the visit's claim (item 29) and superbill; at most what is open on it",
    )


class RefundIn(Strict):
    amount: str = AMOUNT
    memo: str = Field(min_length=1, max_length=300)


class ReverseIn(Strict):
    memo: str = Field(min_length=1, max_length=300)


class AdjustmentIn(Strict):
    amount: str = Field(description="Signed: negative lowers the balance", examples=["-20.00"])
    reason: AdjustmentReason
    memo: str = Field(min_length=1, max_length=300)
    responsibility: Responsibility = "patient"
    payer: UUID | None = None


class TransferIn(Strict):
    amount: str = AMOUNT
    memo: str = Field(min_length=1, max_length=300)
    payer: UUID | None = None


class CoverageIn(Strict):
    kind: Literal["insurance", "self_pay"]
    payer: UUID | None = None
    member_id: str = Field("", max_length=40)
    group_number: str = Field("", max_length=40)
    subscriber_name: str = Field("", max_length=200)
    subscriber_relationship: Literal["self", "spouse", "child", "other"] = "self"
    subscriber_date_of_birth: dt.date | None = None
    starts_on: dt.date
    ends_on: dt.date | None = None


class EndIn(Strict):
    ends_on: dt.date = Field(
        description="The last day (not before it started)", examples=["2026-03-31"]
    )


class EnteredInErrorIn(Strict):
    reason: str = Field(min_length=1, max_length=300, description="Why the coverage is in error")


class CoverageOut(Schema):
    id: UUID = public_id()
    kind: Literal["insurance", "self_pay"]
    payer: str | None
    member_id: str
    group_number: str
    subscriber_name: str
    subscriber_relationship: str
    starts_on: dt.date
    ends_on: dt.date | None
    status: Literal["active", "ended", "entered-in-error"]
    status_reason: str = Field("", description="Why it was marked entered in error")

    resolve_payer = _name_of("payer")


class InvoiceOut(Schema):
    id: UUID = public_id()
    number: int
    issued_on: dt.date
    total: Decimal
    currency: str
    entries: list[UUID]

    @staticmethod
    def resolve_entries(i: Invoice) -> list[UUID]:
        return [item.entry.public_id for item in i.items.select_related("entry")]


class PrepaidIn(Strict):
    plan: UUID
    starts_on: dt.date | None = None


class PrepaidOut(Schema):
    id: UUID = public_id()
    plan: str = Field(validation_alias=AliasPath("plan", "name"))
    kind: Literal["package", "membership"]
    visits: int
    visits_left: int = Field(description="Package: in all; membership: this month")
    price: Decimal
    currency: str
    starts_on: dt.date
    ends_on: dt.date | None
    status: Literal["active", "ended"]

    @staticmethod
    def resolve_visits_left(p: PatientPrepaid) -> int:
        return services.visits_left(p, local_today(p.patient))


class BalancesOut(Schema):
    patient: Decimal = Field(description="What the patient owes (negative: a credit)")
    insurer: Decimal = Field(description="What insurers still owe")
    total: Decimal


class AccountOut(Schema):
    patient: UUID
    balances: BalancesOut
    currency: str
    coverages: list[CoverageOut]
    prepaids: list[PrepaidOut]
    invoices: list[InvoiceOut]
    entries: list[EntryOut]


class BalanceRowOut(Schema):
    patient: UUID
    name: str
    mrn: str
    patient_balance: Decimal
    insurer_balance: Decimal


class FeeOut(Schema):
    code: str
    unit_price: Decimal


class PayerIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    payer_code: str = Field("", max_length=20)
    unit_rule: UnitRuleName = "cms"
    modifiers: list[str] = Field(default_factory=list, description='e.g. ["GP"]')
    currency: str = Field("USD", min_length=3, max_length=3)
    diagnosis_pointers: int = Field(4, ge=1, le=4)


class PayerPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    payer_code: str | None = Field(None, max_length=20)
    unit_rule: UnitRuleName | None = None
    modifiers: list[str] | None = None
    active: bool | None = None
    diagnosis_pointers: int | None = Field(None, ge=1, le=4)


class PayerOut(Schema):
    id: UUID = public_id()
    name: str
    payer_code: str
    unit_rule: UnitRuleName
    modifiers: list[str]
    currency: str
    diagnosis_pointers: int
    active: bool
    fees: list[FeeOut]

    @staticmethod
    def resolve_modifiers(p: Payer) -> list[str]:
        return list(p.modifiers)


class PriceIn(Strict):
    unit_price: str = AMOUNT


class ServicePriceIn(Strict):
    price: str = AMOUNT


class ServicePriceOut(Schema):
    service: UUID = Field(description="The appointment type's id")
    name: str
    price: Decimal
    currency: str


class PlaceOfServiceIn(Strict):
    place_of_service: str = Field(min_length=2, max_length=2, examples=["11"])


class BillingIdentifiersIn(Strict):
    """All four are replaced; an empty string clears one."""

    tax_id: str = Field(
        max_length=11,
        description="Federal tax id (1500 item 25): 9 digits, or written 12-3456789 (EIN) "
        "or 123-45-6789 (SSN); stored as digits",
        examples=["591234567"],
    )
    tax_id_kind: Literal["ein", "ssn", ""] = Field(description="ein or ssn; empty with no tax id")
    billing_npi: str = Field(
        max_length=10, description="Billing provider's organization NPI (item 33a)"
    )
    facility_npi: str = Field(
        default="", max_length=10, description="Service facility NPI (item 32a), optional"
    )


class LocationBillingOut(Schema):
    location: UUID
    name: str
    place_of_service: str
    tax_id: str = Field(
        description="Owners and billers: written in full (12-3456789); others: last four digits"
    )
    tax_id_kind: str
    billing_npi: str
    facility_npi: str
    self_pay_prices: list[FeeOut]
    service_prices: list[ServicePriceOut] = Field(
        description="Self-pay prices per service (appointment type): what a self-pay visit "
        "booked as that service costs, whatever its codes and units"
    )


class ClaimsColumnOut(Schema):
    key: str
    item: str = Field(description="The 1500 item number; empty for Palpa's own keys")
    what: str


class ClaimsPeriodOut(Schema):
    start: dt.date
    end: dt.date


class ClaimsExportOut(Schema):
    """The claims export (docs/billing.md, *Claims export*): each claim is an object keyed
    by the columns' keys, with ``lines`` (its service lines) and ``problems``."""

    form: str
    period: ClaimsPeriodOut
    columns: list[ClaimsColumnOut]
    claims: list[dict[str, Any]]


class CodeMapIn(Strict):
    code: str = Field(max_length=10, description="Empty: the technique is not billed")


class CodeMapOut(Schema):
    technique: str
    code: str | None
    organization_specific: bool


class PrepaidPlanIn(Strict):
    kind: Literal["package", "membership"]
    name: str = Field(min_length=1, max_length=200)
    visits: int = Field(ge=1, le=100)
    price: str = AMOUNT
    minutes_per_visit: int | None = Field(None, ge=1, le=180)
    location: UUID | None = None
    currency: str = Field("USD", min_length=3, max_length=3)


class PrepaidPlanOut(Schema):
    id: UUID = public_id()
    kind: Literal["package", "membership"]
    name: str
    visits: int
    minutes_per_visit: int | None
    price: Decimal
    currency: str
    location: str | None
    active: bool

    resolve_location = _name_of("location")
