"""An evaluation records when the complaint began (the episode's chronicity counts from it):
never after the evaluation, sealed by the signature when recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from palpa.accounts.models import User
from palpa.care.evaluations import services as evaluation_services
from palpa.care.models import Evaluation
from palpa.care.tests.api_support import JSON, TODAY


def test_the_onset_is_recorded_and_sealed_with_the_evaluation(
    therapist: User, evaluation: Evaluation
) -> None:
    onset = evaluation.evaluated_on - dt.timedelta(weeks=8)
    evaluation_services.update_evaluation(
        actor=therapist, evaluation=evaluation, changes={"onset_on": onset}
    )
    evaluation.refresh_from_db()
    assert evaluation.onset_on == onset
    assert evaluation_services.evaluation_content(evaluation)["onset_on"] == onset.isoformat()


def test_an_evaluation_without_an_onset_seals_no_onset(evaluation: Evaluation) -> None:
    assert "onset_on" not in evaluation_services.evaluation_content(evaluation)


def test_an_onset_after_the_evaluation_or_not_a_date_is_refused_by_field(
    therapist: User, evaluation: Evaluation
) -> None:
    for bad in (evaluation.evaluated_on + dt.timedelta(days=1), "last spring"):
        with pytest.raises(ValidationError) as caught:
            evaluation_services.update_evaluation(
                actor=therapist, evaluation=evaluation, changes={"onset_on": bad}
            )
        assert "onset_on" in caught.value.message_dict


def test_the_api_records_the_onset_and_refuses_one_after_the_evaluation_with_422(
    therapist: User,
    patient: Any,
    location: Any,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(therapist)
    created = client.post(
        f"/api/v1/patients/{patient.public_id}/evaluations",
        {
            "location": str(location.public_id),
            "evaluated_on": TODAY,
            "chief_complaint": "Neck pain after desk work.",
            "onset_on": "2026-01-05",
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    assert created.json()["onset_on"] == "2026-01-05"
    late = client.patch(
        f"/api/v1/evaluations/{created.json()['id']}",
        {"onset_on": "2099-01-01"},
        content_type=JSON,
    )
    assert late.status_code == 422
    assert "onset_on" in late.content.decode()
    cleared = client.patch(
        f"/api/v1/evaluations/{created.json()['id']}", {"onset_on": None}, content_type=JSON
    )
    assert cleared.status_code == 200
    assert cleared.json()["onset_on"] is None


def test_the_evaluation_pages_record_the_onset_and_name_a_bad_one(
    therapist: User,
    patient: Any,
    location: Any,
    client_for: Callable[[User], Client],
) -> None:
    from django.urls import reverse

    from palpa.core.tests.support import clinic_today

    client = client_for(therapist)
    today = clinic_today()
    client.post(
        reverse("care:evaluation_new", args=[patient.public_id]),
        {
            "location": location.pk,
            "evaluated_on": today.isoformat(),
            "chief_complaint": "Neck pain at the desk.",
            "onset_on": (today - dt.timedelta(weeks=10)).isoformat(),
        },
    )
    evaluation = Evaluation.objects.get(patient=patient)
    assert evaluation.onset_on == today - dt.timedelta(weeks=10)
    url = reverse("care:evaluation", args=[evaluation.public_id])
    later = (today + dt.timedelta(days=3)).isoformat()
    refused = client.post(
        url,
        {"ev-chief_complaint": "Neck pain, worse", "ev-onset_on": later, "ev-history": "Desk"},
    )
    body = refused.content.decode()
    assert refused.status_code == 200
    assert "The symptoms began on or before the evaluation." in body
    assert "Neck pain, worse" in body  # what was typed stays
    evaluation.refresh_from_db()
    assert evaluation.onset_on == today - dt.timedelta(weeks=10)
    assert evaluation.chief_complaint == "Neck pain at the desk."  # nothing half saved
    cleared = client.post(url, {"ev-chief_complaint": "Neck pain", "ev-onset_on": ""})
    assert cleared.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.onset_on is None
