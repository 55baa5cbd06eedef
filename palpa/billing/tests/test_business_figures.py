"""The business figures, each on a small explicit dataset in the clinic's zone (Tampa,
America/New_York); the clock stands at Monday 2 March 2026, 15:00 in Tampa, and moves
(time-machine) where a record's own time matters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from palpa.accounts.models import Location, Room, User
from palpa.billing import business, services
from palpa.billing.models import PrepaidPlan
from palpa.billing.tests.support import charge_of, sign_visit
from palpa.care.models import TreatmentNote
from palpa.care.notes.services import start_note
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from palpa.practitioners.models import Practitioner
from palpa.referrals import services as referrals
from palpa.scheduling import services as scheduling
from palpa.scheduling.models import Appointment, AppointmentType
from palpa.scheduling.online import update_online_settings
from palpa.scheduling.tests.support import NEW_YORK, at, make_room, make_type, weekday_hours
from palpa.screening.services import record_screening

FEBRUARY = business.Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28), NEW_YORK)
WEEK_OF_FEB_9 = business.Period(dt.date(2026, 2, 9), dt.date(2026, 2, 13), NEW_YORK)


def _patient(owner: User, location: Location, given: str, family: str) -> Patient:
    patient = create_patient(
        actor=owner,
        given_name=given,
        family_name=family,
        date_of_birth=dt.date(1980, 1, 1),
        primary_location=location,
    )
    record_screening(actor=owner, patient=patient, facts={})
    return patient


@pytest.fixture
def package(owner: User) -> PrepaidPlan:
    return services.add_prepaid_plan(
        actor=owner, kind="package", name="5 x 60 minutes", visits=5, price="400.00"
    )


@pytest.fixture
def treatment(owner: User) -> AppointmentType:
    return make_type(owner, "treatment-60", "treatment", 60)


@pytest.fixture
def room(location: Location) -> Room:
    return make_room(location, "Room 1")


@pytest.fixture
def hours(owner: User, practitioner: Practitioner, location: Location) -> None:
    weekday_hours(owner, practitioner, location)  # Monday to Friday, 09:00-17:00


def _book(
    owner: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    kind: AppointmentType,
    start: dt.datetime,
    room: Room | None = None,
) -> Appointment:
    with time_machine.travel(start - dt.timedelta(days=5), tick=False):
        return scheduling.book_appointment(
            actor=owner,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=kind,
            start=start,
            room=room,
        )


def _cancel(front_desk: User, appointment: Appointment, when: dt.datetime) -> None:
    with time_machine.travel(when, tick=False):
        scheduling.cancel_appointment(
            actor=front_desk,
            appointment=appointment,
            reason="Patient called",
            offer_to_waitlist=False,
        )


# --- revenue -----------------------------------------------------------------------------


def test_a_payment_at_2330_on_the_last_day_counts_and_one_at_0030_the_next_day_does_not(
    owner: User, front_desk: User, patient: Patient, package: PrepaidPlan
) -> None:
    services.sell_prepaid(actor=front_desk, patient=patient, plan=package)
    received = [
        (dt.datetime(2026, 1, 31, 23, 30), "7.00"),  # the day before the period
        (dt.datetime(2026, 2, 1, 0, 30), "10.00"),  # its first half hour
        (dt.datetime(2026, 2, 28, 23, 30), "40.00"),  # its last half hour
        (dt.datetime(2026, 3, 1, 0, 30), "15.00"),  # the day after
    ]
    for local, amount in received:
        with time_machine.travel(local.replace(tzinfo=NEW_YORK), tick=False):
            services.record_payment(actor=front_desk, patient=patient, amount=amount, method="cash")

    found = business.figures(owner, FEBRUARY)

    assert found.collected == Decimal("50.00")
    by_week = {got.first: got.value for _, got in found.revenue_by_week}
    assert by_week[dt.date(2026, 1, 26)] == Decimal("10.00")  # Sunday 1 February's week
    assert by_week[dt.date(2026, 2, 23)] == Decimal("40.00")


def test_revenue_collected_is_net_of_refunds_in_the_period(
    owner: User, front_desk: User, biller: User, patient: Patient, package: PrepaidPlan
) -> None:
    services.sell_prepaid(actor=front_desk, patient=patient, plan=package)
    with time_machine.travel(dt.datetime(2026, 2, 10, 12, 0, tzinfo=NEW_YORK), tick=False):
        payment = services.record_payment(
            actor=front_desk, patient=patient, amount="100.00", method="cash"
        )
    with time_machine.travel(dt.datetime(2026, 2, 12, 12, 0, tzinfo=NEW_YORK), tick=False):
        services.refund_payment(actor=biller, payment=payment, amount="30.00", memo="Overpaid")

    assert business.figures(owner, FEBRUARY).collected == Decimal("70.00")


@pytest.mark.usefixtures("self_pay_prices")
def test_revenue_billed_is_the_period_s_charges_by_date_of_service_without_void_ones(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> None:
    def visit(day: dt.date) -> TreatmentNote:  # screened and signed on the day
        with time_machine.travel(dt.datetime.combine(day, dt.time(18), NEW_YORK), tick=False):
            record_screening(actor=owner, patient=patient, facts={})
            return sign_visit(therapist, patient, location, visit_date=day)

    in_period = visit(dt.date(2026, 2, 28))
    voided = visit(dt.date(2026, 2, 27))
    visit(dt.date(2026, 3, 1))
    services.void_charge(actor=biller, charge=charge_of(voided), reason="Billed twice")

    found = business.figures(owner, FEBRUARY)

    assert charge_of(in_period).total > 0
    assert found.billed == charge_of(in_period).total
    assert found.visits == 2  # both February notes are signed visits; the charge was void


def test_outstanding_balances_list_the_patients_who_owe_and_their_total(
    owner: User, front_desk: User, patient: Patient, location: Location, package: PrepaidPlan
) -> None:
    other = _patient(owner, location, "Ana", "Brooks")
    settled = _patient(owner, location, "Cal", "Dunn")
    for who in (patient, other, settled):
        services.sell_prepaid(actor=front_desk, patient=who, plan=package)
    services.record_payment(actor=front_desk, patient=patient, amount="150.00", method="cash")
    services.record_payment(actor=front_desk, patient=settled, amount="400.00", method="cash")

    found = business.figures(owner, FEBRUARY)

    assert (found.owing_patients, found.owing_total) == (2, Decimal("650.00"))
    assert [p.full_name for p in found.balances] == [other.full_name, patient.full_name]


# --- visits, no-shows, late cancellations -------------------------------------------------


@pytest.mark.usefixtures("hours")
def test_no_shows_and_cancellations_within_the_notice_count_as_late(
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    def book(day: int) -> Appointment:
        return _book(
            owner, patient, practitioner, location, treatment, at(dt.date(2026, 2, day), "10:00")
        )

    no_show, late, early, done = book(10), book(11), book(12), book(13)
    with time_machine.travel(at(dt.date(2026, 2, 10), "11:00"), tick=False):
        scheduling.mark_no_show(actor=front_desk, appointment=no_show)
    _cancel(front_desk, late, at(dt.date(2026, 2, 11), "08:00"))  # 2 hours before
    _cancel(front_desk, early, at(dt.date(2026, 2, 10), "09:00"))  # 49 hours before
    scheduling.mark_fulfilled(actor=front_desk, appointment=done)

    outcomes = business.figures(owner, FEBRUARY).outcomes

    assert outcomes == {"fulfilled": 1, "noshow": 1, "cancelled": 2, "late_cancelled": 1}


@pytest.mark.usefixtures("hours")
def test_the_location_s_own_cancellation_notice_decides_what_is_late(
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    update_online_settings(
        actor=owner,
        location=location,
        changes={"cancel_notice_hours": 72},
        appointment_types=[],
    )
    early = _book(
        owner, patient, practitioner, location, treatment, at(dt.date(2026, 2, 12), "10:00")
    )
    _cancel(front_desk, early, at(dt.date(2026, 2, 10), "09:00"))  # 49 hours before

    assert business.figures(owner, FEBRUARY).outcomes["late_cancelled"] == 1


# --- utilization -----------------------------------------------------------------------------


@pytest.mark.usefixtures("hours")
def test_utilization_is_booked_minutes_over_working_minutes_less_time_off(
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    room: Room,
) -> None:
    scheduling.add_availability_exception(
        actor=owner,
        practitioner=practitioner,
        starts_at=at(dt.date(2026, 2, 13), "00:00"),
        ends_at=at(dt.date(2026, 2, 14), "00:00"),
        reason="Conference",
    )
    held = _book(
        owner, patient, practitioner, location, treatment, at(dt.date(2026, 2, 9), "10:00"), room
    )
    no_show = _book(
        owner, patient, practitioner, location, treatment, at(dt.date(2026, 2, 10), "10:00"), room
    )
    cancelled = _book(
        owner, patient, practitioner, location, treatment, at(dt.date(2026, 2, 11), "10:00"), room
    )
    with time_machine.travel(at(dt.date(2026, 2, 10), "11:00"), tick=False):
        scheduling.mark_no_show(actor=front_desk, appointment=no_show)
    _cancel(front_desk, cancelled, at(dt.date(2026, 2, 9), "09:00"))
    assert held.status == Appointment.Status.BOOKED

    found = business.figures(owner, WEEK_OF_FEB_9)

    # Four working days of 8 hours (Friday off): 1920 minutes; two hours held.
    [therapist_row] = found.therapists
    assert (therapist_row.booked, therapist_row.available, therapist_row.percent) == (120, 1920, 6)
    [room_row] = found.rooms
    assert (room_row.booked, room_row.available, room_row.percent) == (120, 1920, 6)


# --- referral sources and unsigned notes ------------------------------------------------------


def test_referral_sources_count_referrals_patients_and_visits_by_physician(
    owner: User, therapist: User, patient: Patient, location: Location
) -> None:
    ortho = referrals.add_physician(
        actor=owner, given_name="Maya", family_name="Ortiz", credentials="MD", npi="1234567893"
    )
    other = _patient(owner, location, "Ana", "Brooks")
    for who, starts_on in ((patient, dt.date(2026, 2, 3)), (other, dt.date(2026, 2, 20))):
        referrals.record_referral(
            actor=owner,
            patient=who,
            physician=ortho,
            diagnoses=["M54.50"],
            requested_service="Medical massage",
            visits_authorized=6,
            starts_on=starts_on,
            expires_on=dt.date(2026, 6, 30),
        )
    referrals.record_referral(
        actor=owner,
        patient=patient,
        physician=ortho,
        diagnoses=["M54.50"],
        requested_service="Medical massage",
        visits_authorized=6,
        starts_on=dt.date(2026, 3, 1),  # after the period
        expires_on=dt.date(2026, 6, 30),
    )

    [source] = business.figures(owner, FEBRUARY).sources

    assert (source.name, source.referrals, source.patients) == ("Maya Ortiz", 2, 2)


def test_unsigned_notes_count_drafts_older_than_three_days_by_therapist(
    owner: User, therapist: User, patient: Patient, location: Location
) -> None:
    for days_ago in (5, 4, 1):
        with time_machine.travel(
            dt.datetime(2026, 3, 2, 12, 0, tzinfo=NEW_YORK) - dt.timedelta(days=days_ago),
            tick=False,
        ):
            start_note(
                actor=therapist,
                patient=patient,
                location=location,
                visit_date=dt.date(2026, 3, 2) - dt.timedelta(days=days_ago),
            )

    [row] = business.figures(owner, FEBRUARY).unsigned

    assert (row["name"], row["count"], row["oldest"]) == ("Tess Therapist", 2, dt.date(2026, 2, 25))


# --- periods --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [
        ("week", dt.date(2026, 3, 2), dt.date(2026, 3, 4)),
        ("month", dt.date(2026, 3, 1), dt.date(2026, 3, 4)),
        ("last_month", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        ("90_days", dt.date(2025, 12, 5), dt.date(2026, 3, 4)),
    ],
)
def test_presets_are_whole_local_days_ending_today(
    preset: str, first: dt.date, last: dt.date
) -> None:
    period, errors = business.read_period({"preset": preset}, dt.date(2026, 3, 4), NEW_YORK)
    assert (period.first, period.last, errors) == (first, last, {})


def test_a_period_runs_from_local_midnight_to_local_midnight_across_the_clock_change() -> None:
    period = business.Period(dt.date(2026, 3, 8), dt.date(2026, 3, 8), NEW_YORK)
    assert period.start == dt.datetime(2026, 3, 8, 5, 0, tzinfo=dt.UTC)
    assert period.end == dt.datetime(2026, 3, 9, 4, 0, tzinfo=dt.UTC)  # 23 hours


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "2026-02-30", "to": "2026-03-01"}, "from", "From: enter a date as YYYY-MM-DD."),
        ({"from": "2026-02-01", "to": "soon"}, "to", "To: enter a date as YYYY-MM-DD."),
        ({"from": "2026-02-10", "to": "2026-02-01"}, "to", "To: must be on or after From."),
        (
            {"from": "2024-01-01", "to": "2026-02-01"},
            "to",
            "To: a period is at most 366 days long.",
        ),
    ],
)
def test_a_bad_period_names_the_field_and_the_rule_and_shows_this_month(
    params: dict[str, str], field: str, message: str
) -> None:
    period, errors = business.read_period(params, dt.date(2026, 3, 4), NEW_YORK)
    assert errors == {field: message}
    assert (period.first, period.last) == (dt.date(2026, 3, 1), dt.date(2026, 3, 4))
