"""The staff calendar: day and week views per location, practitioner and room, with each
appointment's flags, in the location's time zone, in a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from conftest import verified_client
from palpa.accounts.models import Location, Room, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from palpa.practitioners.models import Practitioner
from palpa.referrals.tests.support import make_physician, make_referral
from palpa.scheduling import flags, grid, services
from palpa.scheduling.models import Appointment, AppointmentType
from palpa.scheduling.tests.support import MONDAY, NEXT_MONDAY, at, make_room
from palpa.screening.queries import screening_status
from palpa.screening.services import record_screening
from palpa.screening.tests.support import facts_modify, facts_stop_neck

pytestmark = pytest.mark.usefixtures("hours")

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 404,
    "anonymous": 302,
}


@pytest.fixture
def booked(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    room: Room,
) -> Appointment:
    return services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(NEXT_MONDAY, "10:00"),
    )


def _url(location: Location, view: str = "week", day: dt.date = NEXT_MONDAY, **more: str) -> str:
    extra = "".join(f"&{k}={v}" for k, v in more.items())
    return f"/schedule/?view={view}&date={day.isoformat()}&location={location.public_id}{extra}"


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_see_the_week(
    request: pytest.FixtureRequest, who: str, status: int, booked: Appointment, location: Location
) -> None:
    response = web_client(request, who).get(_url(location))
    assert_answer(response, who, status)
    if status == 200:
        body = response.content.decode()
        assert "Rosa Delgado" in body
        assert "Treatment 60 min" in body
        assert f'href="/schedule/appointments/{booked.public_id}/"' in body
        assert ("New booking" in body) == (who != "biller")


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_see_the_day(
    request: pytest.FixtureRequest, who: str, status: int, booked: Appointment, location: Location
) -> None:
    response = web_client(request, who).get(_url(location, "day"))
    assert_answer(response, who, status)
    if status == 200:
        assert "Tess Therapist" in response.content.decode()


def test_reading_the_calendar_is_audited_naming_its_patients(
    request: pytest.FixtureRequest, booked: Appointment, location: Location, patient: Patient
) -> None:
    web_client(request, "front_desk").get(_url(location))
    entry = AuditEvent.objects.get(action="read", object_type="Appointment")
    assert entry.detail["view"] == "calendar"
    assert entry.detail["patients"] == [str(patient.public_id)]


def test_times_are_shown_in_the_locations_time_zone_across_the_spring_change(
    request: pytest.FixtureRequest,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    room: Room,
) -> None:
    # Clocks go forward in New York on Sunday 8 March 2026: 10:00 on Friday 6th is 15:00
    # UTC, 10:00 on Monday 9th is 14:00 UTC; both show as 10:00.
    for day in (dt.date(2026, 3, 6), NEXT_MONDAY):
        services.book_appointment(
            actor=front_desk,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=treatment,
            start=at(day, "10:00"),
        )
    starts = sorted(a.start.hour for a in Appointment.objects.all())
    assert starts == [14, 15]
    for day in (dt.date(2026, 3, 6), NEXT_MONDAY):
        body = web_client(request, "front_desk").get(_url(location, day=day)).content.decode()
        assert "10:00\N{EN DASH}11:00" in body
        assert "America/New_York" in body


def test_the_week_filters_by_practitioner_and_by_room(
    request: pytest.FixtureRequest,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    other_practitioner: Practitioner,
    other_hours: None,
    location: Location,
    treatment: AppointmentType,
    room: Room,
) -> None:
    other_room = make_room(location, "Room 2")
    other_patient = _patient(front_desk, location, "Ada", "Quill")
    services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(NEXT_MONDAY, "10:00"),
        room=room,
    )
    services.book_appointment(
        actor=front_desk,
        patient=other_patient,
        practitioner=other_practitioner,
        location=location,
        appointment_type=treatment,
        start=at(NEXT_MONDAY, "10:00"),
        room=other_room,
    )
    client = web_client(request, "front_desk")
    mine = client.get(_url(location, practitioner=str(practitioner.public_id))).content.decode()
    assert "Rosa Delgado" in mine
    assert "Ada Quill" not in mine
    in_room = client.get(_url(location, room=str(other_room.public_id))).content.decode()
    assert "Ada Quill" in in_room
    assert "Rosa Delgado" not in in_room


def test_navigation_by_htmx_returns_only_the_grid_with_keyboard_targets(
    request: pytest.FixtureRequest, booked: Appointment, location: Location
) -> None:
    client = web_client(request, "front_desk")
    response = client.get(_url(location), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-cal-key="prev"' in body
    assert 'data-cal-key="next"' in body
    assert 'data-cal-key="today"' in body
    assert 'data-cal-key="new"' in body
    assert "date=2026-03-16" in body  # the next week
    assert "date=2026-03-02" in body  # the previous week (and today's)
    full = client.get(_url(location)).content.decode()
    assert "palpa/calendar.js" in full
    assert 'title="Monday 09 March 10:00\N{EN DASH}11:00, Rosa Delgado' in full
    assert '<span class="visually-hidden">Monday 09 March, </span>10:00' in full


def test_the_biller_sees_no_screening_or_referral_flags(
    request: pytest.FixtureRequest, booked: Appointment, location: Location
) -> None:
    body = web_client(request, "biller").get(_url(location)).content.decode()
    assert "Not screened" not in body
    front = web_client(request, "front_desk").get(_url(location)).content.decode()
    assert "Not screened" in front


def test_flags_show_the_decision_referral_visits_left_and_first_visit(
    request: pytest.FixtureRequest,
    owner: User,
    therapist: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    room: Room,
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_modify())
    make_referral(front_desk, patient, make_physician(owner), visits=12)
    for hhmm, day in (("10:00", NEXT_MONDAY), ("10:00", NEXT_MONDAY + dt.timedelta(days=2))):
        services.book_appointment(
            actor=front_desk,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=treatment,
            start=at(day, hhmm),
        )
    cal = grid.build(front_desk, span="week", day=NEXT_MONDAY, location=location)
    blocks = [b for c in cal.columns for b in c.blocks]
    assert [b.decision for b in blocks] == ["MODIFY", "MODIFY"]
    assert [b.first_visit for b in blocks] == [True, False]
    assert all(b.referral is not None and b.referral.visits_left == 12 for b in blocks)
    body = web_client(request, "front_desk").get(_url(location)).content.decode()
    assert "12/12 visits left" in body
    assert "First visit" in body
    assert "MODIFY" in body


def test_the_batched_decision_matches_screening_status(
    owner: User,
    therapist: User,
    front_desk: User,
    location: Location,
    practitioner: Practitioner,
    evaluation: AppointmentType,
    room: Room,
) -> None:
    cases = {"stop": facts_stop_neck(), "modify": facts_modify(), "none": None}
    patients = {}
    for n, (name, facts) in enumerate(cases.items()):
        p = _patient(front_desk, location, "Case", name.title())
        if facts is not None:
            record_screening(actor=therapist, patient=p, facts=facts)
        services.book_appointment(
            actor=front_desk,
            patient=p,
            practitioner=practitioner,
            location=location,
            appointment_type=evaluation,
            start=at(NEXT_MONDAY, f"{9 + 2 * n}:00"),
        )
        patients[p.pk] = p
    cal = grid.build(front_desk, span="day", day=NEXT_MONDAY, location=location)
    blocks = [b for c in cal.columns for b in c.blocks]
    assert len(blocks) == 3
    for b in blocks:
        expected = screening_status(patients[b.appointment.patient_id], on=NEXT_MONDAY)
        assert b.decision == expected.effective_decision
    assert sorted(str(b.decision) for b in blocks) == ["MODIFY", "None", "STOP"]


def test_batch_flag_providers_show_on_the_calendar(
    request: pytest.FixtureRequest, booked: Appointment, location: Location
) -> None:
    calls: list[int] = []

    def unpaid(patients: Sequence[Patient]) -> dict[int, Iterable[flags.Flag]]:
        calls.append(len(patients))
        return {p.pk: [flags.Flag("unpaid_balance", "Unpaid balance $40.00")] for p in patients}

    flags.register_many(unpaid)
    try:
        body = web_client(request, "front_desk").get(_url(location)).content.decode()
    finally:
        flags.unregister_many(unpaid)
    assert "Unpaid balance $40.00" in body
    assert calls == [1]


def _patient(actor: User, location: Location, given: str, family: str) -> Patient:
    return create_patient(
        actor=actor,
        given_name=given,
        family_name=family,
        date_of_birth=dt.date(1980, 1, 1),
        primary_location=location,
    )


def _fill_week(
    front_desk: User,
    location: Location,
    practitioners: Sequence[Practitioner],
    kind: AppointmentType,
    patients: int,
    monday: dt.date,
) -> None:
    people = [
        _patient(front_desk, location, f"Pat{monday.day}", f"Number{n:02d}")
        for n in range(patients)
    ]
    n = 0
    for day in range(5):
        for who in practitioners:
            for hour in (9, 11, 13, 15):
                if n >= len(people) * 2:
                    return
                services.book_appointment(
                    actor=front_desk,
                    patient=people[n % len(people)],
                    practitioner=who,
                    location=location,
                    appointment_type=kind,
                    start=at(monday + dt.timedelta(days=day), f"{hour}:00"),
                )
                n += 1


def _count(client: Client, url: str, django_assert_max_num_queries: Any, limit: int) -> str:
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_week_view_is_a_bounded_number_of_queries(
    request: pytest.FixtureRequest,
    django_assert_max_num_queries: Any,
    owner: User,
    therapist: User,
    front_desk: User,
    location: Location,
    practitioner: Practitioner,
    other_practitioner: Practitioner,
    other_hours: None,
    treatment: AppointmentType,
) -> None:
    """The same number of queries for 4 appointments as for 24 with 12 patients
    (screened, referred and flagged): nothing is read per appointment or per patient
    (the time grid adds three: weekly hours, exceptions, the closed days' time off)."""
    physician = make_physician(owner)
    client = web_client(request, "front_desk")
    later = NEXT_MONDAY + dt.timedelta(days=7)
    _fill_week(front_desk, location, [practitioner], treatment, 2, NEXT_MONDAY)
    _fill_week(front_desk, location, [practitioner, other_practitioner], treatment, 12, later)
    for p in Patient.objects.all():
        record_screening(actor=therapist, patient=p, facts=facts_modify())
        make_referral(front_desk, p, physician)
    few = _count(client, _url(location), django_assert_max_num_queries, 28)
    assert few.count('class="appt ') == 4
    many = _count(client, _url(location, day=later), django_assert_max_num_queries, 28)
    assert many.count('class="appt ') == 24
    assert many.count('class="decision decision-modify">MODIFY<') == 24
    assert many.count("visits left") >= 24


def test_an_unknown_location_is_404_and_a_bad_date_shows_this_week(
    request: pytest.FixtureRequest, booked: Appointment, location: Location
) -> None:
    client = web_client(request, "front_desk")
    assert client.get("/schedule/?location=not-a-uuid").status_code == 404
    body = client.get(f"/schedule/?location={location.public_id}&date=garbage").content.decode()
    assert f"Week of {MONDAY:%d %B %Y}" in body


def test_a_patient_seen_in_an_earlier_week_is_not_a_first_visit(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    room: Room,
) -> None:
    later = NEXT_MONDAY + dt.timedelta(days=7)
    for day in (NEXT_MONDAY, later):
        services.book_appointment(
            actor=front_desk,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=treatment,
            start=at(day, "10:00"),
        )
    first_week = grid.build(front_desk, span="week", day=NEXT_MONDAY, location=location)
    second_week = grid.build(front_desk, span="week", day=later, location=location)
    assert [b.first_visit for c in first_week.columns for b in c.blocks] == [True]
    assert [b.first_visit for c in second_week.columns for b in c.blocks] == [False]
    services.cancel_appointment(
        actor=front_desk,
        appointment=Appointment.objects.get(start=at(NEXT_MONDAY, "10:00")),
        reason="Patient ill.",
    )
    second_week = grid.build(front_desk, span="week", day=later, location=location)
    assert [b.first_visit for c in second_week.columns for b in c.blocks] == [True]


@pytest.mark.parametrize(
    "date",
    ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01", "\uff12\uff10\uff12\uff16-01-05", "0"],
)
@pytest.mark.parametrize("view", ["week", "day"])
def test_a_date_outside_the_calendars_years_shows_this_week_instead_of_failing(
    front_desk: User, location: Location, date: str, view: str
) -> None:
    client = verified_client(front_desk)
    response = client.get("/schedule/", {"date": date, "view": view})
    assert response.status_code == 200
    today = dt.datetime.now(ZoneInfo(location.time_zone)).date()
    assert response.context["cal"].first <= today <= response.context["cal"].last


def test_the_booking_page_and_the_audit_log_ignore_impossible_dates(
    owner: User, location: Location
) -> None:
    client = verified_client(owner)
    assert client.get("/schedule/new/", {"date": "0001-01-01"}).status_code == 200
    assert client.get("/audit/", {"since": "0001-01-01"}).status_code == 200
    assert client.get("/audit/", {"since": "9999-12-31"}).status_code == 200
