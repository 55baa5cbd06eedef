"""POST /api/v1/evaluations/{id}/addenda, per persona, through bearer tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from palpa.accounts.models import User
from palpa.care.models import Evaluation, EvaluationAddendum
from palpa.care.tests.api_support import JSON
from palpa.core.tests.support import clinic_today
from palpa.practitioners.models import License

OPERATIONS = {("post", "/api/v1/evaluations/{evaluation_id}/addenda")}
CORRECTION = {"text": "The palpation finding was on the right gluteal, not the left."}


def _url(evaluation: Evaluation) -> str:
    return f"/api/v1/evaluations/{evaluation.public_id}/addenda"


def test_an_addendum_is_signed_and_listed_under_the_unchanged_evaluation(
    therapist: User, signed_evaluation: Evaluation, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(therapist)
    before = client.get(f"/api/v1/evaluations/{signed_evaluation.public_id}").json()
    response = client.post(_url(signed_evaluation), CORRECTION, content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["text"] == CORRECTION["text"]
    assert body["signed_by"] == str(therapist)
    after = client.get(f"/api/v1/evaluations/{signed_evaluation.public_id}").json()
    assert after["addenda"] == [body]
    assert after["content_hash"] == before["content_hash"]
    assert after["palpation"] == before["palpation"]
    assert after["status"] == "signed"


def test_an_empty_addendum_answers_422_naming_the_text(
    therapist: User, signed_evaluation: Evaluation, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(therapist)
    empty = client.post(_url(signed_evaluation), {"text": ""}, content_type=JSON)
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"][-1] == "text"
    blank = client.post(_url(signed_evaluation), {"text": "   "}, content_type=JSON)
    assert blank.status_code == 422
    assert blank.json()["detail"][0]["loc"][-1] == "text"
    assert not EvaluationAddendum.objects.exists()


def test_a_draft_evaluation_takes_no_addendum(
    therapist: User, evaluation: Evaluation, api_client_for: Callable[[User], Client]
) -> None:
    response = api_client_for(therapist).post(_url(evaluation), CORRECTION, content_type=JSON)
    assert response.status_code == 409
    assert response.json()["code"] == "addendum_refused"
    assert "edit the draft itself" in response.json()["detail"]


def test_a_lapsed_license_answers_409_naming_the_license(
    therapist: User, signed_evaluation: Evaluation, api_client_for: Callable[[User], Client]
) -> None:
    License.objects.filter(practitioner__user=therapist).update(
        expires_on=clinic_today() - dt.timedelta(days=1)
    )
    client = api_client_for(therapist)
    response = client.post(_url(signed_evaluation), CORRECTION, content_type=JSON)
    assert response.status_code == 409
    assert response.json()["code"] == "license"
    assert not EvaluationAddendum.objects.exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("therapist", 201),
        ("other_therapist", 201),
        ("owner", 403),
        ("front_desk", 403),
        ("biller", 403),
        ("outsider", 404),
    ],
)
def test_who_may_add_an_addendum(
    request: pytest.FixtureRequest,
    persona: str,
    expected: int,
    signed_evaluation: Evaluation,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(request.getfixturevalue(persona))
    response = client.post(_url(signed_evaluation), CORRECTION, content_type=JSON)
    assert response.status_code == expected, response.content
    assert EvaluationAddendum.objects.count() == (1 if expected == 201 else 0)


def test_without_a_token_an_addendum_answers_401(signed_evaluation: Evaluation) -> None:
    response = Client().post(_url(signed_evaluation), CORRECTION, content_type=JSON)
    assert response.status_code == 401
    assert not EvaluationAddendum.objects.exists()
