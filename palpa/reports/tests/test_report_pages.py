"""The report pages per persona: preview, draft, sign, send, PDF, fax, correct, discard,
policy, and the reports section of the patient's chart."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from palpa.accounts.models import User
from palpa.core.tests.support import PERSONAS, assert_answer, web_client
from palpa.reports.models import Report, ReportDelivery, ReportPolicy
from palpa.reports.tests.conftest import Course, draft_report

READERS = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}


def _client(request: pytest.FixtureRequest, who: str) -> Client:
    return web_client(request, who)


@pytest.mark.parametrize("who", PERSONAS)
def test_who_may_preview_a_draft(request: pytest.FixtureRequest, who: str, draft: Report) -> None:
    response = _client(request, who).get(f"/reports/{draft.public_id}/")
    assert_answer(response, who, READERS[who])
    if READERS[who] == 200:
        assert b"Draft" in response.content
        assert b"Goals and measured change" in response.content
        assert b"data:image/svg+xml;base64," in response.content  # the trend charts
        assert b"Rosa Delgado" in response.content


@pytest.mark.parametrize("who", PERSONAS)
def test_who_may_open_the_signed_pdf(
    request: pytest.FixtureRequest, who: str, signed: Report
) -> None:
    response = _client(request, who).get(f"/reports/{signed.public_id}/report.pdf")
    assert_answer(response, who, READERS[who])
    if READERS[who] == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content == bytes(signed.pdf or b"")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 403),  # owners who are not practitioners do not write reports
        ("therapist", 302),
        ("other_therapist", 302),
        ("front_desk", 403),
        ("biller", 403),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_who_may_draft_a_report(
    request: pytest.FixtureRequest, who: str, status: int, course: Course
) -> None:
    response = _client(request, who).post(
        f"/reports/patients/{course.patient.public_id}/new/", {"kind": "progress"}
    )
    assert_answer(response, who, status)
    drafted = Report.objects.filter(patient=course.patient).exists()
    assert drafted == (who in ("therapist", "other_therapist"))


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 403),
        ("therapist", 302),
        ("other_therapist", 403),  # only the report's practitioner signs
        ("front_desk", 403),
        ("biller", 403),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_who_may_sign_a_draft(
    request: pytest.FixtureRequest, who: str, status: int, draft: Report
) -> None:
    response = _client(request, who).post(f"/reports/{draft.public_id}/sign/")
    assert_answer(response, who, status)
    draft.refresh_from_db()
    assert (draft.status == "signed") == (who == "therapist")


def test_editing_the_draft_saves_the_assessment(
    client_for: Any, therapist: User, draft: Report
) -> None:
    response = client_for(therapist).post(
        f"/reports/{draft.public_id}/",
        {
            "report-assessment": "Better sitting tolerance.",
            "report-recommendation": "modify",
            "report-recommendation_detail": "Add a home stretch.",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.assessment, draft.recommendation) == ("Better sitting tolerance.", "modify")


def test_another_therapist_cannot_edit_the_draft(
    client_for: Any, other_therapist: User, draft: Report
) -> None:
    client_for(other_therapist).post(
        f"/reports/{draft.public_id}/",
        {"report-assessment": "Not mine.", "report-recommendation": "continue"},
    )
    draft.refresh_from_db()
    assert draft.assessment != "Not mine."


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 302),
        ("therapist", 302),
        ("other_therapist", 302),
        ("front_desk", 403),
        ("biller", 403),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_who_may_send_a_signed_report(
    request: pytest.FixtureRequest, who: str, status: int, signed: Report
) -> None:
    response = _client(request, who).post(f"/reports/{signed.public_id}/send/", {"email": ""})
    assert_answer(response, who, status)
    sent = who in ("owner", "therapist", "other_therapist")
    assert len(mail.outbox) == (1 if sent else 0)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("therapist", 200),
        ("other_therapist", 200),
        ("front_desk", 403),
        ("biller", 403),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_who_may_download_for_fax(
    request: pytest.FixtureRequest, who: str, status: int, signed: Report
) -> None:
    response = _client(request, who).post(f"/reports/{signed.public_id}/fax/")
    assert_answer(response, who, status)
    recorded = ReportDelivery.objects.filter(report=signed, channel="download").exists()
    assert recorded == (status == 200)
    if status == 200:
        assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 403),
        ("therapist", 302),
        ("other_therapist", 302),
        ("front_desk", 403),
        ("biller", 403),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_who_may_draft_a_correction(
    request: pytest.FixtureRequest, who: str, status: int, signed: Report
) -> None:
    response = _client(request, who).post(
        f"/reports/{signed.public_id}/correct/", {"reason": "The date of the re-test."}
    )
    assert_answer(response, who, status)
    assert Report.objects.filter(supersedes=signed).exists() == (
        status == 302 and who != "anonymous"
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 403),
        ("therapist", 302),
        ("other_therapist", 403),
        ("front_desk", 403),
        ("biller", 403),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_who_may_discard_a_draft(
    request: pytest.FixtureRequest, who: str, status: int, draft: Report
) -> None:
    response = _client(request, who).post(
        f"/reports/{draft.public_id}/discard/", {"reason": "Drafted on the wrong chart."}
    )
    assert_answer(response, who, status)
    draft.refresh_from_db()
    assert (draft.status == "entered-in-error") == (who == "therapist")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("therapist", 403),
        ("other_therapist", 403),
        ("front_desk", 403),
        ("biller", 403),
        ("outsider", 200),  # their own organization's policy
        ("anonymous", 302),
    ],
)
def test_who_may_open_the_report_policy(
    request: pytest.FixtureRequest, who: str, status: int
) -> None:
    assert_answer(_client(request, who).get("/reports/policy/"), who, status)


def test_the_owner_changes_when_reports_are_due(client_for: Any, owner: User) -> None:
    response = client_for(owner).post(
        "/reports/policy/", {"every_visits": "5", "every_days": "", "link_days": "7"}
    )
    assert response.status_code == 302
    policy = ReportPolicy.objects.get(organization=owner.organization)
    assert (policy.every_visits, policy.every_days, policy.link_days) == (5, None, 7)


def test_the_chart_shows_the_reports_and_their_delivery_status(
    client_for: Any, therapist: User, signed: Report
) -> None:
    page = client_for(therapist).get(f"/patients/{signed.patient.public_id}/")
    assert page.status_code == 200
    assert b"Reports to the physician" in page.content
    assert b"Signed, not sent" in page.content
    client_for(therapist).post(f"/reports/{signed.public_id}/send/", {"email": ""})
    page = client_for(therapist).get(f"/patients/{signed.patient.public_id}/")
    assert b"Sent" in page.content


def test_the_chart_says_when_a_progress_report_is_due(
    client_for: Any, owner: User, therapist: User, course: Course
) -> None:
    from palpa.reports.services import set_report_policy

    page = client_for(therapist).get(f"/patients/{course.patient.public_id}/")
    assert b"Progress report due" not in page.content
    set_report_policy(actor=owner, every_visits=4, every_days=None, link_days=14)
    page = client_for(therapist).get(f"/patients/{course.patient.public_id}/")
    assert b"Progress report due" in page.content
    assert b"4 signed visits since the plan of care began" in page.content


def test_a_signed_report_restarts_the_count_on_the_chart(
    client_for: Any, owner: User, therapist: User, course: Course
) -> None:
    from palpa.reports.services import set_report_policy, sign_report

    set_report_policy(actor=owner, every_visits=4, every_days=None, link_days=14)
    url = f"/patients/{course.patient.public_id}/"
    assert b"Progress report due" in client_for(therapist).get(url).content
    sign_report(actor=therapist, report=draft_report(therapist, course.patient))
    page = client_for(therapist).get(url)
    assert b"Signed, not sent" in page.content
    assert b"Progress report due" not in page.content


@pytest.mark.parametrize("who", ["front_desk", "biller"])
def test_non_clinical_roles_see_no_reports_on_the_chart(
    request: pytest.FixtureRequest, who: str, signed: Report
) -> None:
    page = _client(request, who).get(f"/patients/{signed.patient.public_id}/")
    assert page.status_code == 200
    assert b"Reports to the physician" not in page.content
