"""Packages and memberships: a self-pay visit is drawn from them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from palpa.accounts.models import Location, User
from palpa.billing import services
from palpa.billing.models import LedgerEntry
from palpa.billing.queries import patient_balance
from palpa.billing.tests.support import charge_of, sign_visit
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient


def test_visits_are_drawn_from_a_package_until_it_is_used_up(
    owner: User,
    front_desk: User,
    biller: User,
    therapist: User,
    patient: Patient,
    location: Location,
    self_pay_prices: None,
) -> None:
    plan = services.add_prepaid_plan(
        actor=owner,
        kind="package",
        name="2 x 60 minutes",
        visits=2,
        price="150.00",
        minutes_per_visit=60,
    )
    package = services.sell_prepaid(actor=front_desk, patient=patient, plan=plan)
    services.record_payment(actor=front_desk, patient=patient, amount="150", method="cash")
    charges = []
    for _ in range(3):
        note = sign_visit(therapist, patient, location, (("swedish", 60),))
        charges.append(services.mark_charge_ready(actor=biller, charge=charge_of(note)))
    assert [c.prepaid for c in charges] == [package, package, None]
    assert services.visits_left(package, TODAY) == 0
    credit = LedgerEntry.objects.filter(kind="prepaid")
    assert sorted(e.amount for e in credit) == [Decimal("-80.00"), Decimal("-80.00")]
    assert patient_balance(patient) == Decimal("80.00")  # only the third visit is owed


def test_a_membership_includes_its_visits_each_month(
    owner: User,
    front_desk: User,
    therapist: User,
    patient: Patient,
    location: Location,
    self_pay_prices: None,
) -> None:
    plan = services.add_prepaid_plan(
        actor=owner, kind="membership", name="Monthly", visits=1, price="70.00"
    )
    membership = services.sell_prepaid(
        actor=front_desk, patient=patient, plan=plan, starts_on=TODAY - dt.timedelta(days=5)
    )
    from palpa.screening.services import record_screening

    record_screening(
        actor=owner, patient=patient, facts={"as_of": (TODAY - dt.timedelta(days=5)).isoformat()}
    )
    # 2026-02-25 is in February; TODAY (2026-03-02) in March: one included visit each.
    first = sign_visit(therapist, patient, location, visit_date=TODAY - dt.timedelta(days=5))
    second = sign_visit(therapist, patient, location, visit_date=TODAY)
    third = sign_visit(therapist, patient, location, visit_date=TODAY)
    assert charge_of(first).prepaid == membership
    assert charge_of(second).prepaid == membership
    assert charge_of(third).prepaid is None
    assert services.visits_left(membership, TODAY) == 0


def test_a_voided_visit_gives_its_draw_back(
    owner: User,
    front_desk: User,
    biller: User,
    therapist: User,
    patient: Patient,
    location: Location,
    self_pay_prices: None,
) -> None:
    plan = services.add_prepaid_plan(
        actor=owner, kind="package", name="One visit", visits=1, price="75.00"
    )
    package = services.sell_prepaid(actor=front_desk, patient=patient, plan=plan)
    charge = services.mark_charge_ready(
        actor=biller, charge=charge_of(sign_visit(therapist, patient, location))
    )
    assert services.visits_left(package, TODAY) == 0
    services.void_charge(actor=biller, charge=charge, reason="Visit did not happen.")
    assert services.visits_left(package, TODAY) == 1
    assert patient_balance(patient) == Decimal("75.00")
