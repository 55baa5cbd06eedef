"""The biller's screens and the patient's account page, persona by persona."""

from __future__ import annotations

from decimal import Decimal

import pytest

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import services
from palpa.billing.models import Charge, LedgerEntry, Payer
from palpa.billing.queries import account_balances, patient_balance
from palpa.billing.tests.support import charge_of, sign_visit
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.patients.models import Patient

STAFF = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 404,
    "anonymous": 302,
}
OWN_ORG_LIST = {**STAFF, "outsider": 200}
CHARGE_LIST = {**OWN_ORG_LIST, "front_desk": 403}
CHARGE_PAGE = {**STAFF, "front_desk": 403}
REVIEW = {
    **STAFF,
    "owner": 302,
    "biller": 302,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
}
TAKE = {
    **STAFF,
    "owner": 302,
    "front_desk": 302,
    "biller": 302,
    "therapist": 403,
    "other_therapist": 403,
}


@pytest.fixture
def charge(therapist: User, patient: Patient, location: Location, self_pay_prices: None) -> Charge:
    return charge_of(sign_visit(therapist, patient, location, (("swedish", 45),)))


@pytest.mark.parametrize(("who", "status"), matrix(CHARGE_LIST))
def test_each_persona_may_or_may_not_open_charges_to_review(
    request: pytest.FixtureRequest, who: str, status: int, charge: Charge
) -> None:
    response = web_client(request, who).get("/billing/charges/?status=to_review")
    assert_answer(response, who, status)
    if status == 200 and who != "outsider":
        assert b"Rosa Delgado" in response.content
        assert b"97124&times;3" in response.content or b"97124\xc3\x973" in response.content


@pytest.mark.parametrize(("who", "status"), matrix(CHARGE_PAGE))
def test_each_persona_may_or_may_not_open_a_charge(
    request: pytest.FixtureRequest, who: str, status: int, charge: Charge
) -> None:
    response = web_client(request, who).get(f"/billing/charges/{charge.public_id}/")
    assert_answer(response, who, status)
    reads = AuditEvent.objects.filter(action="read", object_type="Charge")
    assert reads.exists() == (status == 200)
    if status == 200:
        assert (b"Mark ready to bill" in response.content) == (who in {"owner", "biller"})


@pytest.mark.parametrize(("who", "status"), matrix(REVIEW))
def test_each_persona_may_or_may_not_mark_a_charge_ready_on_its_page(
    request: pytest.FixtureRequest, who: str, status: int, charge: Charge
) -> None:
    response = web_client(request, who).post(f"/billing/charges/{charge.public_id}/ready/")
    assert_answer(response, who, status)
    charge.refresh_from_db()
    assert (charge.status == "ready") == (status == 302 and who != "anonymous")


@pytest.mark.parametrize(("who", "status"), matrix(OWN_ORG_LIST))
def test_each_persona_may_or_may_not_open_payments_and_balances(
    request: pytest.FixtureRequest, who: str, status: int, front_desk: User, patient: Patient
) -> None:
    services.record_payment(actor=front_desk, patient=patient, amount="12.00", method="cash")
    client = web_client(request, who)
    for url in ("/billing/payments/", "/billing/balances/", "/billing/settings/"):
        response = client.get(url)
        assert_answer(response, who, status)
        if status == 200:
            assert (b"Rosa Delgado" in response.content) == (
                who != "outsider" and url != "/billing/settings/"
            )


@pytest.mark.parametrize(("who", "status"), matrix(STAFF))
def test_each_persona_may_or_may_not_open_a_patients_account(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).get(f"/billing/patients/{patient.public_id}/")
    assert_answer(response, who, status)
    reads = AuditEvent.objects.filter(action="read", detail__view="billing account")
    assert reads.exists() == (status == 200)
    if status == 200:
        assert (b"Take a payment" in response.content) == (who in {"owner", "front_desk", "biller"})
        assert (b"Post the adjustment" in response.content) == (who in {"owner", "biller"})


@pytest.mark.parametrize(("who", "status"), matrix(TAKE))
def test_each_persona_may_or_may_not_take_a_payment_on_the_account_page(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    form = {"pay-amount": "35.00", "pay-method": "card", "pay-reference": "TRM-9"}
    url = f"/billing/patients/{patient.public_id}/payment/"
    response = web_client(request, who).post(url, form)
    assert_answer(response, who, status)
    paid = status == 302 and who != "anonymous"
    assert patient_balance(patient) == (Decimal("-35.00") if paid else 0)


def test_a_refused_payment_shows_the_rule_and_posts_nothing(
    client_for: object, front_desk: User, patient: Patient
) -> None:
    client = client_for(front_desk)  # type: ignore[operator]
    url = f"/billing/patients/{patient.public_id}/payment/"
    response = client.post(url, {"pay-amount": "35", "pay-method": "card"}, follow=True)
    assert b"terminal" in response.content
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(("who", "status"), matrix(REVIEW))
def test_each_persona_may_or_may_not_reverse_an_entry_on_the_account_page(
    request: pytest.FixtureRequest, who: str, status: int, front_desk: User, patient: Patient
) -> None:
    payment = services.record_payment(actor=front_desk, patient=patient, amount="9", method="cash")
    url = f"/billing/entries/{payment.public_id}/reverse/"
    response = web_client(request, who).post(url, {"reverse-memo": "Wrong patient"})
    assert_answer(response, who, status)
    done = status == 302 and who != "anonymous"
    assert LedgerEntry.objects.filter(reverses=payment).exists() == done


def test_the_chart_links_to_the_account(
    client_for: object, front_desk: User, patient: Patient
) -> None:
    response = client_for(front_desk).get(f"/patients/{patient.public_id}/")  # type: ignore[operator]
    assert response.status_code == 200
    assert f"/billing/patients/{patient.public_id}/".encode() in response.content


def test_a_biller_posts_an_insurer_payment_and_a_transfer_on_the_account_page(
    client_for: object, biller: User, patient: Patient, payer: Payer
) -> None:
    services.post_adjustment(
        actor=biller,
        patient=patient,
        amount="100",
        reason="correction",
        memo="Opening insurer balance",
        responsibility="insurer",
    )
    client = client_for(biller)  # type: ignore[operator]
    base = f"/billing/patients/{patient.public_id}"
    form = {
        "pay-amount": "70.00",
        "pay-method": "insurer",
        "pay-payer": str(payer.public_id),
        "pay-reference": "EOB 5521",
    }
    assert client.post(f"{base}/payment/", form).status_code == 302
    page = client.get(f"{base}/")
    assert b"Move part of the insurers" in page.content
    form = {"transfer-amount": "30.00", "transfer-memo": "Deductible"}
    assert client.post(f"{base}/transfer/", form).status_code == 302
    assert account_balances(patient) == {
        "patient": Decimal("30.00"),
        "insurer": Decimal("0.00"),
        "total": Decimal("30.00"),
    }


CONFIGURE = {
    **STAFF,
    "owner": 302,
    "biller": 302,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "outsider": 302,  # their own organization's settings: our payer is not among its choices
}


@pytest.mark.parametrize(("who", "status"), matrix(CONFIGURE))
def test_each_persona_may_or_may_not_set_a_fee_on_the_settings_page(
    request: pytest.FixtureRequest, who: str, status: int, payer: Payer
) -> None:
    form = {"fee-payer": str(payer.public_id), "fee-code": "97112", "fee-unit_price": "33.33"}
    response = web_client(request, who).post("/billing/settings/fee/", form)
    assert_answer(response, who, status)
    fee = payer.fees.get(code="97112").unit_price
    assert (fee == Decimal("33.33")) == (who in {"owner", "biller"})


def test_an_owner_configures_billing_on_the_settings_page(
    client_for: object, owner: User, location: Location
) -> None:
    from palpa.billing.models import CodeMapping, LocationBilling, PrepaidPlan, SelfPayPrice

    client = client_for(owner)  # type: ignore[operator]
    posts = {
        "payer": {
            "payer-name": "Sunshine Mutual",
            "payer-unit_rule": "per-code",
            "payer-modifiers": "gp",
        },
        "code_map": {"map-technique": "stretching", "map-code": "97110"},
        "location": {
            "loc-location": str(location.public_id),
            "loc-place_of_service": "12",
            "loc-code": "97124",
            "loc-unit_price": "19.50",
        },
        "plan": {
            "plan-kind": "package",
            "plan-name": "5 x 60",
            "plan-visits": "5",
            "plan-minutes_per_visit": "60",
            "plan-price": "400.00",
        },
    }
    for action, form in posts.items():
        assert client.post(f"/billing/settings/{action}/", form).status_code == 302
    assert Payer.objects.get(name="Sunshine Mutual").modifiers == ["GP"]
    assert CodeMapping.objects.get(technique="stretching").code == "97110"
    assert LocationBilling.objects.get(location=location).place_of_service == "12"
    assert SelfPayPrice.objects.get(location=location, code="97124").unit_price == Decimal("19.50")
    assert PrepaidPlan.objects.get(name="5 x 60").visits == 5
    page = client.get("/billing/settings/")
    assert b"Sunshine Mutual" in page.content
    assert b"Add a payer" in page.content
    bad = client.post(
        "/billing/settings/location/", {**posts["location"], "loc-code": "12345"}, follow=True
    )
    assert b"is not in Palpa&#x27;s code book" in bad.content


def test_a_payment_is_shown_as_a_positive_amount_paid_never_a_negative_number(
    client_for: object, front_desk: User, patient: Patient
) -> None:
    services.record_payment(
        actor=front_desk, patient=patient, amount="35.00", method="card", reference="TRM-9"
    )
    client = client_for(front_desk)  # type: ignore[operator]
    account = client.get(f"/billing/patients/{patient.public_id}/").content.decode()
    assert "-35.00" not in account
    assert "Paid or credited" in account
    assert '<td class="num"></td><td class="num">35.00 USD</td>' in account
    assert "Patient is in credit" in account
    assert '<dd id="patient-balance">35.00</dd>' in account
    payments = client.get("/billing/payments/").content.decode()
    assert "-35.00" not in payments
    assert "Amount paid" in payments
    assert "35.00 USD" in payments
