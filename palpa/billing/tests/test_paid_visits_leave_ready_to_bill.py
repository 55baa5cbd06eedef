"""A self-pay visit paid in full leaves *Ready to bill* for *Paid (self-pay)*; a part
payment keeps it there with what is open; a refund brings it back; insurers' charges stay
ready to bill (their claim is still to send)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import queries, services
from palpa.billing.models import Charge, Coverage
from palpa.billing.tests.support import charge_of, sign_visit, signed_plan
from palpa.patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_visit(
    therapist: User, biller: User, patient: Patient, location: Location, self_pay_prices: None
) -> Charge:
    charge = charge_of(sign_visit(therapist, patient, location, (("swedish", 45),)))
    return services.mark_charge_ready(actor=biller, charge=charge)  # 3 x 20.00 = 60.00


def _ids(found: object) -> list[int]:
    return [c.pk for c in found]  # type: ignore[attr-defined]


def test_a_self_pay_visit_paid_in_full_moves_from_ready_to_paid_and_a_refund_brings_it_back(
    front_desk: User, biller: User, patient: Patient, ready_visit: Charge
) -> None:
    charges = queries.charges_for(biller)
    assert ready_visit.total == Decimal("60.00")
    assert _ids(queries.ready_to_bill(charges)) == [ready_visit.pk]
    services.record_payment(
        actor=front_desk, patient=patient, amount="40.00", method="cash", charge=ready_visit
    )
    assert _ids(queries.ready_to_bill(charges)) == [ready_visit.pk]  # 20.00 still open
    assert getattr(queries.with_owed(charges).get(), "owed") == Decimal("20.00")  # noqa: B009
    last = services.record_payment(
        actor=front_desk, patient=patient, amount="20.00", method="cash", charge=ready_visit
    )
    assert _ids(queries.ready_to_bill(charges)) == []
    assert _ids(queries.paid_self_pay(charges)) == [ready_visit.pk]
    services.refund_payment(actor=biller, payment=last, amount="5.00", memo="Shorter visit")
    assert _ids(queries.ready_to_bill(charges)) == [ready_visit.pk]
    assert _ids(queries.paid_self_pay(charges)) == []


def test_a_payment_on_the_account_but_not_on_the_visit_leaves_it_ready_to_bill(
    front_desk: User, biller: User, patient: Patient, ready_visit: Charge
) -> None:
    services.record_payment(actor=front_desk, patient=patient, amount="60.00", method="cash")
    assert _ids(queries.ready_to_bill(queries.charges_for(biller))) == [ready_visit.pk]


def test_an_insurers_charge_stays_ready_to_bill_when_paid(
    therapist: User,
    biller: User,
    patient: Patient,
    location: Location,
    insured: Coverage,
) -> None:
    plan = signed_plan(therapist, patient, location, ["M54.50"])
    charge = charge_of(sign_visit(therapist, patient, location, plan=plan))
    charge = services.mark_charge_ready(actor=biller, charge=charge)
    services.record_payment(
        actor=biller,
        patient=patient,
        amount=str(charge.total),
        method="insurer",
        payer=insured.payer,
        charge=charge,
    )
    charges = queries.charges_for(biller)
    assert _ids(queries.ready_to_bill(charges)) == [charge.pk]
    assert _ids(queries.paid_self_pay(charges)) == []


def test_the_billers_lists_show_the_paid_visit_as_paid(
    client_for: Callable[[User], Client],
    front_desk: User,
    biller: User,
    patient: Patient,
    ready_visit: Charge,
) -> None:
    client = client_for(biller)
    ready = client.get("/billing/charges/?status=ready").content.decode()
    assert f"/billing/charges/{ready_visit.public_id}/" in ready
    assert "Open 60.00 USD" in ready
    services.record_payment(
        actor=front_desk,
        patient=patient,
        amount="60.00",
        method="card",
        reference="T-9",
        charge=ready_visit,
    )
    ready = client.get("/billing/charges/?status=ready").content.decode()
    assert f"/billing/charges/{ready_visit.public_id}/" not in ready
    paid = client.get("/billing/charges/?status=paid").content.decode()
    assert f"/billing/charges/{ready_visit.public_id}/" in paid
    assert "Paid in full" in paid
    search = AuditEvent.objects.filter(action="search").latest("seq")
    assert search.detail["query"] == {"status": "paid"}
    detail = client.get(f"/billing/charges/{ready_visit.public_id}/").content.decode()
    assert "Paid in full (self-pay)" in detail


@pytest.mark.parametrize("persona", ["front_desk", "outsider"])
def test_the_paid_list_is_for_whoever_sees_charges_of_this_organization(
    client_for: Callable[[User], Client],
    persona: str,
    request: pytest.FixtureRequest,
    front_desk: User,
    patient: Patient,
    ready_visit: Charge,
) -> None:
    services.record_payment(
        actor=front_desk, patient=patient, amount="60.00", method="cash", charge=ready_visit
    )
    response = client_for(request.getfixturevalue(persona)).get("/billing/charges/?status=paid")
    if persona == "front_desk":
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        assert str(ready_visit.public_id) not in response.content.decode()
