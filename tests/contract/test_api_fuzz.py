"""Schemathesis over every /api/v1 operation, as each staff role with an API token.

A small clinic (the personas, a patient with a course of care, a physician) is written
once for the module and rolled back after it; each role's test runs every operation of
the published OpenAPI document with a few generated requests (valid and invalid, a
fixed seed: derandomized), path ids drawn from the clinic's real records or an unknown
one, and asserts 0 server errors and 0 responses that break the published schema.
Each generated request is sent as every role, so the roles share the cost of generating
it; ``EXAMPLES`` bounds the run to about a minute on two cores.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pytest_django import DjangoDbBlocker
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from palpa.accounts.models import User
from palpa.accounts.services import issue_token
from palpa.billing.models import Charge, Coverage, LedgerEntry, PatientPrepaid, Payer
from palpa.care.models import (
    Diagnosis,
    Evaluation,
    Goal,
    PainMapEntry,
    PalpationFinding,
    Plan,
    RomMeasurement,
    SpecialTest,
    TechniqueEntry,
    TreatmentNote,
)
from palpa.core.npi import make_npi
from palpa.fhir.tests.conftest import make_course
from palpa.lymphoedema.models import LimbMeasurement
from palpa.lymphoedema.services import record_measurement
from palpa.lymphoedema.tests.support import tape
from palpa.outcomes.models import InstrumentAdministration, InstrumentLink
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from palpa.practitioners.models import Practitioner
from palpa.referrals.models import Physician, Referral
from palpa.referrals.services import add_physician
from palpa.reports.models import Report
from palpa.scheduling.models import Appointment
from palpa.screening.models import Clearance, Screening
from tests.builders import clinic_location, licensed_therapist, organization, staff
from tests.permissions.clinic import FAST_HASHERS

NOW = dt.datetime(2026, 6, 20, 13, 0, tzinfo=dt.UTC)  # after the course of care
EXAMPLES = 2  # per operation and generation mode (valid, invalid); each sent as every role

# Path parameter -> the records whose ids it may take (besides an unknown id).
ID_SOURCES: dict[str, list[type[Any]]] = {
    "administration_id": [InstrumentAdministration],
    "appointment_id": [Appointment],
    "charge_id": [Charge],
    "clearance_id": [Clearance],
    "coverage_id": [Coverage],
    "diagnosis_id": [Diagnosis],
    "entry_id": [LedgerEntry, PainMapEntry],
    "evaluation_id": [Evaluation],
    "finding_id": [PalpationFinding],
    "goal_id": [Goal],
    "limb_measurement_id": [LimbMeasurement],
    "link_id": [InstrumentLink],
    "measurement_id": [RomMeasurement],
    "note_id": [TreatmentNote],
    "patient_id": [Patient],
    "payer_id": [Payer],
    "physician_id": [Physician],
    "plan_id": [Plan],
    "practitioner_id": [Practitioner],
    "prepaid_id": [PatientPrepaid],
    "referral_id": [Referral],
    "report_id": [Report],
    "screening_id": [Screening],
    "technique_id": [TechniqueEntry],
    "test_id": [SpecialTest],
}


def _clinic() -> dict[str, User]:
    org = organization("Bayside Massage Clinic", "bayside")
    location = clinic_location(org, "Bayside Downtown")
    owner = staff(org, "owner@bayside.example", "owner", "Olive Owner")
    therapist = licensed_therapist(org, owner, "therapist@bayside.example", "Tess Therapist")
    users = {
        "owner": owner,
        "therapist": therapist,
        "front_desk": staff(org, "desk@bayside.example", "front_desk", "Fran Desk"),
        "biller": staff(org, "biller@bayside.example", "biller", "Bill Biller"),
    }
    patient = create_patient(
        actor=owner,
        given_name="Rosa",
        family_name="Diaz",
        date_of_birth=dt.date(1975, 4, 12),
        primary_location=location,
    )
    make_course(therapist, owner, patient, location)
    record_measurement(actor=therapist, patient=patient, location=location, **tape())
    add_physician(actor=owner, given_name="Grace", family_name="Okafor", npi=make_npi("155566677"))
    return users


@pytest.fixture(scope="module")
def clinic(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[dict[str, User]]:
    with (
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),  # token auth: no password is read
        time_machine.travel(NOW, tick=False),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield _clinic()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def schema(clinic: dict[str, User]) -> Iterator[Any]:
    """The published document, and requests through Django's WSGI handler. Like Django's
    test client, the handler must not close the database connection when a request starts
    or ends
    (the clinic and each test live in a transaction on it)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def _ids() -> dict[str, list[str]]:
    from palpa.accounts.models import Location

    found: dict[str, list[str]] = {}
    for name, models in ID_SOURCES.items():
        found[name] = [
            str(value)
            for model in models
            for value in model.objects.order_by("pk").values_list("public_id", flat=True)[:3]
        ]
    found["location_id"] = [
        str(v) for v in Location.objects.order_by("pk").values_list("public_id", flat=True)[:2]
    ]
    found["token_id"] = []
    return found


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, dict[str, str]],
    ids: dict[str, list[str]],
) -> None:
    """A few generated requests to one operation, each sent as every role."""
    unknown = str(uuid.UUID(int=7))

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        for name in list(case.path_parameters or {}):
            choices = ids.get(name)
            if choices:
                case.path_parameters[name] = data.draw(st.sampled_from([*choices, unknown]))
        for role, auth in headers.items():
            response = case.call(headers=auth)
            try:
                case.validate_response(
                    response,
                    checks=[not_a_server_error, response_schema_conformance],
                    headers=auth,
                )
            except Exception as exc:
                raise AssertionError(f"as {role} ({mode.value}): {exc}") from exc

    run()


def test_no_operation_answers_a_server_error_or_breaks_its_schema(
    clinic: dict[str, User], schema: Any, db: None
) -> None:
    with time_machine.travel(NOW, tick=False):
        headers = {
            role: {"Authorization": f"Bearer {issue_token(actor=user, name='fuzz').secret}"}
            for role, user in clinic.items()
        }
        ids = _ids()
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 100
        failures: list[str] = []
        for operation in operations:
            try:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    _fuzz(operation, mode, headers, ids)
            except Exception as exc:  # collected: every operation is tried
                failures.append(f"{operation.label}: {str(exc)[:3000]}")
        assert failures == [], "\n\n".join(failures)
