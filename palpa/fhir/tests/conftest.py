"""A course of care to read through FHIR, and clients to read it with.

The clock is fixed (time-machine) at 20 June 2026, when the tests read; the course was
written on the days it happened: the evaluation and the plan of care on 1 June 2026,
treatment visits on 8 and 15 June with a re-assessment on 15 June.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.test import Client

from palpa.accounts.models import Location, Organization, User
from palpa.care.evaluations.services import add_pain_map_entry, record_rom
from palpa.care.models import Evaluation, Plan, TreatmentNote
from palpa.care.plans.services import record_reassessment
from palpa.core.tests.support import clinic_today
from palpa.fhir.services import IssuedClient, create_fhir_client
from palpa.outcomes.models import InstrumentAdministration
from palpa.patients.models import Patient
from palpa.screening.services import record_screening
from tests.builders import (
    ODI_BASELINE,
    PAIN_AT_MOST_3,
    SITTING,
    Technique,
    signed_evaluation,
    signed_note,
    signed_plan,
)

UTC = dt.UTC
START = dt.datetime(2026, 6, 1, 13, 0, tzinfo=UTC)
TODAY = dt.datetime(2026, 6, 20, 13, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    """Every test reads on 20 June 2026 (the personas' licenses run a year either side)."""
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def on(day: dt.datetime) -> Any:
    """Write as on ``day`` (the clock goes back to 20 June afterwards)."""
    return time_machine.travel(day, tick=False)


@dataclass
class Course:
    patient: Patient
    evaluation: Evaluation
    plan: Plan
    notes: list[TreatmentNote]
    reassessment: InstrumentAdministration


def _note(
    therapist: User, owner: User, patient: Patient, location: Location, plan: Plan
) -> TreatmentNote:
    record_screening(actor=owner, patient=patient, facts={})  # screened on the day
    return signed_note(
        therapist=therapist,
        patient=patient,
        location=location,
        plan=plan,
        on=clinic_today(),
        techniques=[
            Technique("myofascial_release", "low_back", 20, "moderate"),
            Technique("trigger_point", "gluteal", 10, "firm", side="left", tool="massage_ball"),
        ],
        subjective="Stiff after sitting.",
    )


def make_course(therapist: User, owner: User, patient: Patient, location: Location) -> Course:
    with on(START):
        evaluation, plan = _evaluation_and_plan(therapist, owner, patient, location)
    with on(dt.datetime(2026, 6, 8, 14, 0, tzinfo=UTC)):
        first = _note(therapist, owner, patient, location, plan)
    with on(dt.datetime(2026, 6, 15, 14, 0, tzinfo=UTC)):
        second = _note(therapist, owner, patient, location, plan)
        reassessment = record_reassessment(
            actor=therapist, plan=plan, instrument="NPRS", answers=[4]
        )
    return Course(
        patient=patient,
        evaluation=evaluation,
        plan=plan,
        notes=[first, second],
        reassessment=reassessment,
    )


def _evaluation_and_plan(
    therapist: User, owner: User, patient: Patient, location: Location
) -> tuple[Evaluation, Plan]:
    record_screening(actor=owner, patient=patient, facts={})

    def examine(evaluation: Evaluation) -> None:
        add_pain_map_entry(
            actor=therapist, evaluation=evaluation, region="low_back", intensity=6, quality="aching"
        )
        record_rom(
            actor=therapist,
            evaluation=evaluation,
            joint="thoracolumbar_spine",
            motion="flexion",
            degrees=60,
            instrument="inclinometer",
        )

    evaluation = signed_evaluation(
        therapist=therapist,
        patient=patient,
        location=location,
        evaluated_on=dt.date(2026, 6, 1),
        baselines={"ODI": ODI_BASELINE, "NPRS": [6]},
        findings=examine,
    )
    plan = signed_plan(
        therapist=therapist,
        evaluation=evaluation,
        per_week=2,
        weeks=6,
        techniques=["myofascial_release", "trigger_point"],
        precautions="Avoid prone position longer than 20 minutes.",
        goals=[SITTING, PAIN_AT_MOST_3],
        due_on=dt.date(2026, 7, 13),
    )
    return evaluation, plan


@pytest.fixture
def course(therapist: User, owner: User, patient: Patient, location: Location) -> Course:
    return make_course(therapist, owner, patient, location)


def issue_client(
    org: Organization, scopes: str = "system/*.read", name: str = "Hub", **kwargs: Any
) -> IssuedClient:
    return create_fhir_client(
        actor=None, organization=org, name=name, scopes=scopes.split(), **kwargs
    )


def get_token(client_id: str, secret: str, scope: str = "") -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = Client().post(
        "/fhir/R4/auth/token", data, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


def bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def system_token(org: Organization) -> str:
    issued = issue_client(org)
    return get_token(issued.client_id, issued.client_secret)


@pytest.fixture
def fhir(system_token: str) -> Client:
    """A test client holding a system/*.read token of the personas' organization."""
    return bearer(system_token)


@pytest.fixture
def outsider_fhir(outsider: User, other_org: Organization) -> Client:
    """A system/*.read client of another organization."""
    issued = issue_client(other_org, name="Elsewhere hub")
    return bearer(get_token(issued.client_id, issued.client_secret))


@pytest.fixture
def token_for() -> Callable[..., str]:
    return get_token
