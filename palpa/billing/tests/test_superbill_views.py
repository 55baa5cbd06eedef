"""Downloading a superbill, per persona: owners and billers for any patient, a therapist
for the visits they provided, front desk never, another organization 404 (sign-in first
for the anonymous)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from palpa.accounts.models import Location, User
from palpa.billing.tests.documents_support import VISITS, Billed, insured_course
from palpa.core.tests.support import TODAY, matrix, web_client
from palpa.patients.models import Patient

VISIT = matrix(
    {
        "owner": 200,
        "biller": 200,
        "therapist": 200,
        "other_therapist": 403,
        "front_desk": 403,
        "outsider": 404,
        "anonymous": 302,
    }
)
PERIOD = {"start": (TODAY - dt.timedelta(days=30)).isoformat(), "end": TODAY.isoformat()}


@pytest.fixture
def billed(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> Billed:
    return insured_course(
        owner=owner, therapist=therapist, biller=biller, patient=patient, location=location
    )


@pytest.mark.parametrize(("persona", "status"), VISIT)
def test_who_may_download_a_visits_superbill(
    billed: Billed, persona: str, status: int, request: pytest.FixtureRequest
) -> None:
    url = reverse("billing:superbill_visit", args=[billed.charges[0].public_id])
    response = web_client(request, persona).get(url)
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert "no-store" in response["Cache-Control"]
        assert (
            f"superbill-RD-{billed.patient.mrn}-{VISITS[0]}.pdf" in response["Content-Disposition"]
        )


@pytest.mark.parametrize(("persona", "status"), VISIT)
def test_who_may_download_a_periods_superbill(
    billed: Billed, persona: str, status: int, request: pytest.FixtureRequest
) -> None:
    url = reverse("billing:superbill_period", args=[billed.patient.public_id])
    response = web_client(request, persona).get(url, PERIOD)
    assert response.status_code == status
    if status == 200:
        assert response.content.startswith(b"%PDF")


def test_a_backwards_period_reshows_the_form_naming_the_field(
    billed: Billed, client_for: Callable[[User], Client], biller: User
) -> None:
    url = reverse("billing:superbill_period", args=[billed.patient.public_id])
    response = client_for(biller).get(url, {"start": TODAY.isoformat(), "end": "2026-01-01"})
    assert response.status_code == 400
    assert "on or after its start" in response.content.decode()


def test_a_missing_date_reshows_the_form(
    billed: Billed, client_for: Callable[[User], Client], biller: User
) -> None:
    url = reverse("billing:superbill_period", args=[billed.patient.public_id])
    response = client_for(biller).get(url, {"start": "not a date"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid date" in body
    assert "This field is required" in body


def test_a_visit_not_yet_ready_to_bill_has_no_superbill(
    billed: Billed, client_for: Callable[[User], Client], biller: User, therapist: User
) -> None:
    from palpa.billing import services
    from palpa.billing.tests.documents_support import signed_visit

    note = signed_visit(
        therapist,
        billed.patient,
        billed.notes[0].location,
        billed.notes[0].plan_of_care,
        TODAY,
    )
    charge = services.capture_note_charges(note=note)
    assert charge is not None
    response = client_for(biller).get(reverse("billing:superbill_visit", args=[charge.public_id]))
    assert response.status_code == 404


def test_the_documents_page_offers_what_the_role_may(
    billed: Billed, client_for: Callable[[User], Client], front_desk: User, biller: User
) -> None:
    url = reverse("billing:documents", args=[billed.patient.public_id])
    desk = client_for(front_desk).get(url).content.decode()
    assert "Statement (PDF)" in desk
    assert "Superbill (PDF)" not in desk
    both = client_for(biller).get(url).content.decode()
    assert "Statement (PDF)" in both
    assert "Superbill (PDF)" in both


def test_the_documents_page_is_not_found_for_another_organization(
    billed: Billed, client_for: Callable[[User], Client], outsider: User
) -> None:
    url = reverse("billing:documents", args=[billed.patient.public_id])
    assert client_for(outsider).get(url).status_code == 404
