"""The report page's "Share with the patient" and "Stop sharing" per persona: who may send
reports to the physician may share them; the page says whether the patient has a copy."""

from __future__ import annotations

import pytest
from django.test import Client

from palpa.accounts.models import User
from palpa.core.tests.support import PERSONAS, assert_answer, web_client
from palpa.reports import render, services
from palpa.reports.models import Report, ReportShare

SHARERS = {
    "owner": 302,
    "therapist": 302,
    "other_therapist": 302,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
MAY_SHARE = ("owner", "therapist", "other_therapist")


@pytest.fixture(autouse=True)
def _no_pdf_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "pdf", lambda content, *, draft: b"%PDF-1.7 stand-in")


def _client(request: pytest.FixtureRequest, who: str) -> Client:
    return web_client(request, who)


@pytest.mark.parametrize("who", PERSONAS)
def test_who_may_share_a_signed_report_with_the_patient(
    request: pytest.FixtureRequest, who: str, signed: Report
) -> None:
    response = _client(request, who).post(f"/reports/{signed.public_id}/share/")
    assert_answer(response, who, SHARERS[who])
    assert ReportShare.objects.filter(report=signed).exists() == (who in MAY_SHARE)


@pytest.mark.parametrize("who", PERSONAS)
def test_who_may_stop_sharing_it(
    request: pytest.FixtureRequest, who: str, therapist: User, signed: Report
) -> None:
    services.share_report_with_patient(actor=therapist, report=signed)
    response = _client(request, who).post(f"/reports/{signed.public_id}/stop-sharing/")
    assert_answer(response, who, SHARERS[who])
    assert (services.current_share(signed) is None) == (who in MAY_SHARE)


def test_the_page_offers_sharing_then_says_the_patient_has_a_copy(
    request: pytest.FixtureRequest, signed: Report
) -> None:
    client = _client(request, "therapist")
    page = client.get(f"/reports/{signed.public_id}/").content.decode()
    assert "Not shared with the patient." in page
    assert "Share with the patient" in page
    answer = client.post(f"/reports/{signed.public_id}/share/", follow=True)
    page = answer.content.decode()
    assert "Shared with the patient: they can download it on their page" in page
    assert "Shared with the patient since" in page
    assert "Stop sharing" in page
    again = client.post(f"/reports/{signed.public_id}/share/", follow=True)
    assert "Not shared: This report is already shared with the patient." in again.content.decode()


def test_a_draft_offers_no_sharing(request: pytest.FixtureRequest, draft: Report) -> None:
    client = _client(request, "therapist")
    assert (
        "Share with the patient" not in client.get(f"/reports/{draft.public_id}/").content.decode()
    )
    answer = client.post(f"/reports/{draft.public_id}/share/", follow=True)
    assert "Not shared: Only a signed, current report" in answer.content.decode()
    assert not ReportShare.objects.exists()


def test_a_correction_says_the_version_it_corrects_was_shared(
    request: pytest.FixtureRequest, therapist: User, signed: Report
) -> None:
    services.share_report_with_patient(actor=therapist, report=signed)
    draft = services.correct_report(actor=therapist, report=signed, reason="Wrong visit count.")
    correction = services.sign_report(actor=therapist, report=draft)
    client = _client(request, "therapist")
    page = client.get(f"/reports/{correction.public_id}/").content.decode()
    assert "The version this one corrects was shared" in page
    old = client.get(f"/reports/{signed.public_id}/").content.decode()
    assert "Was shared with the patient until a correction replaced it" in old
    assert "Stop sharing" not in old
