"""The business page (/business/) and its dashboard summary, persona by persona: who may
open it, what each sees, the audit entry it leaves, bad input, and its query count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import bar_chart, services
from palpa.billing.models import PrepaidPlan
from palpa.core.tests.support import assert_answer, matrix, verified_session, web_client
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services as scheduling
from palpa.scheduling.tests.support import NEW_YORK, at, make_room, make_type, weekday_hours

PAGE = {
    "owner": 200,
    "biller": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "outsider": 200,  # their own organization's figures
    "anonymous": 302,
}
FEBRUARY = "/business/?from=2026-02-01&to=2026-02-28"


@pytest.fixture
def owing(owner: User, front_desk: User, patient: Patient) -> Patient:
    """Rosa bought a package for 400.00 and paid 150.00 on 10 February."""
    plan: PrepaidPlan = services.add_prepaid_plan(
        actor=owner, kind="package", name="5 x 60 minutes", visits=5, price="400.00"
    )
    services.sell_prepaid(actor=front_desk, patient=patient, plan=plan)
    with time_machine.travel(dt.datetime(2026, 2, 10, 12, 0, tzinfo=NEW_YORK), tick=False):
        services.record_payment(actor=front_desk, patient=patient, amount="150.00", method="cash")
    return patient


@pytest.mark.parametrize(("who", "status"), matrix(PAGE))
def test_each_persona_may_or_may_not_open_the_business_page(
    request: pytest.FixtureRequest, who: str, status: int, owing: Patient
) -> None:
    response = web_client(request, who).get(FEBRUARY)
    assert_answer(response, who, status)
    if status != 200:
        return
    page = response.content.decode()
    if who == "outsider":
        assert "Rosa Delgado" not in page
        assert "No patient owes anything." in page
        assert "collected <strong>0.00</strong>" in page
    else:
        assert "Rosa Delgado" in page
        assert "collected <strong>150.00</strong>" in page
        assert "1 patient owes 250.00" in page


def test_the_biller_sees_revenue_but_not_the_operating_figures(
    biller: User, owing: Patient
) -> None:
    page = verified_session(biller).get(FEBRUARY).content.decode()
    assert "Revenue" in page
    assert "Utilization" not in page
    assert "Referral sources" not in page
    assert "Visits:" not in page


def test_the_owner_sees_every_figure_with_its_chart_and_table(owner: User, owing: Patient) -> None:
    page = verified_session(owner).get(FEBRUARY).content.decode()
    for heading in (
        "Visits: 0",
        "Revenue",
        "No-shows and cancellations",
        "Utilization",
        "Referral sources",
        "Notes unsigned for more than 3 days",
        "Outstanding balances",
    ):
        assert heading in page
    assert page.count('role="img"') == 2
    assert "<title>Revenue billed and collected per week</title>" in page
    assert '<th scope="row">Feb 9</th><td class="num">0.00</td><td class="num">150.00</td>' in page


def test_reading_the_figures_is_audited_with_the_patients_listed(
    owner: User, owing: Patient
) -> None:
    verified_session(owner).get(FEBRUARY)
    entry = AuditEvent.objects.filter(object_type="BusinessFigures").latest("seq")
    assert entry.action == AuditEvent.Action.READ
    assert entry.actor_id == owner.pk
    assert entry.detail["period"] == {"from": "2026-02-01", "to": "2026-02-28"}
    assert entry.detail["results"] == [str(owing.public_id)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-02-30&to=2026-03-01", "From: enter a date as YYYY-MM-DD."),
        ("from=2026-02-10&to=2026-02-01", "To: must be on or after From."),
        ("preset=nonsense&from=&to=x", "To: enter a date as YYYY-MM-DD."),
        ("location=not-a-place", "Location: choose one of the organization&#x27;s locations."),
    ],
)
def test_a_bad_period_or_location_is_named_and_the_page_still_answers(
    owner: User, query: str, message: str
) -> None:
    response = verified_session(owner).get(f"/business/?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()


def test_the_presets_link_to_whole_periods_and_mark_the_chosen_one(owner: User) -> None:
    page = verified_session(owner).get("/business/?preset=last_month").content.decode()
    assert '<a href="?preset=last_month" aria-current="page">Last month</a>' in page
    assert 'value="2026-02-01"' in page
    assert 'value="2026-02-28"' in page


def test_the_page_reads_a_bounded_number_of_queries_however_much_happened(
    owner: User,
    front_desk: User,
    practitioner: Practitioner,
    location: Location,
    patient: Patient,
    owing: Patient,
    django_assert_max_num_queries: Any,
) -> None:
    weekday_hours(owner, practitioner, location)
    kind = make_type(owner, "treatment-60", "treatment", 60)
    room = make_room(location, "Room 1")
    client = verified_session(owner)
    client.get(FEBRUARY)  # the session and the first-request work done once
    with CaptureQueriesContext(connection) as before:
        client.get(FEBRUARY)
    assert len(before) <= 33  # 32, and one for every location's closed days
    with time_machine.travel(dt.datetime(2026, 2, 1, 9, 0, tzinfo=NEW_YORK), tick=False):
        for day in range(2, 28):
            scheduling.book_appointment(
                actor=owner,
                patient=patient,
                practitioner=practitioner,
                location=location,
                appointment_type=kind,
                start=at(dt.date(2026, 2, day), "10:00"),
                room=room,
                outside_hours_reason="Weekend visit",
            )
    with django_assert_max_num_queries(len(before)):
        response = client.get(FEBRUARY)
    assert response.status_code == 200


def test_the_owner_s_dashboard_shows_this_month_in_brief_with_a_link(
    owner: User, front_desk: User, patient: Patient
) -> None:
    plan = services.add_prepaid_plan(
        actor=owner, kind="package", name="5 x 60 minutes", visits=5, price="400.00"
    )
    services.sell_prepaid(actor=front_desk, patient=patient, plan=plan)
    services.record_payment(actor=front_desk, patient=patient, amount="75.00", method="cash")
    page = verified_session(owner).get("/").content.decode()
    assert "This month so far" in page
    assert "collected 75.00" in page
    assert "1 patient owes 325.00" in page
    assert 'href="/business/"' in page
    assert AuditEvent.objects.filter(
        object_type="BusinessFigures", detail__view="dashboard summary"
    ).exists()


@pytest.mark.parametrize("who", ["therapist", "front_desk"])
def test_a_therapist_s_or_front_desk_s_dashboard_has_no_business_summary(
    request: pytest.FixtureRequest, who: str
) -> None:
    page = web_client(request, who).get("/").content.decode()
    assert "This month so far" not in page
    assert "/business/" not in page


def test_a_bar_chart_is_an_image_with_a_title_and_a_titled_bar_per_value() -> None:
    svg = bar_chart.render(
        "Visits per week",
        ["Feb 2", "Feb 9"],
        [bar_chart.Series("Visits", [3, 0]), bar_chart.Series("Other <b>", [1, 2])],
    )
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert 'role="img" aria-label="Visits per week"' in svg
    assert "<title>Feb 2: Visits 3</title>" in svg
    assert svg.count("<rect") == 4 + 2  # four bars, two legend keys
    assert "<b>" not in svg
    assert "Other &lt;b&gt;" in svg
    assert "style" not in svg
    assert "script" not in svg


def test_with_a_location_chosen_the_page_says_collected_and_balances_span_every_location(
    owner: User, location: Location, owing: Patient
) -> None:
    """Payments and balances belong to the patient's account, not to a location: with a
    location chosen they stay the organization's, and the page says so."""
    everywhere = verified_session(owner).get(FEBRUARY).content.decode()
    there = (
        verified_session(owner).get(f"{FEBRUARY}&location={location.public_id}").content.decode()
    )
    assert "Collected: payments from every location" not in everywhere
    assert "Collected: payments from every location" in there
    assert "at every location (a patient's account is the organization's" in there
    assert '<td class="num">150.00</td>' in there
