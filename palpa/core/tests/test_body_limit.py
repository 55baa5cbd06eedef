"""Oversized bodies on /api/ and /fhir/: 413 with JSON (or an OperationOutcome), in
development and production alike, and nothing logged as a failure."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client

from palpa.accounts.models import User
from palpa.patients.models import Patient

BIG = 3 * 1024 * 1024  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB)


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def mode(request: pytest.FixtureRequest, settings: Any) -> bool:
    settings.DEBUG = request.param
    return bool(request.param)


def _no_failure_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


def test_an_oversized_api_body_is_a_413_with_json(
    owner: User, api_client_for: Any, mode: bool, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps({"given_name": "x" * BIG, "family_name": "Big"})
    response = api_client_for(owner).post("/api/v1/patients", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "too large" in response.json()["detail"]
    assert "2,621,440 bytes" in response.json()["detail"]
    assert not Patient.objects.filter(family_name="Big").exists()
    _no_failure_logged(caplog)


def test_an_oversized_fhir_body_is_a_413_operation_outcome(
    db: None, mode: bool, caplog: pytest.LogCaptureFixture
) -> None:
    response = Client().post(
        "/fhir/R4/", "[" + " " * BIG + "]", content_type="application/fhir+json"
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/fhir+json")
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "too-long"
    _no_failure_logged(caplog)


def test_oversized_form_fields_in_an_upload_are_a_413_too(
    owner: User, patient: Patient, api_client_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Within the upload's length, but the form fields alone are too large: Django finds
    it only while reading; the API answers the same 413."""
    response = api_client_for(owner).post(
        f"/api/v1/patients/{patient.public_id}/referrals",
        {"requested_service": "x" * BIG, "diagnoses": "M54.50"},
    )
    assert response.status_code == 413, response.content
    assert "too large" in response.json()["detail"]
    _no_failure_logged(caplog)
