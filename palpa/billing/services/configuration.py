"""The practice's billing settings: payers and their fee schedules, self-pay and
per-service prices, technique-to-code mappings, places of service, billing identifiers
and prepaid plans (the billing settings page, ``billing:settings_*``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, require, tenant_id
from palpa.audit.services import Action
from palpa.billing import capture
from palpa.billing.codes import load_codes
from palpa.billing.models import (
    CodeMapping,
    FeeScheduleEntry,
    LocationBilling,
    Payer,
    PrepaidPlan,
    SelfPayPrice,
    ServicePrice,
    TaxIdKind,
    UnitRule,
)
from palpa.billing.money import DEFAULT_CURRENCY
from palpa.billing.services._common import CURRENCY, _audit, parse_amount
from palpa.care.catalog import catalog
from palpa.core.npi import validate_npi
from palpa.core.tenancy import require_same_organization
from palpa.scheduling.models import AppointmentType

MODIFIER = re.compile(r"^[A-Z0-9]{2}$")


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
