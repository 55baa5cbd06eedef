"""The staff booking pages: book from the slot finder, open an appointment, move it to a
free slot, cancel with a reason, arrival and no-show, the waitlist and its freed-slot
offers; the services' refusals shown in place naming the field or the rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from palpa.accounts.models import Location, Room, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.patients.models import Patient
from palpa.practitioners.models import License, Practitioner
from palpa.referrals.models import ReferralOverride
from palpa.referrals.tests.support import make_physician, make_referral
from palpa.scheduling import services
from palpa.scheduling.models import Appointment, AppointmentType, WaitlistEntry, WaitlistOffer
from palpa.scheduling.tests.support import NEXT_MONDAY, at
from palpa.screening.services import record_screening
from palpa.screening.tests.support import facts_stop_neck

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
OPEN_FORM = {**READ, "biller": 403}
WRITE = {**OPEN_FORM, "owner": 302, "therapist": 302, "other_therapist": 302, "front_desk": 302}
BOOKERS = ("owner", "therapist", "other_therapist", "front_desk")
REASON = "The physician authorized more visits by phone; the letter follows."


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


def _form(
    patient: Patient,
    location: Location,
    kind: AppointmentType,
    practitioner: Practitioner,
    hhmm: str = "10:00",
    day: dt.date = NEXT_MONDAY,
    **more: str,
) -> dict[str, str]:
    return {
        "patient": patient.mrn,
        "location": str(location.public_id),
        "appointment_type": str(kind.public_id),
        "practitioner": str(practitioner.public_id),
        "date": day.isoformat(),
        "time": hhmm,
        **more,
    }


# --- booking ---------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), matrix(OPEN_FORM))
def test_each_persona_may_or_may_not_open_the_booking_page_with_free_slots(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    location: Location,
    treatment: AppointmentType,
    patient: Patient,
    room: Room,
) -> None:
    url = (
        f"/schedule/new/?location={location.public_id}&appointment_type={treatment.public_id}"
        f"&date={NEXT_MONDAY.isoformat()}&patient={patient.mrn}"
    )
    response = web_client(request, who).get(url)
    assert_answer(response, who, status)
    if status == 200:
        body = response.content.decode()
        assert "Free slots on Monday 9 March 2026" in body
        assert "09:00\N{EN DASH}10:00 · Tess Therapist, LMT · Room 1" in body
        assert "time=09%3A00" in body  # choosing the slot fills in the booking form


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_each_persona_may_or_may_not_book(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    location: Location,
    treatment: AppointmentType,
    patient: Patient,
    practitioner: Practitioner,
    room: Room,
) -> None:
    response = web_client(request, who).post(
        "/schedule/new/", _form(patient, location, treatment, practitioner)
    )
    assert_answer(response, who, status)
    assert Appointment.objects.exists() == (who in BOOKERS)
    if who in BOOKERS:
        a = Appointment.objects.get()
        assert a.start == at(NEXT_MONDAY, "10:00")  # 10:00 in New York
        assert response["Location"] == f"/schedule/appointments/{a.public_id}/"


def test_a_taken_slot_is_refused_in_place(
    request: pytest.FixtureRequest,
    booked: Appointment,
    location: Location,
    treatment: AppointmentType,
    patient: Patient,
    practitioner: Practitioner,
) -> None:
    response = web_client(request, "front_desk").post(
        "/schedule/new/", _form(patient, location, treatment, practitioner, "10:30")
    )
    assert response.status_code == 422
    assert "the slot was just taken" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_an_unknown_mrn_names_the_patient_field(
    request: pytest.FixtureRequest,
    location: Location,
    treatment: AppointmentType,
    patient: Patient,
    practitioner: Practitioner,
) -> None:
    form = _form(patient, location, treatment, practitioner) | {"patient": "P999999"}
    body = web_client(request, "front_desk").post("/schedule/new/", form).content.decode()
    assert "Patient (MRN): No patient of this clinic has the MRN P999999." in body


def test_outside_hours_needs_a_reason_and_is_then_booked(
    request: pytest.FixtureRequest,
    location: Location,
    treatment: AppointmentType,
    patient: Patient,
    practitioner: Practitioner,
    room: Room,
) -> None:
    client = web_client(request, "front_desk")
    form = _form(patient, location, treatment, practitioner, "18:00")
    body = client.post("/schedule/new/", form).content.decode()
    assert "outside working hours" in body
    assert "giving a reason" in body
    assert not Appointment.objects.exists()
    form["outside_hours_reason"] = "Only evening works for her this week."
    assert client.post("/schedule/new/", form).status_code == 302
    assert Appointment.objects.get().outside_hours_reason.startswith("Only evening")


def test_a_lapsed_license_is_named(
    request: pytest.FixtureRequest,
    location: Location,
    treatment: AppointmentType,
    patient: Patient,
    practitioner: Practitioner,
    room: Room,
) -> None:
    License.objects.filter(practitioner=practitioner).update(expires_on=dt.date(2026, 3, 5))
    form = _form(patient, location, treatment, practitioner)
    body = web_client(request, "front_desk").post("/schedule/new/", form).content.decode()
    assert "license" in body.lower()
    assert "expired" in body.lower()
    assert not Appointment.objects.exists()


def test_a_stop_screen_allows_only_an_evaluation(
    request: pytest.FixtureRequest,
    therapist: User,
    location: Location,
    treatment: AppointmentType,
    evaluation: AppointmentType,
    patient: Patient,
    practitioner: Practitioner,
    room: Room,
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_stop_neck())
    client = web_client(request, "front_desk")
    body = client.post(
        "/schedule/new/", _form(patient, location, treatment, practitioner)
    ).content.decode()
    assert "screening says STOP: only an evaluation may be booked" in body
    response = client.post("/schedule/new/", _form(patient, location, evaluation, practitioner))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "decision-stop" in page
    assert "Only an evaluation may be booked." in page


def test_an_exhausted_referral_needs_the_owners_override_with_a_reason(
    request: pytest.FixtureRequest,
    owner: User,
    front_desk: User,
    location: Location,
    treatment: AppointmentType,
    patient: Patient,
    practitioner: Practitioner,
    room: Room,
) -> None:
    make_referral(front_desk, patient, make_physician(owner), visits=1)
    services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(NEXT_MONDAY, "09:00"),
    )
    form = _form(patient, location, treatment, practitioner, "13:00")
    desk = web_client(request, "front_desk").get("/schedule/new/").content.decode()
    assert "Referral override reason" not in desk
    body = web_client(request, "front_desk").post("/schedule/new/", form).content.decode()
    assert "An owner may override this with a written reason" in body
    owner_client = web_client(request, "owner")
    assert "Referral override reason" in owner_client.get("/schedule/new/").content.decode()
    response = owner_client.post("/schedule/new/", form | {"override_reason": REASON})
    assert response.status_code == 302
    assert ReferralOverride.objects.get().reason == REASON
    assert Appointment.objects.count() == 2


# --- one appointment ------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_open_an_appointment_and_the_read_is_audited(
    request: pytest.FixtureRequest, who: str, status: int, booked: Appointment
) -> None:
    response = web_client(request, who).get(f"/schedule/appointments/{booked.public_id}/")
    assert_answer(response, who, status)
    reads = AuditEvent.objects.filter(action="read", object_id=str(booked.public_id))
    assert reads.exists() == (status == 200)
    if status == 200:
        body = response.content.decode()
        assert "Monday 9 March 2026, 10:00\N{EN DASH}11:00" in body
        assert ("Reschedule" in body) == (who in BOOKERS)
        assert ("Cancel appointment" in body) == (who in BOOKERS)


def test_the_appointment_page_offers_free_slots_to_move_to(
    request: pytest.FixtureRequest, booked: Appointment
) -> None:
    url = f"/schedule/appointments/{booked.public_id}/?move_date=2026-03-10"
    body = web_client(request, "front_desk").get(url).content.decode()
    assert "Move to 09:00\N{EN DASH}10:00 · Tess Therapist" in body


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_each_persona_may_or_may_not_move_an_appointment_to_a_free_slot(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    booked: Appointment,
    practitioner: Practitioner,
) -> None:
    response = web_client(request, who).post(
        f"/schedule/appointments/{booked.public_id}/move/",
        {"date": "2026-03-10", "time": "14:00", "practitioner": str(practitioner.public_id)},
    )
    assert_answer(response, who, status)
    booked.refresh_from_db()
    moved = booked.start == at(dt.date(2026, 3, 10), "14:00")
    assert moved == (who in BOOKERS)


def test_moving_onto_a_taken_slot_is_refused_in_place(
    request: pytest.FixtureRequest,
    booked: Appointment,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(NEXT_MONDAY, "14:00"),
    )
    response = web_client(request, "front_desk").post(
        f"/schedule/appointments/{booked.public_id}/move/",
        {"date": NEXT_MONDAY.isoformat(), "time": "14:30"},
    )
    assert response.status_code == 422
    assert "the slot was just taken" in response.content.decode()
    booked.refresh_from_db()
    assert booked.start == at(NEXT_MONDAY, "10:00")


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_each_persona_may_or_may_not_cancel_with_a_reason(
    request: pytest.FixtureRequest, who: str, status: int, booked: Appointment
) -> None:
    response = web_client(request, who).post(
        f"/schedule/appointments/{booked.public_id}/cancel/", {"reason": "Patient has the flu."}
    )
    assert_answer(response, who, status)
    booked.refresh_from_db()
    assert (booked.status == "cancelled") == (who in BOOKERS)


def test_cancelling_needs_a_reason_naming_the_field(
    request: pytest.FixtureRequest, booked: Appointment
) -> None:
    response = web_client(request, "front_desk").post(
        f"/schedule/appointments/{booked.public_id}/cancel/", {"reason": ""}
    )
    assert response.status_code == 422
    assert "Reason for cancelling: This field is required." in response.content.decode()
    booked.refresh_from_db()
    assert booked.status == "booked"


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_each_persona_may_or_may_not_mark_arrival_and_no_show(
    request: pytest.FixtureRequest, who: str, status: int, booked: Appointment
) -> None:
    with time_machine.travel(at(NEXT_MONDAY, "09:50"), tick=False):
        client = web_client(request, who)  # signed in that day (sessions time out)
        response = client.post(f"/schedule/appointments/{booked.public_id}/arrived/")
    assert_answer(response, who, status)
    booked.refresh_from_db()
    assert (booked.status == "arrived") == (who in BOOKERS)


def test_a_no_show_before_the_start_is_refused_with_the_reason(
    request: pytest.FixtureRequest, booked: Appointment
) -> None:
    client = web_client(request, "front_desk")
    response = client.post(f"/schedule/appointments/{booked.public_id}/no-show/", follow=True)
    assert "Not changed: The appointment has not started yet." in response.content.decode()
    with time_machine.travel(at(NEXT_MONDAY, "10:30"), tick=False):
        client = web_client(request, "front_desk")
        client.post(f"/schedule/appointments/{booked.public_id}/no-show/")
    booked.refresh_from_db()
    assert booked.status == "noshow"


# --- the waitlist ----------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_see_the_waitlist(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    front_desk: User,
    patient: Patient,
    location: Location,
    treatment: AppointmentType,
) -> None:
    services.add_to_waitlist(
        actor=front_desk, patient=patient, location=location, appointment_type=treatment
    )
    response = web_client(request, who).get(f"/schedule/waitlist/?location={location.public_id}")
    assert_answer(response, who, status)
    if status == 200:
        body = response.content.decode()
        assert "Rosa Delgado" in body
        assert ("Add to the waitlist" in body) == (who in BOOKERS)


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_each_persona_may_or_may_not_take_a_patient_off_the_waitlist(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    front_desk: User,
    patient: Patient,
    location: Location,
    treatment: AppointmentType,
) -> None:
    entry = services.add_to_waitlist(
        actor=front_desk, patient=patient, location=location, appointment_type=treatment
    )
    response = web_client(request, who).post(
        f"/schedule/waitlist/{entry.public_id}/withdraw/", {"reason": "Booked elsewhere."}
    )
    assert_answer(response, who, status)
    entry.refresh_from_db()
    withdrawn = who in BOOKERS
    assert (entry.status == WaitlistEntry.Status.WITHDRAWN) == withdrawn
    if withdrawn:
        event = AuditEvent.objects.filter(object_type="WaitlistEntry", action="update").get()
        assert event.detail == {"status": "withdrawn", "reason": "Booked elsewhere."}
        page = web_client(request, who).get(f"/schedule/waitlist/?location={location.public_id}")
        assert "Rosa Delgado" not in page.content.decode()


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_each_persona_may_or_may_not_add_to_the_waitlist(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    patient: Patient,
    location: Location,
    treatment: AppointmentType,
) -> None:
    response = web_client(request, who).post(
        f"/schedule/waitlist/?location={location.public_id}",
        {"patient": patient.mrn, "appointment_type": str(treatment.public_id), "weekdays": ["0"]},
    )
    assert_answer(response, who, status)
    assert WaitlistEntry.objects.exists() == (who in BOOKERS)
    if who in BOOKERS:
        assert WaitlistEntry.objects.get().weekdays == [0]


def test_a_waitlist_window_that_ends_before_it_starts_names_the_field(
    request: pytest.FixtureRequest, patient: Patient, location: Location, treatment: AppointmentType
) -> None:
    response = web_client(request, "front_desk").post(
        f"/schedule/waitlist/?location={location.public_id}",
        {
            "patient": patient.mrn,
            "appointment_type": str(treatment.public_id),
            "window_start": "15:00",
            "window_end": "11:00",
        },
    )
    assert response.status_code == 422
    assert "Finished by (local): The window ends before it starts." in response.content.decode()


def test_a_freed_slot_is_offered_to_the_waitlist_from_the_page(
    request: pytest.FixtureRequest,
    booked: Appointment,
    front_desk: User,
    location: Location,
    treatment: AppointmentType,
    other_therapist: User,
) -> None:
    from palpa.patients.services import create_patient

    waiting = create_patient(
        actor=front_desk,
        given_name="Wanda",
        family_name="Waits",
        date_of_birth=dt.date(1970, 5, 5),
        primary_location=location,
    )
    services.cancel_appointment(
        actor=front_desk, appointment=booked, reason="Called in sick.", offer_to_waitlist=False
    )
    services.add_to_waitlist(
        actor=front_desk, patient=waiting, location=location, appointment_type=treatment
    )
    client = web_client(request, "front_desk")
    page = client.get(f"/schedule/waitlist/?location={location.public_id}").content.decode()
    assert "Freed slots not yet offered" in page
    assert "Offer freed slot" in page
    biller = web_client(request, "biller")
    assert biller.post(f"/schedule/appointments/{booked.public_id}/offer/").status_code == 403
    response = client.post(f"/schedule/appointments/{booked.public_id}/offer/", follow=True)
    assert "Offered to Wanda Waits." in response.content.decode()
    offer = WaitlistOffer.objects.get()
    assert (offer.entry.patient, offer.start) == (waiting, booked.start)


# --- a recurring course -----------------------------------------------------------------


def _course_url(patient: Patient, practitioner: Practitioner) -> str:
    return (
        f"/schedule/course/?patient={patient.public_id}&per_week=2&weeks=6"
        f"&start={NEXT_MONDAY.isoformat()}&practitioner={practitioner.public_id}"
    )


def _course_form(
    patient: Patient, location: Location, kind: AppointmentType, practitioner: Practitioner
) -> dict[str, Any]:
    return {
        "per_week": "2",
        "patient": patient.mrn,
        "location": str(location.public_id),
        "appointment_type": str(kind.public_id),
        "practitioner": str(practitioner.public_id),
        "first_day": NEXT_MONDAY.isoformat(),
        "weeks": "6",
        "weekday_1": "0",
        "time_1": "10:00",
        "weekday_2": "3",
        "time_2": "10:00",
    }


@pytest.mark.parametrize(("who", "status"), matrix(OPEN_FORM))
def test_each_persona_may_or_may_not_open_the_course_page_from_a_plan(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    patient: Patient,
    practitioner: Practitioner,
) -> None:
    response = web_client(request, who).get(_course_url(patient, practitioner))
    assert_answer(response, who, status)
    if status == 200:
        body = response.content.decode()
        assert f'value="{patient.mrn}"' in body
        assert 'name="weekday_2"' in body
        assert 'name="weekday_3"' not in body
        assert 'value="6"' in body


def test_the_preview_lists_every_conflict_and_saves_nothing(
    request: pytest.FixtureRequest,
    booked: Appointment,
    patient: Patient,
    location: Location,
    treatment: AppointmentType,
    practitioner: Practitioner,
) -> None:
    form = _course_form(patient, location, treatment, practitioner) | {"action": "preview"}
    body = web_client(request, "front_desk").post("/schedule/course/", form).content.decode()
    assert "12 visits: 1 conflict" in body
    assert "Mon 09 Mar 2026 10:00\N{EN DASH}11:00" in body
    assert "already booked" in body
    assert "Book all 12 visits" not in body
    assert Appointment.objects.count() == 1


def test_a_course_books_all_twelve_in_one_step(
    request: pytest.FixtureRequest,
    patient: Patient,
    location: Location,
    treatment: AppointmentType,
    practitioner: Practitioner,
    room: Room,
) -> None:
    client = web_client(request, "front_desk")
    form = _course_form(patient, location, treatment, practitioner)
    preview = client.post("/schedule/course/", form | {"action": "preview"}).content.decode()
    assert "12 visits: no conflicts" in preview
    assert "Book all 12 visits" in preview
    response = client.post("/schedule/course/", form | {"action": "book"})
    assert response.status_code == 302
    booked = list(Appointment.objects.order_by("start"))
    assert len(booked) == 12
    assert len({a.series for a in booked}) == 1
    assert booked[-1].start == at(dt.date(2026, 4, 16), "10:00")  # Thursday of week 6


def test_a_course_with_a_conflict_books_nothing(
    request: pytest.FixtureRequest,
    booked: Appointment,
    patient: Patient,
    location: Location,
    treatment: AppointmentType,
    practitioner: Practitioner,
) -> None:
    form = _course_form(patient, location, treatment, practitioner) | {"action": "book"}
    response = web_client(request, "front_desk").post("/schedule/course/", form)
    assert response.status_code == 409
    assert "Nothing was booked" in response.content.decode()
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_each_persona_may_or_may_not_book_a_course(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    patient: Patient,
    location: Location,
    treatment: AppointmentType,
    practitioner: Practitioner,
    room: Room,
) -> None:
    form = _course_form(patient, location, treatment, practitioner) | {"action": "book"}
    response = web_client(request, who).post("/schedule/course/", form)
    assert_answer(response, who, status)
    assert Appointment.objects.count() == (12 if who in BOOKERS else 0)


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_each_persona_may_or_may_not_mark_a_no_show(
    request: pytest.FixtureRequest, who: str, status: int, booked: Appointment
) -> None:
    with time_machine.travel(at(NEXT_MONDAY, "10:30"), tick=False):
        client = web_client(request, who)
        response = client.post(f"/schedule/appointments/{booked.public_id}/no-show/")
    assert_answer(response, who, status)
    booked.refresh_from_db()
    assert (booked.status == "noshow") == (who in BOOKERS)


@pytest.mark.parametrize(("who", "status"), matrix(WRITE))
def test_each_persona_may_or_may_not_offer_a_freed_slot(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    booked: Appointment,
    front_desk: User,
    location: Location,
    treatment: AppointmentType,
) -> None:
    from palpa.patients.services import create_patient

    waiting = create_patient(
        actor=front_desk,
        given_name="Wanda",
        family_name="Waits",
        date_of_birth=dt.date(1970, 5, 5),
        primary_location=location,
    )
    services.cancel_appointment(
        actor=front_desk, appointment=booked, reason="Called in sick.", offer_to_waitlist=False
    )
    services.add_to_waitlist(
        actor=front_desk, patient=waiting, location=location, appointment_type=treatment
    )
    response = web_client(request, who).post(f"/schedule/appointments/{booked.public_id}/offer/")
    assert_answer(response, who, status)
    assert WaitlistOffer.objects.exists() == (who in BOOKERS)


def test_a_next_address_off_the_site_is_ignored(
    request: pytest.FixtureRequest, booked: Appointment
) -> None:
    with time_machine.travel(at(NEXT_MONDAY, "09:50"), tick=False):
        client = web_client(request, "front_desk")
        response = client.post(
            f"/schedule/appointments/{booked.public_id}/arrived/",
            {"next": "https://evil.example/"},
        )
    assert response["Location"] == f"/schedule/appointments/{booked.public_id}/"


def test_a_conflict_offers_the_nearest_free_times_and_the_chosen_one_is_booked(
    request: pytest.FixtureRequest,
    booked: Appointment,
    patient: Patient,
    location: Location,
    treatment: AppointmentType,
    practitioner: Practitioner,
) -> None:
    client = web_client(request, "front_desk")
    form = _course_form(patient, location, treatment, practitioner)
    body = client.post("/schedule/course/", form | {"action": "preview"}).content.decode()
    assert "Nearest free times instead of Mon 09 Mar 10:00" in body
    asked = str(int(at(NEXT_MONDAY, "10:00").timestamp()))
    later = str(int(at(NEXT_MONDAY, "11:15").timestamp()))  # after the booking and its buffer
    assert f'name="swap-{asked}" value="{later}" checked' in body
    assert "Mon 09 Mar 11:15" in body
    chosen = form | {f"swap-{asked}": later}
    again = client.post("/schedule/course/", chosen | {"action": "preview"}).content.decode()
    assert "12 visits: no conflicts" in again
    assert "instead of Mon 09 Mar 10:00" in again
    assert f'type="hidden" name="swap-{asked}" value="{later}"' in again
    response = client.post("/schedule/course/", chosen | {"action": "book"})
    assert response.status_code == 302
    starts = set(Appointment.objects.exclude(pk=booked.pk).values_list("start", flat=True))
    assert len(starts) == 12
    assert at(NEXT_MONDAY, "11:15") in starts
    assert at(NEXT_MONDAY, "10:00") not in starts


def test_a_chosen_time_that_is_taken_meanwhile_books_nothing(
    request: pytest.FixtureRequest,
    booked: Appointment,
    patient: Patient,
    location: Location,
    treatment: AppointmentType,
    practitioner: Practitioner,
) -> None:
    form = _course_form(patient, location, treatment, practitioner)
    asked = str(int(at(NEXT_MONDAY, "10:00").timestamp()))
    taken = str(int(at(NEXT_MONDAY, "10:30").timestamp()))  # still inside the booking
    response = web_client(request, "front_desk").post(
        "/schedule/course/", form | {f"swap-{asked}": taken, "action": "book"}
    )
    assert response.status_code == 409
    assert "Nothing was booked" in response.content.decode()
    assert Appointment.objects.count() == 1
