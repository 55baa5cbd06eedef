"""Every route against the permission table, as every persona.

Walks every staff page (from the URL resolver), every JSON API operation (from the
OpenAPI document) and every FHIR resource type (read and search), as owner, therapist,
other_therapist, front_desk, biller and outsider, on the records of one fixture clinic,
and compares each answer with what the table says (tests/permissions/walk.py explains
how). A route that declares no capability, or that the walk has no record for, fails:
a new route cannot ship unclassified. Each request runs in a savepoint rolled back after
it, so one persona's write never changes what the next one sees.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from pytest_django import DjangoDbBlocker

from palpa.accounts.gates import Gate
from palpa.api import api
from palpa.fhir.registry import registry
from tests.permissions import walk
from tests.permissions.clinic import FAST_HASHERS, NOW, PERSONAS, Clinic, restore


@pytest.fixture(scope="module")
def clinic(walk_clinic: dict[str, Any], django_db_blocker: DjangoDbBlocker) -> Iterator[Clinic]:
    """The fixture clinic (built once per session), put back for this module and rolled
    back after it."""
    with (
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        built = restore(walk_clinic)
        with time_machine.travel(NOW, tick=False):
            built.clients = {p: built.web(p) for p in PERSONAS}
        yield built
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _send(client: Client, method: str, url: str, **kwargs: Any) -> Any:
    """One request in a savepoint that is rolled back: nothing it writes stays."""
    with transaction.atomic():
        response = client.generic(method, url, **kwargs)
        transaction.set_rollback(True)
    return response


def _check(
    clinic: Clinic,
    what: str,
    rule: walk.Rule,
    *,
    names_our_record: bool,
    write: bool,
    send: Any,
    send_unknown: Any = None,
) -> list[str]:
    """Each persona's answer against the table. For the outsider and a route that names
    one of our records, also: the answer is the one a record that does not exist gets
    (``send_unknown``), so it tells nothing, not even that the record exists."""
    wrong = []
    for persona in PERSONAS:
        role = clinic.users[persona].role
        expected = walk.expect(persona, role, rule, names_our_record=names_our_record, write=write)
        response = send(persona)
        if persona == "outsider" and names_our_record and send_unknown is not None:
            unknown = send_unknown(persona)
            if (response.status_code, response.content) != (unknown.status_code, unknown.content):
                wrong.append(
                    f"{what} as the outsider: {response.status_code} differs from the answer "
                    f"for a record that does not exist ({unknown.status_code})"
                )
            if write and response.status_code == 422:
                expected = walk.TOLD_NOTHING  # the body is checked before the record
        if not walk.verdict(expected, response.status_code):
            body = response.content[:300].decode(errors="replace")
            wrong.append(
                f"{what} as {persona}: {response.status_code}, expected {expected}: {body}"
            )
        if persona == "outsider":
            text = b"".join(response) if response.streaming else response.content
            asked = response.request.get("PATH_INFO", "") + response.request.get("QUERY_STRING", "")
            leaked = [m for m in clinic.markers if m.encode() in text and m not in asked]
            if leaked:
                wrong.append(f"{what} as the outsider shows our {leaked}")
    return wrong


# --- staff pages --------------------------------------------------------------------------

# The record behind each URL parameter of each page (keys of Clinic.ids, or a literal).
PAGE_ARGS: dict[str, dict[str, str]] = {
    "accounts:token_revoke": {"public_id": "token"},
    "accounts:location_edit": {"public_id": "location"},
    "accounts:room_add": {"public_id": "location"},
    "accounts:staff_resend": {"public_id": "front_desk"},
    "accounts:staff_deactivate": {"public_id": "front_desk"},
    "accounts:staff_reactivate": {"public_id": "front_desk"},
    "accounts:staff_role": {"public_id": "front_desk"},
    "scheduling:type_edit": {"public_id": "appointment_type"},
    "scheduling:practitioner_hours": {"public_id": "practitioner"},
    "scheduling:room_features": {"public_id": "room"},
    "patients:detail": {"public_id": "patient"},
    "patients:edit": {"public_id": "patient"},
    "patients:status": {"public_id": "patient"},
    "patients:consent_add": {"public_id": "patient"},
    "patients:allergy_add": {"public_id": "patient"},
    "patients:guardian_add": {"public_id": "patient"},
    "patients:guardian_end": {"public_id": "patient", "guardian_id": "guardian"},
    "patients:message_resend": {"public_id": "patient", "message_id": "message"},
    "practitioners:detail": {"public_id": "practitioner"},
    "practitioners:login": {"public_id": "practitioner"},
    "practitioners:license_verify": {"public_id": "license"},
    "care:note_new": {"patient_id": "patient"},
    "care:note": {"note_id": "note_draft"},
    "lymphoedema:measurement_new": {"patient_id": "patient"},
    "lymphoedema:measurement": {"measurement_id": "limb_measurement_draft"},
    "lymphoedema:measurement_in_error": {"measurement_id": "limb_measurement"},
    "lymphoedema:garment_new": {"patient_id": "patient"},
    "lymphoedema:garment": {"prescription_id": "garment_draft"},
    "lymphoedema:garment_fitting": {"prescription_id": "garment"},
    "lymphoedema:garment_order_form": {"prescription_id": "garment"},
    "lymphoedema:garment_in_error": {"prescription_id": "garment"},
    "lymphoedema:cdt_phase_1": {"patient_id": "patient"},
    "lymphoedema:cdt_phase_2": {"patient_id": "patient"},
    "lymphoedema:mld_save": {"note_id": "note_draft"},
    "care:technique_add": {"note_id": "note_draft"},
    "care:technique_remove": {"note_id": "note_draft", "technique_id": "technique"},
    "care:note_sign": {"note_id": "note_draft"},
    "care:addendum_add": {"note_id": "note"},
    "care:evaluation_new": {"patient_id": "patient"},
    "care:evaluation": {"evaluation_id": "evaluation_draft"},
    "care:evaluation_add": {"evaluation_id": "evaluation_draft", "part": "=pain"},
    "care:evaluation_remove": {
        "evaluation_id": "evaluation_draft",
        "part": "=pain",
        "row_id": "pain_entry",
    },
    "care:evaluation_addendum_add": {"evaluation_id": "evaluation"},
    "care:evaluation_administration": {"evaluation_id": "evaluation_draft"},
    "care:icd10_search": {"evaluation_id": "evaluation_draft"},
    "care:evaluation_sign": {"evaluation_id": "evaluation_draft"},
    "care:plan_new": {"evaluation_id": "evaluation"},
    "care:plan": {"plan_id": "plan_draft"},
    "care:plan_edit": {"plan_id": "plan_draft"},
    "care:plan_add": {"plan_id": "plan_draft", "part": "=goal"},
    "care:homecare_remove": {"plan_id": "plan_draft", "item_id": "home_care_draft"},
    "care:homecare_picture": {"plan_id": "plan_draft", "item_id": "home_care_draft"},
    "care:homecare_picture_attach": {"plan_id": "plan_draft", "item_id": "home_care_draft"},
    "care:homecare_picture_remove": {"plan_id": "plan_draft", "item_id": "home_care_draft"},
    "care:goal_remove": {"plan_id": "plan_draft", "goal_id": "goal_draft"},
    "care:goal_expected": {"plan_id": "plan_draft"},
    "care:plan_sign": {"plan_id": "plan_draft"},
    "care:plan_revise": {"plan_id": "plan"},
    "care:plan_handout": {"plan_id": "plan"},
    "care:plan_send_home_care": {"plan_id": "plan"},
    "care:goal_chart": {"goal_id": "goal"},
    "screening:review": {"public_id": "patient"},
    "screening:intake": {"public_id": "patient"},
    "screening:intake_link": {"public_id": "patient"},
    "screening:confirm": {"public_id": "patient"},
    "screening:blood_pressure": {"public_id": "patient"},
    "screening:clearance": {"public_id": "screening_needing_clearance"},
    "screening:override": {"public_id": "screening_needing_clearance"},
    "screening:letter": {"public_id": "clearance"},
    "referrals:physician": {"public_id": "physician"},
    "referrals:physician_active": {"public_id": "physician"},
    "referrals:new": {"public_id": "patient"},
    "referrals:override": {"public_id": "patient"},
    "referrals:detail": {"public_id": "referral"},
    "referrals:cancel": {"public_id": "referral"},
    "referrals:prescription": {"public_id": "referral"},
    "scheduling:appointment": {"public_id": "appointment"},
    "scheduling:calendar_move": {"public_id": "appointment"},
    "scheduling:move": {"public_id": "appointment"},
    "scheduling:cancel": {"public_id": "appointment"},
    "scheduling:arrived": {"public_id": "appointment"},
    "scheduling:no_show": {"public_id": "appointment"},
    "scheduling:offer": {"public_id": "appointment_cancelled"},
    "scheduling:waitlist_withdraw": {"public_id": "waitlist_entry"},
    "outcomes:links": {"public_id": "patient"},
    "outcomes:link_revoke": {"public_id": "instrument_link"},
    "reports:new": {"patient_id": "patient"},
    "reports:detail": {"report_id": "report_draft"},
    "reports:sign": {"report_id": "report_draft"},
    "reports:send": {"report_id": "report"},
    "reports:pdf": {"report_id": "report"},
    "reports:fax": {"report_id": "report"},
    "reports:share": {"report_id": "report"},
    "reports:stop_sharing": {"report_id": "report"},
    "reports:correct": {"report_id": "report"},
    "reports:discard": {"report_id": "report_draft"},
    "billing:charge": {"public_id": "charge"},
    "billing:account": {"public_id": "patient"},
    "billing:documents": {"patient_id": "patient"},
    "billing:superbill_period": {"patient_id": "patient"},
    "billing:statement": {"patient_id": "patient"},
    "billing:superbill_visit": {"charge_id": "charge"},
    "billing:receipt": {"payment_id": "entry"},
    "online:handled": {"public_id": "notice"},
    "online:settings": {"public_id": "location"},
    "online:reminder_switch": {"public_id": "reminder_policy"},
    "online:feed_revoke": {"public_id": "feed"},
}
for _action in ("ready", "recalculate", "void"):
    PAGE_ARGS[f"billing:charge_{_action}"] = {"public_id": "charge"}
for _action in ("payment", "adjustment", "transfer", "coverage", "prepaid", "invoice"):
    PAGE_ARGS[f"billing:{_action}"] = {"public_id": "patient"}
for _action in ("refund", "reverse"):
    PAGE_ARGS[f"billing:{_action}"] = {"public_id": "entry"}
for _name in ("coverage_end", "coverage_entered_in_error"):
    PAGE_ARGS[f"billing:{_name}"] = {"public_id": "coverage"}
PAGE_ARGS["billing:prepaid_end"] = {"public_id": "prepaid"}

# Pages whose answer depends on more than the role: the walk also takes these paths.
EXTRA_PAGE_ARGS: dict[str, list[dict[str, str]]] = {
    "care:note": [{"note_id": "note"}],  # a signed note: read only for its author too
    "care:plan_add": [{"plan_id": "plan", "part": "=discharge"}],  # any practitioner
    "care:evaluation": [{"evaluation_id": "evaluation"}],
    # a signed measurement: read only, with "Entered in error" for those allowed
    "lymphoedema:measurement": [{"measurement_id": "limb_measurement"}],
    # a signed prescription: read only, with "Record fitting" and "Entered in error"
    "lymphoedema:garment": [{"prescription_id": "garment"}],
    "reports:detail": [{"report_id": "report"}],
}

ALL_PAGES = list(walk.pages())


def _page_cases() -> Iterator[Any]:
    for page in ALL_PAGES:
        variants = [PAGE_ARGS.get(page.name, {}), *EXTRA_PAGE_ARGS.get(page.name, [])]
        for n, args in enumerate(variants):
            suffix = f"#{n}" if n else ""
            yield pytest.param(page, args, id=f"{page.name}{suffix}")


def _value(clinic: Clinic, spec: str) -> str:
    return spec[1:] if spec.startswith("=") else clinic.ids[spec]


SHARED = {"rule_set_version"}  # values every organization has (not one of our records)


def _ours(spec: str) -> bool:
    return not spec.startswith("=") and spec not in SHARED


def test_every_page_declares_its_gate_and_has_a_record_to_walk() -> None:
    unclassified = [p.name for p in ALL_PAGES if walk.page_gate(p) is None]
    assert not unclassified, (
        f"pages without a gate (accounts.gates.requires, requires_by or public): {unclassified}"
    )
    missing = [
        f"{p.name} ({', '.join(p.params)})"
        for p in ALL_PAGES
        if set(p.params) - set(PAGE_ARGS.get(p.name, {}))
        and not (walk.page_gate(p) or Gate()).public
    ]
    assert not missing, f"give these pages a record of the fixture clinic in PAGE_ARGS: {missing}"


@pytest.mark.parametrize(("page", "args"), list(_page_cases()))
def test_staff_page(clinic: Clinic, page: walk.Page, args: dict[str, str], db: None) -> None:
    gate = walk.page_gate(page)
    assert gate is not None, f"{page.name} declares no gate"
    if gate.public:
        return  # no sign-in: the page checks its own link or token
    kwargs = {name: _value(clinic, spec) for name, spec in args.items()}
    url = reverse(page.name, kwargs=kwargs)
    names_our_record = bool(set(kwargs) & set(page.params))
    all_kwargs = {**page.default_kwargs, **kwargs}
    clients = clinic.clients
    wrong: list[str] = []
    methods = ["GET"]
    probe = _send(clients["owner"], "GET", url)
    writes_differ = gate.write or gate.by or (gate.record is not None and gate.record.author)
    if probe.status_code == 405 or writes_differ:
        methods = ["POST"] if probe.status_code == 405 else ["GET", "POST"]
    for method in methods:
        rule = walk.rule_of_gate(gate, method, all_kwargs)
        write = method != "GET"
        wrong += _check(
            clinic,
            f"{method} {url} ({page.name})",
            rule,
            names_our_record=names_our_record,
            write=write,
            send=lambda persona, m=method: _send(clients[persona], m, url),
        )
    assert not wrong, "\n".join(wrong)


# --- the JSON API, from the OpenAPI document ------------------------------------------------

SPEC = api.get_openapi_schema()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in SPEC["paths"].items()
    for method, operation in item.items()
    if method in {"get", "post", "put", "patch", "delete"}
]

# The record behind each path parameter: by name, then per operation where it differs.
API_ARGS: dict[str, str] = {
    "patient_id": "patient",
    "practitioner_id": "practitioner",
    "token_id": "token",
    "note_id": "note",
    "technique_id": "technique",
    "evaluation_id": "evaluation",
    "finding_id": "palpation",
    "measurement_id": "rom",
    "limb_measurement_id": "limb_measurement_draft",
    "prescription_id": "garment",
    "test_id": "special_test",
    "diagnosis_id": "diagnosis",
    "administration_id": "administration",
    "plan_id": "plan",
    "goal_id": "goal_draft",
    "screening_id": "screening_needing_clearance",
    "clearance_id": "clearance",
    "version": "rule_set_version",
    "physician_id": "physician",
    "referral_id": "referral",
    "link_id": "instrument_link",
    "report_id": "report",
    "appointment_id": "appointment",
    "location_id": "location",
    "charge_id": "charge",
    "entry_id": "entry",
    "payer_id": "payer",
    "coverage_id": "coverage",
    "prepaid_id": "prepaid",
    "staff_id": "front_desk",
    "service_id": "appointment_type",
    "code": "=97140",
    "technique": "=myofascial_release",
}
_NOTE_DRAFT = {"note_id": "note_draft"}
_EVALUATION_DRAFT = {"evaluation_id": "evaluation_draft"}
API_ARGS_BY_OPERATION: dict[str, dict[str, str]] = {
    "palpa_care_api_patch_note": _NOTE_DRAFT,
    "palpa_care_api_add_technique": _NOTE_DRAFT,
    "palpa_care_api_remove_technique": _NOTE_DRAFT,
    "palpa_care_api_sign_note": _NOTE_DRAFT,
    "palpa_care_clinical_api_patch_evaluation": _EVALUATION_DRAFT,
    "palpa_care_clinical_api_add_pain": _EVALUATION_DRAFT,
    "palpa_care_clinical_api_add_palpation": _EVALUATION_DRAFT,
    "palpa_care_clinical_api_add_rom": _EVALUATION_DRAFT,
    "palpa_care_clinical_api_add_special_test": _EVALUATION_DRAFT,
    "palpa_care_clinical_api_add_diagnosis": _EVALUATION_DRAFT,
    "palpa_care_clinical_api_add_baseline": _EVALUATION_DRAFT,
    "palpa_care_clinical_api_sign_evaluation": _EVALUATION_DRAFT,
    "palpa_care_clinical_api_remove_pain": {**_EVALUATION_DRAFT, "entry_id": "pain_entry"},
    "palpa_care_clinical_api_remove_palpation": _EVALUATION_DRAFT,
    "palpa_care_clinical_api_remove_rom": _EVALUATION_DRAFT,
    "palpa_care_clinical_api_remove_special_test": _EVALUATION_DRAFT,
    "palpa_care_clinical_api_remove_diagnosis": _EVALUATION_DRAFT,
    "palpa_care_clinical_api_patch_plan": {"plan_id": "plan_draft"},
    "palpa_care_clinical_api_add_goal": {"plan_id": "plan_draft"},
    "palpa_care_clinical_api_remove_goal": {"plan_id": "plan_draft"},
    "palpa_care_clinical_api_sign_plan": {"plan_id": "plan_draft"},
    "palpa_reports_api_patch_report": {"report_id": "report_draft"},
    "palpa_reports_api_sign_report": {"report_id": "report_draft"},
    "palpa_lymphoedema_garments_api_sign_prescription": {"prescription_id": "garment_draft"},
    "palpa_lymphoedema_cdt_api_save_mld": _NOTE_DRAFT,
}
# Query parameters that make a read answer 200 instead of asking for them (422).
API_QUERY: dict[str, dict[str, str]] = {
    "palpa_scheduling_api_list_appointments": {
        "location": "location",
        "start": "=2026-03-02T00:00:00Z",
        "end": "=2026-03-09T00:00:00Z",
    },
    "palpa_scheduling_api_search_slots": {
        "appointment_type": "appointment_type",
        "first_day": "=2026-03-03",
    },
    "palpa_practitioners_api_license_check": {"jurisdiction": "=FL"},
    "palpa_billing_api_claims_export": {"start": "=2026-03-01", "end": "=2026-03-31"},
}


def test_every_api_operation_declares_its_capability() -> None:
    undeclared = [
        f"{method} {path}" for method, path, op in OPERATIONS if not op.get("x-palpa-capability")
    ]
    assert not undeclared, f"operations without accounts.gates.api_requires: {undeclared}"


def _query(clinic: Clinic, operation_id: str) -> dict[str, str]:
    return {name: _value(clinic, spec) for name, spec in API_QUERY.get(operation_id, {}).items()}


@pytest.mark.parametrize(
    ("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_api_operation(
    clinic: Clinic, method: str, path: str, operation: dict[str, Any], db: None
) -> None:
    rule = walk.rule_of_operation(operation)
    operation_id = operation["operationId"]
    params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
    specs = {**API_ARGS, **API_ARGS_BY_OPERATION.get(operation_id, {})}
    missing = [p for p in params if p not in specs]
    assert not missing, f"give {operation_id}'s {missing} a record in API_ARGS"
    ours = [p for p in params if _ours(specs[p])]
    query_ours = any(_ours(spec) for spec in API_QUERY.get(operation_id, {}).values())
    url = unknown_url = path
    for name in params:
        url = url.replace("{" + name + "}", _value(clinic, specs[name]))
        made_up = str(uuid.uuid4()) if name in ours else _value(clinic, specs[name])
        unknown_url = unknown_url.replace("{" + name + "}", made_up)
    query = _query(clinic, operation_id)
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None

    def send(persona: str, target: str = url) -> Any:
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs = {"data": json.dumps(body), "content_type": "application/json"}
        if query:
            kwargs["QUERY_STRING"] = "&".join(f"{k}={v}" for k, v in query.items())
        return _send(clinic.api(persona), method, target, **kwargs)

    wrong = _check(
        clinic,
        f"{method} {url} ({operation_id})",
        rule,
        names_our_record=bool(ours) or query_ours,
        write=method != "GET",
        send=send,
        send_unknown=lambda persona: send(persona, unknown_url),
    )
    assert not wrong, "\n".join(wrong)


# --- the FHIR server: every resource type, read and search ------------------------------------


def _fhir_id(clinic: Clinic, resource_type: str, persona: str = "owner") -> str | None:
    """One resource of the type that the persona finds by searching (a Binary is the PDF
    of a DocumentReference)."""
    searched = "DocumentReference" if resource_type == "Binary" else resource_type
    found = _send(clinic.api(persona), "GET", f"/fhir/R4/{searched}")
    if found.status_code != 200:
        return None
    for entry in json.loads(found.content).get("entry", []):
        resource = entry["resource"]
        if resource_type == "Binary":
            return str(resource["content"][0]["attachment"]["url"].rsplit("/", 1)[1])
        if resource["resourceType"] == resource_type:
            return str(resource["id"])
    return None


@pytest.mark.parametrize("resource_type", sorted(registry()))
def test_fhir_resource_type(clinic: Clinic, resource_type: str, db: None) -> None:
    rtype = registry()[resource_type]
    rule = walk.Rule(capability=rtype.capability)
    wrong: list[str] = []
    if "read" in rtype.interactions:
        resource_id = _fhir_id(clinic, resource_type)
        assert resource_id is not None, f"the fixture clinic has no {resource_type} to read"
        url = f"/fhir/R4/{resource_type}/{resource_id}"
        shared = resource_id == _fhir_id(clinic, resource_type, "outsider")  # e.g. instruments
        wrong += _check(
            clinic,
            f"GET {url}",
            rule,
            names_our_record=not shared,
            write=False,
            send=lambda persona: _send(clinic.api(persona), "GET", url),
        )
    if "search-type" in rtype.interactions:
        wrong += _check(
            clinic,
            f"GET /fhir/R4/{resource_type}",
            rule,
            names_our_record=False,
            write=False,
            send=lambda persona: _send(clinic.api(persona), "GET", f"/fhir/R4/{resource_type}"),
        )
    assert not wrong, "\n".join(wrong)
