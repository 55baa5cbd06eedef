"""POST /fhir/R4/ with a transaction Bundle: a referral sent by another system.

The Bundle carries one Patient, one ServiceRequest (the referral) and the Conditions it
gives as reasons, with the referring physician as a Practitioner (contained in the
ServiceRequest or an entry of its own). Palpa:

1. checks the whole Bundle first and answers 400 with an OperationOutcome naming every
   problem (``expression`` is the FHIRPath of the element) when anything is wrong;
2. then, in one database transaction, finds the patient by identifier (Palpa's MRN
   system, or an identifier another system gave it and sent before) or creates it with
   ``patients.services.create_patient``, finds the physician in the directory by NPI or
   adds it with ``referrals.services.add_physician``, and records the referral with
   ``referrals.services.record_referral``. A service's refusal rolls everything back and
   is answered 422, naming the element it came from.

An entry's ``request.ifNoneExist`` (``identifier=[system|]value``) makes it a conditional
create, so that sending the same Bundle twice records one referral: on the Patient, the
patient it names is used (created when none); on the ServiceRequest, the referral
it names is answered ``200 OK`` and nothing is recorded again. A criterion naming more than
one resource is refused with 412. A ServiceRequest's identifiers are kept with the referral.

The answer is a ``transaction-response`` Bundle, one entry per entry sent, in order.
Conditions are not stored as resources of their own: their ICD-10-CM codes become the
referral's diagnoses (ServiceRequest.reasonCode), and their entries say so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from palpa.accounts.models import Role, User
from palpa.accounts.permissions import tenant_id
from palpa.accounts.services import create_staff
from palpa.audit.services import Action, record
from palpa.fhir.auth import Principal
from palpa.fhir.errors import FhirError, issue, operation_outcome
from palpa.fhir.mapping import patient as patient_mapping
from palpa.fhir.mapping.common import ICD10CM, JSON, MRN_SYSTEM_PREFIX, NPI
from palpa.fhir.models import FhirClient, PatientIdentifier, ReferralIdentifier
from palpa.fhir.scopes import allows
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for
from palpa.patients.services import create_patient
from palpa.referrals.models import Physician, Referral
from palpa.referrals.queries import physicians_for, referrals_for
from palpa.referrals.services import add_physician, record_referral

ACCEPTED_TYPES = ("Patient", "ServiceRequest", "Condition", "Practitioner")
ACCEPTED_INTENTS = ("order", "original-order")
CONDITIONAL_TYPES = ("Patient", "ServiceRequest")

# A service's field -> the element it came from.
PATIENT_FIELDS = {
    "given_name": "name.given",
    "family_name": "name.family",
    "preferred_name": "name.given",
    "date_of_birth": "birthDate",
    "sex": "gender",
    "phone": "telecom",
    "email": "telecom",
    "address_line1": "address.line",
    "address_line2": "address.line",
    "city": "address.city",
    "region": "address.state",
    "postal_code": "address.postalCode",
}
PHYSICIAN_FIELDS = {
    "given_name": "name.given",
    "family_name": "name.family",
    "credentials": "name.suffix",
    "npi": "identifier",
    "phone": "telecom",
    "fax": "telecom",
}
REFERRAL_FIELDS = {
    "diagnoses": "reasonCode",
    "requested_service": "code",
    "visits_authorized": "quantityQuantity",
    "starts_on": "occurrencePeriod.start",
    "expires_on": "occurrencePeriod.end",
    "frequency": "note",
    "precautions": "note",
    "physician": "requester",
    "patient": "subject",
}


class BundleProblems(FhirError):
    """Every problem found in a Bundle, as one OperationOutcome."""

    def __init__(self, status: int, problems: list[tuple[str, str]]) -> None:
        super().__init__(status, "; ".join(text for _, text in problems))
        self.problems = problems

    def outcome(self) -> JSON:
        code = "invalid" if self.status == 400 else "processing"
        return operation_outcome(
            [issue("error", code, text, expression) for expression, text in self.problems]
        )


@dataclass
class Entry:
    index: int
    resource: JSON
    full_url: str
    # request.ifNoneExist as (system or None, value): None when the entry has none.
    if_none_exist: tuple[str | None, str] | None = None

    @property
    def path(self) -> str:
        return f"Bundle.entry[{self.index}].resource"

    @property
    def type(self) -> str:
        return str(self.resource.get("resourceType", ""))


@dataclass
class PhysicianIn:
    npi: str
    fields: dict[str, Any]
    path: str
    entry: Entry | None  # the bundled Practitioner entry; None when contained


@dataclass
class Plan:
    """What a valid Bundle asks for, checked and ready to be written."""

    entries: list[Entry]
    patient: Entry
    patient_fields: dict[str, Any]
    palpa_mrn: str  # Palpa's own MRN, when the Patient names it
    external_ids: list[tuple[str, str]]
    request: Entry
    physician: PhysicianIn
    referral: dict[str, Any]
    conditions: list[Entry] = field(default_factory=list)
    ignored_notes: list[str] = field(default_factory=list)
    request_ids: list[tuple[str, str]] = field(default_factory=list)


# --- checking the Bundle (pure: no database) --------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _date(value: Any) -> dt.date | None:
    text = _text(value)
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        return None


def _identifiers(
    resource: JSON, path: str, problems: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    items = resource.get("identifier", [])
    if not isinstance(items, list):
        problems.append((f"{path}.identifier", "identifier must be a list."))
        return found
    for i, item in enumerate(items):
        system = _text(item.get("system")) if isinstance(item, dict) else ""
        value = _text(item.get("value")) if isinstance(item, dict) else ""
        if not system or not value:
            problems.append(
                (f"{path}.identifier[{i}]", "An identifier needs both a system and a value.")
            )
            continue
        found.append((system, value))
    return found


def _practitioner(resource: JSON, path: str, problems: list[tuple[str, str]]) -> PhysicianIn:
    npis = [v for s, v in _identifiers(resource, path, problems) if s == NPI]
    if not npis:
        problems.append(
            (
                f"{path}.identifier",
                f"The referring physician needs an NPI identifier (system {NPI}).",
            )
        )
    names = resource.get("name") or [{}]
    name = names[0] if isinstance(names, list) and isinstance(names[0], dict) else {}
    telecom = [t for t in resource.get("telecom", []) if isinstance(t, dict)]
    fields = {
        "given_name": " ".join(str(g) for g in name.get("given", [])).strip(),
        "family_name": _text(name.get("family")),
        "credentials": " ".join(str(s) for s in name.get("suffix", [])).strip(),
        "phone": next((_text(t.get("value")) for t in telecom if t.get("system") == "phone"), ""),
        "fax": next((_text(t.get("value")) for t in telecom if t.get("system") == "fax"), ""),
    }
    return PhysicianIn(npi=npis[0] if npis else "", fields=fields, path=path, entry=None)


def _entries(bundle: Any, problems: list[tuple[str, str]]) -> list[Entry]:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        problems.append(("Bundle", "Send a Bundle resource (resourceType Bundle)."))
        return []
    if bundle.get("type") != "transaction":
        problems.append(
            ("Bundle.type", f"Bundle.type is {bundle.get('type')!r}; only transaction is accepted.")
        )
    raw = bundle.get("entry")
    if not isinstance(raw, list) or not raw:
        problems.append(("Bundle.entry", "The Bundle has no entries."))
        return []
    entries: list[Entry] = []
    for index, item in enumerate(raw):
        path = f"Bundle.entry[{index}]"
        resource = item.get("resource") if isinstance(item, dict) else None
        if not isinstance(resource, dict):
            problems.append((path, "Each entry needs a resource."))
            continue
        entry = Entry(index, resource, _text(item.get("fullUrl")))
        request = item.get("request") if isinstance(item.get("request"), dict) else {}
        if request.get("method") != "POST":
            problems.append(
                (
                    f"{path}.request.method",
                    f"Only POST (create) entries are accepted, not {request.get('method')!r}.",
                )
            )
        if entry.type not in ACCEPTED_TYPES:
            problems.append(
                (
                    f"{entry.path}.resourceType",
                    f"{entry.type or 'An entry without resourceType'} is not accepted in a "
                    f"transaction (accepted: {', '.join(ACCEPTED_TYPES)}).",
                )
            )
        elif _text(request.get("url")).split("?")[0] not in ("", entry.type):
            problems.append(
                (f"{path}.request.url", f"request.url must be {entry.type} for a {entry.type}.")
            )
        if "ifNoneExist" in request:
            entry.if_none_exist = _if_none_exist(entry, request["ifNoneExist"], path, problems)
        entries.append(entry)
    return entries


def _if_none_exist(
    entry: Entry, raw: Any, path: str, problems: list[tuple[str, str]]
) -> tuple[str | None, str] | None:
    """``identifier=[system|]value`` -> (system or None, value); anything else a problem."""
    where = f"{path}.request.ifNoneExist"
    if entry.type not in CONDITIONAL_TYPES:
        problems.append(
            (where, f"ifNoneExist is accepted on {' and '.join(CONDITIONAL_TYPES)} entries only.")
        )
        return None
    pairs = parse_qsl(_text(raw).lstrip("?"), keep_blank_values=True) if _text(raw) else []
    if len(pairs) != 1 or pairs[0][0] != "identifier" or not pairs[0][1].strip():
        problems.append(
            (
                where,
                f"ifNoneExist {raw!r} is not supported: give one criterion, "
                "identifier=system|value (or identifier=value).",
            )
        )
        return None
    system, bar, value = pairs[0][1].strip().rpartition("|")
    if not value:
        problems.append((where, "ifNoneExist: the identifier needs a value after the |."))
        return None
    return (system if bar else None), value


def _refers_to(reference: Any, entry: Entry) -> bool:
    target = _text(reference.get("reference")) if isinstance(reference, dict) else ""
    if not target:
        return False
    if entry.full_url and target == entry.full_url:
        return True
    resource_id = _text(entry.resource.get("id"))
    return bool(resource_id) and target in (
        f"{entry.type}/{resource_id}",
        f"urn:uuid:{resource_id}",
    )


def _patient(
    entry: Entry, problems: list[tuple[str, str]]
) -> tuple[dict[str, Any], str, list[tuple[str, str]]]:
    path = entry.path
    fields = patient_mapping.from_fhir(entry.resource)
    identifiers = _identifiers(entry.resource, path, problems)
    palpa_mrn = ""
    external: list[tuple[str, str]] = []
    for system, value in identifiers:
        if system.startswith(MRN_SYSTEM_PREFIX):
            palpa_mrn = f"{system}|{value}"
        else:
            external.append((system, value))
    if not palpa_mrn:  # a patient Palpa does not know yet must be creatable
        if not fields["family_name"]:
            problems.append((f"{path}.name", "The patient needs an official family name."))
        if not fields["given_name"]:
            problems.append((f"{path}.name", "The patient needs an official given name."))
        born = _date(entry.resource.get("birthDate"))
        if born is None:
            problems.append((f"{path}.birthDate", "The patient needs a birthDate (YYYY-MM-DD)."))
        else:
            fields["date_of_birth"] = born
    if fields["sex"] not in Patient.Sex.values:
        problems.append(
            (f"{path}.gender", f"gender must be one of {', '.join(Patient.Sex.values)}.")
        )
    return fields, palpa_mrn, external


def _condition_codes(entry: Entry, problems: list[tuple[str, str]]) -> list[str]:
    codes = [
        _text(c.get("code"))
        for c in (entry.resource.get("code") or {}).get("coding", [])
        if isinstance(c, dict) and c.get("system") == ICD10CM and _text(c.get("code"))
    ]
    if not codes:
        problems.append(
            (f"{entry.path}.code", f"A Condition needs an ICD-10-CM code (system {ICD10CM}).")
        )
    return codes


def _referral(
    request: Entry, conditions: list[Entry], problems: list[tuple[str, str]]
) -> tuple[dict[str, Any], list[str]]:
    resource, path = request.resource, request.path
    if resource.get("intent") not in ACCEPTED_INTENTS:
        problems.append((f"{path}.intent", f"intent must be one of {', '.join(ACCEPTED_INTENTS)}."))
    if resource.get("status") not in ("active", None):
        problems.append((f"{path}.status", "Only an active referral can be recorded."))
    code = resource.get("code") or {}
    service = _text(code.get("text")) or next(
        (_text(c.get("display")) for c in code.get("coding", []) if isinstance(c, dict)), ""
    )
    if not service:
        problems.append((f"{path}.code", "Say what is requested in code.text."))
    quantity = (resource.get("quantityQuantity") or {}).get("value")
    if not isinstance(quantity, int | float) or int(quantity) != quantity or quantity < 1:
        problems.append(
            (f"{path}.quantityQuantity", "Give the visits authorized as a whole number, 1 or more.")
        )
    period = resource.get("occurrencePeriod") or {}
    starts, ends = _date(period.get("start")), _date(period.get("end"))
    if starts is None:
        problems.append((f"{path}.occurrencePeriod.start", "Give the first day (YYYY-MM-DD)."))
    if ends is None:
        problems.append((f"{path}.occurrencePeriod.end", "Give the expiry day (YYYY-MM-DD)."))
    diagnoses: list[str] = []
    for i, concept in enumerate(resource.get("reasonCode", [])):
        for coding in (concept or {}).get("coding", []):
            if isinstance(coding, dict) and coding.get("system") == ICD10CM and coding.get("code"):
                diagnoses.append(_text(coding["code"]))
        if not any(
            isinstance(c, dict) and c.get("system") == ICD10CM
            for c in (concept or {}).get("coding", [])
        ):
            problems.append(
                (f"{path}.reasonCode[{i}]", f"A reason needs an ICD-10-CM coding ({ICD10CM}).")
            )
    for i, reference in enumerate(resource.get("reasonReference", [])):
        target = next((c for c in conditions if _refers_to(reference, c)), None)
        if target is None:
            problems.append(
                (
                    f"{path}.reasonReference[{i}]",
                    "reasonReference must point to a Condition entry of this Bundle.",
                )
            )
            continue
        diagnoses.extend(_condition_codes(target, []))
    unreferenced = [
        c
        for c in conditions
        if not any(_refers_to(r, c) for r in resource.get("reasonReference", []))
    ]
    for condition in unreferenced:  # a bundled Condition is a reason even without a reference
        diagnoses.extend(_condition_codes(condition, []))
    if not diagnoses:
        problems.append(
            (f"{path}.reasonCode", "The referral needs at least one ICD-10-CM diagnosis.")
        )
    frequency, precautions, ignored = "", "", []
    for note in resource.get("note", []):
        text = _text((note or {}).get("text"))
        if text.lower().startswith("frequency:"):
            frequency = text.split(":", 1)[1].strip()
        elif text.lower().startswith("precautions:"):
            precautions = text.split(":", 1)[1].strip()
        elif text:
            ignored.append(text)
    fields = {
        "diagnoses": list(dict.fromkeys(diagnoses)),
        "requested_service": service,
        "visits_authorized": int(quantity) if isinstance(quantity, int | float) else 0,
        "starts_on": starts,
        "expires_on": ends,
        "frequency": frequency,
        "precautions": precautions,
    }
    return fields, ignored


def _requester(
    request: Entry, practitioners: list[Entry], problems: list[tuple[str, str]]
) -> PhysicianIn | None:
    resource, path = request.resource, request.path
    reference = resource.get("requester")
    target = _text(reference.get("reference")) if isinstance(reference, dict) else ""
    if not target:
        problems.append(
            (f"{path}.requester", "The referral needs a requester: the referring physician.")
        )
        return None
    if target.startswith("#"):
        contained = next(
            (
                c
                for c in resource.get("contained", [])
                if isinstance(c, dict)
                and c.get("resourceType") == "Practitioner"
                and c.get("id") == target[1:]
            ),
            None,
        )
        if contained is None:
            problems.append(
                (f"{path}.requester", f"No contained Practitioner has the id {target[1:]!r}.")
            )
            return None
        index = resource["contained"].index(contained)
        return _practitioner(contained, f"{path}.contained[{index}]", problems)
    bundled = next((p for p in practitioners if _refers_to(reference, p)), None)
    if bundled is None:
        problems.append(
            (
                f"{path}.requester",
                "requester must be a contained Practitioner (#id) or a Practitioner entry "
                "of this Bundle.",
            )
        )
        return None
    found = _practitioner(bundled.resource, bundled.path, problems)
    found.entry = bundled
    return found


def check_bundle(bundle: Any) -> Plan:
    """The Bundle's plan, or BundleProblems (400) naming every problem."""
    problems: list[tuple[str, str]] = []
    entries = _entries(bundle, problems)
    by_type: dict[str, list[Entry]] = {}
    for entry in entries:
        by_type.setdefault(entry.type, []).append(entry)
    patients, requests = by_type.get("Patient", []), by_type.get("ServiceRequest", [])
    conditions, practitioners = by_type.get("Condition", []), by_type.get("Practitioner", [])
    if entries and len(patients) != 1:
        problems.append(("Bundle.entry", f"Send exactly one Patient (found {len(patients)})."))
    if entries and len(requests) != 1:
        problems.append(
            ("Bundle.entry", f"Send exactly one ServiceRequest (found {len(requests)}).")
        )
    if problems and (len(patients) != 1 or len(requests) != 1):
        raise BundleProblems(400, problems)
    patient, request = patients[0], requests[0]
    patient_fields, palpa_mrn, external = _patient(patient, problems)
    if not _refers_to(request.resource.get("subject"), patient):
        problems.append(
            (f"{request.path}.subject", "subject must refer to the Patient entry (its fullUrl).")
        )
    for condition in conditions:
        _condition_codes(condition, problems)
        subject = condition.resource.get("subject")
        if subject is not None and not _refers_to(subject, patient):
            problems.append(
                (f"{condition.path}.subject", "subject must refer to the Patient entry.")
            )
    referral, ignored = _referral(request, conditions, problems)
    _identifiers(request.resource, request.path, problems)
    physician = _requester(request, practitioners, problems)
    for practitioner in practitioners:
        if physician is None or physician.entry is not practitioner:
            problems.append(
                (practitioner.path, "A Practitioner entry must be the ServiceRequest's requester.")
            )
    if problems or physician is None:
        raise BundleProblems(400, problems)
    return Plan(
        entries=entries,
        patient=patient,
        patient_fields=patient_fields,
        palpa_mrn=palpa_mrn,
        external_ids=external,
        request=request,
        physician=physician,
        referral=referral,
        conditions=conditions,
        ignored_notes=ignored,
        request_ids=_identifiers(request.resource, request.path, []),
    )


# --- writing (through the patients and referrals services) ------------------------------


def write_actor(client: FhirClient) -> User:
    """The stored account a client writes as (records name who recorded them): made on
    the client's first write, front-desk role, no password (it cannot sign in)."""
    email = f"fhir-client-{client.application.client_id.lower()}@fhir-clients.invalid"
    found = User.objects.filter(username=email).first()
    if found is not None:
        return found
    return create_staff(
        organization=client.organization,
        email=email,
        full_name=f"FHIR client {client.name}"[:200],
        role=Role.FRONT_DESK,
        password=None,
    )


def _refused(exc: ValidationError, path: str, elements: dict[str, str]) -> BundleProblems:
    problems: list[tuple[str, str]] = []
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            element = elements.get(name, "")
            for message in messages:
                problems.append((f"{path}.{element}" if element else path, f"{name}: {message}"))
    else:
        problems += [(path, message) for message in exc.messages]
    return BundleProblems(422, problems)


def _find_patient(actor: User, plan: Plan) -> Patient | None:
    path = f"{plan.patient.path}.identifier"
    known = patients_for(actor).exclude(status=Patient.Status.ENTERED_IN_ERROR)
    found: dict[int, Patient] = {}
    if plan.palpa_mrn:
        system, _, mrn = plan.palpa_mrn.partition("|")
        org = actor.organization
        if org is None or system != f"{MRN_SYSTEM_PREFIX}{org.public_id}":
            raise BundleProblems(
                422,
                [
                    (
                        path,
                        f"{system} is another organization's MRN system; it names no patient here.",
                    )
                ],
            )
        patient = known.filter(mrn=mrn).first()
        if patient is None:
            raise BundleProblems(422, [(path, f"No patient has the MRN {mrn}.")])
        found[patient.pk] = patient
    for system, value in plan.external_ids:
        link = (
            PatientIdentifier.objects.filter(
                organization_id=tenant_id(actor), system=system, value=value
            )
            .select_related("patient")
            .first()
        )
        if link is not None and known.filter(pk=link.patient_id).exists():
            found[link.patient_id] = link.patient
    if len(found) > 1:
        raise BundleProblems(
            422,
            [(path, "The identifiers name different patients; send one patient's identifiers.")],
        )
    return next(iter(found.values()), None)


def _ambiguous(entry: Entry, count: int) -> BundleProblems:
    system, value = entry.if_none_exist or (None, "")
    criterion = f"identifier={system}|{value}" if system is not None else f"identifier={value}"
    return BundleProblems(
        412,
        [
            (
                f"Bundle.entry[{entry.index}].request.ifNoneExist",
                f"ifNoneExist {criterion} matches {count} {entry.type} resources; "
                "make the criterion name one (give the identifier's system).",
            )
        ],
    )


def _conditional_patient(actor: User, plan: Plan) -> Patient | None:
    """The patient the Patient entry's ifNoneExist names (None: none or no criterion)."""
    if plan.patient.if_none_exist is None:
        return None
    system, value = plan.patient.if_none_exist
    known = patients_for(actor).exclude(status=Patient.Status.ENTERED_IN_ERROR)
    org = actor.organization
    own_mrn = f"{MRN_SYSTEM_PREFIX}{org.public_id}" if org is not None else None
    found: dict[int, Patient] = {}
    if system is None or system == own_mrn:
        found |= {p.pk: p for p in known.filter(mrn=value)}
    if system is None or not system.startswith(MRN_SYSTEM_PREFIX):
        links = PatientIdentifier.objects.filter(organization_id=tenant_id(actor), value=value)
        if system is not None:
            links = links.filter(system=system)
        found |= {p.pk: p for p in known.filter(pk__in=links.values("patient_id"))}
    if len(found) > 1:
        raise _ambiguous(plan.patient, len(found))
    return next(iter(found.values()), None)


def _conditional_referral(actor: User, plan: Plan) -> Referral | None:
    """The referral the ServiceRequest entry's ifNoneExist names (None: none or no
    criterion)."""
    if plan.request.if_none_exist is None:
        return None
    system, value = plan.request.if_none_exist
    links = ReferralIdentifier.objects.filter(organization_id=tenant_id(actor), value=value)
    if system is not None:
        links = links.filter(system=system)
    found = list(referrals_for(actor).filter(pk__in=links.values("referral_id"))[:3])
    if len(found) > 1:
        raise _ambiguous(plan.request, len(found))
    return found[0] if found else None


def _link_referral(referral: Referral, plan: Plan) -> None:
    for system, value in plan.request_ids:
        link, _ = ReferralIdentifier.objects.get_or_create(
            organization_id=referral.organization_id,
            system=system,
            value=value,
            defaults={"referral": referral},
        )
        if link.referral_id != referral.pk:  # a referral sent before already carries it
            raise BundleProblems(
                422,
                [
                    (
                        f"{plan.request.path}.identifier",
                        f"The identifier {system}|{value} already names another referral; "
                        "send it with request.ifNoneExist to find that one.",
                    )
                ],
            )


def _link_identifiers(actor: User, patient: Patient, plan: Plan) -> None:
    for system, value in plan.external_ids:
        link, _ = PatientIdentifier.objects.get_or_create(
            organization_id=patient.organization_id,
            system=system,
            value=value,
            defaults={"patient": patient},
        )
        if link.patient_id != patient.pk:  # another transaction linked it meanwhile
            raise FhirError(
                409,
                f"The identifier {system}|{value} was just given to another patient by a "
                "concurrent transaction; nothing was recorded. Send the Bundle again.",
                code="conflict",
            )


def _physician(actor: User, wanted: PhysicianIn) -> tuple[Physician, bool]:
    found = physicians_for(actor).filter(npi=wanted.npi).first()
    if found is not None:
        if not found.active:
            raise BundleProblems(
                422,
                [
                    (
                        f"{wanted.path}.identifier",
                        f"The physician with NPI {wanted.npi} is inactive in the directory.",
                    )
                ],
            )
        return found, False
    try:
        return add_physician(actor=actor, npi=wanted.npi, **wanted.fields), True
    except ValidationError as exc:
        raise _refused(exc, wanted.path, PHYSICIAN_FIELDS) from exc


@dataclass
class Written:
    patient: Patient
    patient_created: bool
    physician: Physician
    physician_created: bool
    referral: Referral
    referral_created: bool = True


def write(principal: Principal, plan: Plan) -> Written:
    """Everything the plan asks for, in one transaction (or nothing)."""
    client = principal.client
    if client is None:  # pragma: no cover - require_write refuses other principals
        raise FhirError(403, "Only a system client writes through FHIR.")
    try:
        with transaction.atomic():
            actor = write_actor(client)
            existing = _conditional_referral(actor, plan)
            patient = _conditional_patient(actor, plan) or _find_patient(actor, plan)
            if existing is not None and patient is None:
                patient = existing.patient
            if existing is not None and patient is not None and patient.pk != existing.patient_id:
                raise BundleProblems(
                    422,
                    [
                        (
                            f"{plan.request.path}.subject",
                            "The referral ifNoneExist names belongs to another patient than "
                            "the Patient entry names.",
                        )
                    ],
                )
            created = patient is None
            if patient is None:
                try:
                    patient = create_patient(actor=actor, **plan.patient_fields)
                except ValidationError as exc:
                    raise _refused(exc, plan.patient.path, PATIENT_FIELDS) from exc
            _link_identifiers(actor, patient, plan)
            if existing is not None:
                referral, physician, physician_created = existing, existing.physician, False
            else:
                physician, physician_created = _physician(actor, plan.physician)
                try:
                    referral = record_referral(
                        actor=actor, patient=patient, physician=physician, **plan.referral
                    )
                except ValidationError as exc:
                    raise _refused(exc, plan.request.path, REFERRAL_FIELDS) from exc
                _link_referral(referral, plan)
            record(
                actor=actor,
                action=Action.CREATE if existing is None or created else Action.READ,
                object_type="Bundle",
                object_id=str(referral.public_id),
                patient_id=str(patient.public_id),
                detail={
                    "via": "fhir",
                    "interaction": "transaction",
                    "client": client.application.client_id,
                    "patient_created": created,
                    "physician_created": physician_created,
                    "referral_created": existing is None,
                    "referral": str(referral.public_id),
                },
                actor_label=principal.label,
            )
    except PermissionDenied as exc:
        raise FhirError(403, str(exc)) from exc
    return Written(patient, created, physician, physician_created, referral, existing is None)


def require_write(principal: Principal) -> None:
    if principal.client is None or principal.context != "system":
        raise FhirError(403, "Only a system client with system/*.write may send a transaction.")
    for name in ("Patient", "ServiceRequest"):
        if not allows(principal.scopes, "system", name, "write"):
            raise FhirError(
                403,
                f"The token's scopes ({principal.scope_text}) do not allow writing {name}: "
                "ask for system/*.write.",
            )


def response_bundle(plan: Plan, written: Written) -> JSON:
    referral_ref = f"ServiceRequest/{written.referral.public_id}"
    patient_ref = f"Patient/{written.patient.public_id}"
    answers: dict[int, JSON] = {}
    answers[plan.patient.index] = {
        "status": "201 Created" if written.patient_created else "200 OK",
        "location": patient_ref,
    }
    notes = [
        issue("warning", "informational", f"Note not taken over: {t}") for t in plan.ignored_notes
    ]
    answers[plan.request.index] = {
        "status": "201 Created" if written.referral_created else "200 OK",
        "location": referral_ref,
    }
    if notes:
        answers[plan.request.index]["outcome"] = operation_outcome(notes)
    for condition in plan.conditions:
        answers[condition.index] = {
            "status": "200 OK",
            "outcome": operation_outcome(
                [
                    issue(
                        "information",
                        "informational",
                        f"Recorded as a diagnosis (reasonCode) of {referral_ref}.",
                    )
                ]
            ),
        }
    if plan.physician.entry is not None:
        verb = "Added to" if written.physician_created else "Found in"
        answers[plan.physician.entry.index] = {
            "status": "201 Created" if written.physician_created else "200 OK",
            "outcome": operation_outcome(
                [
                    issue(
                        "information",
                        "informational",
                        f"{verb} the physician directory (NPI {written.physician.npi}); "
                        f"the requester of {referral_ref}.",
                    )
                ]
            ),
        }
    return {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [{"response": answers[entry.index]} for entry in plan.entries],
    }
