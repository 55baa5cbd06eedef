"""Downloading a patient statement, per persona: owners, billers and front desk; not
therapists; another organization 404 (sign-in first for the anonymous)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing.tests.documents_support import VISITS, self_pay_visit, set_self_pay_prices
from palpa.core.tests.support import TODAY, matrix, web_client
from palpa.patients.models import Patient

PERIOD = {"start": (TODAY - dt.timedelta(days=30)).isoformat(), "end": TODAY.isoformat()}


@pytest.fixture
def account(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> Patient:
    set_self_pay_prices(owner, location)
    self_pay_visit(
        owner=owner,
        therapist=therapist,
        biller=biller,
        patient=patient,
        location=location,
        on=VISITS[0],
    )
    return patient


@pytest.mark.parametrize(
    ("persona", "status"),
    matrix(
        {
            "owner": 200,
            "biller": 200,
            "front_desk": 200,
            "therapist": 403,
            "other_therapist": 403,
            "outsider": 404,
            "anonymous": 302,
        }
    ),
)
def test_who_may_download_a_statement(
    account: Patient, persona: str, status: int, request: pytest.FixtureRequest
) -> None:
    url = reverse("billing:statement", args=[account.public_id])
    before = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count()
    response = web_client(request, persona).get(url, PERIOD)
    assert response.status_code == status
    exported = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() - before
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert "no-store" in response["Cache-Control"]
        assert exported == 1
    else:
        assert exported == 0


def test_a_period_over_a_year_reshows_the_form_naming_the_field(
    account: Patient, request: pytest.FixtureRequest
) -> None:
    url = reverse("billing:statement", args=[account.public_id])
    response = web_client(request, "front_desk").get(
        url, {"start": "2024-01-01", "end": TODAY.isoformat()}
    )
    assert response.status_code == 400
    assert "A period spans at most 366 days" in response.content.decode()
