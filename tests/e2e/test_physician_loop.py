"""The physician loop in a real browser: the front desk enters a referral for 6 visits;
after the therapist has signed 5 notes the chart warns that the referral is running out;
the therapist drafts a progress report, signs it and emails it; the physician's link
opens the PDF once and then says it has expired."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import PASSWORD
from palpa.accounts.models import Location, User
from palpa.care.evaluations import services as evaluation_services
from palpa.care.notes import services as note_services
from palpa.care.plans import services as plan_services
from palpa.core.npi import make_npi
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.referrals.models import Physician
from palpa.referrals.services import add_physician
from palpa.reports.models import ReportDelivery
from tests.e2e.conftest import DESKTOP, TIMEOUT_MS, SignIn

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def physician(owner: User) -> Physician:
    return add_physician(
        actor=owner,
        given_name="Helen",
        family_name="Park",
        credentials="MD",
        npi=make_npi("123456789"),
        practice="Bayside Family Medicine",
        secure_email="dr.park@bayside-fm.example",
    )


@pytest.fixture
def screened(owner: User, patient: Patient) -> Patient:
    from palpa.screening.services import record_screening

    record_screening(actor=owner, patient=patient, facts={})
    return patient


def _desk_enters_the_referral(page: Page, front_desk: User, patient: Patient) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(front_desk.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")
    page.goto(f"/patients/{patient.public_id}/")
    page.get_by_role("link", name="Record a referral").click()
    page.get_by_label("Referring physician").select_option(label="Helen Park, MD")
    page.get_by_label("Diagnoses (ICD-10-CM)").fill("M54.50")
    page.get_by_label("Requested service").fill("Medical massage for low back pain")
    page.get_by_label("Frequency").fill("2x/week x 3 weeks")
    page.get_by_label("Visits authorized").fill("6")
    today = clinic_today()
    page.get_by_label("Starts on").fill(today.isoformat())
    page.get_by_label("Expires on").fill((today + dt.timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Record the referral").click()
    expect(page.locator(".messages")).to_contain_text("Referral recorded.")


def _treat_five_visits(therapist: User, patient: Patient, location: Location) -> None:
    """Evaluation, a signed plan for 6 visits and 5 signed notes, through the services
    (the care pages have their own browser test)."""
    from palpa.screening.services import confirm_no_change

    today = clinic_today()
    evaluation = evaluation_services.start_evaluation(
        actor=therapist,
        patient=patient,
        location=location,
        evaluated_on=today,
        chief_complaint="Low back pain for 3 months, worse after sitting.",
    )
    evaluation_services.add_diagnosis(actor=therapist, evaluation=evaluation, code="M54.50")
    evaluation_services.record_baseline_administration(
        actor=therapist,
        evaluation=evaluation,
        instrument="ODI",
        answers=[2, 3, 1, 2, 2, 2, 1, 2, 3, 2],
    )
    evaluation_services.sign_evaluation(actor=therapist, evaluation=evaluation)
    plan = plan_services.create_plan(
        actor=therapist,
        evaluation=evaluation,
        frequency_per_week=2,
        duration_weeks=3,
        techniques=["myofascial_release"],
    )
    plan_services.add_goal(
        actor=therapist,
        plan=plan,
        statement="Sit through a 1-hour meeting without low back pain stopping me.",
        measure_kind="instrument",
        instrument="ODI",
        target_kind="meaningful_change",
        due_on=today + dt.timedelta(weeks=3),
    )
    plan = plan_services.sign_plan(actor=therapist, plan=plan)
    confirm_no_change(actor=therapist, patient=patient, on=today)
    for visit in range(1, 6):
        note = note_services.start_note(
            actor=therapist,
            patient=patient,
            location=location,
            visit_date=today,
            plan_of_care=plan,
            assessment=f"Visit {visit}: tolerated well.",
        )
        note_services.add_technique(
            actor=therapist,
            note=note,
            technique="myofascial_release",
            region="low_back",
            minutes=30,
            pressure="moderate",
        )
        note_services.sign_note(actor=therapist, note=note)
    plan_services.record_reassessment(
        actor=therapist,
        plan=plan,
        instrument="ODI",
        answers=[1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        administered_on=today,
    )


def _physician_opens(browser: Browser, live_server: LiveServer, link: str, save: Path) -> bytes:
    context = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="en-US", accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_contain_text("A report from")
        expect(page.locator("main")).not_to_contain_text("Delgado")
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Open the report (PDF)").click()
        download_info.value.save_as(save)
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired")
        expect(page.locator("main")).not_to_contain_text("Delgado")
    finally:
        context.close()
    return save.read_bytes()


def test_the_physician_loop_from_referral_to_an_opened_report(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    sign_in: SignIn,
    front_desk: User,
    therapist: User,
    therapist_device: TOTPDevice,
    screened: Patient,
    physician: Physician,
    location: Location,
    artifacts: Path,
) -> None:
    patient = screened
    _desk_enters_the_referral(page, front_desk, patient)
    expect(page.locator("main")).to_contain_text("0 of 6 used, 6 left")
    expect(page.locator(".referral-warning")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    _treat_five_visits(therapist, patient, location)

    sign_in(page, therapist, therapist_device)
    page.goto(f"/patients/{patient.public_id}/")
    expect(page.locator("#referrals-section")).to_contain_text("5 of 6 visits used")
    expect(page.locator("#referrals-section .referral-warning")).to_contain_text(
        "1 visit left of 6"
    )

    page.get_by_role("button", name="New progress report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Progress report")
    expect(page.locator(".report-preview")).to_contain_text("Goals and measured change")
    expect(page.locator(".report-preview .chart img")).to_have_count(1)
    page.get_by_label("Your assessment").fill(
        "ODI fell from 40 to 20 after 5 visits: sitting tolerance is back to an hour."
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Report saved.")
    page.get_by_role("button", name="Sign report").click()
    expect(page.locator("#report-status")).to_have_text("Signed, not sent")
    page.screenshot(path=str(artifacts / "physician-loop-report.png"), full_page=True)

    page.get_by_role("button", name="Email a single-use link").click()
    expect(page.locator(".messages")).to_contain_text("dr.park@bayside-fm.example")
    expect(page.locator("#report-status")).to_have_text("Sent")
    (message,) = mail.outbox
    assert message.to == ["dr.park@bayside-fm.example"]
    assert "Delgado" not in message.body
    found = re.search(r"https?://[^/\s]+(/report-link/[^/\s]+/)", str(message.body))
    assert found, message.body

    pdf = _physician_opens(browser, live_server, found.group(1), artifacts / "physician-loop.pdf")
    text = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split()
    )
    for expected in ("Rosa Delgado", "Helen Park, MD", "5 attended of 6 authorized", "ODI"):
        assert expected in text, expected
    assert ReportDelivery.objects.get(report__patient=patient).opened_at is not None

    page.goto(f"/patients/{patient.public_id}/")
    expect(page.locator("#reports")).to_contain_text("Opened by the physician")
