"""A patient with something to see in the portal: an evaluation with an ODI baseline of
40 %, a signed plan (an ODI goal and a home-care item), a re-assessment at 22 %, two
signed self-pay visits posted to the ledger (85.00 each), and a visit booked next week.
Everything is dated from ``today`` (the clinic's day), so it holds at any test clock."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core import mail
from django.http import HttpResponseBase
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.billing.models import Charge
from palpa.billing.tests.documents_support import give_npi, post, set_self_pay_prices, signed_visit
from palpa.care.models import HomeCareItem, Plan
from palpa.care.plans.services import add_goal, add_home_care_picture, create_plan, sign_plan
from palpa.outcomes.services import administer_instrument
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services as scheduling
from palpa.scheduling.models import Appointment
from palpa.scheduling.tests.support import at, make_room, make_type, weekday_hours
from palpa.screening.services import record_screening
from tests.builders import signed_evaluation

ODI_40 = [2] * 10  # 20 of 50: 40 %
ODI_22 = [1] * 9 + [2]  # 11 of 50: 22 %
HOME_CARE = "Ball on the left glute against a wall."


@dataclass
class Course:
    patient: Patient
    plan: Plan
    item: HomeCareItem
    charges: list[Charge]
    upcoming: Appointment


def _next_weekday(day: dt.date, weeks: int = 1) -> dt.date:
    ahead = day + dt.timedelta(weeks=weeks)
    while ahead.weekday() >= 5:
        ahead += dt.timedelta(days=1)
    return ahead


def portal_course(
    *,
    owner: User,
    therapist: User,
    biller: User,
    patient: Patient,
    location: Location,
    today: dt.date,
    more_home_care: Sequence[dict[str, Any]] = (),
    picture: tuple[bytes, str] | None = None,
) -> Course:
    """``picture``: the first home-care item's picture and its description (the test
    points MEDIA_ROOT at a temporary folder)."""
    evaluated = today - dt.timedelta(days=21)
    visits = (today - dt.timedelta(days=14), today - dt.timedelta(days=7))
    give_npi(owner, therapist)
    set_self_pay_prices(owner, location)
    record_screening(
        actor=owner,
        patient=patient,
        facts={"as_of": (evaluated - dt.timedelta(days=1)).isoformat()},
    )
    evaluation = signed_evaluation(
        therapist=therapist,
        patient=patient,
        location=location,
        evaluated_on=evaluated,
        complaint="Low back pain for 3 months, worse after sitting.",
        baselines={"ODI": ODI_40},
    )
    drafted = create_plan(
        actor=therapist,
        evaluation=evaluation,
        frequency_per_week=1,
        duration_weeks=6,
        techniques=["myofascial_release", "swedish"],
        home_care=[
            {
                "kind": "self_massage",
                "instructions": HOME_CARE,
                "tool": "massage_ball",
                "frequency": "Once a day, 2 minutes",
            },
            *more_home_care,
        ],
    )
    add_goal(
        actor=therapist,
        plan=drafted,
        statement="Sit through a 1-hour meeting without low back pain stopping me.",
        measure_kind="instrument",
        instrument="ODI",
        target_kind="meaningful_change",
        due_on=evaluated + dt.timedelta(weeks=6),
    )
    if picture is not None:
        add_home_care_picture(
            actor=therapist,
            item=drafted.home_care.get(instructions=HOME_CARE),
            picture=picture[0],
            alt=picture[1],
        )
    plan = sign_plan(actor=therapist, plan=drafted)
    administer_instrument(
        actor=therapist,
        patient=patient,
        instrument="ODI",
        answers=ODI_22,
        administered_on=visits[1],
        context="reassessment",
    )
    charges = [post(biller, signed_visit(therapist, patient, location, plan, on)) for on in visits]
    practitioner = Practitioner.objects.get(user=therapist)
    weekday_hours(owner, practitioner, location)
    make_room(location, "Room 1")
    kind = make_type(owner, "treatment-60", "treatment", 60)
    upcoming = scheduling.book_appointment(
        actor=owner,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=at(_next_weekday(today), "10:00"),
    )
    item = HomeCareItem.objects.get(plan=plan, instructions=HOME_CARE)
    return Course(patient, plan, item, charges, upcoming)


def code_in_outbox() -> str:
    """The sign-in code in the latest sign-in email sent."""
    sent = [m for m in mail.outbox if "sign-in code" in str(m.subject)]
    assert sent, [m.subject for m in mail.outbox]
    found = re.search(r"\b(\d{6})\b", str(sent[-1].body))
    assert found, sent[-1].body
    return found.group(1)


def sign_in(client: Client, contact: str) -> HttpResponseBase:
    """Ask for a code for ``contact``, deliver it (the worker) and enter it."""
    from palpa.scheduling.tests.booking_support import run_worker

    asked = client.post("/my/sign-in/", {"contact": contact})
    assert asked.status_code == 302, asked.content.decode()[:500]
    run_worker()
    return client.post("/my/sign-in/code/", {"code": code_in_outbox()})
