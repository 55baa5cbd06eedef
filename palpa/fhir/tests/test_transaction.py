"""POST /fhir/R4/ with a transaction Bundle: a referral with its patient, recorded
atomically through the patients and referrals services, or refused naming each problem."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client

from palpa.accounts.models import Organization, Role, User
from palpa.audit.models import AuditEvent
from palpa.core.npi import make_npi
from palpa.fhir.models import PatientIdentifier
from palpa.fhir.tests.conftest import bearer, get_token, issue_client
from palpa.fhir.tests.support import body, outcome_text, resources, validated
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral

EHR = "urn:oid:2.16.840.1.113883.3.7777.1"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
PATIENT_URL = "urn:uuid:0b7e3c55-9a55-4c2f-9f4e-2d0e0b1d0001"
CONDITION_URLS = [
    "urn:uuid:0b7e3c55-9a55-4c2f-9f4e-2d0e0b1d0002",
    "urn:uuid:0b7e3c55-9a55-4c2f-9f4e-2d0e0b1d0003",
]
PRACTITIONER_URL = "urn:uuid:0b7e3c55-9a55-4c2f-9f4e-2d0e0b1d0004"
REQUEST_URL = "urn:uuid:0b7e3c55-9a55-4c2f-9f4e-2d0e0b1d0005"
NPI = make_npi("155566677")
FHIR_JSON = "application/fhir+json"


def _entry(url: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": url,
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"]},
    }


def referral_bundle(*, contained: bool = False, mrn: str = "EHR-1001") -> dict[str, Any]:
    """A referral as an EHR sends it: patient, two diagnoses, the physician, the order."""
    practitioner = {
        "resourceType": "Practitioner",
        "identifier": [{"system": NPI_SYSTEM, "value": NPI}],
        "name": [{"family": "Okafor", "given": ["Grace"], "suffix": ["MD"]}],
        "telecom": [
            {"system": "phone", "value": "+1 813 555 0101"},
            {"system": "fax", "value": "+1 813 555 0102"},
        ],
    }
    request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "code": {"text": "Medical massage therapy"},
        "quantityQuantity": {"value": 8, "unit": "visits"},
        "subject": {"reference": PATIENT_URL},
        "occurrencePeriod": {"start": "2026-06-22", "end": "2026-09-22"},
        "requester": {"reference": PRACTITIONER_URL},
        "reasonReference": [{"reference": url} for url in CONDITION_URLS],
        "note": [
            {"text": "Frequency: 2x/week for 4 weeks"},
            {"text": "Precautions: no deep pressure over the lumbar spine"},
        ],
    }
    entries = [
        _entry(
            PATIENT_URL,
            {
                "resourceType": "Patient",
                "identifier": [{"system": EHR, "value": mrn}],
                "name": [{"use": "official", "family": "Nguyen", "given": ["Linh"]}],
                "gender": "female",
                "birthDate": "1980-02-03",
                "telecom": [{"system": "phone", "value": "+1 813 555 0199"}],
            },
        ),
        *[
            _entry(
                url,
                {
                    "resourceType": "Condition",
                    "subject": {"reference": PATIENT_URL},
                    "code": {"coding": [{"system": ICD, "code": code}]},
                },
            )
            for url, code in zip(CONDITION_URLS, ["M54.50", "M54.2"], strict=True)
        ],
    ]
    if contained:
        request["contained"] = [{**practitioner, "id": "doc"}]
        request["requester"] = {"reference": "#doc"}
    else:
        entries.append(_entry(PRACTITIONER_URL, practitioner))
    entries.append(_entry(REQUEST_URL, request))
    return validated({"resourceType": "Bundle", "type": "transaction", "entry": entries})


@pytest.fixture
def writer(org: Organization) -> Client:
    issued = issue_client(org, "system/*.read system/*.write", name="Referral hub")
    return bearer(get_token(issued.client_id, issued.client_secret))


def post(client: Client, bundle: Any) -> Any:
    return client.post(
        "/fhir/R4/", json.dumps(bundle), content_type=FHIR_JSON, headers={"Accept": FHIR_JSON}
    )


def _counts() -> tuple[int, int, int, int]:
    return (
        Patient.objects.count(),
        Referral.objects.count(),
        Physician.objects.count(),
        PatientIdentifier.objects.count(),
    )


def test_a_referral_bundle_creates_the_patient_the_physician_and_the_referral(
    writer: Client, org: Organization
) -> None:
    response = post(writer, referral_bundle())
    assert response.status_code == 200, response.content
    answer = body(response)
    assert answer["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses == ["201 Created", "200 OK", "200 OK", "201 Created", "201 Created"]
    patient_location = answer["entry"][0]["response"]["location"]
    referral_location = answer["entry"][4]["response"]["location"]
    patient = Patient.objects.get(public_id=patient_location.split("/")[1])
    assert (patient.family_name, patient.given_name, str(patient.date_of_birth)) == (
        "Nguyen",
        "Linh",
        "1980-02-03",
    )
    assert patient.organization == org
    referral = Referral.objects.get(public_id=referral_location.split("/")[1])
    assert referral.patient == patient
    assert referral.diagnoses == ["M54.50", "M54.2"]
    assert referral.visits_authorized == 8
    assert referral.frequency == "2x/week for 4 weeks"
    assert referral.precautions == "no deep pressure over the lumbar spine"
    physician = referral.physician
    assert (physician.npi, physician.family_name, physician.credentials) == (NPI, "Okafor", "MD")
    assert physician.fax == "+1 813 555 0102"
    recorder = referral.recorded_by
    assert recorder.role == Role.FRONT_DESK
    assert not recorder.has_usable_password()
    assert recorder.full_name == "FHIR client Referral hub"
    assert writer.get(f"/fhir/R4/{patient_location}").status_code == 200
    assert writer.get(f"/fhir/R4/{referral_location}").status_code == 200


def test_the_writes_are_audited_by_the_services_and_the_transaction(writer: Client) -> None:
    before = AuditEvent.objects.count()
    answer = body(post(writer, referral_bundle()))
    entries = list(AuditEvent.objects.order_by("seq")[before:])
    kinds = [(e.action, e.object_type) for e in entries]
    assert (AuditEvent.Action.CREATE, "Patient") in kinds
    assert (AuditEvent.Action.CREATE, "Physician") in kinds
    assert (AuditEvent.Action.CREATE, "Referral") in kinds
    last = entries[-1]
    assert (last.object_type, last.via) == ("Bundle", "fhir")
    assert last.detail["interaction"] == "transaction"
    assert last.patient_id == answer["entry"][0]["response"]["location"].split("/")[1]
    assert last.actor_label.startswith("FHIR client Referral hub")


def test_a_posted_referral_comes_back_through_search_as_the_same_service_request(
    writer: Client,
) -> None:
    sent = referral_bundle()
    answer = body(post(writer, sent))
    patient_id = answer["entry"][0]["response"]["location"].split("/")[1]
    found = resources(body(writer.get("/fhir/R4/ServiceRequest", {"patient": patient_id})))
    assert len(found) == 1
    back = found[0]
    original = sent["entry"][-1]["resource"]
    assert f"ServiceRequest/{back['id']}" == answer["entry"][-1]["response"]["location"]
    assert back["status"] == original["status"]
    assert back["intent"] == original["intent"]
    assert back["code"]["text"] == original["code"]["text"]
    assert back["quantityQuantity"]["value"] == original["quantityQuantity"]["value"]
    assert back["occurrencePeriod"] == original["occurrencePeriod"]
    assert back["subject"]["reference"] == f"Patient/{patient_id}"
    assert [c["coding"][0]["code"] for c in back["reasonCode"]] == ["M54.50", "M54.2"]
    assert {c["coding"][0]["system"] for c in back["reasonCode"]} == {ICD}
    assert sorted(n["text"] for n in back["note"]) == sorted(n["text"] for n in original["note"])
    requester = next(
        c for c in back["contained"] if f"#{c['id']}" == back["requester"]["reference"]
    )
    doctor = sent["entry"][3]["resource"]
    assert requester["identifier"] == doctor["identifier"]
    assert requester["name"][0]["family"] == doctor["name"][0]["family"]
    assert requester["name"][0]["given"] == doctor["name"][0]["given"]
    assert requester["name"][0]["suffix"] == doctor["name"][0]["suffix"]
    everything = body(writer.get(f"/fhir/R4/Patient/{patient_id}/$everything"))
    kinds = [r["resourceType"] for r in resources(everything)]
    assert kinds[0] == "Patient"
    assert kinds.count("ServiceRequest") == 1


def test_the_same_ehr_identifier_finds_the_same_patient_and_physician_again(
    writer: Client,
) -> None:
    first = body(post(writer, referral_bundle()))
    second = body(post(writer, referral_bundle(contained=True)))
    assert [e["response"]["status"] for e in second["entry"]] == [
        "200 OK",
        "200 OK",
        "200 OK",
        "201 Created",
    ]
    assert second["entry"][0]["response"]["location"] == first["entry"][0]["response"]["location"]
    assert Patient.objects.filter(family_name="Nguyen").count() == 1
    assert Physician.objects.filter(npi=NPI).count() == 1
    assert Referral.objects.count() == 2


def test_palpas_own_mrn_finds_an_existing_patient(
    writer: Client, patient: Patient, org: Organization
) -> None:
    bundle = referral_bundle()
    bundle["entry"][0]["resource"]["identifier"] = [
        {"system": f"urn:palpa:mrn:{org.public_id}", "value": patient.mrn}
    ]
    answer = body(post(writer, bundle))
    assert answer["entry"][0]["response"] == {
        "status": "200 OK",
        "location": f"Patient/{patient.public_id}",
    }
    assert Referral.objects.get().patient == patient
    patient.refresh_from_db()
    assert patient.family_name == "Delgado"  # matched, not overwritten


def test_another_organizations_mrn_system_names_no_patient_and_nothing_is_written(
    writer: Client, other_org: Organization, outsider_patient: Patient
) -> None:
    bundle = referral_bundle()
    bundle["entry"][0]["resource"]["identifier"] = [
        {"system": f"urn:palpa:mrn:{other_org.public_id}", "value": outsider_patient.mrn}
    ]
    before = _counts()
    response = post(writer, bundle)
    assert response.status_code == 422
    assert "another organization" in outcome_text(response)
    assert _counts() == before


def test_an_ehr_identifier_known_in_another_organization_is_not_matched_there(
    writer: Client, outsider: User, other_org: Organization
) -> None:
    issued = issue_client(other_org, "system/*.read system/*.write", name="Other hub")
    other_writer = bearer(get_token(issued.client_id, issued.client_secret))
    theirs = body(post(other_writer, referral_bundle()))["entry"][0]["response"]["location"]
    ours = body(post(writer, referral_bundle()))["entry"][0]["response"]
    assert ours["status"] == "201 Created"
    assert ours["location"] != theirs
    assert writer.get(f"/fhir/R4/{theirs}").status_code == 404


def test_a_bad_bundle_names_every_problem_and_creates_nothing(writer: Client) -> None:
    bundle = referral_bundle()
    patient = bundle["entry"][0]["resource"]
    del patient["birthDate"]
    bundle["entry"][1]["resource"]["code"]["coding"][0]["system"] = "http://snomed.info/sct"
    request = bundle["entry"][4]["resource"]
    del request["occurrencePeriod"]["end"]
    request["quantityQuantity"]["value"] = 0
    request["intent"] = "proposal"
    bundle["entry"][3]["resource"]["identifier"] = []
    before = _counts()
    response = post(writer, bundle)
    assert response.status_code == 400
    outcome = body(response)
    found = {issue["expression"][0]: issue["diagnostics"] for issue in outcome["issue"]}
    assert "birthDate" in found["Bundle.entry[0].resource.birthDate"]
    assert "ICD-10-CM" in found["Bundle.entry[1].resource.code"]
    assert "expiry" in found["Bundle.entry[4].resource.occurrencePeriod.end"]
    assert "whole number" in found["Bundle.entry[4].resource.quantityQuantity"]
    assert "intent" in found["Bundle.entry[4].resource.intent"]
    assert "NPI" in found["Bundle.entry[3].resource.identifier"]
    assert _counts() == before


@pytest.mark.parametrize(
    ("change", "expression", "words"),
    [
        (lambda b: b.update(type="batch"), "Bundle.type", "only transaction"),
        (lambda b: b["entry"].pop(0), "Bundle.entry", "exactly one Patient"),
        (
            lambda b: b["entry"][4]["request"].update(method="PUT"),
            "Bundle.entry[4].request.method",
            "Only POST",
        ),
        (
            lambda b: b["entry"][4]["resource"].update(subject={"reference": "Patient/x"}),
            "Bundle.entry[4].resource.subject",
            "Patient entry",
        ),
        (
            lambda b: b["entry"][4]["resource"].update(requester={"reference": "#nobody"}),
            "Bundle.entry[4].resource.requester",
            "No contained Practitioner",
        ),
        (
            lambda b: b["entry"].append(
                _entry("urn:uuid:1", {"resourceType": "Observation", "status": "final"})
            ),
            "Bundle.entry[5].resource.resourceType",
            "not accepted",
        ),
    ],
)
def test_a_malformed_bundle_is_400_at_the_element(
    writer: Client, change: Any, expression: str, words: str
) -> None:
    bundle = copy.deepcopy(referral_bundle())
    change(bundle)
    before = _counts()
    response = post(writer, bundle)
    assert response.status_code == 400
    outcome = body(response)
    assert any(
        expression in issue.get("expression", []) and words in issue["diagnostics"]
        for issue in outcome["issue"]
    ), outcome
    assert _counts() == before


def test_a_service_refusal_rolls_everything_back_with_422_at_the_element(
    writer: Client,
) -> None:
    bundle = referral_bundle()
    bundle["entry"][2]["resource"]["code"]["coding"][0]["code"] = "Z99.999"  # not in the subset
    before = _counts()
    response = post(writer, bundle)
    assert response.status_code == 422
    outcome = body(response)
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[4].resource.reasonCode"]
    assert "Z99.999" in outcome["issue"][0]["diagnostics"]
    assert _counts() == before  # the patient and the physician were rolled back too


def test_a_new_physician_with_a_wrong_npi_check_digit_is_refused(writer: Client) -> None:
    bundle = referral_bundle(contained=True)
    wrong = NPI[:-1] + str((int(NPI[-1]) + 1) % 10)
    bundle["entry"][3]["resource"]["contained"][0]["identifier"][0]["value"] = wrong
    before = _counts()
    response = post(writer, bundle)
    assert response.status_code == 422
    outcome = body(response)
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[3].resource.contained[0].identifier"]
    assert "check digit" in outcome["issue"][0]["diagnostics"]
    assert _counts() == before


def test_a_read_only_client_may_not_send_a_transaction(fhir: Client) -> None:
    before = _counts()
    response = post(fhir, referral_bundle())
    assert response.status_code == 403
    assert "system/*.write" in outcome_text(response)
    assert _counts() == before


def test_a_patients_client_and_staff_tokens_may_not_send_a_transaction(
    org: Organization, patient: Patient, api_client_for: Any, owner: User
) -> None:
    issued = issue_client(org, "patient/*.read", name="Own app", patient=patient)
    assert (
        post(
            bearer(get_token(issued.client_id, issued.client_secret)), referral_bundle()
        ).status_code
        == 403
    )
    assert post(api_client_for(owner), referral_bundle()).status_code == 403


def test_a_transaction_needs_a_token_and_a_post(writer: Client, db: None) -> None:
    assert post(Client(), referral_bundle()).status_code == 401
    response = writer.get("/fhir/R4/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_a_body_that_is_not_json_is_400(writer: Client) -> None:
    response = writer.post("/fhir/R4/", "{not json", content_type=FHIR_JSON)
    assert response.status_code == 400
    assert "not JSON" in outcome_text(response)
