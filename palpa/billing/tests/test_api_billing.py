"""Billing over the API, persona by persona: a therapist sees charges but takes no
payment; the front desk takes payments but sees no charges; billers and owners do all;
staff of another organization get 404 for this organization's records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import services
from palpa.billing.models import (
    Charge,
    LedgerEntry,
    LocationBilling,
    Payer,
    PrepaidPlan,
    ServicePrice,
)
from palpa.billing.tests.support import charge_of, sign_visit
from palpa.core.npi import make_npi
from palpa.core.tests.support import api_as, api_for, error_fields, matrix, without_csrf
from palpa.patients.models import Patient
from palpa.scheduling.models import AppointmentType
from palpa.scheduling.tests.support import make_type

OPERATIONS = {
    ("get", "/api/v1/billing/charges"),
    ("get", "/api/v1/billing/charges/{charge_id}"),
    ("post", "/api/v1/billing/charges/{charge_id}/ready"),
    ("post", "/api/v1/billing/charges/{charge_id}/recalculate"),
    ("post", "/api/v1/billing/charges/{charge_id}/void"),
    ("get", "/api/v1/patients/{patient_id}/account"),
    ("post", "/api/v1/patients/{patient_id}/payments"),
    ("post", "/api/v1/patients/{patient_id}/adjustments"),
    ("post", "/api/v1/patients/{patient_id}/transfers"),
    ("post", "/api/v1/billing/entries/{entry_id}/refund"),
    ("post", "/api/v1/billing/entries/{entry_id}/reverse"),
    ("post", "/api/v1/patients/{patient_id}/invoices"),
    ("post", "/api/v1/patients/{patient_id}/coverages"),
    ("post", "/api/v1/patients/{patient_id}/prepaids"),
    ("post", "/api/v1/billing/coverages/{coverage_id}/end"),
    ("post", "/api/v1/billing/coverages/{coverage_id}/entered-in-error"),
    ("post", "/api/v1/billing/prepaids/{prepaid_id}/end"),
    ("get", "/api/v1/billing/balances"),
    ("get", "/api/v1/billing/payers"),
    ("post", "/api/v1/billing/payers"),
    ("patch", "/api/v1/billing/payers/{payer_id}"),
    ("put", "/api/v1/billing/payers/{payer_id}/fees/{code}"),
    ("put", "/api/v1/billing/locations/{location_id}/place-of-service"),
    ("put", "/api/v1/billing/locations/{location_id}/identifiers"),
    ("put", "/api/v1/billing/locations/{location_id}/prices/{code}"),
    ("put", "/api/v1/billing/locations/{location_id}/services/{service_id}/price"),
    ("get", "/api/v1/billing/code-map"),
    ("put", "/api/v1/billing/code-map/{technique}"),
    ("get", "/api/v1/billing/prepaid-plans"),
    ("post", "/api/v1/billing/prepaid-plans"),
}

STAFF_OK = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 404,
    "anonymous": 401,
}
SEE_CHARGES = {**STAFF_OK, "front_desk": 403}
LIST_OWN_ORG = {**STAFF_OK, "outsider": 200}  # lists: the outsider sees their own (empty) org
LIST_CHARGES = {**SEE_CHARGES, "outsider": 200}
BILLERS = {**STAFF_OK, "therapist": 403, "other_therapist": 403, "front_desk": 403}
BILLERS_CREATE = {**BILLERS, "owner": 201, "biller": 201}
TAKERS_CREATE = {
    **STAFF_OK,
    "owner": 201,
    "front_desk": 201,
    "biller": 201,
    "therapist": 403,
    "other_therapist": 403,
}
CONFIG_CREATE = {**BILLERS_CREATE, "outsider": 201}  # in their own organization
CONFIG_PUT_OWN = {**BILLERS, "outsider": 200}


@pytest.fixture
def charge(therapist: User, patient: Patient, location: Location, self_pay_prices: None) -> Charge:
    return charge_of(sign_visit(therapist, patient, location, (("swedish", 30),)))


@pytest.fixture
def payment(front_desk: User, patient: Patient) -> LedgerEntry:
    return services.record_payment(actor=front_desk, patient=patient, amount="60", method="cash")


@pytest.fixture
def package(owner: User) -> PrepaidPlan:
    return services.add_prepaid_plan(
        actor=owner, kind="package", name="5 x 60", visits=5, price="400.00"
    )


def _call(request: pytest.FixtureRequest, who: str, method: str, path: str, body: Any = None):  # type: ignore[no-untyped-def]
    api = api_as(request, who, "token")
    if method == "get":
        return api.get(path)
    if method == "put":
        return api.client.put(
            "/api/v1" + path,
            __import__("json").dumps(body or {}),
            content_type="application/json",
            headers=api.headers,
        )
    return getattr(api, method)(path, body or {})


# --- charges ---------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), matrix(LIST_CHARGES))
def test_each_persona_may_or_may_not_list_charges_to_review(
    request: pytest.FixtureRequest, who: str, status: int, charge: Charge
) -> None:
    response = _call(request, who, "get", "/billing/charges")
    assert response.status_code == status, response.content
    if status == 200:
        found = response.json()
        assert len(found) == (0 if who == "outsider" else 1)
        if who != "outsider":
            assert found[0]["lines"][0]["code"] == "97124"
            assert found[0]["total"] == "40.00"
            search = AuditEvent.objects.get(action="search", object_type="Charge")
            assert search.detail["results"] == [str(charge.patient.public_id)]


@pytest.mark.parametrize(("who", "status"), matrix(SEE_CHARGES))
def test_each_persona_may_or_may_not_read_a_charge(
    request: pytest.FixtureRequest, who: str, status: int, charge: Charge
) -> None:
    response = _call(request, who, "get", f"/billing/charges/{charge.public_id}")
    assert response.status_code == status, response.content
    reads = AuditEvent.objects.filter(action="read", object_type="Charge")
    assert reads.exists() == (status == 200)


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS))
def test_each_persona_may_or_may_not_mark_a_charge_ready(
    request: pytest.FixtureRequest, who: str, status: int, charge: Charge
) -> None:
    response = _call(request, who, "post", f"/billing/charges/{charge.public_id}/ready")
    assert response.status_code == status, response.content
    assert LedgerEntry.objects.exists() == (status == 200)
    if status == 200:
        assert response.json()["status"] == "ready"


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS))
def test_each_persona_may_or_may_not_recalculate_a_charge(
    request: pytest.FixtureRequest, who: str, status: int, charge: Charge
) -> None:
    response = _call(request, who, "post", f"/billing/charges/{charge.public_id}/recalculate")
    assert response.status_code == status, response.content


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS))
def test_each_persona_may_or_may_not_void_a_charge(
    request: pytest.FixtureRequest, who: str, status: int, charge: Charge
) -> None:
    url = f"/billing/charges/{charge.public_id}/void"
    response = _call(request, who, "post", url, {"reason": "Duplicate visit."})
    assert response.status_code == status, response.content
    charge.refresh_from_db()
    assert (charge.status == "void") == (status == 200)


def test_a_charge_marked_ready_twice_is_409(biller: User, charge: Charge) -> None:
    api = api_for(biller, "token")
    assert api.post(f"/billing/charges/{charge.public_id}/ready").status_code == 200
    again = api.post(f"/billing/charges/{charge.public_id}/ready")
    assert again.status_code == 409
    assert again.json()["code"] == "charge"


# --- the account -----------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), matrix(STAFF_OK))
def test_each_persona_may_or_may_not_open_a_patients_account(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, payment: LedgerEntry
) -> None:
    response = _call(request, who, "get", f"/patients/{patient.public_id}/account")
    assert response.status_code == status, response.content
    reads = AuditEvent.objects.filter(action="read", detail__view="billing account")
    assert reads.exists() == (status == 200)
    if status == 200:
        body = response.json()
        assert body["balances"] == {"patient": "-60.00", "insurer": "0.00", "total": "-60.00"}
        (entry,) = body["entries"]
        assert (entry["kind"], entry["amount"], entry["refundable"]) == (
            "payment",
            "-60.00",
            "60.00",
        )


@pytest.mark.parametrize(("who", "status"), matrix(TAKERS_CREATE))
def test_each_persona_may_or_may_not_take_a_payment(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    body = {"amount": "45.00", "method": "card", "reference": "TRM-77"}
    response = _call(request, who, "post", f"/patients/{patient.public_id}/payments", body)
    assert response.status_code == status, response.content
    assert LedgerEntry.objects.filter(kind="payment").exists() == (status == 201)


def test_a_bad_payment_is_422_naming_the_field(front_desk: User, patient: Patient) -> None:
    api = api_for(front_desk, "token")
    url = f"/patients/{patient.public_id}/payments"
    assert error_fields(api.post(url, {"amount": "4.999", "method": "cash"})) == {"amount"}
    assert error_fields(api.post(url, {"amount": "10", "method": "card"})) == {"reference"}
    assert error_fields(api.post(url, {"amount": "10", "method": "gold"})) == {"method"}
    assert not LedgerEntry.objects.exists()


def test_a_session_payment_needs_the_csrf_token(front_desk: User, patient: Patient) -> None:
    api = api_for(front_desk, "session")
    url = f"/patients/{patient.public_id}/payments"
    body = {"amount": "10.00", "method": "cash"}
    assert without_csrf(api).post(url, body).status_code == 403
    assert api.post(url, body).status_code == 201


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS_CREATE))
def test_each_persona_may_or_may_not_post_an_adjustment(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    body = {"amount": "-12.50", "reason": "courtesy", "memo": "Late start"}
    response = _call(request, who, "post", f"/patients/{patient.public_id}/adjustments", body)
    assert response.status_code == status, response.content


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS_CREATE))
def test_each_persona_may_or_may_not_transfer_to_the_patient(
    request: pytest.FixtureRequest, who: str, status: int, biller: User, patient: Patient
) -> None:
    services.post_adjustment(
        actor=biller,
        patient=patient,
        amount="80",
        reason="correction",
        memo="Opening insurer balance",
        responsibility="insurer",
    )
    body = {"amount": "20.00", "memo": "Deductible"}
    response = _call(request, who, "post", f"/patients/{patient.public_id}/transfers", body)
    assert response.status_code == status, response.content
    if status == 201:
        assert [e["amount"] for e in response.json()] == ["-20.00", "20.00"]


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS_CREATE))
def test_each_persona_may_or_may_not_refund_a_payment(
    request: pytest.FixtureRequest, who: str, status: int, payment: LedgerEntry
) -> None:
    body = {"amount": "10.00", "memo": "Overpaid"}
    response = _call(request, who, "post", f"/billing/entries/{payment.public_id}/refund", body)
    assert response.status_code == status, response.content
    assert LedgerEntry.objects.filter(kind="refund").exists() == (status == 201)


def test_refunding_more_than_was_paid_is_409(biller: User, payment: LedgerEntry) -> None:
    api = api_for(biller, "token")
    url = f"/billing/entries/{payment.public_id}/refund"
    response = api.post(url, {"amount": "60.01", "memo": "x"})
    assert response.status_code == 409
    assert "At most 60.00 USD" in response.json()["detail"]


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS_CREATE))
def test_each_persona_may_or_may_not_reverse_an_entry(
    request: pytest.FixtureRequest, who: str, status: int, payment: LedgerEntry
) -> None:
    body = {"memo": "Entered twice"}
    response = _call(request, who, "post", f"/billing/entries/{payment.public_id}/reverse", body)
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["amount"] == "60.00"
        assert response.json()["reverses"] == str(payment.public_id)


@pytest.mark.parametrize(("who", "status"), matrix(TAKERS_CREATE))
def test_each_persona_may_or_may_not_issue_an_invoice(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    front_desk: User,
    patient: Patient,
    package: PrepaidPlan,
) -> None:
    services.sell_prepaid(actor=front_desk, patient=patient, plan=package)
    response = _call(request, who, "post", f"/patients/{patient.public_id}/invoices")
    assert response.status_code == status, response.content
    if status == 201:
        assert (response.json()["number"], response.json()["total"]) == (1, "400.00")


@pytest.mark.parametrize(("who", "status"), matrix(TAKERS_CREATE))
def test_each_persona_may_or_may_not_record_coverage(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, payer: Payer
) -> None:
    body = {
        "kind": "insurance",
        "payer": str(payer.public_id),
        "member_id": "XGC1",
        "starts_on": "2026-01-01",
    }
    response = _call(request, who, "post", f"/patients/{patient.public_id}/coverages", body)
    assert response.status_code == status, response.content


def test_insurance_coverage_without_a_member_id_is_422(
    front_desk: User, patient: Patient, payer: Payer
) -> None:
    api = api_for(front_desk, "token")
    body = {"kind": "insurance", "payer": str(payer.public_id), "starts_on": "2026-01-01"}
    assert error_fields(api.post(f"/patients/{patient.public_id}/coverages", body)) == {"member_id"}


@pytest.mark.parametrize(("who", "status"), matrix(TAKERS_CREATE))
def test_each_persona_may_or_may_not_sell_a_package(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, package: PrepaidPlan
) -> None:
    body = {"plan": str(package.public_id)}
    response = _call(request, who, "post", f"/patients/{patient.public_id}/prepaids", body)
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["visits_left"] == 5


@pytest.mark.parametrize(("who", "status"), matrix(LIST_OWN_ORG))
def test_each_persona_may_or_may_not_list_balances(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, payment: LedgerEntry
) -> None:
    response = _call(request, who, "get", "/billing/balances")
    assert response.status_code == status, response.content
    if status == 200 and who != "outsider":
        (row,) = response.json()
        assert (row["mrn"], row["patient_balance"]) == (patient.mrn, "-60.00")


# --- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), matrix(LIST_OWN_ORG))
def test_each_persona_may_or_may_not_list_payers(
    request: pytest.FixtureRequest, who: str, status: int, payer: Payer
) -> None:
    response = _call(request, who, "get", "/billing/payers")
    assert response.status_code == status, response.content


@pytest.mark.parametrize(("who", "status"), matrix(CONFIG_CREATE))
def test_each_persona_may_or_may_not_add_a_payer(
    request: pytest.FixtureRequest, who: str, status: int, owner: User
) -> None:
    body = {"name": "Sunshine Mutual", "unit_rule": "per-code", "modifiers": ["gp"]}
    response = _call(request, who, "post", "/billing/payers", body)
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["modifiers"] == ["GP"]


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS))
def test_each_persona_may_or_may_not_change_a_payer(
    request: pytest.FixtureRequest, who: str, status: int, payer: Payer
) -> None:
    body = {"unit_rule": "per-code"}
    response = _call(request, who, "patch", f"/billing/payers/{payer.public_id}", body)
    assert response.status_code == status, response.content


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS))
def test_each_persona_may_or_may_not_set_a_fee(
    request: pytest.FixtureRequest, who: str, status: int, payer: Payer
) -> None:
    url = f"/billing/payers/{payer.public_id}/fees/97140"
    response = _call(request, who, "put", url, {"unit_price": "31.25"})
    assert response.status_code == status, response.content
    if status == 200:
        fees = {f["code"]: f["unit_price"] for f in response.json()["fees"]}
        assert fees["97140"] == "31.25"


def test_a_fee_for_a_code_outside_the_code_book_is_422(owner: User, payer: Payer) -> None:
    api = api_for(owner, "token")
    url = f"/api/v1/billing/payers/{payer.public_id}/fees/99999"
    response = api.client.put(
        url, '{"unit_price": "1.00"}', content_type="application/json", headers=api.headers
    )
    assert error_fields(response) == {"code"}


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS))
def test_each_persona_may_or_may_not_set_the_place_of_service(
    request: pytest.FixtureRequest, who: str, status: int, location: Location
) -> None:
    url = f"/billing/locations/{location.public_id}/place-of-service"
    response = _call(request, who, "put", url, {"place_of_service": "12"})
    assert response.status_code == status, response.content


IDENTIFIERS = {
    "tax_id": "59-1234567",
    "tax_id_kind": "ein",
    "billing_npi": make_npi("271828182"),
    "facility_npi": "",
}


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS))
def test_each_persona_may_or_may_not_set_a_locations_claim_identifiers(
    request: pytest.FixtureRequest, who: str, status: int, location: Location
) -> None:
    url = f"/billing/locations/{location.public_id}/identifiers"
    response = _call(request, who, "put", url, IDENTIFIERS)
    assert response.status_code == status, response.content
    saved = LocationBilling.objects.filter(location=location, tax_id="591234567")
    assert saved.exists() == (status == 200)
    if status == 200:
        body = response.json()
        assert body["tax_id"] == "59-1234567"  # owners and billers see it in full
        assert body["tax_id_kind"] == "ein"
        assert body["billing_npi"] == IDENTIFIERS["billing_npi"]
        assert body["facility_npi"] == ""
        event = AuditEvent.objects.get(action="settings", object_type="LocationBilling")
        assert event.detail["tax_id"] == "**-***4567"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"billing_npi": "1234567890"}, {"billing_npi"}),  # wrong check digit
        ({"tax_id": "59-12345"}, {"tax_id"}),
        ({"tax_id_kind": "itin"}, {"tax_id_kind"}),  # not in the declared choices
        ({"facility_npi": "12345678901"}, {"facility_npi"}),  # too long for the schema
        ({"tax_id": "12345678", "billing_npi": "1"}, {"tax_id", "billing_npi"}),
        ({"registered": True}, {"registered"}),  # unknown key
    ],
)
def test_bad_claim_identifiers_are_422_naming_the_field(
    owner: User, location: Location, change: dict[str, Any], fields: set[str]
) -> None:
    api = api_for(owner, "token")
    response = api.client.put(
        f"/api/v1/billing/locations/{location.public_id}/identifiers",
        __import__("json").dumps({**IDENTIFIERS, **change}),
        content_type="application/json",
        headers=api.headers,
    )
    assert error_fields(response) == fields
    assert not LocationBilling.objects.filter(location=location).exists()


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS))
def test_each_persona_may_or_may_not_set_a_self_pay_price(
    request: pytest.FixtureRequest, who: str, status: int, location: Location
) -> None:
    url = f"/billing/locations/{location.public_id}/prices/97124"
    response = _call(request, who, "put", url, {"unit_price": "21.00"})
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["self_pay_prices"] == [{"code": "97124", "unit_price": "21.00"}]


@pytest.mark.parametrize(("who", "status"), matrix(BILLERS))
def test_each_persona_may_or_may_not_set_a_services_self_pay_price(
    request: pytest.FixtureRequest, who: str, status: int, owner: User, location: Location
) -> None:
    service = make_type(owner, "treatment-60", "treatment", 60, needs_room=False)
    url = f"/billing/locations/{location.public_id}/services/{service.public_id}/price"
    response = _call(request, who, "put", url, {"price": "95.00"})
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["service_prices"] == [
            {
                "service": str(service.public_id),
                "name": service.name,
                "price": "95.00",
                "currency": "USD",
            }
        ]
        entry = AuditEvent.objects.filter(object_type="ServicePrice").latest("id")
        assert entry.detail["price"] == "95.00"
    else:
        assert not ServicePrice.objects.filter(appointment_type=service).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"price": "-5.00"}, "price"), ({"price": "9.999"}, "price"), ({"price": "ninety"}, "price")],
)
def test_a_bad_service_price_is_422_naming_the_field(
    request: pytest.FixtureRequest, owner: User, location: Location, body: Any, field: str
) -> None:
    service = make_type(owner, "treatment-60", "treatment", 60, needs_room=False)
    url = f"/billing/locations/{location.public_id}/services/{service.public_id}/price"
    response = _call(request, "owner", "put", url, body)
    assert response.status_code == 422, response.content
    assert error_fields(response) == {field}
    assert not ServicePrice.objects.filter(appointment_type=service).exists()


def test_a_retired_service_gets_no_price_and_another_organizations_is_404(
    request: pytest.FixtureRequest, owner: User, outsider: User, location: Location
) -> None:
    retired = make_type(owner, "treatment-60", "treatment", 60, needs_room=False)
    AppointmentType.objects.filter(pk=retired.pk).update(active=False)
    url = f"/billing/locations/{location.public_id}/services/{retired.public_id}/price"
    response = _call(request, "owner", "put", url, {"price": "95.00"})
    assert response.status_code == 422, response.content
    assert error_fields(response) == {"appointment_type"}
    theirs = make_type(outsider, "theirs-60", "treatment", 60, needs_room=False)
    url = f"/billing/locations/{location.public_id}/services/{theirs.public_id}/price"
    assert _call(request, "owner", "put", url, {"price": "95.00"}).status_code == 404


@pytest.mark.parametrize(("who", "status"), matrix(LIST_OWN_ORG))
def test_each_persona_may_or_may_not_read_the_code_map(
    request: pytest.FixtureRequest, who: str, status: int
) -> None:
    response = _call(request, who, "get", "/billing/code-map")
    assert response.status_code == status, response.content
    if status == 200:
        found = {row["technique"]: row["code"] for row in response.json()}
        assert found["myofascial_release"] == "97140"
        assert found["reflexology"] is None


@pytest.mark.parametrize(("who", "status"), matrix(CONFIG_PUT_OWN))
def test_each_persona_may_or_may_not_map_a_technique(
    request: pytest.FixtureRequest, who: str, status: int
) -> None:
    response = _call(request, who, "put", "/billing/code-map/stretching", {"code": "97110"})
    assert response.status_code == status, response.content


@pytest.mark.parametrize(("who", "status"), matrix(LIST_OWN_ORG))
def test_each_persona_may_or_may_not_list_packages(
    request: pytest.FixtureRequest, who: str, status: int, package: PrepaidPlan
) -> None:
    response = _call(request, who, "get", "/billing/prepaid-plans")
    assert response.status_code == status, response.content


@pytest.mark.parametrize(("who", "status"), matrix(CONFIG_CREATE))
def test_each_persona_may_or_may_not_add_a_membership(
    request: pytest.FixtureRequest, who: str, status: int, owner: User
) -> None:
    body = {"kind": "membership", "name": "Monthly", "visits": 2, "price": "89.00"}
    response = _call(request, who, "post", "/billing/prepaid-plans", body)
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["price"] == "89.00"
        assert Decimal(response.json()["price"]) == Decimal("89.00")
