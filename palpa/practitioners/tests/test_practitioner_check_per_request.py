"""Whether a staff member is an active practitioner is answered once per request for the
signed-in user (a chart asks it for each section) from the practitioner record read with
the account (no statement of its own), and again on the next request: a practitioner
deactivated between two requests loses what only practitioners may do at once. Any other
``User`` object asks the database each time."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability
from palpa.core.tests.support import web_client
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import update_practitioner

NEW_NOTE = "New treatment note"


def _practitioner_reads(queries: CaptureQueriesContext) -> int:
    return sum(
        'FROM "practitioners_practitioner"' in q["sql"] and "user_id" in q["sql"]
        for q in queries.captured_queries
    )


def test_a_chart_asks_once_and_the_next_request_sees_a_deactivation(
    request: pytest.FixtureRequest, owner: User, therapist: User, patient: Patient
) -> None:
    client = web_client(request, "therapist")
    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"/patients/{patient.public_id}/").content.decode()
    assert NEW_NOTE in body
    assert _practitioner_reads(queries) == 0  # read with the account (accounts.backends)
    practitioner = Practitioner.objects.get(user=therapist)
    update_practitioner(actor=owner, practitioner=practitioner, changes={"active": False})
    body = client.get(f"/patients/{patient.public_id}/").content.decode()
    assert NEW_NOTE not in body


def test_a_user_object_outside_a_request_asks_each_time(owner: User, therapist: User) -> None:
    assert has_capability(therapist, Capability.CLINICAL_AUTHOR)
    practitioner = Practitioner.objects.get(user=therapist)
    update_practitioner(actor=owner, practitioner=practitioner, changes={"active": False})
    assert not has_capability(therapist, Capability.CLINICAL_AUTHOR)
