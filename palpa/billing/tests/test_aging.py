"""Aging of outstanding balances: what is open on each posted visit, in buckets of days
since the date of service (0-30, 31-60, 61-90, over 90), counted from the clinic's day in
its time zone; on the balances page and the business page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.billing import business, services
from palpa.billing.models import Charge, Coverage
from palpa.billing.tests.support import charge_of, sign_visit, signed_plan
from palpa.core.tests.support import TODAY, clinic_today
from palpa.patients.models import Patient

pytestmark = pytest.mark.django_db

# 21:30 in Tampa on the frozen Monday: already Tuesday 02:30 in UTC.
EVENING = dt.datetime(2026, 3, 3, 2, 30, tzinfo=dt.UTC)
D = dt.timedelta


def _by_label(rows: list[business.AgingRow]) -> dict[str, tuple[Decimal, Decimal, int]]:
    return {r.label: (r.patients, r.insurers, r.visits) for r in rows}


def test_the_buckets_take_each_visit_by_its_days_since_the_date_of_service() -> None:
    today = dt.date(2026, 6, 30)
    rows = [
        (today, False, Decimal("10.00")),  # 0 days
        (today - D(days=30), False, Decimal("1.00")),  # 30: still the first bucket
        (today - D(days=31), True, Decimal("2.00")),
        (today - D(days=60), False, Decimal("3.00")),
        (today - D(days=61), True, Decimal("4.00")),
        (today - D(days=90), True, Decimal("5.00")),
        (today - D(days=91), False, Decimal("6.00")),
        (today - D(days=400), True, Decimal("7.00")),
        (today + D(days=1), False, Decimal("0.50")),  # dated tomorrow: counts as 0 days
    ]
    found = business.aging(rows, today)
    assert [r.label for r in found] == [
        "0-30 days",
        "31-60 days",
        "61-90 days",
        "Over 90 days",
        "Total",
    ]
    assert _by_label(found) == {
        "0-30 days": (Decimal("11.50"), Decimal("0.00"), 3),
        "31-60 days": (Decimal("3.00"), Decimal("2.00"), 2),
        "61-90 days": (Decimal("0.00"), Decimal("9.00"), 2),
        "Over 90 days": (Decimal("6.00"), Decimal("7.00"), 2),
        "Total": (Decimal("20.50"), Decimal("18.00"), 9),
    }
    assert found[-1].total == Decimal("38.50")


def test_no_open_visit_gives_zero_rows() -> None:
    found = business.aging([], dt.date(2026, 6, 30))
    assert all(r.total == 0 and r.visits == 0 for r in found)


def _ready(biller: User, charge: Charge, days_ago: int = 0) -> Charge:
    """The charge marked ready, its visit moved ``days_ago`` before the frozen day (the
    patient's screening is today, so notes are signed today and dated back here)."""
    Charge.objects.filter(pk=charge.pk).update(date_of_service=TODAY - D(days=days_ago))
    charge.refresh_from_db()
    return services.mark_charge_ready(actor=biller, charge=charge)


def test_open_visits_are_aged_from_the_clinics_day_not_the_utc_day(
    therapist: User,
    biller: User,
    front_desk: User,
    patient: Patient,
    location: Location,
    self_pay_prices: None,
    insured: Coverage,
) -> None:
    # The insured visit: signed first, while the coverage is in effect.
    plan = signed_plan(therapist, patient, location, ["M54.50"])
    insurer_visit = _ready(
        biller,
        charge_of(sign_visit(therapist, patient, location, plan=plan)),
        29,
    )
    Coverage.objects.filter(pk=insured.pk).update(status=Coverage.Status.ENTERED_IN_ERROR)
    # Self-pay visits: 30 days ago in Tampa is 31 days ago by the UTC date this evening.
    thirty = _ready(
        biller,
        charge_of(sign_visit(therapist, patient, location, (("swedish", 30),))),
        30,
    )
    paid = _ready(
        biller,
        charge_of(sign_visit(therapist, patient, location, (("swedish", 15),))),
        95,
    )
    services.record_payment(
        actor=front_desk, patient=patient, amount="20.00", method="cash", charge=paid
    )
    still_to_review = charge_of(sign_visit(therapist, patient, location, (("swedish", 60),)))
    assert still_to_review.status == Charge.Status.TO_REVIEW  # not posted: not aged
    with time_machine.travel(EVENING, tick=False):
        assert clinic_today() == TODAY  # still Monday in Tampa
        found = _by_label(business.aging_for(biller))
    assert found["0-30 days"] == (thirty.total, insurer_visit.total, 2)
    assert found["31-60 days"] == (Decimal("0.00"), Decimal("0.00"), 0)
    assert found["Over 90 days"] == (Decimal("0.00"), Decimal("0.00"), 0)  # paid in full
    assert found["Total"][2] == 2


def test_the_balances_and_business_pages_show_the_aging_table(
    client_for: Callable[[User], Client],
    therapist: User,
    biller: User,
    owner: User,
    patient: Patient,
    location: Location,
    self_pay_prices: None,
) -> None:
    _ready(
        biller,
        charge_of(sign_visit(therapist, patient, location, (("swedish", 30),))),
        45,
    )
    for user, url in ((biller, "/billing/balances/"), (owner, "/business/")):
        html = client_for(user).get(url).content.decode()
        assert "Aging: what is owed, by days since the date of service" in html, url
        row = html.split('<th scope="row">31-60 days</th>')[1].split("</tr>")[0]
        assert '<td class="num">1</td>' in row, (url, row)
        assert "40.00" in row, (url, row)


@pytest.mark.parametrize("persona", ["therapist", "outsider"])
def test_others_do_not_see_this_organizations_aging(
    client_for: Callable[[User], Client],
    persona: str,
    request: pytest.FixtureRequest,
    therapist: User,
    biller: User,
    patient: Patient,
    location: Location,
    self_pay_prices: None,
) -> None:
    _ready(biller, charge_of(sign_visit(therapist, patient, location, (("swedish", 30),))))
    user = request.getfixturevalue(persona)
    if persona == "outsider":
        assert business.aging_for(user)[-1].visits == 0
        html = client_for(user).get("/billing/balances/").content.decode()
        assert "40.00" not in html
    else:
        assert client_for(user).get("/business/").status_code == 403


def test_a_payment_without_a_visit_clears_the_oldest_debt_first(
    therapist: User,
    biller: User,
    front_desk: User,
    patient: Patient,
    location: Location,
    self_pay_prices: None,
) -> None:
    old = charge_of(sign_visit(therapist, patient, location, (("swedish", 30),)))
    _ready(biller, old, 70)  # 40.00, 70 days ago
    new = charge_of(sign_visit(therapist, patient, location, (("swedish", 15),)))
    _ready(biller, new, 5)  # 20.00, 5 days ago
    services.record_payment(actor=front_desk, patient=patient, amount="50.00", method="cash")
    found = _by_label(business.aging_for(biller))
    assert found["61-90 days"] == (Decimal("0.00"), Decimal("0.00"), 0)
    assert found["0-30 days"] == (Decimal("10.00"), Decimal("0.00"), 1)
    assert found["Total"][0] == Decimal("10.00")  # the balance: 60.00 - 50.00
