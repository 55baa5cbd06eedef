"""The therapist's screening page: the decision, its reasons and sources, the visit's check,
the clearance and override forms, the letter; and who may open each."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils.html import escape

from palpa.accounts.models import User
from palpa.core.tests.support import assert_answer, clinic_today, matrix, web_client
from palpa.patients.models import Patient
from palpa.referrals.models import Physician
from palpa.screening.models import Clearance, Screening, VisitConfirmation
from palpa.screening.services import record_clearance, record_screening
from palpa.screening.tests.support import (
    PDF,
    facts_clearance,
    facts_emergency,
    facts_proceed,
    letter,
)

CLINICAL_PAGE = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}


def today() -> dt.date:
    return clinic_today()


@pytest.fixture
def screening(therapist: User, patient: Patient) -> Screening:
    return record_screening(actor=therapist, patient=patient, facts=facts_clearance(today()))


def review(patient: Patient) -> str:
    return f"/screening/patients/{patient.public_id}/"


@pytest.mark.parametrize(("who", "status"), matrix(CLINICAL_PAGE))
def test_who_may_open_the_screening_page(
    request: pytest.FixtureRequest, who: str, status: int, screening: Screening, patient: Patient
) -> None:
    response = web_client(request, who).get(review(patient))
    assert_answer(response, who, status)
    body = response.content.decode()
    assert ("Deep vein thrombosis" in body or "DVT" in body) == (status == 200)


def test_the_page_shows_the_decision_its_reasons_sources_and_what_to_do(
    therapist: User, screening: Screening, patient: Patient, request: pytest.FixtureRequest
) -> None:
    body = web_client(request, "therapist").get(review(patient)).content.decode()
    assert "decision-clearance" in body
    dvt = next(f for f in screening.result["findings"] if f["rule_id"] == "dvt_known")
    assert escape(dvt["rationale"]) in body
    assert escape(dvt["sources"][0]["citation"]) in body
    assert escape("needs a physician's clearance") in body
    assert "No deep pressure, deep friction, percussion (tapping), massage tools anywhere." in body
    assert "Record a physician's clearance" in body
    assert "Owner's override" not in body  # owners only


def test_an_emergency_shows_an_unmissable_banner_with_the_instruction(
    therapist: User, patient: Patient, request: pytest.FixtureRequest
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_emergency())
    body = web_client(request, "therapist").get(review(patient)).content.decode()
    assert 'class="banner emergency" role="alert"' in body
    assert "The patient needs emergency care now: call 911" in body


def test_the_therapist_records_a_clearance_with_the_letter_in_the_form(
    therapist: User,
    screening: Screening,
    patient: Patient,
    physician: Physician,
    request: pytest.FixtureRequest,
) -> None:
    client = web_client(request, "therapist")
    response = client.post(
        f"/screening/screenings/{screening.public_id}/clearance/",
        {
            "clearance-physician": physician.pk,
            "clearance-cleared_on": today().isoformat(),
            "clearance-scope": "Massage with light pressure",
            "clearance-letter": letter(),
        },
    )
    assert response.status_code == 302
    clearance = Clearance.objects.get()
    assert clearance.physician == physician
    page = client.get(review(patient)).content.decode()
    assert "Clearances in effect" in page
    download = client.get(f"/screening/clearances/{clearance.public_id}/letter/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]


def test_a_bad_letter_is_shown_at_the_letter_field(
    screening: Screening, physician: Physician, request: pytest.FixtureRequest
) -> None:
    response = web_client(request, "therapist").post(
        f"/screening/screenings/{screening.public_id}/clearance/",
        {
            "clearance-physician": physician.pk,
            "clearance-cleared_on": today().isoformat(),
            "clearance-scope": "Massage",
            "clearance-letter": letter(b"GIF89a", "letter.gif"),
        },
    )
    assert response.status_code == 200
    assert "must be a PDF, PNG or JPEG" in response.content.decode()
    assert not Clearance.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("owner", 302), ("therapist", 403)])
def test_only_an_owner_may_override_on_the_page(
    request: pytest.FixtureRequest, who: str, status: int, screening: Screening
) -> None:
    response = web_client(request, who).post(
        f"/screening/screenings/{screening.public_id}/override/",
        {"override-reason": "Dr Bennett cleared her by phone; letter to follow."},
    )
    assert response.status_code == status
    assert Clearance.objects.filter(kind="override").exists() == (status == 302)


@pytest.mark.parametrize(
    ("who", "status"), [("therapist", 200), ("front_desk", 403), ("outsider", 404)]
)
def test_who_may_download_a_letter(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    screening: Screening,
    physician: Physician,
) -> None:
    clearance = record_clearance(
        actor=therapist,
        screening=screening,
        physician=physician,
        cleared_on=today(),
        scope="Massage",
        letter=letter(),
    )
    response = web_client(request, who).get(f"/screening/clearances/{clearance.public_id}/letter/")
    assert response.status_code == status


def test_no_change_is_confirmed_for_a_visit(
    therapist: User, patient: Patient, request: pytest.FixtureRequest
) -> None:
    earlier = (today() - dt.timedelta(days=5)).isoformat()
    record_screening(actor=therapist, patient=patient, facts={"as_of": earlier, **facts_proceed()})
    client = web_client(request, "therapist")
    assert "No change since the last screening" in client.get(review(patient)).content.decode()
    response = client.post(
        f"/screening/patients/{patient.public_id}/confirm/", {"on": today().isoformat()}
    )
    assert response["Location"] == review(patient)
    assert VisitConfirmation.objects.filter(on=today()).exists()
    outside = client.post(
        f"/screening/patients/{patient.public_id}/confirm/",
        {"on": today().isoformat(), "next": "https://evil.example/"},
    )
    assert outside["Location"] == review(patient)
