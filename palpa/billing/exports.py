"""Claims data for a period, as CSV and JSON, with the fields of the 1500 claim form
(NUCC 1500 Health Insurance Claim Form, version 02/12), for a clearinghouse or a biller's
own tool. Palpa does not submit claims itself.

One claim is one insured visit: a charge that is ready to bill (posted) and billed to an
insurer. The JSON export holds each claim with its service lines (``lines``); the CSV has
one row per service line, with the claim's fields repeated on each row. ``COLUMNS`` names
every column with its 1500 item number (docs/billing.md lists them).

Values Palpa does not record (e.g. accident questions, item 10) are exported empty rather
than guessed; a claim missing something an insurer requires (the billing provider's tax
id or NPI, the rendering provider's NPI, a diagnosis) lists it under ``problems``.

Who may: owner and biller (every export is audited); other roles are refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Sum

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.audit.services import Action, record
from palpa.billing.documents import LETTERS, check_period, letters, money
from palpa.billing.models import Charge, Coverage, LedgerEntry, LocationBilling
from palpa.core.npi import is_valid_npi
from palpa.patients.models import Patient
from palpa.referrals.models import Referral, ReferralVisit

FORM_VERSION = "02/12"
ICD_INDICATOR = "0"  # item 21: 0 = ICD-10-CM
REFERRING_QUALIFIER = "DN"  # item 17: DN = referring provider
LINES_PER_FORM = 6  # item 24 has six service lines on the paper form

SEX = {"female": "F", "male": "M"}
RELATIONSHIP = {"self": "self", "spouse": "spouse", "child": "child", "other": "other"}


@dataclass(frozen=True)
class Column:
    key: str
    item: str  # the 1500 item number, or "" for Palpa's own keys
    what: str


CLAIM_COLUMNS: tuple[Column, ...] = (
    Column("claim_id", "", "Palpa's id of the claim (the visit's charge)"),
    Column("form_version", "", "1500 form version the fields follow (02/12)"),
    Column("payer_name", "carrier", "Insurer's name (carrier block, top right)"),
    Column("payer_id", "carrier", "Insurer's electronic payer id"),
    Column("insurance_type", "1", "Type of health insurance (empty: not recorded)"),
    Column("insured_id", "1a", "Insured's ID number (member id)"),
    Column("patient_last_name", "2", "Patient's last name"),
    Column("patient_first_name", "2", "Patient's first name"),
    Column("patient_birth_date", "3", "Patient's birth date (YYYY-MM-DD)"),
    Column("patient_sex", "3", "Patient's sex: M, F or empty"),
    Column("insured_name", "4", "Insured's (subscriber's) name"),
    Column("patient_address", "5", "Patient's street address"),
    Column("patient_city", "5", "Patient's city"),
    Column("patient_state", "5", "Patient's state"),
    Column("patient_zip", "5", "Patient's ZIP code"),
    Column("patient_phone", "5", "Patient's telephone"),
    Column(
        "patient_relationship", "6", "Patient's relationship to insured: self, spouse, child, other"
    ),
    Column("insured_address", "7", "Insured's street address (the patient's when self)"),
    Column("insured_city", "7", "Insured's city"),
    Column("insured_state", "7", "Insured's state"),
    Column("insured_zip", "7", "Insured's ZIP code"),
    Column("other_insured_name", "9", "Other insured's name (empty: one coverage per visit)"),
    Column("condition_employment", "10a", "Condition related to employment (not recorded)"),
    Column(
        "condition_auto_accident", "10b", "Condition related to an auto accident (not recorded)"
    ),
    Column(
        "condition_other_accident", "10c", "Condition related to another accident (not recorded)"
    ),
    Column("insured_group_number", "11", "Insured's policy group number"),
    Column("insured_birth_date", "11a", "Insured's birth date"),
    Column("insured_sex", "11a", "Insured's sex (the patient's when self)"),
    Column("insurance_plan_name", "11c", "Insurance plan or program name"),
    Column("patient_signature", "12", "Patient's signature: empty (not recorded in Palpa)"),
    Column("insured_signature", "13", "Insured's signature (assignment of benefits): empty"),
    Column("referring_qualifier", "17", "Qualifier of the referring provider: DN"),
    Column("referring_provider_name", "17", "Referring physician's name"),
    Column("referring_provider_npi", "17b", "Referring physician's NPI"),
    Column("icd_indicator", "21", "ICD indicator: 0 = ICD-10-CM"),
    *(
        Column(f"diagnosis_{letter.lower()}", "21", f"Diagnosis {letter} (ICD-10-CM)")
        for letter in LETTERS
    ),
    Column("prior_authorization", "23", "Prior authorization number (empty: not recorded)"),
    Column("federal_tax_id", "25", "Billing provider's federal tax id (EIN or SSN)"),
    Column("federal_tax_id_kind", "25", "EIN or SSN"),
    Column("patient_account_no", "26", "Patient's account number (Palpa MRN)"),
    Column("accept_assignment", "27", "Accept assignment (empty: the biller's choice)"),
    Column("total_charge", "28", "Total charge of the claim"),
    Column("amount_paid", "29", "Amount paid (by the patient, for this visit)"),
    Column("currency", "", "ISO 4217 currency of the amounts"),
    Column("provider_signature_name", "31", "Rendering provider's name and credentials"),
    Column("provider_signature_date", "31", "Date the treatment note was signed"),
    Column("facility_name", "32", "Service facility location name"),
    Column("facility_address", "32", "Service facility street address"),
    Column("facility_city_state_zip", "32", "Service facility city, state and ZIP"),
    Column("facility_npi", "32a", "Service facility NPI"),
    Column("billing_provider_name", "33", "Billing provider's name"),
    Column("billing_provider_address", "33", "Billing provider's street address"),
    Column("billing_provider_city_state_zip", "33", "Billing provider's city, state and ZIP"),
    Column("billing_provider_phone", "33", "Billing provider's telephone"),
    Column("billing_provider_npi", "33a", "Billing provider's NPI"),
    Column("problems", "", "What the claim still lacks before an insurer would take it"),
)

LINE_COLUMNS: tuple[Column, ...] = (
    Column("line_number", "24", "Service line number on the claim (1-6 fit one paper form)"),
    Column("date_from", "24A", "Date of service, from"),
    Column("date_to", "24A", "Date of service, to"),
    Column("place_of_service", "24B", "Place of service code"),
    Column("emergency", "24C", "EMG indicator (empty)"),
    Column("procedure_code", "24D", "CPT/HCPCS code"),
    Column("modifier_1", "24D", "Modifier 1"),
    Column("modifier_2", "24D", "Modifier 2"),
    Column("modifier_3", "24D", "Modifier 3"),
    Column("modifier_4", "24D", "Modifier 4"),
    Column("diagnosis_pointer", "24E", "Diagnosis pointer: letters A-L, primary first, at most 4"),
    Column("charges", "24F", "Charge of the line (unit price x units)"),
    Column("units", "24G", "Days or units"),
    Column("epsdt", "24H", "EPSDT/family plan (empty)"),
    Column("rendering_id_qualifier", "24I", "ID qualifier (empty: the NPI is in 24J)"),
    Column("rendering_npi", "24J", "Rendering provider's NPI"),
    Column("minutes", "", "Timed minutes behind the units (Palpa's own; not on the form)"),
)

COLUMNS: tuple[Column, ...] = CLAIM_COLUMNS + LINE_COLUMNS


def may_export_claims(actor: User) -> bool:
    return has_capability(actor, Capability.BILLING_EXPORT_CLAIMS)


def claim_charges(
    *, actor: User, start: dt.date, end: dt.date, payer_id: Any = None
) -> QuerySet[Charge]:
    """The insured visits of the period (by date of service) ready to bill."""
    if not may_export_claims(actor):
        raise PermissionDenied("Your role may not export claims.")
    check_period(start, end)
    charges = Charge.objects.filter(
        organization_id=tenant_id(actor),
        status=Charge.Status.READY,
        payer__isnull=False,
        date_of_service__gte=start,
        date_of_service__lte=end,
    )
    if payer_id is not None:
        charges = charges.filter(payer__public_id=payer_id)
    return charges.select_related(
        "patient",
        "payer",
        "coverage",
        "location",
        "organization",
        "rendering_provider",
        "note",
    ).order_by("date_of_service", "patient__family_name", "patient__given_name", "pk")


def _billing_settings(location: Location) -> dict[str, str]:
    """The location's billing identifiers (item 25, 32a, 33a) where the billing settings
    hold them; empty strings otherwise."""
    settings = LocationBilling.objects.filter(location=location).first()
    return {
        key: str(getattr(settings, key, "") or "")
        for key in ("tax_id", "tax_id_kind", "billing_npi", "facility_npi")
    }


def _referral(charge: Charge) -> Referral | None:
    """The referral the visit counted against, else the one in effect on its date."""
    counted = (
        ReferralVisit.objects.filter(note_public_id=charge.note.public_id)
        .select_related("referral__physician")
        .first()
    )
    if counted is not None:
        return counted.referral
    return (
        Referral.objects.filter(
            organization_id=charge.organization_id,
            patient_id=charge.patient_id,
            starts_on__lte=charge.date_of_service,
            expires_on__gte=charge.date_of_service,
        )
        .filter(~Q(status=Referral.Status.CANCELLED))
        .select_related("physician")
        .order_by("-starts_on")
        .first()
    )


def _city_state_zip(city: str, state: str, postal: str) -> str:
    return ", ".join(p for p in (city, f"{state} {postal}".strip()) if p)


def claim(charge: Charge) -> dict[str, Any]:
    """One claim: the visit's 1500 fields, its service lines and its problems."""
    patient: Patient = charge.patient
    coverage: Coverage | None = charge.coverage
    payer = charge.payer
    assert payer is not None
    location = charge.location
    ids = _billing_settings(location)
    is_self = coverage is None or coverage.subscriber_relationship == Coverage.Relationship.SELF
    insured_dob = (coverage.subscriber_date_of_birth if coverage else None) or (
        patient.date_of_birth if is_self else None
    )
    referral = _referral(charge)
    diagnoses = [str(code) for code in charge.diagnoses][: len(LETTERS)]
    mapping = {i + 1: LETTERS[i] for i in range(len(diagnoses))}
    provider = charge.rendering_provider
    rendering_npi = charge.rendering_npi or provider.npi
    paid = -(  # item 29: what the patient paid for this visit (payments applied to it)
        LedgerEntry.objects.filter(
            charge=charge,
            kind__in=[LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.REFUND],
            responsibility=LedgerEntry.Responsibility.PATIENT,
        ).aggregate(s=Sum("amount"))["s"]
        or Decimal(0)
    )
    signed_at = charge.note.signed_at

    row: dict[str, Any] = {
        "claim_id": str(charge.public_id),
        "form_version": FORM_VERSION,
        "payer_name": payer.name,
        "payer_id": payer.payer_code,
        "insurance_type": "",
        "insured_id": coverage.member_id if coverage else "",
        "patient_last_name": patient.family_name,
        "patient_first_name": patient.given_name,
        "patient_birth_date": patient.date_of_birth.isoformat(),
        "patient_sex": SEX.get(patient.sex, ""),
        "insured_name": (coverage.subscriber_name if coverage else "")
        or (f"{patient.family_name}, {patient.given_name}" if is_self else ""),
        "patient_address": " ".join(p for p in (patient.address_line1, patient.address_line2) if p),
        "patient_city": patient.city,
        "patient_state": patient.region,
        "patient_zip": patient.postal_code,
        "patient_phone": patient.phone,
        "patient_relationship": RELATIONSHIP.get(
            coverage.subscriber_relationship if coverage else "self", "other"
        ),
        "insured_address": (
            " ".join(p for p in (patient.address_line1, patient.address_line2) if p)
            if is_self
            else ""
        ),
        "insured_city": patient.city if is_self else "",
        "insured_state": patient.region if is_self else "",
        "insured_zip": patient.postal_code if is_self else "",
        "other_insured_name": "",
        "condition_employment": "",
        "condition_auto_accident": "",
        "condition_other_accident": "",
        "insured_group_number": coverage.group_number if coverage else "",
        "insured_birth_date": insured_dob.isoformat() if insured_dob else "",
        "insured_sex": SEX.get(patient.sex, "") if is_self else "",
        "insurance_plan_name": payer.name,
        "patient_signature": "",
        "insured_signature": "",
        "referring_qualifier": REFERRING_QUALIFIER if referral else "",
        "referring_provider_name": (
            f"{referral.physician.given_name} {referral.physician.family_name}"
            + (f", {referral.physician.credentials}" if referral.physician.credentials else "")
            if referral
            else ""
        ),
        "referring_provider_npi": referral.physician.npi if referral else "",
        "icd_indicator": ICD_INDICATOR,
        **{
            f"diagnosis_{letter.lower()}": diagnoses[i] if i < len(diagnoses) else ""
            for i, letter in enumerate(LETTERS)
        },
        "prior_authorization": "",
        "federal_tax_id": ids["tax_id"],
        "federal_tax_id_kind": ids["tax_id_kind"].upper(),
        "patient_account_no": patient.mrn,
        "accept_assignment": "",
        "total_charge": money(charge.total),
        "amount_paid": money(paid),
        "currency": charge.currency,
        "provider_signature_name": provider.display_name,
        "provider_signature_date": signed_at.date().isoformat() if signed_at else "",
        "facility_name": location.name,
        "facility_address": " ".join(
            p for p in (location.address_line1, location.address_line2) if p
        ),
        "facility_city_state_zip": _city_state_zip(
            location.city, location.region, location.postal_code
        ),
        "facility_npi": ids["facility_npi"],
        "billing_provider_name": charge.organization.name,
        "billing_provider_address": " ".join(
            p for p in (location.address_line1, location.address_line2) if p
        ),
        "billing_provider_city_state_zip": _city_state_zip(
            location.city, location.region, location.postal_code
        ),
        "billing_provider_phone": location.phone,
        "billing_provider_npi": ids["billing_npi"],
    }
    lines = []
    for n, line in enumerate(charge.lines.order_by("position"), start=1):
        modifiers = [str(m) for m in line.modifiers][:4]
        modifiers += [""] * (4 - len(modifiers))
        lines.append(
            {
                "line_number": n,
                "date_from": charge.date_of_service.isoformat(),
                "date_to": charge.date_of_service.isoformat(),
                "place_of_service": charge.place_of_service,
                "emergency": "",
                "procedure_code": line.code,
                "modifier_1": modifiers[0],
                "modifier_2": modifiers[1],
                "modifier_3": modifiers[2],
                "modifier_4": modifiers[3],
                "diagnosis_pointer": letters(line.diagnosis_pointers, mapping),
                "charges": money(line.amount),
                "units": line.units,
                "epsdt": "",
                "rendering_id_qualifier": "",
                "rendering_npi": rendering_npi,
                "minutes": line.minutes,
            }
        )
    row["problems"] = _problems(row, lines, charge)
    row["lines"] = lines
    return row


def _problems(row: dict[str, Any], lines: list[dict[str, Any]], charge: Charge) -> list[str]:
    problems = []
    if not row["insured_id"]:
        problems.append("item 1a: the insured's member id is missing")
    if not row["diagnosis_a"]:
        problems.append("item 21: no diagnosis")
    if len(charge.diagnoses) > len(LETTERS):
        problems.append("item 21: more than 12 diagnoses; only A-L are exported")
    if not row["federal_tax_id"]:
        problems.append("item 25: the billing provider's federal tax id is not recorded")
    if not is_valid_npi(row["billing_provider_npi"]):
        problems.append("item 33a: the billing provider's NPI is not recorded")
    if not lines:
        problems.append("item 24: the claim has no service line")
    if len(lines) > LINES_PER_FORM:
        problems.append(f"item 24: more than {LINES_PER_FORM} lines need a second paper form")
    for line in lines:
        if not is_valid_npi(str(line["rendering_npi"])):
            problems.append(
                f"item 24J line {line['line_number']}: the rendering provider has no valid NPI"
            )
            break
    for line in lines:
        if not line["diagnosis_pointer"]:
            problems.append(f"item 24E line {line['line_number']}: no diagnosis pointer")
    return problems


def claims(
    *, actor: User, start: dt.date, end: dt.date, payer_id: Any = None, fmt: str = "json"
) -> list[dict[str, Any]]:
    """The period's claims (each with ``lines`` and ``problems``); the export is audited."""
    found = [claim(c) for c in claim_charges(actor=actor, start=start, end=end, payer_id=payer_id)]
    record(
        actor=actor,
        action=Action.EXPORT,
        object_type="ClaimsExport",
        object_id=f"{start.isoformat()}..{end.isoformat()}",
        detail={
            "format": fmt,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "claims": len(found),
            "patients": sorted({c["patient_account_no"] for c in found}),
            "payer": str(payer_id) if payer_id else "",
        },
    )
    return found


def document(found: list[dict[str, Any]], *, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The JSON export as a dict (the file and ``GET /api/v1/billing/claims``)."""
    return {
        "form": f"NUCC 1500 Health Insurance Claim Form {FORM_VERSION}",
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "columns": [{"key": c.key, "item": c.item, "what": c.what} for c in COLUMNS],
        "claims": found,
    }


def to_json(found: list[dict[str, Any]], *, start: dt.date, end: dt.date) -> str:
    return json.dumps(document(found, start=start, end=end), indent=2, ensure_ascii=False)


def _cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula (=, +, @, tab, CR at the start)
    gets a leading apostrophe; codes, dates and amounts never start that way."""
    if isinstance(value, str) and value[:1] in ("=", "+", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(found: list[dict[str, Any]]) -> str:
    """One row per service line; the claim's fields repeated; problems joined by "; "."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[c.key for c in COLUMNS], lineterminator="\r\n")
    writer.writeheader()
    for found_claim in found:
        base = {c.key: _cell(found_claim[c.key]) for c in CLAIM_COLUMNS}
        base["problems"] = "; ".join(found_claim["problems"])
        for line in found_claim["lines"] or [dict.fromkeys((c.key for c in LINE_COLUMNS), "")]:
            writer.writerow({**base, **{k: _cell(v) for k, v in line.items()}})
    return out.getvalue()


def filename(start: dt.date, end: dt.date, fmt: str) -> str:
    return f"claims-{start.isoformat()}_{end.isoformat()}.{fmt}"
