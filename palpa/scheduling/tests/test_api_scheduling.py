"""The schedule over /api/v1: each persona's access, and the refusals' codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from palpa.accounts.models import Location, Room, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import api_as, api_for, error_fields, matrix
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.referrals.tests.support import make_physician, make_referral
from palpa.scheduling import services
from palpa.scheduling.models import Appointment, AppointmentType, WaitlistEntry
from palpa.scheduling.tests.support import MONDAY, NEXT_MONDAY, at

OPERATIONS = {
    ("get", "/api/v1/appointment-types"),
    ("get", "/api/v1/locations/{location_id}/slots"),
    ("get", "/api/v1/appointments"),
    ("post", "/api/v1/appointments"),
    ("get", "/api/v1/appointments/{appointment_id}"),
    ("post", "/api/v1/appointments/{appointment_id}/reschedule"),
    ("post", "/api/v1/appointments/{appointment_id}/cancel"),
    ("post", "/api/v1/appointments/{appointment_id}/arrive"),
    ("post", "/api/v1/appointments/{appointment_id}/no-show"),
    ("post", "/api/v1/appointment-courses/preview"),
    ("post", "/api/v1/appointment-courses"),
    ("get", "/api/v1/locations/{location_id}/waitlist"),
    ("post", "/api/v1/waitlist"),
}

pytestmark = pytest.mark.usefixtures("hours", "room")

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,  # the schedule, read-only
    "outsider": 404,
    "anonymous": 401,
}
CHANGE = {**READ, "biller": 403}
# Writes naming records in the body: another organization's ids are unknown fields (422).
CREATE = {**CHANGE, "owner": 201, "therapist": 201, "other_therapist": 201, "front_desk": 201}
CREATE["outsider"] = 422
PREVIEW = {**CHANGE, "outsider": 422}
WAITLIST_ADD = dict(CREATE)
REASON = "The physician authorized more visits by phone; the letter follows."


def _body(
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    kind: AppointmentType,
    start: dt.datetime,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "patient": str(patient.public_id),
        "practitioner": str(practitioner.public_id),
        "location": str(location.public_id),
        "appointment_type": str(kind.public_id),
        "start": start.isoformat(),
        **extra,
    }


@pytest.fixture
def today_1pm(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> Appointment:
    """Booked for today 13:00 (the clock stands at 15:00 local)."""
    return services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(MONDAY, "13:00"),
    )


@pytest.fixture
def next_week(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> Appointment:
    return services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(NEXT_MONDAY, "10:00"),
    )


@pytest.mark.parametrize(("who", "status"), matrix({**READ, "outsider": 200}))
def test_each_persona_lists_only_their_organizations_appointment_types(
    request: pytest.FixtureRequest, who: str, status: int, treatment: AppointmentType
) -> None:
    response = api_as(request, who, "token").get("/appointment-types")
    assert response.status_code == status, response.content
    if status == 200:
        codes = [t["code"] for t in response.json()]
        assert codes == ([] if who == "outsider" else ["treatment-60"])


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_search_free_slots(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    location: Location,
    treatment: AppointmentType,
    next_week: Appointment,
) -> None:
    response = api_as(request, who, "token").get(
        f"/locations/{location.public_id}/slots",
        {
            "appointment_type": str(treatment.public_id),
            "first_day": NEXT_MONDAY.isoformat(),
            "days": 1,
        },
    )
    assert response.status_code == status, response.content
    if status == 200:
        starts = [s["start"] for s in response.json()]
        # 09:00-10:00 plus its 15-minute buffer would run into the 10:00 booking
        assert "2026-03-09T13:00:00Z" not in starts
        assert "2026-03-09T14:00:00Z" not in starts  # 10:00 is booked
        assert starts[0] == "2026-03-09T15:15:00Z"  # free from 11:15, after its buffer
        assert response.json()[0]["local_start"] == "2026-03-09T11:15:00-04:00"  # EDT
        assert starts[-1] == "2026-03-09T20:00:00Z"  # 16:00, the last hour of the day


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_list_the_schedule_and_reads_are_audited(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    location: Location,
    next_week: Appointment,
) -> None:
    response = api_as(request, who, "token").get(
        "/appointments",
        {
            "location": str(location.public_id),
            "start": at(NEXT_MONDAY, "00:00").isoformat(),
            "end": at(NEXT_MONDAY + dt.timedelta(days=7), "00:00").isoformat(),
        },
    )
    assert response.status_code == status, response.content
    reads = AuditEvent.objects.filter(action="read", object_type="Schedule")
    assert reads.exists() == (status == 200)
    if status == 200:
        (found,) = response.json()
        assert found["id"] == str(next_week.public_id)
        assert found["patient"]["name"] == "Rosa Delgado"
        assert reads.get().detail["patients"] == [found["patient"]["id"]]


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_read_one_appointment(
    request: pytest.FixtureRequest, who: str, status: int, next_week: Appointment
) -> None:
    response = api_as(request, who, "token").get(f"/appointments/{next_week.public_id}")
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["busy_until"] == "2026-03-09T15:15:00Z"


@pytest.mark.parametrize(("who", "status"), matrix(CREATE))
def test_each_persona_may_or_may_not_book(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    room: Room,
) -> None:
    body = _body(patient, practitioner, location, treatment, at(NEXT_MONDAY, "10:00"))
    response = api_as(request, who, "token").post("/appointments", body)
    assert response.status_code == status, response.content
    assert Appointment.objects.exists() == (status == 201)
    if status == 201:
        assert response.json()["room"]["name"] == "Room 1"
        assert response.json()["status"] == "booked"
    if who == "outsider":
        assert error_fields(response) >= {"patient"}


def test_a_taken_slot_is_409_slot_taken_over_a_session_too(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    next_week: Appointment,
) -> None:
    body = _body(patient, practitioner, location, treatment, at(NEXT_MONDAY, "10:30"))
    response = api_for(front_desk, "session").post("/appointments", body)
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "slot_taken"
    assert "just taken" in response.json()["detail"]
    assert Appointment.objects.count() == 1


def test_bad_input_is_422_naming_the_field(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    body = _body(patient, practitioner, location, treatment, dt.datetime(2026, 3, 9, 10, 0))
    assert error_fields(api_for(front_desk, "token").post("/appointments", body)) == {"start"}
    body = _body(
        patient,
        practitioner,
        location,
        treatment,
        at(NEXT_MONDAY, "10:00"),
        room="00000000-0000-0000-0000-000000000000",
    )
    assert error_fields(api_for(front_desk, "token").post("/appointments", body)) == {"room"}
    response = api_for(front_desk, "token").get(
        "/appointments",
        {
            "location": str(location.public_id),
            "start": at(NEXT_MONDAY, "00:00").isoformat(),
            "end": at(MONDAY, "00:00").isoformat(),
        },
    )
    assert error_fields(response) == {"end"}


def test_only_an_owner_books_beyond_the_referral(
    front_desk: User,
    owner: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    make_referral(front_desk, patient, make_physician(owner), visits=1)
    first = _body(patient, practitioner, location, treatment, at(NEXT_MONDAY, "10:00"))
    assert api_for(front_desk, "token").post("/appointments", first).status_code == 201
    second = _body(patient, practitioner, location, treatment, at(NEXT_MONDAY, "14:00"))
    refused = api_for(front_desk, "token").post("/appointments", second)
    assert (refused.status_code, refused.json()["code"]) == (409, "referral")
    forbidden = api_for(front_desk, "token").post(
        "/appointments", {**second, "override_reason": REASON}
    )
    assert forbidden.status_code == 403
    allowed = api_for(owner, "token").post("/appointments", {**second, "override_reason": REASON})
    assert allowed.status_code == 201, allowed.content
    assert allowed.json()["referral_override"] is not None


@pytest.mark.parametrize(("who", "status"), matrix(CHANGE))
def test_each_persona_may_or_may_not_move_an_appointment(
    request: pytest.FixtureRequest, who: str, status: int, next_week: Appointment
) -> None:
    response = api_as(request, who, "token").post(
        f"/appointments/{next_week.public_id}/reschedule",
        {"start": at(NEXT_MONDAY, "14:00").isoformat()},
    )
    assert response.status_code == status, response.content
    next_week.refresh_from_db()
    moved = next_week.start == at(NEXT_MONDAY, "14:00")
    assert moved == (status == 200)


@pytest.mark.parametrize(("who", "status"), matrix(CHANGE))
def test_each_persona_may_or_may_not_cancel(
    request: pytest.FixtureRequest, who: str, status: int, next_week: Appointment
) -> None:
    response = api_as(request, who, "token").post(
        f"/appointments/{next_week.public_id}/cancel", {"reason": "Patient has the flu"}
    )
    assert response.status_code == status, response.content
    next_week.refresh_from_db()
    assert (next_week.status == "cancelled") == (status == 200)


def test_cancelling_without_a_reason_is_422(front_desk: User, next_week: Appointment) -> None:
    response = api_for(front_desk, "token").post(
        f"/appointments/{next_week.public_id}/cancel", {"reason": ""}
    )
    assert error_fields(response) == {"reason"}


@pytest.mark.parametrize(("who", "status"), matrix(CHANGE))
def test_each_persona_may_or_may_not_mark_an_arrival(
    request: pytest.FixtureRequest, who: str, status: int, today_1pm: Appointment
) -> None:
    response = api_as(request, who, "token").post(f"/appointments/{today_1pm.public_id}/arrive")
    assert response.status_code == status, response.content
    today_1pm.refresh_from_db()
    assert (today_1pm.status == "arrived") == (status == 200)


@pytest.mark.parametrize(("who", "status"), matrix(CHANGE))
def test_each_persona_may_or_may_not_mark_a_no_show(
    request: pytest.FixtureRequest, who: str, status: int, today_1pm: Appointment
) -> None:
    response = api_as(request, who, "token").post(f"/appointments/{today_1pm.public_id}/no-show")
    assert response.status_code == status, response.content
    today_1pm.refresh_from_db()
    assert (today_1pm.status == "noshow") == (status == 200)


def test_a_no_show_before_the_start_is_409(front_desk: User, next_week: Appointment) -> None:
    response = api_for(front_desk, "token").post(f"/appointments/{next_week.public_id}/no-show")
    assert (response.status_code, response.json()["code"]) == (409, "appointment_status")


def _course(
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    kind: AppointmentType,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "patient": str(patient.public_id),
        "practitioner": str(practitioner.public_id),
        "location": str(location.public_id),
        "appointment_type": str(kind.public_id),
        "first_day": NEXT_MONDAY.isoformat(),
        "weeks": 3,
        "times": [{"weekday": 0, "time": "10:00"}, {"weekday": 2, "time": "10:00"}],
        **extra,
    }


@pytest.mark.parametrize(("who", "status"), matrix(PREVIEW))
def test_each_persona_may_or_may_not_preview_a_course(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    next_week: Appointment,
) -> None:
    body = _course(patient, practitioner, location, treatment)
    response = api_as(request, who, "token").post("/appointment-courses/preview", body)
    assert response.status_code == status, response.content
    assert Appointment.objects.count() == 1
    if status == 200:
        preview = response.json()
        assert preview["ok"] is False
        assert [c["ok"] for c in preview["candidates"]] == [False, True, True, True, True, True]


@pytest.mark.parametrize(("who", "status"), matrix(CREATE))
def test_each_persona_may_or_may_not_book_a_course(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    body = _course(patient, practitioner, location, treatment)
    response = api_as(request, who, "token").post("/appointment-courses", body)
    assert response.status_code == status, response.content
    assert Appointment.objects.count() == (6 if status == 201 else 0)
    if status == 201:
        assert len({a["series"] for a in response.json()}) == 1


def test_a_course_with_a_conflict_is_409_and_books_nothing(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    next_week: Appointment,
) -> None:
    body = _course(patient, practitioner, location, treatment)
    response = api_for(front_desk, "token").post("/appointment-courses", body)
    assert (response.status_code, response.json()["code"]) == (409, "course_conflicts")
    assert Appointment.objects.count() == 1


@pytest.fixture
def waiting(
    front_desk: User, patient: Patient, location: Location, treatment: AppointmentType
) -> WaitlistEntry:
    return services.add_to_waitlist(
        actor=front_desk, patient=patient, location=location, appointment_type=treatment
    )


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_each_persona_may_or_may_not_see_the_waitlist(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    location: Location,
    waiting: WaitlistEntry,
) -> None:
    response = api_as(request, who, "token").get(f"/locations/{location.public_id}/waitlist")
    assert response.status_code == status, response.content
    if status == 200:
        assert [e["id"] for e in response.json()] == [str(waiting.public_id)]
        assert AuditEvent.objects.filter(action="read", object_type="Waitlist").exists()


@pytest.mark.parametrize(("who", "status"), matrix(WAITLIST_ADD))
def test_each_persona_may_or_may_not_add_to_the_waitlist(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    patient: Patient,
    location: Location,
    treatment: AppointmentType,
) -> None:
    body = {
        "patient": str(patient.public_id),
        "location": str(location.public_id),
        "appointment_type": str(treatment.public_id),
        "weekdays": [0, 2],
        "window_start": "09:00",
        "window_end": "12:00",
    }
    response = api_as(request, who, "token").post("/waitlist", body)
    assert response.status_code == status, response.content
    assert WaitlistEntry.objects.exists() == (status == 201)
    if status == 201:
        assert response.json()["weekdays"] == [0, 2]
