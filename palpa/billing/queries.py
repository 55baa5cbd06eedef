"""Billing records as the actor may see them.

Who may do what is the permission table's (``accounts.permissions``, the ``billing.*``
capabilities): owners and billers everything; the front desk patient accounts and taking
payments, never charges (their codes and diagnoses are clinical); therapists accounts
and charges, read only; staff of another organization nothing (the API and pages answer
404).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability
from palpa.audit.services import Action, record
from palpa.billing.models import (
    Charge,
    CodeMapping,
    Coverage,
    Invoice,
    LedgerEntry,
    LocationBilling,
    PatientPrepaid,
    Payer,
    PrepaidPlan,
    SelfPayPrice,
    ServicePrice,
)
from palpa.billing.money import round_money
from palpa.patients.models import Patient
from palpa.scheduling.flags import Flag


def _org(actor: User) -> int:
    assert actor.organization_id is not None
    return actor.organization_id


def charges_for(actor: User, patient: Patient | None = None) -> QuerySet[Charge]:
    if not has_capability(actor, Capability.BILLING_READ_CHARGES):
        return Charge.objects.none()
    found = Charge.objects.filter(organization_id=_org(actor))
    if patient is not None:
        found = found.filter(patient=patient)
    return found.select_related(
        "patient",
        "rendering_provider",
        "location",
        "payer",
        "coverage",
        "note",
        "prepaid__plan",
        "reviewed_by",  # the API's charge shows who reviewed it
    )


MONEY = DecimalField(max_digits=12, decimal_places=2)


APPLIED_TO_VISIT = [
    LedgerEntry.Kind.PAYMENT,
    LedgerEntry.Kind.REFUND,
    LedgerEntry.Kind.ADJUSTMENT,
    LedgerEntry.Kind.PREPAID_CREDIT,
]


def with_owed(charges: QuerySet[Charge]) -> QuerySet[Charge]:
    """Charges annotated with ``owed``: the total less what was applied to the visit
    (payments, prepaid draws, adjustments; refunds add back), as ``services.open_on_visit``
    works it out for one, in the same query."""
    applied = Subquery(
        LedgerEntry.objects.filter(charge=OuterRef("pk"), kind__in=APPLIED_TO_VISIT)
        .order_by()
        .values("charge")
        .annotate(s=Sum("amount"))
        .values("s"),
        output_field=MONEY,
    )
    return charges.annotate(
        owed=ExpressionWrapper(
            F("total") + Coalesce(applied, Value(Decimal(0))), output_field=MONEY
        )
    )


def paid_self_pay(charges: QuerySet[Charge]) -> QuerySet[Charge]:
    """Self-pay visits posted (ready) with nothing left open: paid in full."""
    return with_owed(charges.filter(status=Charge.Status.READY, payer__isnull=True)).filter(
        Q(owed__lte=0)  # an annotation: in a Q, which the type checker leaves alone
    )


def ready_to_bill(charges: QuerySet[Charge]) -> QuerySet[Charge]:
    """Posted charges still to bill: every insurer's, and the self-pay ones not paid in
    full (a self-pay visit paid in full leaves this list for *Paid*)."""
    return with_owed(charges.filter(status=Charge.Status.READY)).exclude(
        Q(payer__isnull=True) & Q(owed__lte=0)
    )


def open_by_date_of_service(actor: User) -> list[tuple[dt.date, bool, Decimal]]:
    """What each account still owes, laid on the charges that make it up, for the aging
    of outstanding balances: (date of service, owed by an insurer, amount).

    Per patient and responsibility, the balance (the plain sum of the ledger, as on the
    balances page) is laid on its debits newest first, each up to its amount: what was paid,
    credited or drawn from prepaid clears the oldest debts first, whether or not it named a
    visit. A visit's debit is dated by its date of service, any other (a package sale, a
    membership month, a refund, a transfer) by the day it was posted. The totals therefore
    match the balances page."""
    if not has_capability(actor, Capability.BILLING_READ_ACCOUNT):
        return []
    entries = LedgerEntry.objects.filter(organization_id=_org(actor))
    owing = {
        (row["patient_id"], row["responsibility"]): row["s"]
        for row in entries.order_by()
        .values("patient_id", "responsibility")
        .annotate(s=Sum("amount"))
        .filter(s__gt=0)
    }
    if not owing:
        return []
    debits = (
        entries.filter(amount__gt=0, patient_id__in={p for p, _ in owing})
        .order_by()
        .values_list(
            "patient_id", "responsibility", "amount", "posted_on", "charge__date_of_service"
        )
    )
    by_account: dict[tuple[int, str], list[tuple[dt.date, Decimal]]] = {}
    for patient_id, responsibility, amount, posted_on, served_on in debits:
        if (patient_id, responsibility) in owing:
            by_account.setdefault((patient_id, responsibility), []).append(
                (served_on or posted_on, amount)
            )
    found: list[tuple[dt.date, bool, Decimal]] = []
    for key, left in owing.items():
        insurer = key[1] == LedgerEntry.Responsibility.INSURER
        for day, amount in sorted(by_account.get(key, []), key=lambda d: d[0], reverse=True):
            if left <= 0:
                break
            part = min(amount, left)
            found.append((day, insurer, round_money(part)))
            left -= part
    return found


def open_visits_for(actor: User, patient: Patient, *, limit: int = 20) -> list[Any]:
    """The patient's visits with something still owed (newest first), each with
    ``open_amount``: the ones a payment may be applied to. For whoever takes payments (the
    front desk too), so only the date and the amounts are read, not the codes."""
    if not has_capability(actor, Capability.BILLING_POST_PAYMENT):
        return []
    applied = Coalesce(
        Sum(
            "entries__amount",
            filter=Q(
                entries__kind__in=[
                    LedgerEntry.Kind.PAYMENT,
                    LedgerEntry.Kind.REFUND,
                    LedgerEntry.Kind.ADJUSTMENT,
                    LedgerEntry.Kind.PREPAID_CREDIT,
                ]
            ),
        ),
        Value(Decimal(0)),
        output_field=MONEY,
    )
    found: list[Any] = list(
        Charge.objects.filter(organization_id=_org(actor), patient=patient)
        .exclude(status=Charge.Status.VOID)
        .annotate(applied=applied)
        .annotate(owed=ExpressionWrapper(F("total") + F("applied"), output_field=MONEY))
        .filter(owed__gt=0)
        .order_by("-date_of_service", "-pk")[:limit]
    )
    for charge in found:
        charge.open_amount = round_money(charge.owed)
    return found


def visit_for(actor: User, patient: Patient, public_id: UUID | str) -> Charge | None:
    """One of the patient's visits (its charge), for a payment to be applied to."""
    if not has_capability(actor, Capability.BILLING_POST_PAYMENT):
        return None
    return Charge.objects.filter(
        organization_id=_org(actor), patient=patient, public_id=public_id
    ).first()


def entries_for(actor: User, patient: Patient | None = None) -> QuerySet[LedgerEntry]:
    if not has_capability(actor, Capability.BILLING_READ_ACCOUNT):
        return LedgerEntry.objects.none()
    found = LedgerEntry.objects.filter(organization_id=_org(actor))
    if patient is not None:
        found = found.filter(patient=patient)
    return found.select_related("patient", "payer", "posted_by", "reverses", "charge", "prepaid")


def payments_for(actor: User) -> QuerySet[LedgerEntry]:
    return entries_for(actor).filter(kind=LedgerEntry.Kind.PAYMENT).order_by("-posted_at", "-pk")


def coverages_for(actor: User, patient: Patient | None = None) -> QuerySet[Coverage]:
    if not has_capability(actor, Capability.BILLING_READ_ACCOUNT):
        return Coverage.objects.none()
    found = Coverage.objects.filter(organization_id=_org(actor))
    if patient is not None:
        found = found.filter(patient=patient)
    return found.select_related("payer", "patient")


def invoices_for(actor: User, patient: Patient | None = None) -> QuerySet[Invoice]:
    if not has_capability(actor, Capability.BILLING_READ_ACCOUNT):
        return Invoice.objects.none()
    found = Invoice.objects.filter(organization_id=_org(actor))
    if patient is not None:
        found = found.filter(patient=patient)
    return found.select_related("patient", "issued_by")


def prepaids_for(actor: User, patient: Patient | None = None) -> QuerySet[PatientPrepaid]:
    if not has_capability(actor, Capability.BILLING_READ_ACCOUNT):
        return PatientPrepaid.objects.none()
    found = PatientPrepaid.objects.filter(organization_id=_org(actor))
    if patient is not None:
        found = found.filter(patient=patient)
    return found.select_related("plan", "patient")


# --- configuration: readable by every staff role that sees accounts -------------------


def payers_for(actor: User) -> QuerySet[Payer]:
    if not has_capability(actor, Capability.BILLING_READ_ACCOUNT):
        return Payer.objects.none()
    return Payer.objects.filter(organization_id=_org(actor))


def self_pay_prices_for(actor: User) -> QuerySet[SelfPayPrice]:
    if not has_capability(actor, Capability.BILLING_READ_ACCOUNT):
        return SelfPayPrice.objects.none()
    return SelfPayPrice.objects.filter(organization_id=_org(actor)).select_related("location")


def service_prices_for(actor: User) -> QuerySet[ServicePrice]:
    """The self-pay prices of services (appointment types) per location."""
    if not has_capability(actor, Capability.BILLING_READ_ACCOUNT):
        return ServicePrice.objects.none()
    return ServicePrice.objects.filter(organization_id=_org(actor)).select_related("location")


def code_mappings_for(actor: User) -> QuerySet[CodeMapping]:
    if not has_capability(actor, Capability.BILLING_READ_ACCOUNT):
        return CodeMapping.objects.none()
    return CodeMapping.objects.filter(organization_id=_org(actor))


def location_billing_for(actor: User) -> QuerySet[LocationBilling]:
    if not has_capability(actor, Capability.BILLING_READ_ACCOUNT):
        return LocationBilling.objects.none()
    return LocationBilling.objects.filter(organization_id=_org(actor)).select_related("location")


def prepaid_plans_for(actor: User) -> QuerySet[PrepaidPlan]:
    if not has_capability(actor, Capability.BILLING_READ_ACCOUNT):
        return PrepaidPlan.objects.none()
    return PrepaidPlan.objects.filter(organization_id=_org(actor))


# --- balances --------------------------------------------------------------------------


def _sum(entries: QuerySet[LedgerEntry]) -> Decimal:
    total = entries.aggregate(total=Sum("amount"))["total"]
    return round_money(total if total is not None else 0)


def patient_balance(patient: Patient) -> Decimal:
    """What the patient owes (their own responsibility): the sum of their ledger entries.

    Negative is a credit. Amounts an insurer still owes are not the patient's balance (see
    ``account_balances``). No permission check: callers (statements, the calendar's
    "unpaid balance" flag) have already decided the actor may see the patient."""
    return _sum(
        LedgerEntry.objects.filter(
            patient=patient, responsibility=LedgerEntry.Responsibility.PATIENT
        )
    )


def account_balances(patient: Patient) -> dict[str, Decimal]:
    """The patient's account: ``patient``, ``insurer`` and ``total`` balances."""
    entries = LedgerEntry.objects.filter(patient=patient)
    patient_part = _sum(entries.filter(responsibility=LedgerEntry.Responsibility.PATIENT))
    insurer_part = _sum(entries.filter(responsibility=LedgerEntry.Responsibility.INSURER))
    return {
        "patient": patient_part,
        "insurer": insurer_part,
        "total": round_money(patient_part + insurer_part),
    }


def balances_for(actor: User) -> QuerySet[Patient]:
    """Patients of the actor's organization whose account is not settled, each annotated
    with ``patient_balance`` and ``insurer_balance``, largest patient balance first."""
    if not has_capability(actor, Capability.BILLING_READ_ACCOUNT):
        return Patient.objects.none()
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=12, decimal_places=2))
    patient_part = Coalesce(
        Sum(
            "ledger_entries__amount",
            filter=Q(ledger_entries__responsibility=LedgerEntry.Responsibility.PATIENT),
        ),
        zero,
    )
    insurer_part = Coalesce(
        Sum(
            "ledger_entries__amount",
            filter=Q(ledger_entries__responsibility=LedgerEntry.Responsibility.INSURER),
        ),
        zero,
    )
    return (
        Patient.objects.filter(organization_id=_org(actor))
        .annotate(patient_balance=patient_part, insurer_balance=insurer_part)
        .filter(~Q(patient_balance=0) | ~Q(insurer_balance=0))
        .order_by("-patient_balance", "family_name", "given_name")
    )


def coverage_on(patient: Patient, on: dt.date) -> Coverage | None:
    """The coverage in effect on a day (the latest started), or None. An ended coverage
    still covers the days up to its last; one entered in error covers none."""
    return (
        Coverage.objects.filter(
            patient=patient,
            status__in=[Coverage.Status.ACTIVE, Coverage.Status.ENDED],
            starts_on__lte=on,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("payer")
        .order_by("-starts_on", "-created_at")
        .first()
    )


def patient_balances(patients: Sequence[Patient]) -> dict[int, Decimal]:
    """``patient_balance`` of many patients in one query, by patient primary key."""
    found = {p.pk: Decimal("0.00") for p in patients}
    rows = (
        LedgerEntry.objects.filter(
            patient_id__in=list(found), responsibility=LedgerEntry.Responsibility.PATIENT
        )
        .values("patient_id")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        found[row["patient_id"]] = round_money(row["total"])
    return found


def unpaid_balance_flags(patients: Sequence[Patient]) -> dict[int, list[Flag]]:
    """The schedule's "unpaid balance" flag (registered in BillingConfig.ready())."""
    return {
        pk: [
            Flag(
                code="unpaid_balance",
                label=f"Unpaid balance {amount}",
                severity="warning",
                capability=Capability.BILLING_READ_ACCOUNT,
            )
        ]
        for pk, amount in patient_balances(patients).items()
        if amount > 0
    }


# --- the business page's figures (read by billing.business) --------------------------------


def billed_by_day(
    actor: User, *, first: dt.date, last: dt.date, location: Location | None = None
) -> dict[dt.date, Decimal]:
    """Revenue billed: the totals of charges (not void) by date of service from ``first``
    to ``last``, in one grouped query."""
    found = Charge.objects.filter(
        organization_id=_org(actor), date_of_service__gte=first, date_of_service__lte=last
    ).exclude(status=Charge.Status.VOID)
    if location is not None:
        found = found.filter(location=location)
    rows = found.values("date_of_service").annotate(total=Sum("total")).order_by()
    return {row["date_of_service"]: round_money(row["total"]) for row in rows}


#: What money received is: payments, their refunds, and reversals of either.
_COLLECTED = Q(kind__in=[LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.REFUND]) | Q(
    kind=LedgerEntry.Kind.REVERSAL,
    reverses__kind__in=[LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.REFUND],
)


def collected_by_day(
    actor: User, *, start: dt.datetime, end: dt.datetime, zone: dt.tzinfo
) -> dict[dt.date, Decimal]:
    """Revenue collected: payments received in ``[start, end)`` net of refunds (and of
    reversals of either), by the local day (``zone``) they were posted, as positive
    amounts, in one grouped query."""
    rows = (
        LedgerEntry.objects.filter(
            _COLLECTED, organization_id=_org(actor), posted_at__gte=start, posted_at__lt=end
        )
        .annotate(day=TruncDate("posted_at", tzinfo=zone))
        .values("day")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["day"]: round_money(-row["total"]) for row in rows}


def outstanding_balances(actor: User) -> QuerySet[Patient]:
    """Patients who owe (their own balance above zero), largest first, annotated with
    ``patient_balance``; see ``outstanding_total`` for the count and sum."""
    owing: QuerySet[Patient] = balances_for(actor).filter(patient_balance__gt=0)  # type: ignore[misc]
    return owing


def outstanding_total(actor: User) -> tuple[int, Decimal]:
    """How many patients owe, and how much altogether, in one query."""
    totals = outstanding_balances(actor).aggregate(
        patients=Count("pk"), total=Sum("patient_balance")
    )
    return totals["patients"], round_money(totals["total"] or 0)


# --- audited reads -----------------------------------------------------------------------
# A read of billing records names the patients it showed in the audit log. These write
# only the audit entry (``audit.services.record``); ``billing.services`` re-exports them.


def audit_account_read(*, actor: User, patient: Patient, what: str = "account") -> None:
    record(
        actor=actor,
        action=Action.READ,
        obj=patient,
        patient_id=str(patient.public_id),
        detail={"view": f"billing {what}"},
    )


def audit_charge_read(*, actor: User, charge: Charge) -> None:
    record(
        actor=actor,
        action=Action.READ,
        obj=charge,
        patient_id=str(charge.patient.public_id),
        detail={},
    )


def audit_billing_search(*, actor: User, what: str, query: dict[str, str], patients: Any) -> None:
    """A list across patients (charges to review, payments, balances): one search entry
    naming the patients it showed."""
    record(
        actor=actor,
        action=Action.SEARCH,
        object_type=what,
        detail={
            "query": query,
            "results": sorted({str(p.public_id) for p in patients}),
        },
    )


def audit_business_read(
    *, actor: User, period: dict[str, str], location: str, patients: Any, summary: bool = False
) -> None:
    """Reading the business figures: one read entry with the period, the location (if
    chosen) and the patients the page listed by name (outstanding balances)."""
    record(
        actor=actor,
        action=Action.READ,
        object_type="BusinessFigures",
        detail={
            "period": period,
            "location": location,
            "view": "dashboard summary" if summary else "business page",
            "results": sorted({str(p.public_id) for p in patients}),
        },
    )
