"""An evaluation records when the complaint began (the episode's chronicity counts from it):
never after the evaluation, sealed by the signature when recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from palpa.accounts.models import User
from palpa.care.evaluations import services as evaluation_services
from palpa.care.models import Evaluation


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
