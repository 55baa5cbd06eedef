"""Billing documents: the superbill (per visit or per period) and the patient statement,
as PDFs rendered with WeasyPrint from templates under ``billing/pdf/``.

Each document is first built as *content*: a plain, JSON-ready dict (amounts as strings
with two places) made from the posted charges and the ledger, so tests and the PDF read
the same facts. Codes appear with Palpa's own short labels (``billing.codes``), never the
AMA's CPT descriptors.

Who may download what (checked here, audited here; views and the API only call in):

- superbill: owner and biller for any patient of their organization; a therapist for the
  visits they rendered themselves (a period superbill shows only those); front desk no;
- statement: owner, biller and front desk; a therapist no;
- receipt (of one payment the patient made): owner, biller and front desk
  (``billing.receipt``); a therapist no;
- another organization's patient or charge is not found (404).

WeasyPrint loads nothing from outside: the stylesheet is read from disk and passed in, and
the URL fetcher refuses every URL that is not a ``data:`` URL. It is imported when a PDF
is made, not when the app starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet, Sum
from django.template.loader import render_to_string

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.audit.services import Action, record
from palpa.billing.codes import load_codes
from palpa.billing.models import Charge, Coverage, LedgerEntry
from palpa.billing.money import round_money
from palpa.core import icd10
from palpa.core.dates import local, local_today
from palpa.patients.models import Patient
from palpa.practitioners.models import License, Practitioner

PDF_DIR = Path(__file__).resolve().parent / "templates" / "billing" / "pdf"
STYLESHEET = PDF_DIR / "documents.css"
LETTERS = "ABCDEFGHIJKL"  # CMS-1500 item 21 holds twelve diagnoses, A to L
MAX_PERIOD_DAYS = 366

OWN_VISITS_ONLY = "Your role may download superbills only of the visits you provided."
SIGNATURE_STATEMENT = (
    "Signed electronically: the rendering provider signed the treatment note of each "
    "visit in Palpa on the date shown; the note is kept unchanged in the patient's record."
)
SUPERBILL_NOTICE = (
    "This superbill lists services provided and their charges, for the patient to submit "
    "to their insurer. It is not a bill: what the patient owes is on their statement."
)


# --- who may -----------------------------------------------------------------------------


def may_download_superbills(actor: User) -> bool:
    """Of their own visits at least (``billing.superbill``); of every visit with
    ``billing.superbill_any``."""
    return has_capability(actor, Capability.BILLING_SUPERBILL)


def may_download_statements(actor: User) -> bool:
    return has_capability(actor, Capability.BILLING_STATEMENT)


def may_download_receipts(actor: User) -> bool:
    return has_capability(actor, Capability.BILLING_RECEIPT)


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise PermissionDenied(f"Your role may not download {what}.")


def posted_charges(actor: User) -> QuerySet[Charge]:
    """The actor's organization's charges that are ready to bill (posted to the ledger), as
    the superbill may show them: all of them for owners and billers, a therapist's own."""
    if not may_download_superbills(actor):
        return Charge.objects.none()
    charges = Charge.objects.filter(
        organization_id=tenant_id(actor), status=Charge.Status.READY
    ).select_related(
        "patient",
        "location",
        "payer",
        "coverage__payer",
        "rendering_provider",
        "note",
        "note__signed_by",
        "organization",
    )
    if not has_capability(actor, Capability.BILLING_SUPERBILL_ANY):
        charges = charges.filter(rendering_provider__user=actor)
    return charges


def check_period(start: dt.date, end: dt.date) -> None:
    """A period runs forward and spans at most a year (names the field and the rule)."""
    if end < start:
        raise ValidationError({"end": "The period's end must be on or after its start."})
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ValidationError({"end": f"A period spans at most {MAX_PERIOD_DAYS} days."})


# --- shared pieces -----------------------------------------------------------------------


def money(value: Decimal | int) -> str:
    return f"{round_money(value):.2f}"


def _address(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def clinic(location: Location) -> dict[str, str]:
    return {
        "organization": location.organization.name,
        "location": location.name,
        "address_line1": location.address_line1,
        "address_line2": location.address_line2,
        "city": location.city,
        "state": location.region,
        "postal_code": location.postal_code,
        "address": _address(
            location.address_line1,
            location.address_line2,
            location.city,
            f"{location.region} {location.postal_code}".strip(),
        ),
        "phone": location.phone,
    }


def patient_part(patient: Patient) -> dict[str, str]:
    return {
        "id": str(patient.public_id),
        "name": f"{patient.given_name} {patient.family_name}",
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "mrn": patient.mrn,
        "address_line1": patient.address_line1,
        "address_line2": patient.address_line2,
        "city": patient.city,
        "state": patient.region,
        "postal_code": patient.postal_code,
        "address": _address(
            patient.address_line1,
            patient.address_line2,
            patient.city,
            f"{patient.region} {patient.postal_code}".strip(),
        ),
        "phone": patient.phone,
    }


def coverage_part(coverage: Coverage | None, patient: Patient) -> dict[str, str] | None:
    """The insurer's details as the patient's coverage records them; None for self-pay."""
    if coverage is None or coverage.kind != Coverage.Kind.INSURANCE or coverage.payer is None:
        return None
    is_self = coverage.subscriber_relationship == Coverage.Relationship.SELF
    subscriber_dob = coverage.subscriber_date_of_birth or (
        patient.date_of_birth if is_self else None
    )
    return {
        "payer": coverage.payer.name,
        "payer_id": coverage.payer.payer_code,
        "member_id": coverage.member_id,
        "group_number": coverage.group_number,
        "subscriber": coverage.subscriber_name
        or (f"{patient.given_name} {patient.family_name}" if is_self else ""),
        "relationship": coverage.subscriber_relationship,
        "relationship_label": coverage.get_subscriber_relationship_display(),
        "subscriber_date_of_birth": subscriber_dob.isoformat() if subscriber_dob else "",
    }


def license_for(practitioner: Practitioner, location: Location, on: dt.date) -> License | None:
    """The license that allowed the practitioner to treat at the location on that day
    (else their latest license for its jurisdiction)."""
    here = [
        lic
        for lic in practitioner.licenses.all()
        if lic.jurisdiction.upper() == location.jurisdiction.upper()
    ]
    current = [lic for lic in here if lic.is_current_on(on)]
    chosen = current or here
    return max(chosen, key=lambda lic: lic.expires_on) if chosen else None


def provider_part(practitioner: Practitioner, location: Location, on: dt.date) -> dict[str, str]:
    lic = license_for(practitioner, location, on)
    return {
        "name": practitioner.display_name,
        "given_name": practitioner.given_name,
        "family_name": practitioner.family_name,
        "credentials": practitioner.credentials,
        "npi": practitioner.npi,
        "license": (
            f"{lic.license_type} {lic.jurisdiction} #{lic.number} (valid until {lic.expires_on})"
            if lic
            else ""
        ),
        "license_number": lic.number if lic else "",
    }


def code_label(code: str) -> str:
    entry = load_codes().codes.get(code)
    return entry.label if entry else ""


def diagnosis_label(code: str) -> str:
    try:
        return icd10.validate(code).label
    except icd10.Icd10Error:
        return ""


def letters(pointers: Iterable[int], mapping: dict[int, str]) -> str:
    """1-based pointers into a charge's diagnoses as CMS-1500 letters (at most four)."""
    return "".join(mapping[p] for p in pointers if p in mapping)[:4]


# --- the superbill -----------------------------------------------------------------------


def superbill_charges(
    *,
    actor: User,
    patient: Patient | None = None,
    charge_id: Any = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[Charge]:
    """The posted charges a superbill shows: one visit (``charge_id``) or the patient's
    visits in ``start``..``end``. Raises PermissionDenied for roles that may not, and
    ``Charge.DoesNotExist`` for a charge the actor does not see."""
    _require(may_download_superbills(actor), "superbills")
    everyone = Charge.objects.filter(organization_id=tenant_id(actor), status=Charge.Status.READY)
    charges = posted_charges(actor)
    if charge_id is not None:
        found = charges.filter(public_id=charge_id).first()
        if found is None:
            if everyone.filter(public_id=charge_id).exists():
                raise PermissionDenied(OWN_VISITS_ONLY)
            raise Charge.DoesNotExist
        return [found]
    if patient is None or start is None or end is None:
        raise ValidationError({"start": "A period superbill needs a patient, a start and an end."})
    check_period(start, end)
    found_list = list(
        charges.filter(
            patient=patient, date_of_service__gte=start, date_of_service__lte=end
        ).order_by("date_of_service", "created_at")
    )
    if not has_capability(actor, Capability.BILLING_SUPERBILL_ANY) and not found_list:
        raise PermissionDenied(OWN_VISITS_ONLY)
    return found_list


def superbill_content(charges: Sequence[Charge], *, patient: Patient) -> dict[str, Any]:
    """The superbill's facts: clinic, patient, insurer, diagnoses A-L across the visits,
    the service lines with their pointers, units, modifiers and charges, each rendering
    provider with NPI and license, and the totals."""
    lines_of = {
        c.pk: list(c.lines.order_by("position")) for c in charges
    }  # a handful of visits: one query each is fine
    diagnoses: list[str] = []
    for charge in charges:
        for code in charge.diagnoses:
            if code not in diagnoses:
                diagnoses.append(str(code))
    letter_of = {code: LETTERS[i] for i, code in enumerate(diagnoses[: len(LETTERS)])}

    providers: dict[int, dict[str, str]] = {}
    visits = []
    total = Decimal(0)
    for charge in charges:
        mapping = {
            i + 1: letter_of[code] for i, code in enumerate(charge.diagnoses) if code in letter_of
        }
        provider = provider_part(charge.rendering_provider, charge.location, charge.date_of_service)
        providers.setdefault(charge.rendering_provider_id, provider)
        lines = [
            {
                "code": line.code,
                "label": code_label(line.code),
                "modifiers": list(line.modifiers),
                "pointers": letters(line.diagnosis_pointers, mapping),
                "minutes": line.minutes,
                "units": line.units,
                "unit_price": money(line.unit_price) if line.unit_price is not None else "",
                "amount": money(line.amount),
            }
            for line in lines_of[charge.pk]
        ]
        total += charge.total
        signed_at = charge.note.signed_at
        visits.append(
            {
                "id": str(charge.public_id),
                "date": charge.date_of_service.isoformat(),
                "place_of_service": charge.place_of_service,
                "location": charge.location.name,
                "provider": provider,
                "rendering_npi": charge.rendering_npi or provider["npi"],
                "lines": lines,
                "total": money(charge.total),
                "service": charge.service.name if charge.service is not None else "",
                "signed_on": (
                    local(signed_at, charge.location).date().isoformat() if signed_at else ""
                ),
            }
        )

    paid = -(
        LedgerEntry.objects.filter(
            charge__in=list(charges),
            kind__in=[
                LedgerEntry.Kind.PAYMENT,
                LedgerEntry.Kind.REFUND,
                LedgerEntry.Kind.PREPAID_CREDIT,
            ],
            responsibility=LedgerEntry.Responsibility.PATIENT,
        ).aggregate(s=Sum("amount"))["s"]
        or Decimal(0)
    )
    first = charges[0] if charges else None
    currency = first.currency if first else "USD"
    return {
        "kind": "superbill",
        "clinic": clinic(first.location if first else _home_location(patient)),
        "patient": patient_part(patient),
        "insurance": coverage_part(
            next((c.coverage for c in charges if c.payer_id), first.coverage if first else None),
            patient,
        ),
        "period": {
            "start": visits[0]["date"] if visits else "",
            "end": visits[-1]["date"] if visits else "",
        },
        "diagnoses": [
            {"letter": letter_of[code], "code": code, "label": diagnosis_label(code)}
            for code in diagnoses[: len(LETTERS)]
        ],
        "visits": visits,
        "providers": list(providers.values()),
        "total": money(total),
        "paid": money(paid),
        "currency": currency,
        "issued_on": local_today(first.location if first else _home_location(patient)).isoformat(),
        "signature_statement": SIGNATURE_STATEMENT,
        "notice": SUPERBILL_NOTICE,
    }


def _home_location(patient: Patient) -> Location:
    if patient.primary_location is not None:
        return patient.primary_location
    found = Location.objects.filter(organization_id=patient.organization_id).first()
    if found is None:
        raise ValidationError("The organization has no location to print on the document.")
    return found


def superbill(
    *,
    actor: User,
    patient: Patient | None = None,
    charge_id: Any = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[dict[str, Any], bytes]:
    """The superbill of one visit or a patient's period, as content and PDF; audited."""
    charges = superbill_charges(
        actor=actor, patient=patient, charge_id=charge_id, start=start, end=end
    )
    who = patient or charges[0].patient
    if patient is not None and charges and charges[0].patient_id != patient.pk:
        raise Charge.DoesNotExist
    content = superbill_content(charges, patient=who)
    pdf = render_pdf("billing/pdf/superbill.html", content)
    record(
        actor=actor,
        action=Action.EXPORT,
        obj=charges[0] if charge_id is not None else who,
        patient_id=str(who.public_id),
        detail={
            "document": "superbill",
            "visits": len(charges),
            "start": content["period"]["start"] or (start.isoformat() if start else ""),
            "end": content["period"]["end"] or (end.isoformat() if end else ""),
        },
    )
    return content, pdf


# --- the statement -----------------------------------------------------------------------


def _entry_description(entry: LedgerEntry, codes_of: dict[int, str]) -> str:
    kind = LedgerEntry.Kind
    if entry.kind == kind.CHARGE and entry.charge is None:
        sold = entry.prepaid.plan.name if entry.prepaid else ""
        return sold or entry.memo or "Charge"
    if entry.kind == kind.CHARGE:
        visit = entry.charge.date_of_service.isoformat() if entry.charge else ""
        codes = codes_of.get(entry.charge_id or 0, "")
        who = " (billed to insurer)" if entry.responsibility == "insurer" else ""
        return f"Visit {visit}{': ' + codes if codes else ''}{who}".strip()
    if entry.kind == kind.PAYMENT:
        reference = f", ref. {entry.reference}" if entry.reference else ""
        if entry.responsibility == LedgerEntry.Responsibility.INSURER:
            return f"Insurer payment{' from ' + entry.payer.name if entry.payer else ''}{reference}"
        method = f" by {entry.get_method_display().lower()}" if entry.method else ""
        return f"Payment{method}{reference}"
    if entry.kind == kind.PREPAID_CREDIT:
        name = entry.prepaid.plan.name if entry.prepaid else "prepaid plan"
        return f"Drawn from {name}"
    if entry.kind == kind.REFUND:
        return "Refund"
    reason = entry.get_reason_display() if entry.reason else ""
    label = "Reversal" if entry.kind == kind.REVERSAL else "Adjustment"
    return f"{label}: {reason}{' (' + entry.memo + ')' if entry.memo else ''}"


def statement_content(*, patient: Patient, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The patient's account over a period: the balance brought forward, every entry posted
    in the period (charges, payments, adjustments, refunds, prepaid draws) with a running
    balance, and what the patient owes at the end, apart from what the insurer is billed."""
    entries = LedgerEntry.objects.filter(organization_id=patient.organization_id, patient=patient)
    before = entries.filter(posted_on__lt=start)
    opening = before.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    in_period = list(
        entries.filter(posted_on__gte=start, posted_on__lte=end)
        .select_related("charge", "prepaid__plan", "payer")
        .order_by("posted_at", "pk")
    )
    charge_ids = {e.charge_id for e in in_period if e.charge_id}
    codes_of: dict[int, str] = {}
    for charge in Charge.objects.filter(pk__in=charge_ids).prefetch_related("lines"):
        codes_of[charge.pk] = ", ".join(
            f"{line.code} x{line.units}" for line in charge.lines.all() if line.units
        )
    running = opening
    rows = []
    sums = {"charges": Decimal(0), "credits": Decimal(0)}
    for entry in in_period:
        running += entry.amount
        sums["charges" if entry.amount > 0 else "credits"] += abs(entry.amount)
        rows.append(
            {
                "date": entry.posted_on.isoformat(),
                "kind": entry.kind,
                "kind_label": entry.get_kind_display(),
                "description": _entry_description(entry, codes_of),
                "responsibility": entry.responsibility,
                "charge": money(entry.amount) if entry.amount > 0 else "",
                "credit": money(-entry.amount) if entry.amount < 0 else "",
                "balance": money(running),
            }
        )
    through_end = entries.filter(posted_on__lte=end)
    by_party = {
        party: through_end.filter(responsibility=party).aggregate(s=Sum("amount"))["s"]
        or Decimal(0)
        for party in ("patient", "insurer")
    }
    currency = in_period[0].currency if in_period else "USD"
    return {
        "kind": "statement",
        "clinic": clinic(_home_location(patient)),
        "patient": patient_part(patient),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "opening_balance": money(opening),
        "entries": rows,
        "total_charges": money(sums["charges"]),
        "total_credits": money(sums["credits"]),
        "closing_balance": money(running),
        "patient_due": money(max(by_party["patient"], Decimal(0))),
        "patient_credit": money(max(-by_party["patient"], Decimal(0))),
        "insurer_pending": money(by_party["insurer"]),
        "currency": currency,
        "issued_on": local_today(_home_location(patient)).isoformat(),
    }


def statement(
    *, actor: User, patient: Patient, start: dt.date, end: dt.date
) -> tuple[dict[str, Any], bytes]:
    """The patient statement over a period, as content and PDF; audited."""
    _require(may_download_statements(actor), "statements")
    if patient.organization_id != tenant_id(actor):
        raise Patient.DoesNotExist
    check_period(start, end)
    content = statement_content(patient=patient, start=start, end=end)
    pdf = render_pdf("billing/pdf/statement.html", content)
    record(
        actor=actor,
        action=Action.EXPORT,
        obj=patient,
        patient_id=str(patient.public_id),
        detail={
            "document": "statement",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "entries": len(content["entries"]),
        },
    )
    return content, pdf


# --- the receipt -------------------------------------------------------------------------


RECEIPT_UNAPPLIED = "Your account balance (oldest charges first)"


def receipt_number(payment: LedgerEntry) -> str:
    """The number printed on a payment's receipt: the day it was paid and the first eight
    hex digits of the payment's public id (never a database key), e.g. R-20261130-1A2B3C4D."""
    return f"R-{payment.posted_on:%Y%m%d}-{payment.public_id.hex[:8].upper()}"


def receipt_payments(patient: Patient) -> QuerySet[LedgerEntry]:
    """The payments a patient made (not insurers'), each with a receipt, newest first."""
    return LedgerEntry.objects.filter(
        organization_id=patient.organization_id,
        patient=patient,
        kind=LedgerEntry.Kind.PAYMENT,
        responsibility=LedgerEntry.Responsibility.PATIENT,
    ).order_by("-posted_at", "-pk")


def _visit_part(charge: Charge) -> dict[str, Any]:
    lines = [
        {
            "code": line.code,
            "label": code_label(line.code),
            "units": line.units,
            "amount": money(line.amount),
        }
        for line in charge.lines.order_by("position")
        if line.units or line.amount
    ]
    return {
        "date": charge.date_of_service.isoformat(),
        "service": charge.service.name if charge.service is not None else "",
        "provider": charge.rendering_provider.display_name,
        "location": charge.location.name,
        "lines": lines,
        "total": money(charge.total),
    }


def receipt_content(payment: LedgerEntry) -> dict[str, Any]:
    """A payment's receipt: the clinic, the patient, the number, the day paid (the clinic's
    day, as posted) and the time it was recorded in the clinic's zone, the amount, the
    method and its reference, the visit it was applied to (or the account balance), what
    was refunded of it, and the patient's balance after it was recorded."""
    patient = payment.patient
    charge = payment.charge
    place = charge.location if charge is not None else _home_location(patient)
    up_to = LedgerEntry.objects.filter(
        organization_id=patient.organization_id,
        patient=patient,
        responsibility=LedgerEntry.Responsibility.PATIENT,
    ).filter(
        Q(posted_at__lt=payment.posted_at) | Q(posted_at=payment.posted_at, pk__lte=payment.pk)
    )
    balance = up_to.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    refunded = LedgerEntry.objects.filter(
        refund_of=payment, kind=LedgerEntry.Kind.REFUND, reversed_by__isnull=True
    ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    reversed_ = LedgerEntry.objects.filter(reverses=payment).exists()
    recorded = local(payment.posted_at, place)
    return {
        "kind": "receipt",
        "number": receipt_number(payment),
        "clinic": clinic(place),
        "patient": patient_part(patient),
        "period": {"start": payment.posted_on.isoformat(), "end": payment.posted_on.isoformat()},
        "paid_on": payment.posted_on.isoformat(),
        "recorded_at": recorded.strftime("%Y-%m-%d %H:%M %Z"),
        "amount": money(-payment.amount),
        "method": payment.get_method_display(),
        "reference": payment.reference,
        "applied_to": _visit_part(charge) if charge is not None else None,
        "applied_to_account": RECEIPT_UNAPPLIED,
        "refunded": money(refunded),
        "reversed": reversed_,
        "balance_after": money(max(balance, Decimal(0))),
        "credit_after": money(max(-balance, Decimal(0))),
        "currency": payment.currency,
        "issued_on": local_today(place).isoformat(),
    }


def receipt(*, actor: User, payment_id: Any) -> tuple[dict[str, Any], bytes]:
    """The receipt of one patient payment of the actor's organization, as content and PDF;
    audited. ``LedgerEntry.DoesNotExist`` for anything else (another organization's, an
    insurer's payment, a charge)."""
    _require(may_download_receipts(actor), "receipts")
    payment = (
        LedgerEntry.objects.filter(
            organization_id=tenant_id(actor),
            public_id=payment_id,
            kind=LedgerEntry.Kind.PAYMENT,
            responsibility=LedgerEntry.Responsibility.PATIENT,
        )
        .select_related("patient", "charge__location", "charge__rendering_provider")
        .first()
    )
    if payment is None:
        raise LedgerEntry.DoesNotExist
    content, pdf = receipt_document(payment)
    record(
        actor=actor,
        action=Action.EXPORT,
        obj=payment,
        patient_id=str(payment.patient.public_id),
        detail={"document": "receipt", "number": content["number"]},
    )
    return content, pdf


def receipt_document(payment: LedgerEntry) -> tuple[dict[str, Any], bytes]:
    """Content and PDF of a payment's receipt (not audited: callers audit as their actor)."""
    content = receipt_content(payment)
    return content, render_pdf("billing/pdf/receipt.html", content)


# --- rendering ---------------------------------------------------------------------------


def _no_network_fetcher() -> Any:
    """A WeasyPrint URL fetcher for ``data:`` URLs only; every other URL is refused."""
    # Imported when a PDF is made, not when the app starts (as in reports/render.py):
    # WeasyPrint adds tens of megabytes to every worker that never renders a document.
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class NoNetworkFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"Billing documents load nothing from outside: refused {url[:80]}")
            return super().fetch(url, headers)

    return NoNetworkFetcher()


@lru_cache(maxsize=1)
def _stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


def render_html(template: str, content: dict[str, Any]) -> str:
    return render_to_string(template, {"d": content})


def render_pdf(template: str, content: dict[str, Any]) -> bytes:
    # Imported when a PDF is made (see _no_network_fetcher).
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    rendered: bytes = HTML(
        string=render_html(template, content), url_fetcher=_no_network_fetcher()
    ).write_pdf(stylesheets=[CSS(string=_stylesheet())])
    return rendered


def filename(content: dict[str, Any]) -> str:
    patient = content.get("patient", {})
    initials = (patient.get("given_name", "")[:1] + patient.get("family_name", "")[:1]).upper()
    period = content.get("period", {})
    span = period.get("start", "")
    if period.get("end") and period.get("end") != span:
        span = f"{span}_{period['end']}"
    if content.get("number"):
        return f"{content['kind']}-{initials}-{content['number']}.pdf"
    return f"{content.get('kind', 'document')}-{initials}-{patient.get('mrn', '')}-{span}.pdf"
