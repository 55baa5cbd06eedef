"""A blood pressure measured at the visit: recorded on the screening page, screened at
once by the reference's cut-offs (C2 hypertension: ACC/AHA 2017, ESH 2018), audited, and
without moving the day a full re-screen falls due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import assert_answer, clinic_today, matrix, web_client
from palpa.patients.models import Patient
from palpa.screening import queries as screening_queries
from palpa.screening import services
from palpa.screening.models import Screening
from palpa.screening.tests.support import facts_modify, facts_proceed

# 15:00 UTC is 10:00 or 11:00 in the clinic (America/New_York): the same day everywhere.
NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)

POST_AS = {
    "owner": 302,
    "therapist": 302,
    "other_therapist": 302,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def today() -> dt.date:
    return clinic_today()


def url(patient: Patient) -> str:
    return f"/screening/patients/{patient.public_id}/blood-pressure/"


def form(
    systolic: Any, diastolic: Any, on: dt.date | str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "bp-bp_systolic": systolic,
        "bp-bp_diastolic": diastolic,
        "bp-bp_measured_on": (on or today()).__str__(),
        **extra,
    }


@pytest.mark.parametrize(("who", "status"), matrix(POST_AS))
def test_who_may_record_a_visit_blood_pressure(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, patient: Patient
) -> None:
    services.record_screening(actor=therapist, patient=patient, facts=facts_proceed())
    response = web_client(request, who).post(url(patient), form(150, 95))
    assert_answer(response, who, status)
    stored = Screening.objects.filter(patient=patient).count()
    assert stored == (2 if who in ("owner", "therapist", "other_therapist") else 1)


def test_a_crisis_reading_today_stops_the_session_and_keeps_the_history(
    request: pytest.FixtureRequest, therapist: User, patient: Patient
) -> None:
    first = services.record_screening(actor=therapist, patient=patient, facts=facts_modify())
    response = web_client(request, "therapist").post(url(patient), form(185, 115))
    assert response.status_code == 302
    latest = Screening.objects.filter(patient=patient).exclude(pk=first.pk).get()
    assert (latest.decision, latest.urgency) == ("STOP", "urgent")
    assert latest.rule_set_version == "palpa-default-3"
    assert latest.facts["medications"] == first.facts["medications"]
    assert latest.facts["blood_pressure"] == {
        "systolic": 185,
        "diastolic": 115,
        "measured_on": today().isoformat(),
    }
    assert latest.history_on == first.as_of
    entry = AuditEvent.objects.filter(object_type="Screening").order_by("-pk").first()
    assert entry is not None
    assert entry.detail["blood_pressure"]["systolic"] == 185
    status = screening_queries.screening_status(patient)
    assert status.screening == latest
    assert "no massage today" in status.start_refusal


def test_the_form_offers_the_clinics_date_and_refuses_bad_readings_by_field(
    request: pytest.FixtureRequest, therapist: User, patient: Patient
) -> None:
    services.record_screening(actor=therapist, patient=patient, facts=facts_proceed())
    client = web_client(request, "therapist")
    page = client.get(f"/screening/patients/{patient.public_id}/").content.decode()
    assert "Blood pressure measured at this visit" in page
    assert f'value="{today().isoformat()}"' in page
    reversed_ = client.post(url(patient), form(80, 95)).content.decode()
    assert "The bottom number must be lower than the top number." in reversed_
    implausible = client.post(url(patient), form(420, 95)).content.decode()
    assert "less than or equal to 300" in implausible
    future = client.post(url(patient), form(130, 80, today() + dt.timedelta(days=1)))
    assert "A reading cannot be from a future day." in future.content.decode()
    assert Screening.objects.filter(patient=patient).count() == 1


def test_a_reading_from_an_earlier_day_is_not_todays(therapist: User, patient: Patient) -> None:
    services.record_screening(actor=therapist, patient=patient, facts=facts_proceed())
    screening = services.record_blood_pressure(
        actor=therapist,
        patient=patient,
        systolic=185,
        diastolic=115,
        measured_on=today() - dt.timedelta(days=3),
    )
    # Not today's reading, but a crisis-range one: CLEARANCE until today's reading
    # replaces it (issue 18 review; palpa-default-2 gave PROCEED).
    assert screening.decision == "CLEARANCE"
    assert [f["rule_id"] for f in screening.result["findings"]] == [
        "blood_pressure_crisis_earlier",
        "blood_pressure_not_today",
    ]
    again = services.record_blood_pressure(
        actor=therapist, patient=patient, systolic=132, diastolic=84, measured_on=today()
    )
    assert again.decision == "PROCEED"


def test_the_reading_does_not_move_the_re_screen_and_needs_a_history_in_force(
    therapist: User, patient: Patient, owner: User
) -> None:
    with pytest.raises(services.ScreeningRefused, match="no health history"):
        services.record_blood_pressure(
            actor=therapist, patient=patient, systolic=120, diastolic=80, measured_on=today()
        )
    with time_machine.travel(NOW - dt.timedelta(days=80), tick=False):
        first = services.record_screening(actor=therapist, patient=patient, facts={})
    reading = services.record_blood_pressure(
        actor=therapist, patient=patient, systolic=120, diastolic=80, measured_on=today()
    )
    status = screening_queries.screening_status(patient)
    assert status.screening == reading
    assert status.due_on == first.as_of + dt.timedelta(days=90)
    with (
        time_machine.travel(NOW + dt.timedelta(days=11), tick=False),
        pytest.raises(services.ScreeningRefused, match="re-screen is due"),
    ):
        services.record_blood_pressure(
            actor=therapist, patient=patient, systolic=120, diastolic=80, measured_on=today()
        )


def test_errors_name_the_blood_pressure_field_and_nothing_is_saved(
    therapist: User, patient: Patient, front_desk: User
) -> None:
    services.record_screening(actor=therapist, patient=patient, facts={})
    with pytest.raises(ValidationError) as bad:
        services.record_blood_pressure(
            actor=therapist, patient=patient, systolic=120, diastolic=130, measured_on=today()
        )
    assert "blood_pressure.diastolic" in bad.value.message_dict
    with pytest.raises(PermissionDenied):
        services.record_blood_pressure(
            actor=front_desk, patient=patient, systolic=120, diastolic=80, measured_on=today()
        )
    assert Screening.objects.filter(patient=patient).count() == 1


def test_an_earlier_decision_keeps_the_version_that_produced_it(
    therapist: User, patient: Patient
) -> None:
    """Rules are versioned: a screening stored under palpa-default-1 keeps its version,
    its result and the words of its own rules after the bumps to palpa-default-2 and -3."""
    from palpa.screening.rules import shipped_rule_set, shipped_versions

    older = services.record_screening(
        actor=therapist, patient=patient, facts={"devices": [{"kind": "port", "region": "chest"}]}
    )
    v1 = shipped_rule_set("palpa-default-1")
    assert v1 is not None
    assert shipped_versions() == ("palpa-default-1", "palpa-default-2", "palpa-default-3")
    from palpa.screening.engine import screen
    from palpa.screening.facts import parse_facts

    as_v1 = screen(parse_facts(older.facts, regions=v1.regions), v1).as_json()
    Screening.objects.filter(pk=older.pk).update(
        rule_set_version="palpa-default-1",
        decision=as_v1["decision"],
        urgency=as_v1["urgency"],
        result=as_v1,
    )
    older.refresh_from_db()
    assert older.decision == "PROCEED"  # v1 avoided ports only during cancer care
    newer = services.record_screening(actor=therapist, patient=patient, facts=older.facts)
    assert (newer.rule_set_version, newer.decision) == ("palpa-default-3", "MODIFY")
    older.refresh_from_db()
    assert (older.rule_set_version, older.decision) == ("palpa-default-1", "PROCEED")
    assert screening_queries.rule_set_of(older) is v1
