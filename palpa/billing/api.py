"""Billing over the API: charges to review, patient accounts, payments and corrections,
coverage, invoices, packages and memberships, and the billing configuration.

Who may do what is in ``palpa.billing.queries``; every read of a patient's billing data
is audited, and every write goes through ``palpa.billing.services``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from palpa.accounts.gates import api_requires
from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability, require
from palpa.accounts.queries import locations_for
from palpa.billing import exports, queries, services
from palpa.billing.models import (
    Charge,
    Coverage,
    Invoice,
    LedgerEntry,
    PatientPrepaid,
    Payer,
    PrepaidPlan,
)
from palpa.billing.money import round_money
from palpa.billing.schemas import (
    AccountOut,
    AdjustmentIn,
    BalanceRowOut,
    BillingIdentifiersIn,
    ChargeOut,
    ChargeStatus,
    ClaimsExportOut,
    CodeMapIn,
    CodeMapOut,
    CoverageIn,
    CoverageOut,
    EndIn,
    EnteredInErrorIn,
    EntryOut,
    InvoiceOut,
    LocationBillingOut,
    PayerIn,
    PayerOut,
    PayerPatch,
    PaymentIn,
    PlaceOfServiceIn,
    PrepaidIn,
    PrepaidOut,
    PrepaidPlanIn,
    PrepaidPlanOut,
    PriceIn,
    RefundIn,
    ReverseIn,
    ServicePriceIn,
    TransferIn,
    VoidIn,
)
from palpa.care.catalog import catalog
from palpa.core.api import ERRORS, RefusedOut, actor
from palpa.core.schemas import Line, QueryDate
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for
from palpa.scheduling.queries import appointment_types_for

router = Router()
WITH_REFUSAL: dict[int, Any] = {**ERRORS, 409: RefusedOut}


# --- shaping ---------------------------------------------------------------------------


def account_out(user: User, patient: Patient) -> dict[str, Any]:
    entries = list(queries.entries_for(user, patient).select_related("refund_of"))
    return {
        "patient": patient.public_id,
        "balances": queries.account_balances(patient),
        "currency": entries[0].currency if entries else "USD",
        "coverages": queries.coverages_for(user, patient),
        "prepaids": queries.prepaids_for(user, patient),
        "invoices": queries.invoices_for(user, patient),
        "entries": entries,
    }


# --- lookups ---------------------------------------------------------------------------


def _patient(request: HttpRequest, patient_id: UUID) -> Patient:
    return get_object_or_404(patients_for(actor(request)), public_id=patient_id)


def _charge(request: HttpRequest, charge_id: UUID) -> Charge:
    user = actor(request)
    require(user, Capability.BILLING_READ_CHARGES)
    return get_object_or_404(queries.charges_for(user), public_id=charge_id)


def _entry(request: HttpRequest, entry_id: UUID) -> LedgerEntry:
    user = actor(request)
    require(user, Capability.BILLING_READ_ACCOUNT)
    entry: LedgerEntry = get_object_or_404(queries.entries_for(user), public_id=entry_id)
    return entry


def _payer(request: HttpRequest, payer_id: UUID | None, field: str = "payer") -> Payer | None:
    if payer_id is None:
        return None
    payer = queries.payers_for(actor(request)).filter(public_id=payer_id).first()
    if payer is None:
        raise ValidationError({field: "No payer of your organization has this id."})
    return payer


def _location(request: HttpRequest, location_id: UUID) -> Location:
    user = actor(request)
    return get_object_or_404(locations_for(user), public_id=location_id)


# --- charges ---------------------------------------------------------------------------


@router.get(
    "/billing/charges",
    response={200: list[ChargeOut], **ERRORS},
    summary="Charges by status (to_review: the biller's queue), newest first",
)
@api_requires(Capability.BILLING_READ_CHARGES)
def list_charges(
    request: HttpRequest, status: ChargeStatus = "to_review", patient: UUID | None = None
) -> list[Charge]:
    user = actor(request)
    found = queries.charges_for(user).filter(status=status).prefetch_related("lines")
    if patient is not None:
        found = found.filter(patient__public_id=patient)
    charges = list(found[:200])
    services.audit_billing_search(
        actor=user,
        what="Charge",
        query={"status": status, "patient": str(patient or "")},
        patients=[c.patient for c in charges],
    )
    return charges


@router.get("/billing/charges/{charge_id}", response={200: ChargeOut, **ERRORS})
@api_requires(Capability.BILLING_READ_CHARGES)
def get_charge(request: HttpRequest, charge_id: UUID) -> Charge:
    charge = _charge(request, charge_id)
    services.audit_charge_read(actor=actor(request), charge=charge)
    return charge


@router.post(
    "/billing/charges/{charge_id}/ready",
    response={200: ChargeOut, **WITH_REFUSAL},
    summary="Mark a reviewed charge ready to bill: it is posted to the ledger",
)
@api_requires(Capability.BILLING_REVIEW_CHARGES)
def ready_charge(request: HttpRequest, charge_id: UUID) -> Charge:
    charge = services.mark_charge_ready(actor=actor(request), charge=_charge(request, charge_id))
    return charge


@router.post(
    "/billing/charges/{charge_id}/recalculate",
    response={200: ChargeOut, **WITH_REFUSAL},
    summary="Rebuild a charge to review from today's configuration",
)
@api_requires(Capability.BILLING_REVIEW_CHARGES)
def recalculate_charge(request: HttpRequest, charge_id: UUID) -> Charge:
    charge = services.recalculate_charge(actor=actor(request), charge=_charge(request, charge_id))
    return charge


@router.post(
    "/billing/charges/{charge_id}/void",
    response={200: ChargeOut, **WITH_REFUSAL},
    summary="Void a charge with the reason; what was posted is reversed",
)
@api_requires(Capability.BILLING_REVIEW_CHARGES)
def void_charge(request: HttpRequest, charge_id: UUID, payload: VoidIn) -> Charge:
    charge = services.void_charge(
        actor=actor(request), charge=_charge(request, charge_id), reason=payload.reason
    )
    return charge


# --- the patient's account -------------------------------------------------------------


@router.get(
    "/patients/{patient_id}/account",
    response={200: AccountOut, **ERRORS},
    summary="A patient's account: balances, coverage, packages, invoices, ledger",
)
@api_requires(Capability.BILLING_READ_ACCOUNT)
def get_account(request: HttpRequest, patient_id: UUID) -> dict[str, Any]:
    user = actor(request)
    patient = _patient(request, patient_id)
    services.audit_account_read(actor=user, patient=patient)
    return account_out(user, patient)


@router.post(
    "/patients/{patient_id}/payments",
    response={201: EntryOut, **WITH_REFUSAL},
    summary="Record a payment (cash, card with the terminal reference, check, insurer)",
)
@api_requires(Capability.BILLING_POST_PAYMENT)
def create_payment(
    request: HttpRequest, patient_id: UUID, payload: PaymentIn
) -> Status[LedgerEntry]:
    user = actor(request)
    patient = _patient(request, patient_id)
    entry = services.record_payment(
        actor=user,
        patient=patient,
        amount=payload.amount,
        method=payload.method,
        reference=payload.reference,
        payer=_payer(request, payload.payer),
        memo=payload.memo,
        posted_on=payload.posted_on,
        charge=_visit(user, patient, payload.charge),
    )
    return Status(201, entry)


def _visit(user: User, patient: Patient, public_id: UUID | None) -> Charge | None:
    if public_id is None:
        return None
    found = queries.visit_for(user, patient, public_id)
    if found is None:
        raise ValidationError({"charge": "Not a visit of this patient."})
    return found


@router.post(
    "/patients/{patient_id}/adjustments",
    response={201: EntryOut, **WITH_REFUSAL},
    summary="Post an adjustment with its reason (negative lowers the balance)",
)
@api_requires(Capability.BILLING_CORRECT_LEDGER)
def create_adjustment(
    request: HttpRequest, patient_id: UUID, payload: AdjustmentIn
) -> Status[LedgerEntry]:
    user = actor(request)
    patient = _patient(request, patient_id)
    entry = services.post_adjustment(
        actor=user,
        patient=patient,
        amount=payload.amount,
        reason=payload.reason,
        memo=payload.memo,
        responsibility=payload.responsibility,
        payer=_payer(request, payload.payer),
    )
    return Status(201, entry)


@router.post(
    "/patients/{patient_id}/transfers",
    response={201: list[EntryOut], **WITH_REFUSAL},
    summary="Move an amount from the insurer's part to the patient's",
)
@api_requires(Capability.BILLING_CORRECT_LEDGER)
def create_transfer(
    request: HttpRequest, patient_id: UUID, payload: TransferIn
) -> Status[list[LedgerEntry]]:
    user = actor(request)
    patient = _patient(request, patient_id)
    pair = services.transfer_to_patient(
        actor=user,
        patient=patient,
        amount=payload.amount,
        memo=payload.memo,
        payer=_payer(request, payload.payer),
    )
    return Status(201, pair)


@router.post(
    "/billing/entries/{entry_id}/refund",
    response={201: EntryOut, **WITH_REFUSAL},
    summary="Refund (part of) a payment",
)
@api_requires(Capability.BILLING_CORRECT_LEDGER)
def refund_entry(request: HttpRequest, entry_id: UUID, payload: RefundIn) -> Status[LedgerEntry]:
    entry = _entry(request, entry_id)
    refund = services.refund_payment(
        actor=actor(request), payment=entry, amount=payload.amount, memo=payload.memo
    )
    return Status(201, refund)


@router.post(
    "/billing/entries/{entry_id}/reverse",
    response={201: EntryOut, **WITH_REFUSAL},
    summary="Reverse a posted entry with its exact opposite (the entry stays)",
)
@api_requires(Capability.BILLING_CORRECT_LEDGER)
def reverse_entry(request: HttpRequest, entry_id: UUID, payload: ReverseIn) -> Status[LedgerEntry]:
    entry = _entry(request, entry_id)
    reversal = services.reverse_entry(actor=actor(request), entry=entry, memo=payload.memo)
    return Status(201, reversal)


@router.post(
    "/patients/{patient_id}/invoices",
    response={201: InvoiceOut, **WITH_REFUSAL},
    summary="Invoice the patient for what is theirs and not yet invoiced",
)
@api_requires(Capability.BILLING_POST_PAYMENT)
def create_invoice(request: HttpRequest, patient_id: UUID) -> Status[Invoice]:
    user = actor(request)
    patient = _patient(request, patient_id)
    return Status(201, (services.issue_invoice(actor=user, patient=patient)))


@router.post(
    "/patients/{patient_id}/coverages",
    response={201: CoverageOut, **WITH_REFUSAL},
    summary="Record who the patient's visits are billed to (insurer or self-pay)",
)
@api_requires(Capability.BILLING_POST_PAYMENT)
def create_coverage(
    request: HttpRequest, patient_id: UUID, payload: CoverageIn
) -> Status[Coverage]:
    user = actor(request)
    patient = _patient(request, patient_id)
    fields = payload.dict(exclude={"payer"})
    coverage = services.add_coverage(
        actor=user, patient=patient, payer=_payer(request, payload.payer), **fields
    )
    return Status(201, coverage)


@router.post(
    "/patients/{patient_id}/prepaids",
    response={201: PrepaidOut, **WITH_REFUSAL},
    summary="Sell a package or start a membership (its price or first fee is charged)",
)
@api_requires(Capability.BILLING_POST_PAYMENT)
def create_prepaid(
    request: HttpRequest, patient_id: UUID, payload: PrepaidIn
) -> Status[PatientPrepaid]:
    user = actor(request)
    patient = _patient(request, patient_id)
    plan = queries.prepaid_plans_for(user).filter(public_id=payload.plan).first()
    if plan is None:
        raise ValidationError({"plan": "No package or membership of yours has this id."})
    prepaid = services.sell_prepaid(
        actor=user, patient=patient, plan=plan, starts_on=payload.starts_on
    )
    return Status(201, prepaid)


def _coverage(request: HttpRequest, coverage_id: UUID) -> Coverage:
    user = actor(request)
    found: Coverage = get_object_or_404(queries.coverages_for(user), public_id=coverage_id)
    get_object_or_404(patients_for(user), pk=found.patient_id)
    return found


def _prepaid(request: HttpRequest, prepaid_id: UUID) -> PatientPrepaid:
    user = actor(request)
    found: PatientPrepaid = get_object_or_404(queries.prepaids_for(user), public_id=prepaid_id)
    get_object_or_404(patients_for(user), pk=found.patient_id)
    return found


@router.post(
    "/billing/coverages/{coverage_id}/end",
    response={200: CoverageOut, **WITH_REFUSAL},
    summary="End a coverage: visits after its last day are no longer billed to it",
)
@api_requires(Capability.BILLING_POST_PAYMENT)
def end_coverage(request: HttpRequest, coverage_id: UUID, payload: EndIn) -> Coverage:
    coverage = services.end_coverage(
        actor=actor(request), coverage=_coverage(request, coverage_id), ends_on=payload.ends_on
    )
    return coverage


@router.post(
    "/billing/coverages/{coverage_id}/entered-in-error",
    response={200: CoverageOut, **WITH_REFUSAL},
    summary="Mark a coverage entered in error: kept, never used for charges",
)
@api_requires(Capability.BILLING_POST_PAYMENT)
def coverage_entered_in_error(
    request: HttpRequest, coverage_id: UUID, payload: EnteredInErrorIn
) -> Coverage:
    coverage = services.mark_coverage_entered_in_error(
        actor=actor(request), coverage=_coverage(request, coverage_id), reason=payload.reason
    )
    return coverage


@router.post(
    "/billing/prepaids/{prepaid_id}/end",
    response={200: PrepaidOut, **WITH_REFUSAL},
    summary="End a package or membership: visits after its last day draw nothing from it",
)
@api_requires(Capability.BILLING_POST_PAYMENT)
def end_prepaid(request: HttpRequest, prepaid_id: UUID, payload: EndIn) -> PatientPrepaid:
    prepaid = services.end_prepaid(
        actor=actor(request), prepaid=_prepaid(request, prepaid_id), ends_on=payload.ends_on
    )
    return prepaid


@router.get(
    "/billing/balances",
    response={200: list[BalanceRowOut], **ERRORS},
    summary="Patients whose account is not settled, largest patient balance first",
)
@api_requires(Capability.BILLING_READ_ACCOUNT)
def list_balances(request: HttpRequest) -> list[dict[str, Any]]:
    user = actor(request)
    rows = list(queries.balances_for(user)[:500])
    services.audit_billing_search(actor=user, what="Balance", query={}, patients=rows)
    return [
        {
            "patient": p.public_id,
            "name": p.full_name,
            "mrn": p.mrn,
            "patient_balance": round_money(p.patient_balance),  # type: ignore[attr-defined]
            "insurer_balance": round_money(p.insurer_balance),  # type: ignore[attr-defined]
        }
        for p in rows
    ]


# --- configuration -----------------------------------------------------------------------


@router.get("/billing/payers", response={200: list[PayerOut], **ERRORS}, summary="Payers")
@api_requires(Capability.BILLING_READ_ACCOUNT)
def list_payers(request: HttpRequest) -> QuerySet[Payer]:
    user = actor(request)
    return queries.payers_for(user).prefetch_related("fees")


@router.post("/billing/payers", response={201: PayerOut, **ERRORS}, summary="Add a payer")
@api_requires(Capability.BILLING_CONFIGURE)
def create_payer(request: HttpRequest, payload: PayerIn) -> Status[Payer]:
    payer = services.add_payer(actor=actor(request), **payload.dict())
    return Status(201, payer)


def _payer_by_id(request: HttpRequest, payer_id: UUID) -> Payer:
    user = actor(request)
    return get_object_or_404(queries.payers_for(user), public_id=payer_id)


@router.patch("/billing/payers/{payer_id}", response={200: PayerOut, **ERRORS})
@api_requires(Capability.BILLING_CONFIGURE)
def patch_payer(request: HttpRequest, payer_id: UUID, payload: PayerPatch) -> Payer:
    payer = _payer_by_id(request, payer_id)
    changes = payload.model_dump(exclude_unset=True)
    nulls = [k for k, v in changes.items() if v is None]
    if nulls:
        raise ValidationError(dict.fromkeys(nulls, "This field cannot be null."))
    services.update_payer(actor=actor(request), payer=payer, changes=changes)
    return payer


@router.put(
    "/billing/payers/{payer_id}/fees/{code}",
    response={200: PayerOut, **ERRORS},
    summary="Set the payer's price of one unit of a code",
)
@api_requires(Capability.BILLING_CONFIGURE)
def put_fee(request: HttpRequest, payer_id: UUID, code: Line, payload: PriceIn) -> Payer:
    payer = _payer_by_id(request, payer_id)
    services.set_fee(actor=actor(request), payer=payer, code=code, unit_price=payload.unit_price)
    return payer


def location_out(user: User, location: Location) -> dict[str, Any]:
    setting = queries.location_billing_for(user).filter(location=location).first()
    prices = queries.self_pay_prices_for(user).filter(location=location)
    return {
        "location": location.public_id,
        "name": location.name,
        "place_of_service": setting.place_of_service if setting else "11",
        "tax_id": (
            (
                setting.tax_id_display
                if has_capability(user, Capability.BILLING_CONFIGURE)
                else setting.tax_id_masked
            )
            if setting
            else ""
        ),
        "tax_id_kind": setting.tax_id_kind if setting else "",
        "billing_npi": setting.billing_npi if setting else "",
        "facility_npi": setting.facility_npi if setting else "",
        "self_pay_prices": [{"code": p.code, "unit_price": p.unit_price} for p in prices],
        "service_prices": [
            {
                "service": p.appointment_type.public_id,
                "name": p.appointment_type.name,
                "price": p.price,
                "currency": p.currency,
            }
            for p in queries.service_prices_for(user)
            .filter(location=location)
            .select_related("appointment_type")
            .order_by("appointment_type__name")
        ],
    }


@router.put(
    "/billing/locations/{location_id}/identifiers",
    response={200: LocationBillingOut, **ERRORS},
    summary="Set a location's claim identifiers: federal tax id and its kind (item 25), "
    "billing provider NPI (33a), service facility NPI (32a)",
)
@api_requires(Capability.BILLING_CONFIGURE)
def put_billing_identifiers(
    request: HttpRequest, location_id: UUID, payload: BillingIdentifiersIn
) -> dict[str, Any]:
    user = actor(request)
    location = _location(request, location_id)
    services.set_billing_identifiers(actor=user, location=location, **payload.dict())
    return location_out(user, location)


@router.put(
    "/billing/locations/{location_id}/place-of-service",
    response={200: LocationBillingOut, **ERRORS},
    summary="Set a location's place-of-service code (default 11, office)",
)
@api_requires(Capability.BILLING_CONFIGURE)
def put_place_of_service(
    request: HttpRequest, location_id: UUID, payload: PlaceOfServiceIn
) -> dict[str, Any]:
    user = actor(request)
    location = _location(request, location_id)
    services.set_place_of_service(actor=user, location=location, code=payload.place_of_service)
    return location_out(user, location)


@router.put(
    "/billing/locations/{location_id}/prices/{code}",
    response={200: LocationBillingOut, **ERRORS},
    summary="Set a location's self-pay price of one unit of a code",
)
@api_requires(Capability.BILLING_CONFIGURE)
def put_self_pay_price(
    request: HttpRequest, location_id: UUID, code: Line, payload: PriceIn
) -> dict[str, Any]:
    user = actor(request)
    location = _location(request, location_id)
    services.set_self_pay_price(
        actor=user, location=location, code=code, unit_price=payload.unit_price
    )
    return location_out(user, location)


@router.put(
    "/billing/locations/{location_id}/services/{service_id}/price",
    response={200: LocationBillingOut, **ERRORS},
    summary="Set a location's self-pay price of a service (an appointment type)",
)
@api_requires(Capability.BILLING_CONFIGURE)
def put_service_price(
    request: HttpRequest, location_id: UUID, service_id: UUID, payload: ServicePriceIn
) -> dict[str, Any]:
    user = actor(request)
    location = _location(request, location_id)
    service = get_object_or_404(
        appointment_types_for(user, include_inactive=True), public_id=service_id
    )
    services.set_service_price(
        actor=user, location=location, appointment_type=service, price=payload.price
    )
    return location_out(user, location)


@router.get(
    "/billing/code-map",
    response={200: list[CodeMapOut], **ERRORS},
    summary="The billing code of each technique (the organization's over the defaults)",
)
@api_requires(Capability.BILLING_READ_ACCOUNT)
def get_code_map(request: HttpRequest) -> list[dict[str, Any]]:
    user = actor(request)
    assert user.organization_id is not None
    own = set(queries.code_mappings_for(user).values_list("technique", flat=True))
    mapping = services.code_map(user.organization_id)
    return [
        {"technique": t, "code": mapping.get(t), "organization_specific": t in own}
        for t in catalog().techniques
    ]


@router.put(
    "/billing/code-map/{technique}",
    response={200: list[CodeMapOut], **ERRORS},
    summary="Map a technique to a code of the code book (empty: not billed)",
)
@api_requires(Capability.BILLING_CONFIGURE)
def put_code_map(request: HttpRequest, technique: Line, payload: CodeMapIn) -> list[dict[str, Any]]:
    services.map_technique(actor=actor(request), technique=technique, code=payload.code)
    return get_code_map(request)


@router.get(
    "/billing/prepaid-plans",
    response={200: list[PrepaidPlanOut], **ERRORS},
    summary="Packages and memberships on sale",
)
@api_requires(Capability.BILLING_READ_ACCOUNT)
def list_prepaid_plans(request: HttpRequest) -> QuerySet[PrepaidPlan]:
    user = actor(request)
    return queries.prepaid_plans_for(user).select_related("location")


@router.post(
    "/billing/prepaid-plans",
    response={201: PrepaidPlanOut, **ERRORS},
    summary="Add a package (N visits paid ahead) or a membership (monthly, visits included)",
)
@api_requires(Capability.BILLING_CONFIGURE)
def create_prepaid_plan(request: HttpRequest, payload: PrepaidPlanIn) -> Status[PrepaidPlan]:
    user = actor(request)
    location = _location(request, payload.location) if payload.location else None
    plan = services.add_prepaid_plan(
        actor=user, location=location, **payload.dict(exclude={"location"})
    )
    return Status(201, plan)


# --- claims export -----------------------------------------------------------------------


@router.get(
    "/billing/claims",
    response={200: ClaimsExportOut, **ERRORS},
    summary="The claims export of a period (NUCC 1500 fields, JSON): insured visits ready "
    "to bill, by date of service; owners and billers",
)
@api_requires(Capability.BILLING_EXPORT_CLAIMS)
def claims_export(
    request: HttpRequest, start: QueryDate, end: QueryDate, payer: UUID | None = None
) -> dict[str, Any]:
    user = actor(request)
    chosen = _payer(request, payer)
    found = exports.claims(
        actor=user,
        start=start,
        end=end,
        payer_id=chosen.public_id if chosen else None,
        fmt="json",
    )
    return exports.document(found, start=start, end=end)
