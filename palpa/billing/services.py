"""The only code that writes billing records.

Every verb checks the actor's role (``palpa.billing.queries``) and organization,
validates everything before it writes, runs in one transaction and leaves one audit
entry. Ledger entries are only ever added: a correction is a reversing entry, a refund,
an adjustment or a transfer, never a change.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from palpa.accounts.models import Location, Organization, User
from palpa.accounts.permissions import Capability, require, tenant_id
from palpa.audit.services import Action, record
from palpa.billing import capture
from palpa.billing.codes import load_codes
from palpa.billing.models import (
    Charge,
    ChargeLine,
    CodeMapping,
    Coverage,
    FeeScheduleEntry,
    Invoice,
    InvoiceItem,
    LedgerEntry,
    LocationBilling,
    PatientPrepaid,
    Payer,
    PrepaidPlan,
    SelfPayPrice,
    ServicePrice,
    TaxIdKind,
    UnitRule,
)
from palpa.billing.money import DEFAULT_CURRENCY, MAX_AMOUNT, round_money
from palpa.billing.queries import coverage_on
from palpa.care.catalog import catalog
from palpa.care.events import TreatmentNoteEnteredInError, TreatmentNoteSigned
from palpa.care.models import Plan, TreatmentNote
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.npi import validate_npi
from palpa.core.tenancy import require_same_organization
from palpa.patients.models import Patient
from palpa.scheduling.models import AppointmentType

logger = logging.getLogger(__name__)
Kind = LedgerEntry.Kind
Resp = LedgerEntry.Responsibility
MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


class LedgerRefused(Refused):
    code = "ledger"


class ChargeRefused(Refused):
    code = "charge"


# --- helpers ---------------------------------------------------------------------------


def _audit(
    actor: User | None,
    action: str,
    obj: Any,
    patient: Patient | None = None,
    *,
    organization_id: int | None = None,
    **detail: Any,
) -> None:
    record(
        actor=actor,
        action=action,
        obj=obj,
        organization=Organization(pk=organization_id) if organization_id else None,
        patient_id=str(patient.public_id) if patient is not None else "",
        detail=detail,
        actor_label="" if actor is not None else "billing",
    )


def parse_amount(value: Any, field: str = "amount", *, signed: bool = False) -> Decimal:
    """An amount typed by a person: at most 2 decimal places (never silently rounded),
    more than zero unless ``signed`` (then not zero), at most MAX_AMOUNT."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Enter an amount such as 45.00."}) from None
    if not amount.is_finite():
        raise ValidationError({field: "Enter an amount such as 45.00."})
    if abs(amount) > MAX_AMOUNT:  # first: 1e309 or 30 digits cannot even be rounded
        raise ValidationError({field: f"The amount is at most {MAX_AMOUNT}."})
    if amount != round_money(amount):
        raise ValidationError({field: "An amount has at most 2 decimal places (cents)."})
    if signed and amount == 0:
        raise ValidationError({field: "An adjustment is not zero."})
    if not signed and amount <= 0:
        raise ValidationError({field: "The amount is more than zero."})
    return round_money(amount)


def _account_currency(patient: Patient) -> str:
    first = LedgerEntry.objects.filter(patient=patient).values_list("currency", flat=True).first()
    return first or DEFAULT_CURRENCY


def _check_currency(patient: Patient, currency: str, field: str = "currency") -> None:
    if not CURRENCY.fullmatch(currency):
        raise ValidationError({field: "A currency is an ISO 4217 code such as USD."})
    account = _account_currency(patient)
    if currency != account:
        raise ValidationError({field: f"This patient's account is kept in {account}."})


def _post(
    *,
    actor: User,
    patient: Patient,
    kind: str,
    amount: Decimal,
    batch: uuid.UUID,
    responsibility: str = Resp.PATIENT,
    currency: str | None = None,
    posted_on: dt.date | None = None,
    **fields: Any,
) -> LedgerEntry:
    entry = LedgerEntry(
        organization_id=patient.organization_id,
        patient=patient,
        kind=kind,
        amount=round_money(amount),
        responsibility=responsibility,
        currency=currency or _account_currency(patient),
        posted_on=posted_on or local_today(patient),
        posted_at=timezone.now(),
        posted_by=actor,
        batch=batch,
        **fields,
    )
    entry.save()
    return entry


def _entry_detail(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "entry": str(entry.public_id),
        "kind": entry.kind,
        "amount": str(entry.amount),
        "currency": entry.currency,
        "responsibility": entry.responsibility,
    }


def _lock_patient(patient: Patient) -> None:
    """Writers of one account take turns (SQLite serializes writers anyway)."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()


# --- configuration ----------------------------------------------------------------------


def _check_code(code: str, field: str = "code") -> str:
    code = code.strip().upper()
    if code not in load_codes().codes:
        known = ", ".join(load_codes().codes)
        raise ValidationError(
            {field: f"{code or '(empty)'} is not in Palpa's code book ({known})."}
        )
    return code


def _check_modifiers(modifiers: Iterable[str]) -> list[str]:
    found = [m.strip().upper() for m in modifiers if m.strip()]
    bad = [m for m in found if not MODIFIER.fullmatch(m)]
    if bad:
        raise ValidationError(
            {"modifiers": f"A modifier is 2 letters or digits: {', '.join(bad)}."}
        )
    if len(found) > 4:
        raise ValidationError({"modifiers": "At most 4 modifiers per line."})
    return found


def _settings_audit(actor: User, obj: Any, **detail: Any) -> None:
    _audit(actor, Action.SETTINGS, obj, **detail)


def add_payer(
    *,
    actor: User,
    name: str,
    unit_rule: str = UnitRule.CMS,
    payer_code: str = "",
    modifiers: Iterable[str] = (),
    currency: str = DEFAULT_CURRENCY,
    diagnosis_pointers: int = 4,
) -> Payer:
    require(actor, Capability.BILLING_CONFIGURE)
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Name the payer."
    elif Payer.objects.filter(organization_id=tenant_id(actor), name=name.strip()).exists():
        errors["name"] = "A payer of this name exists already."
    if unit_rule not in UnitRule.values:
        errors["unit_rule"] = "The unit rule is cms or per-code."
    if not CURRENCY.fullmatch(currency):
        errors["currency"] = "A currency is an ISO 4217 code such as USD."
    if not 1 <= diagnosis_pointers <= capture.claim_form().max_pointers:
        errors["diagnosis_pointers"] = (
            f"Between 1 and {capture.claim_form().max_pointers} pointers per line."
        )
    if errors:
        raise ValidationError(errors)
    payer = Payer(
        organization_id=tenant_id(actor),
        name=name.strip(),
        payer_code=payer_code.strip(),
        unit_rule=unit_rule,
        modifiers=_check_modifiers(modifiers),
        currency=currency,
        diagnosis_pointers=diagnosis_pointers,
    )
    with transaction.atomic():
        payer.save()
        _settings_audit(actor, payer, created=True, unit_rule=unit_rule, modifiers=payer.modifiers)
    return payer


PAYER_FIELDS = ("name", "payer_code", "unit_rule", "modifiers", "active", "diagnosis_pointers")


def update_payer(*, actor: User, payer: Payer, changes: dict[str, Any]) -> Payer:
    require(actor, Capability.BILLING_CONFIGURE)
    require_same_organization(actor, payer)
    unknown = sorted(set(changes) - set(PAYER_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    if "modifiers" in changes:
        changes["modifiers"] = _check_modifiers(changes["modifiers"])
    if "unit_rule" in changes and changes["unit_rule"] not in UnitRule.values:
        raise ValidationError({"unit_rule": "The unit rule is cms or per-code."})
    pointers = changes.get("diagnosis_pointers", payer.diagnosis_pointers)
    if not 1 <= pointers <= capture.claim_form().max_pointers:
        raise ValidationError({"diagnosis_pointers": "Between 1 and 4 pointers per line."})
    for name, value in changes.items():
        setattr(payer, name, value.strip() if isinstance(value, str) else value)
    if not payer.name:
        raise ValidationError({"name": "Name the payer."})
    with transaction.atomic():
        payer.save()
        _settings_audit(actor, payer, changed=sorted(changes))
    return payer


def set_fee(*, actor: User, payer: Payer, code: str, unit_price: Any) -> FeeScheduleEntry:
    """The payer's price of one unit of ``code`` (replaces an earlier price; charges
    already captured keep theirs)."""
    require(actor, Capability.BILLING_CONFIGURE)
    require_same_organization(actor, payer)
    code = _check_code(code)
    price = parse_amount(unit_price, "unit_price")
    with transaction.atomic():
        fee, _ = FeeScheduleEntry.objects.update_or_create(
            payer=payer,
            code=code,
            defaults={"unit_price": price, "organization_id": payer.organization_id},
        )
        _settings_audit(actor, payer, fee={"code": code, "unit_price": str(price)})
    return fee


def set_self_pay_price(
    *, actor: User, location: Location, code: str, unit_price: Any, currency: str = DEFAULT_CURRENCY
) -> SelfPayPrice:
    require(actor, Capability.BILLING_CONFIGURE)
    require_same_organization(actor, location)
    code = _check_code(code)
    price = parse_amount(unit_price, "unit_price")
    if not CURRENCY.fullmatch(currency):
        raise ValidationError({"currency": "A currency is an ISO 4217 code such as USD."})
    with transaction.atomic():
        found, _ = SelfPayPrice.objects.update_or_create(
            location=location,
            code=code,
            defaults={
                "unit_price": price,
                "currency": currency,
                "organization_id": location.organization_id,
            },
        )
        _settings_audit(actor, found, code=code, unit_price=str(price), location=location.name)
    return found


def set_service_price(
    *,
    actor: User,
    location: Location,
    appointment_type: AppointmentType,
    price: Any,
    currency: str = DEFAULT_CURRENCY,
) -> ServicePrice:
    """A location's self-pay price of a service (an appointment type): what a self-pay
    visit booked as it costs, whatever its codes and units."""
    require(actor, Capability.BILLING_CONFIGURE)
    require_same_organization(actor, location, appointment_type)
    value = parse_amount(price, "price")
    if not appointment_type.active:
        raise ValidationError({"appointment_type": "This appointment type is retired."})
    if not CURRENCY.fullmatch(currency):
        raise ValidationError({"currency": "A currency is an ISO 4217 code such as USD."})
    with transaction.atomic():
        found, _ = ServicePrice.objects.update_or_create(
            location=location,
            appointment_type=appointment_type,
            defaults={
                "price": value,
                "currency": currency,
                "organization_id": location.organization_id,
            },
        )
        _settings_audit(
            actor,
            found,
            service=appointment_type.name,
            price=str(value),
            location=location.name,
        )
    return found


def map_technique(*, actor: User, technique: str, code: str) -> CodeMapping:
    """The organization's code for a technique; an empty code: not billed."""
    require(actor, Capability.BILLING_CONFIGURE)
    if technique not in catalog().techniques:
        raise ValidationError({"technique": f"{technique!r} is not in the technique catalog."})
    code = _check_code(code) if code.strip() else ""
    with transaction.atomic():
        mapping, _ = CodeMapping.objects.update_or_create(
            organization_id=tenant_id(actor),
            technique=technique,
            defaults={"code": code},
        )
        _settings_audit(actor, mapping, technique=technique, code=code)
    return mapping


def set_place_of_service(*, actor: User, location: Location, code: str) -> LocationBilling:
    require(actor, Capability.BILLING_CONFIGURE)
    require_same_organization(actor, location)
    places = capture.claim_form().places_of_service
    if code not in places:
        listed = ", ".join(f"{c} {label}" for c, label in places.items())
        raise ValidationError({"place_of_service": f"Use a listed code: {listed}."})
    with transaction.atomic():
        found, _ = LocationBilling.objects.update_or_create(
            location=location,
            defaults={"place_of_service": code, "organization_id": location.organization_id},
        )
        _settings_audit(actor, found, place_of_service=code, location=location.name)
    return found


# Federal tax id (1500 item 25): an EIN is written 12-3456789, an SSN 123-45-6789; both
# are nine digits and are stored as digits only. SSNs never issued (Social Security
# Administration, "Social Security Number Randomization": area 000, 666 and 900-999,
# group 00 and serial 0000 are not assigned) are refused as typing slips.
TAX_ID_WRITTEN = {
    TaxIdKind.EIN: (re.compile(r"^[0-9]{2}-[0-9]{7}$"), "12-3456789"),
    TaxIdKind.SSN: (re.compile(r"^[0-9]{3}-[0-9]{2}-[0-9]{4}$"), "123-45-6789"),
}


def parse_tax_id(value: str, kind: str) -> str:
    """The tax id's nine digits, from digits alone or written with the kind's hyphens;
    ValidationError naming ``tax_id`` or ``tax_id_kind`` and the rule otherwise."""
    value = value.strip()
    if not value:
        return ""
    if kind not in TaxIdKind.values:
        raise ValidationError({"tax_id_kind": "Say what the tax id is: ein or ssn."})
    pattern, example = TAX_ID_WRITTEN[TaxIdKind(kind)]
    label = "An EIN" if kind == TaxIdKind.EIN else "An SSN"
    if not (re.fullmatch(r"[0-9]{9}", value) or pattern.fullmatch(value)):
        raise ValidationError(
            {"tax_id": f"{label} is 9 digits, written {example} or without the hyphens."}
        )
    digits = value.replace("-", "")
    if kind == TaxIdKind.SSN and (
        digits[:3] in ("000", "666")
        or digits[0] == "9"
        or digits[3:5] == "00"
        or digits[5:] == "0000"
    ):
        raise ValidationError(
            {
                "tax_id": "This SSN cannot exist (no SSN starts 000, 666 or 9, has group 00 or "
                "serial 0000): please re-check the number."
            }
        )
    if kind == TaxIdKind.EIN and digits[:2] == "00":
        raise ValidationError({"tax_id": "No EIN starts with 00: please re-check the number."})
    return digits


def _check_npi(value: str, field: str) -> str:
    value = value.strip()
    try:
        validate_npi(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    return value


def set_billing_identifiers(
    *,
    actor: User,
    location: Location,
    tax_id: str,
    tax_id_kind: str,
    billing_npi: str,
    facility_npi: str = "",
) -> LocationBilling:
    """The location's 1500 identifiers, all four replaced: the federal tax id (item 25)
    and its kind, the billing provider's NPI (item 33a) and the facility's (item 32a).
    An empty value clears one; the audit entry names the tax id by its last four digits."""
    require(actor, Capability.BILLING_CONFIGURE)
    require_same_organization(actor, location)
    kind = tax_id_kind.strip().lower()
    errors: dict[str, list[str]] = {}
    digits = ""
    try:
        digits = parse_tax_id(tax_id, kind)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if kind and kind not in TaxIdKind.values:
        errors["tax_id_kind"] = ["The kind of tax id is ein or ssn."]
    for field, value in (("billing_npi", billing_npi), ("facility_npi", facility_npi)):
        try:
            _check_npi(value, field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    values = {
        "tax_id": digits,
        "tax_id_kind": kind if digits else "",
        "billing_npi": billing_npi.strip(),
        "facility_npi": facility_npi.strip(),
    }
    with transaction.atomic():
        found, _ = LocationBilling.objects.update_or_create(
            location=location,
            defaults={**values, "organization_id": location.organization_id},
        )
        _settings_audit(
            actor,
            found,
            location=location.name,
            tax_id=found.tax_id_masked,
            tax_id_kind=found.tax_id_kind,
            billing_npi=found.billing_npi,
            facility_npi=found.facility_npi,
        )
    return found


def add_prepaid_plan(
    *,
    actor: User,
    kind: str,
    name: str,
    visits: int,
    price: Any,
    minutes_per_visit: int | None = None,
    location: Location | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> PrepaidPlan:
    require(actor, Capability.BILLING_CONFIGURE)
    require_same_organization(actor, location)
    errors: dict[str, str] = {}
    if kind not in PrepaidPlan.Kind.values:
        errors["kind"] = "A prepaid plan is a package or a membership."
    if not name.strip():
        errors["name"] = "Name the package or membership."
    elif PrepaidPlan.objects.filter(organization_id=tenant_id(actor), name=name.strip()):
        errors["name"] = "A package or membership of this name exists already."
    if not 1 <= visits <= 100:
        errors["visits"] = "Between 1 and 100 visits."
    if minutes_per_visit is not None and not 1 <= minutes_per_visit <= 180:
        errors["minutes_per_visit"] = "Between 1 and 180 minutes."
    if errors:
        raise ValidationError(errors)
    plan = PrepaidPlan(
        organization_id=tenant_id(actor),
        kind=kind,
        name=name.strip(),
        visits=visits,
        price=parse_amount(price, "price"),
        minutes_per_visit=minutes_per_visit,
        location=location,
        currency=currency,
    )
    with transaction.atomic():
        plan.save()
        _settings_audit(actor, plan, kind=kind, visits=visits, price=str(plan.price))
    return plan


# --- coverage ---------------------------------------------------------------------------

COVERAGE_FIELDS = (
    "member_id",
    "group_number",
    "subscriber_name",
    "subscriber_relationship",
    "subscriber_date_of_birth",
    "ends_on",
)


def add_coverage(
    *,
    actor: User,
    patient: Patient,
    kind: str,
    starts_on: dt.date,
    payer: Payer | None = None,
    member_id: str = "",
    group_number: str = "",
    subscriber_name: str = "",
    subscriber_relationship: str = Coverage.Relationship.SELF,
    subscriber_date_of_birth: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Coverage:
    """Record who the patient's visits are billed to from ``starts_on``."""
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, patient, payer)
    errors: dict[str, str] = {}
    if kind == Coverage.Kind.INSURANCE:
        if payer is None:
            errors["payer"] = "Insurance coverage names the payer."
        elif not payer.active:
            errors["payer"] = f"{payer} is no longer active."
        if not member_id.strip():
            errors["member_id"] = "Insurance coverage needs the member id from the card."
    elif kind == Coverage.Kind.SELF_PAY:
        if payer is not None:
            errors["payer"] = "Self-pay coverage names no payer."
    else:
        errors["kind"] = "Coverage is insurance or self_pay."
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = "Coverage ends on or after the day it starts."
    if subscriber_relationship not in Coverage.Relationship.values:
        errors["subscriber_relationship"] = "self, spouse, child or other."
    if errors:
        raise ValidationError(errors)
    coverage = Coverage(
        organization_id=patient.organization_id,
        patient=patient,
        kind=kind,
        payer=payer,
        member_id=member_id.strip(),
        group_number=group_number.strip(),
        subscriber_name=subscriber_name.strip(),
        subscriber_relationship=subscriber_relationship,
        subscriber_date_of_birth=subscriber_date_of_birth,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    coverage.full_clean()
    with transaction.atomic():
        coverage.save()
        _audit(
            actor,
            Action.CREATE,
            coverage,
            patient,
            kind=kind,
            payer=payer.name if payer else None,
            starts_on=starts_on.isoformat(),
        )
    return coverage


def end_coverage(*, actor: User, coverage: Coverage, ends_on: dt.date) -> Coverage:
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, coverage)
    if coverage.status != Coverage.Status.ACTIVE:
        raise LedgerRefused("This coverage is not active.")
    if ends_on < coverage.starts_on:
        raise ValidationError({"ends_on": "Coverage ends on or after the day it starts."})
    with transaction.atomic():
        coverage.ends_on = ends_on
        coverage.status = (
            Coverage.Status.ENDED
            if ends_on < local_today(coverage.patient)
            else Coverage.Status.ACTIVE
        )
        coverage.save(update_fields=["ends_on", "status", "updated_at"])
        _audit(actor, Action.UPDATE, coverage, coverage.patient, ends_on=ends_on.isoformat())
    return coverage


def mark_coverage_entered_in_error(*, actor: User, coverage: Coverage, reason: str) -> Coverage:
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, coverage)
    if coverage.status == Coverage.Status.ENTERED_IN_ERROR:
        raise LedgerRefused("This coverage is already marked entered in error.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the coverage is in error."})
    with transaction.atomic():
        coverage.status = Coverage.Status.ENTERED_IN_ERROR
        coverage.status_reason = reason.strip()
        coverage.save(update_fields=["status", "status_reason", "updated_at"])
        _audit(actor, Action.DELETE, coverage, coverage.patient, reason=reason.strip())
    return coverage


# --- charge capture ---------------------------------------------------------------------


def code_map(organization_id: int) -> dict[str, str | None]:
    """technique -> code for an organization: its own map over the code book's defaults."""
    book = load_codes()
    found: dict[str, str | None] = {t: entry.code for t, entry in book.techniques.items()}
    for technique, code in CodeMapping.objects.filter(organization_id=organization_id).values_list(
        "technique", "code"
    ):
        found[technique] = code or None
    return found


def _diagnoses(note: TreatmentNote) -> list[str]:
    """The ICD-10-CM codes of the visit's plan of care, primary first: the note's plan,
    else the patient's plan of care in effect on the visit date."""
    plan = note.plan_of_care
    if plan is None:
        plan = (
            Plan.objects.filter(
                patient_id=note.patient_id,
                status__in=[Plan.Status.ACTIVE, Plan.Status.COMPLETED, Plan.Status.SUPERSEDED],
                starts_on__lte=note.visit_date,
            )
            .order_by("-starts_on", "-version")
            .first()
        )
    if plan is None:
        return []
    codes = [d.code for d in plan.diagnoses.order_by("rank")]
    return codes[: capture.claim_form().max_diagnoses]


def _draw_from(patient: Patient, location: Location, on: dt.date) -> PatientPrepaid | None:
    """The package or membership this self-pay visit is drawn from (oldest first)."""
    candidates = (
        PatientPrepaid.objects.filter(
            patient=patient,
            status__in=[PatientPrepaid.Status.ACTIVE, PatientPrepaid.Status.ENDED],
            starts_on__lte=on,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .filter(Q(plan__location__isnull=True) | Q(plan__location=location))
        .order_by("starts_on", "pk")
    )
    for prepaid in candidates:
        if visits_left(prepaid, on) > 0:
            return prepaid
    return None


def visits_left(prepaid: PatientPrepaid, on: dt.date) -> int:
    """Visits left: of a package in all, of a membership in the month of ``on``."""
    draws = Charge.objects.filter(prepaid=prepaid).exclude(status=Charge.Status.VOID)
    if prepaid.kind == PrepaidPlan.Kind.MEMBERSHIP:
        draws = draws.filter(date_of_service__year=on.year, date_of_service__month=on.month)
    return max(prepaid.visits - draws.count(), 0)


def no_service_price(service: str, location: str) -> str:
    return (
        f"No self-pay price for {service} at {location}: set it under Billing → Settings → "
        "Service prices, then recalculate."
    )


def _compute(note: TreatmentNote) -> dict[str, Any]:
    """Everything a charge for ``note`` holds, from today's configuration."""
    coverage = coverage_on(note.patient, note.visit_date)
    payer = coverage.payer if coverage and coverage.kind == Coverage.Kind.INSURANCE else None
    if payer is not None:
        rule = payer.unit_rule
        prices = dict(
            FeeScheduleEntry.objects.filter(payer=payer).values_list("code", "unit_price")
        )
        currency = payer.currency
        modifiers = list(payer.modifiers)
        pointers = payer.diagnosis_pointers
    else:
        rule = UnitRule.CMS
        own = SelfPayPrice.objects.filter(location=note.location)
        prices = dict(own.values_list("code", "unit_price"))
        currency = own.values_list("currency", flat=True).first() or DEFAULT_CURRENCY
        modifiers = []
        pointers = capture.claim_form().max_pointers
    diagnoses = _diagnoses(note)
    techniques = [(t.technique, t.minutes) for t in note.techniques.all()]
    book = load_codes()
    draft = capture.build_charge(
        techniques,
        code_for=code_map(note.organization_id),
        timed_codes=book.timed_codes(),
        rule=rule,  # type: ignore[arg-type]
        prices=prices,
        modifiers=modifiers,
        diagnoses=len(diagnoses),
        max_pointers=pointers,
    )
    service, service_price = None, None
    if payer is None and note.appointment_id is not None:
        service = note.appointment.appointment_type  # type: ignore[union-attr]
        found = ServicePrice.objects.filter(
            location=note.location, appointment_type=service
        ).first()
        if found is not None:
            service_price, currency = found.price, found.currency
            draft = capture.price_per_service(draft, found.price)
        else:
            draft = capture.price_per_service(draft, Decimal(0))
            draft = capture.Draft(
                draft.lines,
                draft.total,
                (no_service_price(service.name, note.location.name), *draft.problems),
                draft.notes,
            )
    problems = list(draft.problems)
    npi = note.practitioner.npi
    if payer is not None and not npi:
        problems.append(f"{note.practitioner} has no NPI: insurers need the rendering NPI.")
    prepaid = (
        None if payer is not None else _draw_from(note.patient, note.location, note.visit_date)
    )
    if prepaid is not None and prepaid.plan.minutes_per_visit:
        minutes = sum(m for _, m in techniques)
        if minutes > prepaid.plan.minutes_per_visit:
            problems.append(
                f"The visit lasted {minutes} min; {prepaid.plan} covers "
                f"{prepaid.plan.minutes_per_visit} min a visit."
            )
    setting = LocationBilling.objects.filter(location=note.location).first()
    return {
        "header": {
            "coverage": coverage,
            "payer": payer,
            "unit_rule": rule,
            "service": service,
            "service_price": service_price,
            "diagnoses": diagnoses,
            "prepaid": prepaid,
            "rendering_provider": note.practitioner,
            "rendering_npi": npi,
            "location": note.location,
            "place_of_service": (
                setting.place_of_service
                if setting
                else capture.claim_form().default_place_of_service
            ),
            "date_of_service": note.visit_date,
            "total": draft.total,
            "currency": currency,
            "problems": problems,
            "codes_version": book.version,
        },
        "lines": draft.lines,
    }


def _write_lines(charge: Charge, lines: Iterable[capture.Line]) -> None:
    for position, line in enumerate(lines):
        ChargeLine.objects.create(
            organization_id=charge.organization_id,
            charge=charge,
            position=position,
            code=line.code,
            timed=line.timed,
            minutes=line.minutes,
            units=line.units,
            modifiers=list(line.modifiers),
            diagnosis_pointers=list(line.pointers),
            techniques=list(line.techniques),
            unit_price=line.unit_price,
            amount=line.amount,
        )


def _lines_detail(charge: Charge) -> list[dict[str, Any]]:
    return [
        {
            "code": line.code,
            "units": line.units,
            "minutes": line.minutes,
            "amount": str(line.amount),
        }
        for line in charge.lines.all()
    ]


def capture_note_charges(*, note: TreatmentNote, actor: User | None = None) -> Charge | None:
    """Create the charge of a signed note; the existing one if it was captured already.

    The note's signer is the actor of record unless one is given. Notes that are not
    signed are not charged (None)."""
    existing = Charge.objects.filter(note=note).first()
    if existing is not None:
        return existing
    if note.status != TreatmentNote.Status.SIGNED:
        return None
    who = actor or note.signed_by
    computed = _compute(note)
    charge = Charge(
        organization_id=note.organization_id, note=note, patient=note.patient, **computed["header"]
    )
    try:
        with transaction.atomic():
            charge.save()
            _write_lines(charge, computed["lines"])
            _audit(
                who,
                Action.CREATE,
                charge,
                note.patient,
                organization_id=note.organization_id,
                note=str(note.public_id),
                lines=_lines_detail(charge),
                total=str(charge.total),
                problems=charge.problems,
            )
    except IntegrityError:  # captured a moment ago by another worker: never twice
        found = Charge.objects.filter(note=note).first()
        if found is None:
            raise
        return found
    return charge


def on_note_signed(event: TreatmentNoteSigned) -> None:
    """Subscribed in BillingConfig.ready(); runs after the signing commits. A failure is
    logged and never undoes the signature: ``palpa capture_charges`` catches up."""
    try:
        note = TreatmentNote.objects.select_related("patient", "practitioner", "location").get(
            pk=event.note_id
        )
        capture_note_charges(note=note)
    except Exception:
        logger.exception("Charge capture failed for treatment note %s", event.note_id)


def on_note_entered_in_error(event: TreatmentNoteEnteredInError) -> None:
    try:
        charge = Charge.objects.filter(note_id=event.note_id).first()
        if charge is None or charge.status == Charge.Status.VOID:
            return
        actor = User.objects.get(pk=event.actor_id)
        _void(actor, charge, "The treatment note was entered in error.", in_error=True)
    except Exception:
        logger.exception("Voiding the charge of treatment note %s failed", event.note_id)


def capture_missing(*, organization_id: int | None = None) -> list[Charge]:
    """Capture every signed note that has no charge yet (after a failed capture)."""
    notes = TreatmentNote.objects.filter(
        status=TreatmentNote.Status.SIGNED, charge__isnull=True
    ).select_related("patient", "practitioner", "location", "signed_by")
    if organization_id is not None:
        notes = notes.filter(organization_id=organization_id)
    found = [capture_note_charges(note=note) for note in notes]
    return [c for c in found if c is not None]


def recalculate_charge(*, actor: User, charge: Charge) -> Charge:
    """Rebuild a charge still to review from today's configuration (a fee added, a
    coverage recorded late, a code re-mapped)."""
    require(actor, Capability.BILLING_REVIEW_CHARGES)
    require_same_organization(actor, charge)
    with transaction.atomic():
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        if locked.status != Charge.Status.TO_REVIEW:
            raise ChargeRefused(
                f"This charge is {locked.get_status_display().lower()}; only charges to "
                "review are recalculated."
            )
        before = _lines_detail(locked)
        computed = _compute(locked.note)
        for name, value in computed["header"].items():
            setattr(locked, name, value)
        locked.save()
        ChargeLine.objects.filter(charge=locked).delete()  # not yet posted: a draft
        _write_lines(locked, computed["lines"])
        _audit(
            actor,
            Action.UPDATE,
            locked,
            locked.patient,
            recalculated=True,
            before=before,
            after=_lines_detail(locked),
            total=str(locked.total),
        )
    return locked


def blocking_problems(charge: Charge) -> list[str]:
    """What stops a charge from being marked ready."""
    problems: list[str] = []
    lines = list(charge.lines.all())
    if charge.service_id is not None:
        if charge.service_price is None:
            problems.append(
                no_service_price(charge.service.name, charge.location.name)  # type: ignore[union-attr]
            )
    else:
        problems.extend(f"No price for {line.code}." for line in lines if line.unit_price is None)
    if charge.payer_id is not None:
        if not charge.rendering_npi:
            problems.append("The rendering provider has no NPI.")
        if not charge.diagnoses:
            problems.append("No diagnosis: link the note to a plan of care.")
        coverage = charge.coverage
        if coverage is not None and coverage.status == Coverage.Status.ENTERED_IN_ERROR:
            problems.append("The coverage was entered in error; recalculate.")
        elif (
            coverage is not None and coverage.ends_on and coverage.ends_on < charge.date_of_service
        ):
            problems.append("The coverage ended before this visit; recalculate.")
    return problems


def mark_charge_ready(*, actor: User, charge: Charge) -> Charge:
    """The biller has reviewed the charge: post it to the ledger (and, for a visit drawn
    from a package or membership, the matching prepaid credit)."""
    require(actor, Capability.BILLING_REVIEW_CHARGES)
    require_same_organization(actor, charge)
    with transaction.atomic():
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        if locked.status != Charge.Status.TO_REVIEW:
            raise ChargeRefused(f"This charge is {locked.get_status_display().lower()} already.")
        problems = blocking_problems(locked)
        if problems:
            raise ChargeRefused("Not ready: " + " ".join(problems))
        _lock_patient(locked.patient)
        batch = uuid.uuid4()
        posted: list[LedgerEntry] = []
        if locked.total > 0:
            _check_currency(locked.patient, locked.currency)
            posted.append(
                _post(
                    actor=actor,
                    patient=locked.patient,
                    kind=Kind.CHARGE,
                    amount=locked.total,
                    batch=batch,
                    responsibility=Resp.INSURER if locked.payer_id else Resp.PATIENT,
                    currency=locked.currency,
                    charge=locked,
                    payer=locked.payer,
                    memo=f"Visit {locked.date_of_service.isoformat()}",
                )
            )
            if locked.prepaid is not None:
                posted.append(
                    _post(
                        actor=actor,
                        patient=locked.patient,
                        kind=Kind.PREPAID_CREDIT,
                        amount=-locked.total,
                        batch=batch,
                        currency=locked.currency,
                        charge=locked,
                        prepaid=locked.prepaid,
                        memo=f"Drawn from {locked.prepaid.plan}",
                    )
                )
        locked.status = Charge.Status.READY
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
        _audit(
            actor,
            Action.UPDATE,
            locked,
            locked.patient,
            ready=True,
            posted=[_entry_detail(e) for e in posted],
        )
    return locked


def _void(actor: User, charge: Charge, reason: str, *, in_error: bool = False) -> Charge:
    with transaction.atomic():
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        if locked.status == Charge.Status.VOID:
            return locked
        _lock_patient(locked.patient)
        batch = uuid.uuid4()
        reversed_: list[LedgerEntry] = []
        for entry in LedgerEntry.objects.filter(charge=locked, reversed_by__isnull=True).exclude(
            kind=Kind.REVERSAL
        ):
            reversed_.append(
                _post(
                    actor=actor,
                    patient=locked.patient,
                    kind=Kind.REVERSAL,
                    amount=-entry.amount,
                    batch=batch,
                    responsibility=entry.responsibility,
                    currency=entry.currency,
                    charge=locked,
                    payer=entry.payer,
                    prepaid=entry.prepaid,
                    reverses=entry,
                    reason=(
                        LedgerEntry.Reason.NOTE_IN_ERROR
                        if in_error
                        else LedgerEntry.Reason.CORRECTION
                    ),
                    memo=reason[:300],
                )
            )
        previous = locked.status
        locked.status = Charge.Status.VOID
        locked.status_reason = reason[:300]
        locked.save(update_fields=["status", "status_reason", "updated_at"])
        _audit(
            actor,
            Action.DELETE,
            locked,
            locked.patient,
            voided=True,
            was=previous,
            reason=reason,
            reversed=[_entry_detail(e) for e in reversed_],
        )
    return locked


def void_charge(*, actor: User, charge: Charge, reason: str) -> Charge:
    """Void a charge (kept, with the reason); what was posted is reversed."""
    require(actor, Capability.BILLING_REVIEW_CHARGES)
    require_same_organization(actor, charge)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the charge is void."})
    return _void(actor, charge, reason.strip())


# --- payments, refunds, adjustments, reversals -------------------------------------------


def record_payment(
    *,
    actor: User,
    patient: Patient,
    amount: Any,
    method: str,
    reference: str = "",
    payer: Payer | None = None,
    memo: str = "",
    currency: str | None = None,
    posted_on: dt.date | None = None,
    charge: Charge | None = None,
) -> LedgerEntry:
    """A payment received: from the patient (cash, card, check, other) or an insurer;
    with ``charge``, applied to that visit (claim item 29 and the superbill's "paid"
    count it), at most what is open on the visit."""
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, patient, payer, charge)
    value = parse_amount(amount)
    errors: dict[str, str] = {}
    if charge is not None:
        if charge.patient_id != patient.pk:
            errors["charge"] = "This visit is another patient's."
        elif charge.status == Charge.Status.VOID:
            errors["charge"] = "This visit's charge is void: it takes no payment."
        else:
            left = open_on_visit(charge)
            if value > left:
                errors["amount"] = (
                    f"More than is open on this visit ({left} {charge.currency}); "
                    "record the rest without a visit."
                )
    if method not in LedgerEntry.Method.values or not method:
        errors["method"] = "cash, card, check, insurer or other."
    if method == LedgerEntry.Method.CARD and not reference.strip():
        errors["reference"] = "A card payment records the terminal's reference."
    if method == LedgerEntry.Method.INSURER and payer is None:
        errors["payer"] = "An insurer payment names the payer."
    if method != LedgerEntry.Method.INSURER and payer is not None:
        errors["payer"] = "Only an insurer payment names a payer."
    if posted_on is not None and posted_on > local_today(patient):
        errors["posted_on"] = "A payment is recorded on or after the day it was received."
    if errors:
        raise ValidationError(errors)
    _check_currency(patient, currency or _account_currency(patient))
    with transaction.atomic():
        _lock_patient(patient)
        entry = _post(
            actor=actor,
            patient=patient,
            kind=Kind.PAYMENT,
            amount=-value,
            batch=uuid.uuid4(),
            responsibility=Resp.INSURER if payer is not None else Resp.PATIENT,
            currency=currency,
            posted_on=posted_on,
            payer=payer,
            method=method,
            reference=reference.strip()[:100],
            memo=memo.strip()[:300],
            charge=charge,
        )
        visit: dict[str, Any] = {"visit": str(charge.public_id)} if charge is not None else {}
        _audit(actor, Action.CREATE, entry, patient, **_entry_detail(entry), method=method, **visit)
    return entry


APPLIED_KINDS = (Kind.PAYMENT, Kind.REFUND, Kind.ADJUSTMENT, Kind.PREPAID_CREDIT)


def open_on_visit(charge: Charge) -> Decimal:
    """What is still owed on a visit: its total less the payments, prepaid draws and
    adjustments applied to it (refunds add back)."""
    applied = LedgerEntry.objects.filter(charge=charge, kind__in=APPLIED_KINDS).aggregate(
        s=Sum("amount")
    )["s"] or Decimal(0)
    return max(round_money(charge.total + applied), Decimal(0))


def refundable(payment: LedgerEntry) -> Decimal:
    """What of a payment can still be refunded: its amount less refunds not reversed."""
    if payment.kind != Kind.PAYMENT or _is_reversed(payment):
        return Decimal("0.00")
    refunded = LedgerEntry.objects.filter(refund_of=payment, reversed_by__isnull=True).aggregate(
        total=Sum("amount")
    )["total"]
    return round_money(-payment.amount - (refunded or 0))


def _is_reversed(entry: LedgerEntry) -> bool:
    """Whether a reversal names this entry."""
    return LedgerEntry.objects.filter(reverses=entry).exists()


def refund_payment(*, actor: User, payment: LedgerEntry, amount: Any, memo: str) -> LedgerEntry:
    """Give money back from a payment (at most what is left of it)."""
    require(actor, Capability.BILLING_CORRECT_LEDGER)
    require_same_organization(actor, payment)
    value = parse_amount(amount)
    if not memo.strip():
        raise ValidationError({"memo": "Say why the money is refunded."})
    with transaction.atomic():
        locked = LedgerEntry.objects.select_for_update().get(pk=payment.pk)
        if locked.kind != Kind.PAYMENT:
            raise LedgerRefused("Only a payment is refunded.")
        left = refundable(locked)
        if value > left:
            raise LedgerRefused(f"At most {left} {locked.currency} of this payment is left.")
        entry = _post(
            actor=actor,
            patient=locked.patient,
            kind=Kind.REFUND,
            amount=value,
            batch=uuid.uuid4(),
            responsibility=locked.responsibility,
            currency=locked.currency,
            payer=locked.payer,
            method=locked.method,
            reference=locked.reference,
            refund_of=locked,
            memo=memo.strip()[:300],
            charge=locked.charge,
        )
        _audit(actor, Action.CREATE, entry, locked.patient, **_entry_detail(entry), of=str(locked))
    return entry


ADJUSTMENT_REASONS = (
    LedgerEntry.Reason.CONTRACTUAL,
    LedgerEntry.Reason.WRITE_OFF,
    LedgerEntry.Reason.COURTESY,
    LedgerEntry.Reason.CORRECTION,
    LedgerEntry.Reason.OTHER,
)


def post_adjustment(
    *,
    actor: User,
    patient: Patient,
    amount: Any,
    reason: str,
    memo: str,
    responsibility: str = Resp.PATIENT,
    payer: Payer | None = None,
) -> LedgerEntry:
    """An adjustment with its reason: negative lowers the balance (a write-off, a
    contractual adjustment), positive raises it."""
    require(actor, Capability.BILLING_CORRECT_LEDGER)
    require_same_organization(actor, patient, payer)
    value = parse_amount(amount, signed=True)
    errors: dict[str, str] = {}
    if reason not in ADJUSTMENT_REASONS:
        errors["reason"] = "contractual, write_off, courtesy, correction or other."
    if not memo.strip():
        errors["memo"] = "Describe the adjustment."
    if responsibility not in Resp.values:
        errors["responsibility"] = "patient or insurer."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _lock_patient(patient)
        entry = _post(
            actor=actor,
            patient=patient,
            kind=Kind.ADJUSTMENT,
            amount=value,
            batch=uuid.uuid4(),
            responsibility=responsibility,
            payer=payer,
            reason=reason,
            memo=memo.strip()[:300],
        )
        _audit(actor, Action.CREATE, entry, patient, **_entry_detail(entry), reason=reason)
    return entry


def transfer_to_patient(
    *, actor: User, patient: Patient, amount: Any, memo: str, payer: Payer | None = None
) -> list[LedgerEntry]:
    """Move an amount the insurer will not pay to the patient's responsibility: two
    entries in one batch that add up to zero."""
    require(actor, Capability.BILLING_CORRECT_LEDGER)
    require_same_organization(actor, patient, payer)
    value = parse_amount(amount)
    if not memo.strip():
        raise ValidationError({"memo": "Say why (e.g. deductible, denied, not covered)."})
    with transaction.atomic():
        _lock_patient(patient)
        owed = LedgerEntry.objects.filter(patient=patient, responsibility=Resp.INSURER).aggregate(
            total=Sum("amount")
        )["total"] or Decimal(0)
        if value > owed:
            raise LedgerRefused(f"The insurer's part of this account is {round_money(owed)}.")
        batch = uuid.uuid4()
        common: dict[str, Any] = {
            "actor": actor,
            "patient": patient,
            "kind": Kind.ADJUSTMENT,
            "batch": batch,
            "payer": payer,
            "reason": LedgerEntry.Reason.TRANSFER,
            "memo": memo.strip()[:300],
        }
        pair = [
            _post(amount=-value, responsibility=Resp.INSURER, **common),
            _post(amount=value, responsibility=Resp.PATIENT, **common),
        ]
        _audit(
            actor,
            Action.CREATE,
            pair[1],
            patient,
            transfer=str(value),
            batch=str(batch),
        )
    return pair


def reverse_entry(*, actor: User, entry: LedgerEntry, memo: str) -> LedgerEntry:
    """Cancel a posted entry by its exact opposite (the entry itself stays)."""
    require(actor, Capability.BILLING_CORRECT_LEDGER)
    require_same_organization(actor, entry)
    if not memo.strip():
        raise ValidationError({"memo": "Say why the entry is reversed."})
    with transaction.atomic():
        locked = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.kind == Kind.REVERSAL:
            raise LedgerRefused("A reversal is not reversed; post the entry again instead.")
        if _is_reversed(locked):
            raise LedgerRefused("This entry was reversed already.")
        if locked.charge_id is not None:
            raise LedgerRefused("Entries of a visit's charge are reversed by voiding the charge.")
        if locked.reason == LedgerEntry.Reason.TRANSFER:
            raise LedgerRefused("A transfer is undone by a transfer back, not a reversal.")
        if LedgerEntry.objects.filter(refund_of=locked, reversed_by__isnull=True).exists():
            raise LedgerRefused("Reverse this payment's refunds first.")
        _lock_patient(locked.patient)
        reversal = _post(
            actor=actor,
            patient=locked.patient,
            kind=Kind.REVERSAL,
            amount=-locked.amount,
            batch=uuid.uuid4(),
            responsibility=locked.responsibility,
            currency=locked.currency,
            payer=locked.payer,
            prepaid=locked.prepaid,
            reverses=locked,
            reason=LedgerEntry.Reason.CORRECTION,
            memo=memo.strip()[:300],
        )
        _audit(
            actor,
            Action.CREATE,
            reversal,
            locked.patient,
            **_entry_detail(reversal),
            reverses=_entry_detail(locked),
        )
    return reversal


# --- invoices ---------------------------------------------------------------------------


def issue_invoice(*, actor: User, patient: Patient, issued_on: dt.date | None = None) -> Invoice:
    """Bill the patient for what is theirs and not yet invoiced (charges and amounts moved
    to them), numbered per organization."""
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, patient)
    with transaction.atomic():
        _lock_patient(patient)
        entries = list(
            LedgerEntry.objects.filter(
                patient=patient,
                responsibility=Resp.PATIENT,
                amount__gt=0,
                invoice_item__isnull=True,
                reversed_by__isnull=True,
            )
            .filter(
                Q(kind=Kind.CHARGE) | Q(kind=Kind.ADJUSTMENT, reason=LedgerEntry.Reason.TRANSFER)
            )
            .order_by("posted_at", "pk")
        )
        if not entries:
            raise LedgerRefused("Nothing new to invoice for this patient.")
        org = Organization.objects.select_for_update().get(pk=patient.organization_id)
        last = Invoice.objects.filter(organization=org).aggregate(n=Max("number"))["n"] or 0
        invoice = Invoice(
            organization=org,
            patient=patient,
            number=last + 1,
            issued_on=issued_on or local_today(patient),
            total=round_money(sum((e.amount for e in entries), Decimal(0))),
            currency=entries[0].currency,
            issued_by=actor,
        )
        invoice.save()
        for entry in entries:
            InvoiceItem.objects.create(organization=org, invoice=invoice, entry=entry)
        _audit(
            actor,
            Action.CREATE,
            invoice,
            patient,
            number=invoice.number,
            total=str(invoice.total),
            entries=[str(e.public_id) for e in entries],
        )
    return invoice


# --- packages and memberships ------------------------------------------------------------


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def sell_prepaid(
    *, actor: User, patient: Patient, plan: PrepaidPlan, starts_on: dt.date | None = None
) -> PatientPrepaid:
    """Sell a package (its price is charged once) or start a membership (the first
    month's fee is charged)."""
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, patient, plan)
    if not plan.active:
        raise LedgerRefused(f"{plan} is no longer sold.")
    if patient.status != Patient.Status.ACTIVE:
        raise LedgerRefused("The patient's record is not active.")
    start = starts_on or local_today(patient)
    _check_currency(patient, plan.currency)
    with transaction.atomic():
        _lock_patient(patient)
        prepaid = PatientPrepaid(
            organization_id=patient.organization_id,
            patient=patient,
            plan=plan,
            kind=plan.kind,
            visits=plan.visits,
            price=plan.price,
            currency=plan.currency,
            starts_on=start,
        )
        prepaid.save()
        posted = None
        if plan.price > 0:
            posted = _post(
                actor=actor,
                patient=patient,
                kind=Kind.CHARGE,
                amount=plan.price,
                batch=uuid.uuid4(),
                currency=plan.currency,
                prepaid=prepaid,
                period_start=_month(start) if plan.kind == PrepaidPlan.Kind.MEMBERSHIP else None,
                memo=f"{plan}",
            )
        _audit(
            actor,
            Action.CREATE,
            prepaid,
            patient,
            plan=plan.name,
            kind=plan.kind,
            posted=_entry_detail(posted) if posted else None,
        )
    return prepaid


def bill_membership_month(*, actor: User, prepaid: PatientPrepaid, month: dt.date) -> LedgerEntry:
    """Charge a membership's fee for the month of ``month`` (once a month)."""
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, prepaid)
    period = _month(month)
    if prepaid.kind != PrepaidPlan.Kind.MEMBERSHIP:
        raise LedgerRefused("Only a membership has a monthly fee.")
    if prepaid.status != PatientPrepaid.Status.ACTIVE or (
        prepaid.ends_on is not None and period > _month(prepaid.ends_on)
    ):
        raise LedgerRefused("This membership has ended.")
    if period < _month(prepaid.starts_on):
        raise ValidationError({"month": "The membership starts later."})
    if prepaid.price <= 0:
        raise LedgerRefused("This membership has no fee.")
    with transaction.atomic():
        _lock_patient(prepaid.patient)
        billed = LedgerEntry.objects.filter(
            prepaid=prepaid, kind=Kind.CHARGE, period_start=period, reversed_by__isnull=True
        )
        if billed.exists():
            raise LedgerRefused(f"The fee for {period:%B %Y} is charged already.")
        entry = _post(
            actor=actor,
            patient=prepaid.patient,
            kind=Kind.CHARGE,
            amount=prepaid.price,
            batch=uuid.uuid4(),
            currency=prepaid.currency,
            prepaid=prepaid,
            period_start=period,
            memo=f"{prepaid.plan}, {period:%B %Y}",
        )
        _audit(actor, Action.CREATE, entry, prepaid.patient, **_entry_detail(entry))
    return entry


def end_prepaid(*, actor: User, prepaid: PatientPrepaid, ends_on: dt.date) -> PatientPrepaid:
    require(actor, Capability.BILLING_POST_PAYMENT)
    require_same_organization(actor, prepaid)
    if prepaid.status != PatientPrepaid.Status.ACTIVE:
        raise LedgerRefused("This package or membership has already ended.")
    if ends_on < prepaid.starts_on:
        raise ValidationError({"ends_on": "It ends on or after the day it started."})
    with transaction.atomic():
        prepaid.ends_on = ends_on
        # Visits up to and including the last day still draw from it (see _draw_from).
        prepaid.status = (
            PatientPrepaid.Status.ENDED
            if ends_on < local_today(prepaid.patient)
            else PatientPrepaid.Status.ACTIVE
        )
        prepaid.save(update_fields=["ends_on", "status", "updated_at"])
        _audit(actor, Action.UPDATE, prepaid, prepaid.patient, ends_on=ends_on.isoformat())
    return prepaid


# --- audited reads -----------------------------------------------------------------------


def audit_account_read(*, actor: User, patient: Patient, what: str = "account") -> None:
    _audit(actor, Action.READ, patient, patient, view=f"billing {what}")


def audit_charge_read(*, actor: User, charge: Charge) -> None:
    _audit(actor, Action.READ, charge, charge.patient)


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
