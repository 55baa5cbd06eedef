"""The referral transaction's conditional create (``request.ifNoneExist``): the same
Bundle sent twice records one referral; a criterion naming two resources is 412."""

from __future__ import annotations

from typing import Any

from django.test import Client

from palpa.accounts.models import Organization
from palpa.audit.models import AuditEvent
from palpa.fhir.models import PatientIdentifier, ReferralIdentifier
from palpa.fhir.tests.support import body, outcome_text
from palpa.fhir.tests.test_transaction import EHR, post, referral_bundle, writer
from palpa.patients.models import Patient
from palpa.referrals.models import Referral

__all__ = ["writer"]  # the fixture, imported for these tests

ORDERS = "urn:oid:2.16.840.1.113883.3.7777.2"


def conditional_bundle(*, order: str = "ORD-1", mrn: str = "EHR-1001") -> dict[str, Any]:
    bundle = referral_bundle(mrn=mrn)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "ServiceRequest":
            resource["identifier"] = [{"system": ORDERS, "value": order}]
            entry["request"]["ifNoneExist"] = f"identifier={ORDERS}|{order}"
        if resource["resourceType"] == "Patient":
            entry["request"]["ifNoneExist"] = f"identifier={EHR}|{mrn}"
    return bundle


def _statuses(answer: dict[str, Any]) -> list[str]:
    return [e["response"]["status"] for e in answer["entry"]]


def test_the_same_bundle_sent_twice_records_one_referral(writer: Client) -> None:
    first = post(writer, conditional_bundle())
    assert first.status_code == 200, first.content
    before = AuditEvent.objects.count()
    second = post(writer, conditional_bundle())
    assert second.status_code == 200, second.content
    one, two = body(first), body(second)
    assert _statuses(one)[-1] == "201 Created"
    assert _statuses(two) == ["200 OK", "200 OK", "200 OK", "200 OK", "200 OK"]
    assert two["entry"][-1]["response"]["location"] == one["entry"][-1]["response"]["location"]
    assert two["entry"][0]["response"]["location"] == one["entry"][0]["response"]["location"]
    assert Referral.objects.count() == 1
    assert Patient.objects.filter(family_name="Nguyen").count() == 1
    referral = Referral.objects.get()
    assert [(i.system, i.value) for i in ReferralIdentifier.objects.all()] == [(ORDERS, "ORD-1")]
    assert ReferralIdentifier.objects.get().referral == referral
    last = list(AuditEvent.objects.order_by("seq")[before:])[-1]
    assert (last.object_type, last.action) == ("Bundle", AuditEvent.Action.READ)
    assert last.detail["referral_created"] is False
    location = one["entry"][-1]["response"]["location"]
    assert body(writer.get(f"/fhir/R4/{location}"))["identifier"] == [
        {"system": ORDERS, "value": "ORD-1"}
    ]


def test_another_order_identifier_records_a_second_referral_for_the_same_patient(
    writer: Client,
) -> None:
    body(post(writer, conditional_bundle(order="ORD-1")))
    answer = body(post(writer, conditional_bundle(order="ORD-2")))
    assert _statuses(answer)[0] == "200 OK"
    assert _statuses(answer)[-1] == "201 Created"
    assert Referral.objects.count() == 2
    assert Patient.objects.count() == 1


def test_an_identifier_without_system_naming_two_referrals_is_412(writer: Client) -> None:
    body(post(writer, conditional_bundle(order="ORD-1")))
    second = conditional_bundle(order="ORD-1", mrn="EHR-2002")
    for entry in second["entry"]:
        if entry["resource"]["resourceType"] == "ServiceRequest":
            entry["resource"]["identifier"] = [{"system": "urn:other", "value": "ORD-1"}]
            entry["request"]["ifNoneExist"] = "identifier=urn:other|ORD-1"
    assert post(writer, second).status_code == 200
    before = (Referral.objects.count(), Patient.objects.count())
    third = conditional_bundle(order="ORD-1", mrn="EHR-3003")
    third["entry"][-1]["request"]["ifNoneExist"] = "identifier=ORD-1"
    response = post(writer, third)
    assert response.status_code == 412, response.content
    assert "matches 2 ServiceRequest" in outcome_text(response)
    assert (Referral.objects.count(), Patient.objects.count()) == before


def test_a_patient_criterion_naming_two_patients_is_412(writer: Client) -> None:
    body(post(writer, conditional_bundle(order="ORD-1", mrn="SAME")))
    other = conditional_bundle(order="ORD-2", mrn="SAME")
    other["entry"][0]["resource"]["identifier"] = [{"system": "urn:clinic-b", "value": "SAME"}]
    other["entry"][0]["request"]["ifNoneExist"] = "identifier=urn:clinic-b|SAME"
    other["entry"][0]["resource"]["name"][0]["family"] = "Other"
    assert post(writer, other).status_code == 200
    assert PatientIdentifier.objects.filter(value="SAME").count() == 2
    third = conditional_bundle(order="ORD-3", mrn="SAME")
    third["entry"][0]["request"]["ifNoneExist"] = "identifier=SAME"
    response = post(writer, third)
    assert response.status_code == 412, response.content
    assert "matches 2 Patient" in outcome_text(response)
    assert Referral.objects.count() == 2


def test_an_unsupported_criterion_is_400_at_the_element(writer: Client) -> None:
    bundle = conditional_bundle()
    bundle["entry"][-1]["request"]["ifNoneExist"] = "status=active"
    bundle["entry"][1]["request"]["ifNoneExist"] = "identifier=x"
    response = post(writer, bundle)
    assert response.status_code == 400
    text = outcome_text(response)
    assert "identifier=system|value" in text
    assert "Patient and ServiceRequest entries only" in text
    assert Referral.objects.count() == 0


def test_the_patient_criterion_may_name_palpas_own_mrn(
    writer: Client, patient: Patient, org: Organization
) -> None:
    system = f"urn:palpa:mrn:{org.public_id}"
    bundle = conditional_bundle()
    bundle["entry"][0]["resource"]["identifier"] = [{"system": system, "value": patient.mrn}]
    bundle["entry"][0]["request"]["ifNoneExist"] = f"identifier={system}|{patient.mrn}"
    for _ in range(2):
        answer = body(post(writer, bundle))
        assert answer["entry"][0]["response"] == {
            "status": "200 OK",
            "location": f"Patient/{patient.public_id}",
        }
    assert Referral.objects.get().patient == patient
