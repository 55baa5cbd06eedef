"""Shared by the expected-result tests and the browser test: a synthetic organization's
episodes (under the episode table's own labels), a stored "expected" snapshot built from
them, and a draft plan of care for neck pain with an NDI baseline."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django.utils import timezone

from palpa.accounts.models import Location, Organization, User
from palpa.analytics import expected, synthetic
from palpa.analytics.models import OutcomeSnapshot
from palpa.analytics.rows import EpisodeRow
from palpa.care.evaluations import services as evaluation_services
from palpa.care.models import Plan
from palpa.care.plans import services as plan_services
from palpa.patients.models import Patient

NDI_BASELINE = [3] * 10  # 30 of 50 points


def synthetic_rows(episodes: int, *, seed: int) -> list[EpisodeRow]:
    return synthetic.generate(synthetic.Organization(episodes=episodes), seed=seed)


@cache
def neck_snapshot_data() -> dict[str, Any]:
    """The "expected" snapshot of a synthetic organization of 3,000 episodes (seed 11),
    built once per test process (fitting takes seconds)."""
    return expected.build(Organization(), synthetic_rows(3000, seed=11))


def seed_snapshot(
    organization: Organization, data: dict[str, Any] | None = None
) -> OutcomeSnapshot:
    """Store an "expected" snapshot for ``organization`` as the worker does (by default
    ``neck_snapshot_data()``)."""
    return OutcomeSnapshot.objects.create(
        organization=organization,
        kind=expected.KIND,
        version=expected.VERSION,
        computed_at=timezone.now(),
        episodes=3000,
        seconds=0.0,
        data=data if data is not None else neck_snapshot_data(),
    )


def draft_neck_plan(
    *, therapist: User, patient: Patient, location: Location, on: dt.date, weeks: int = 4
) -> Plan:
    """A signed neck pain evaluation (NDI 30 of 50) and a draft plan 2 x a week."""
    evaluation = evaluation_services.start_evaluation(
        actor=therapist,
        patient=patient,
        location=location,
        evaluated_on=on,
        chief_complaint="Neck pain for four months, worse at the desk.",
    )
    evaluation_services.add_diagnosis(actor=therapist, evaluation=evaluation, code="M54.2")
    evaluation_services.record_baseline_administration(
        actor=therapist, evaluation=evaluation, instrument="NDI", answers=NDI_BASELINE
    )
    evaluation = evaluation_services.sign_evaluation(actor=therapist, evaluation=evaluation)
    return plan_services.create_plan(
        actor=therapist,
        evaluation=evaluation,
        frequency_per_week=2,
        duration_weeks=weeks,
        techniques=["myofascial_release"],
        precautions="",
    )
