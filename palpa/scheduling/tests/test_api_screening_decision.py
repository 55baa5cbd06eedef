"""A patient's screening decision, on appointments over /api/v1, only for roles that may
see screening decisions (``screening.read_decision``): owners, therapists and the front
desk. Billers see the schedule, but not the decision (not even STOP) nor the STOP flag,
exactly as ``/screening-flag`` refuses them (issue 14)."""

from __future__ import annotations

import pytest

from palpa.accounts.models import Location, User
from palpa.core.tests.support import api_as
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services
from palpa.scheduling.models import Appointment, AppointmentType
from palpa.scheduling.tests.support import NEXT_MONDAY, at
from palpa.screening.services import record_screening
from palpa.screening.tests.support import facts_stop_whole_body

pytestmark = pytest.mark.usefixtures("hours", "room")

SEES_DECISION = {"owner": True, "therapist": True, "front_desk": True, "biller": False}


@pytest.fixture
def stopped(
    owner: User,
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    evaluation: AppointmentType,
) -> Appointment:
    """A patient whose screening says STOP, booked for an evaluation (all STOP allows)."""
    record_screening(actor=owner, patient=patient, facts=facts_stop_whole_body())
    return services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=evaluation,
        start=at(NEXT_MONDAY, "10:00"),
    )


@pytest.mark.parametrize(("who", "sees"), SEES_DECISION.items())
def test_the_appointment_list_shows_the_decision_and_stop_flag_only_to_whom_may_see_them(
    request: pytest.FixtureRequest, who: str, sees: bool, stopped: Appointment, location: Location
) -> None:
    response = api_as(request, who, "token").get(
        "/appointments",
        {
            "location": str(location.public_id),
            "start": at(NEXT_MONDAY, "00:00").isoformat(),
            "end": at(NEXT_MONDAY, "23:00").isoformat(),
        },
    )
    assert response.status_code == 200, response.content
    [shown] = response.json()
    assert shown["id"] == str(stopped.public_id)
    assert shown["screening_decision"] == ("STOP" if sees else None)
    codes = [f["code"] for f in shown["flags"]]
    assert ("screening_stop" in codes) is sees
    assert "STOP" not in response.content.decode() or sees


@pytest.mark.parametrize(("who", "sees"), SEES_DECISION.items())
def test_one_appointment_shows_the_decision_only_to_whom_may_see_it(
    request: pytest.FixtureRequest, who: str, sees: bool, stopped: Appointment
) -> None:
    response = api_as(request, who, "token").get(f"/appointments/{stopped.public_id}")
    assert response.status_code == 200, response.content
    assert response.json()["screening_decision"] == ("STOP" if sees else None)
    assert [f["code"] for f in response.json()["flags"]] == (["screening_stop"] if sees else [])


@pytest.mark.parametrize(("who", "status"), [("front_desk", 200), ("biller", 403)])
def test_the_screening_flag_agrees_with_the_appointments(
    request: pytest.FixtureRequest, who: str, status: int, stopped: Appointment, patient: Patient
) -> None:
    response = api_as(request, who, "token").get(f"/patients/{patient.public_id}/screening-flag")
    assert response.status_code == status
