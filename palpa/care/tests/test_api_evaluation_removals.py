"""DELETE a finding of a draft evaluation over the API, per persona; 409 once signed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from palpa.accounts.models import User
from palpa.care.models import Evaluation

OPERATIONS = {
    ("delete", "/api/v1/evaluations/{evaluation_id}/pain-map/{entry_id}"),
    ("delete", "/api/v1/evaluations/{evaluation_id}/palpation/{finding_id}"),
    ("delete", "/api/v1/evaluations/{evaluation_id}/rom/{measurement_id}"),
    ("delete", "/api/v1/evaluations/{evaluation_id}/special-tests/{test_id}"),
    ("delete", "/api/v1/evaluations/{evaluation_id}/diagnoses/{diagnosis_id}"),
}


def _paths(evaluation: Evaluation) -> dict[str, str]:
    """Each removal path of the evaluation's own rows (one of each in the fixture)."""
    base = f"/api/v1/evaluations/{evaluation.public_id}"
    return {
        "pain_map": f"{base}/pain-map/{evaluation.pain_map.get().public_id}",
        "palpation": f"{base}/palpation/{evaluation.palpation.get().public_id}",
        "rom": f"{base}/rom/{evaluation.rom_measurements.get().public_id}",
        "special_tests": f"{base}/special-tests/{evaluation.special_tests.get().public_id}",
        "diagnoses": f"{base}/diagnoses/{evaluation.diagnoses.get().public_id}",
    }


def _counts(evaluation: Evaluation) -> list[int]:
    return [
        evaluation.pain_map.count(),
        evaluation.palpation.count(),
        evaluation.rom_measurements.count(),
        evaluation.special_tests.count(),
        evaluation.diagnoses.count(),
    ]


def test_the_practitioner_removes_each_kind_of_finding_from_a_draft(
    therapist: User, evaluation: Evaluation, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(therapist)
    for key, path in _paths(evaluation).items():
        response = client.delete(path)
        assert response.status_code == 200, (path, response.content)
        assert response.json()[key] == []
    assert _counts(evaluation) == [0, 0, 0, 0, 0]


def test_a_signed_evaluation_answers_409_evaluation_locked_and_keeps_its_rows(
    therapist: User, signed_evaluation: Evaluation, api_client_for: Callable[[User], Client]
) -> None:
    client = api_client_for(therapist)
    for path in _paths(signed_evaluation).values():
        response = client.delete(path)
        assert response.status_code == 409, path
        assert response.json() == {
            "detail": "This evaluation is signed and cannot change.",
            "code": "evaluation_locked",
        }
    assert _counts(signed_evaluation) == [1, 1, 1, 1, 1]


def test_a_row_of_another_evaluation_is_not_found(
    therapist: User, evaluation: Evaluation, api_client_for: Callable[[User], Client]
) -> None:
    entry = evaluation.pain_map.get()
    wrong = f"/api/v1/evaluations/{evaluation.public_id}/palpation/{entry.public_id}"
    assert api_client_for(therapist).delete(wrong).status_code == 404
    assert evaluation.pain_map.count() == 1


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("other_therapist", 403),
        ("owner", 403),
        ("front_desk", 403),
        ("biller", 403),
        ("outsider", 404),
    ],
)
def test_only_the_evaluations_practitioner_removes_findings(
    request: pytest.FixtureRequest,
    persona: str,
    expected: int,
    evaluation: Evaluation,
    api_client_for: Callable[[User], Client],
) -> None:
    client = api_client_for(request.getfixturevalue(persona))
    for path in _paths(evaluation).values():
        assert client.delete(path).status_code == expected, path
    assert _counts(evaluation) == [1, 1, 1, 1, 1]


def test_without_a_token_every_removal_answers_401(evaluation: Evaluation) -> None:
    for path in _paths(evaluation).values():
        assert Client().delete(path).status_code == 401, path
    assert _counts(evaluation) == [1, 1, 1, 1, 1]
