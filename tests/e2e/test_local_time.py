"""Local time in a real browser: at 20:16 on a Sunday in Tampa (already Monday in UTC) the
dashboard and the schedule name the same day, and a note signed just now shows the clinic's
time with its zone. Screenshots at 1440x900 and 390x844 go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from palpa.accounts.models import Location, User
from palpa.care.notes.services import add_technique, sign_note, start_note
from palpa.patients.models import Patient
from palpa.scheduling import online
from palpa.scheduling.tests.support import make_type
from palpa.screening.services import record_screening
from tests.e2e.conftest import SignIn

pytestmark = pytest.mark.e2e

INSTANT = dt.datetime(2026, 12, 7, 1, 16, tzinfo=dt.UTC)
TAMPA = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def evening() -> Iterator[None]:
    """20:16 on Sunday 6 December in Tampa; the clock then runs on (the server's too)."""
    with time_machine.travel(INSTANT, tick=True):
        yield


def test_dashboard_schedule_and_signature_read_the_clinics_evening(
    evening: None,
    page: Page,
    sign_in: SignIn,
    owner: User,
    therapist: User,
    therapist_device: TOTPDevice,
    location: Location,
    patient: Patient,
    artifacts: Path,
) -> None:
    local_now = dt.datetime.now(TAMPA)
    today = local_now.date()
    assert today != dt.datetime.now(dt.UTC).date()  # the case this test is about
    record_screening(actor=owner, patient=patient, facts={})
    note = start_note(
        actor=therapist, patient=patient, location=location, visit_date=today, pain_today=4
    )
    add_technique(
        actor=therapist,
        note=note,
        technique="myofascial_release",
        region="low_back",
        minutes=30,
        pressure="moderate",
    )
    signed = sign_note(actor=therapist, note=note)
    assert signed.signed_at is not None
    signed_local = signed.signed_at.astimezone(TAMPA)

    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, therapist, therapist_device)
    day_line = f"{today:%A, %B} {today.day}, {today.year}"  # Sunday, December 6, 2026
    expect(page.locator("main")).to_contain_text(day_line)
    page.screenshot(path=str(artifacts / "local-time-dashboard-1440.png"), full_page=True)

    page.goto("/schedule/?view=week")
    today_column = page.locator("section.tcol.today h3")
    expect(today_column).to_have_count(1)
    expect(today_column).to_contain_text(f"{today:%a %d %b} (today)")  # Sun 06 Dec (today)
    page.screenshot(path=str(artifacts / "local-time-schedule-1440.png"), full_page=True)

    page.goto(f"/care/notes/{note.public_id}/")
    stamp = f"{signed_local:%Y-%m-%d %H:%M} {signed_local:%Z}"  # 2026-12-06 20:16 EST
    expect(page.locator("#note-status").locator("..")).to_contain_text(f"on {stamp}")
    page.screenshot(path=str(artifacts / "local-time-note-1440.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    expect(page.locator("main")).to_contain_text(day_line)
    page.screenshot(path=str(artifacts / "local-time-dashboard-390.png"), full_page=True)
    page.goto(f"/care/notes/{note.public_id}/")
    expect(page.locator("main")).to_contain_text(stamp)
    page.screenshot(path=str(artifacts / "local-time-note-390.png"), full_page=True)


def test_the_owner_reads_the_audit_log_and_a_patients_requested_time_in_local_time(
    evening: None,
    page: Page,
    sign_in: SignIn,
    owner: User,
    location: Location,
    patient: Patient,
    artifacts: Path,
) -> None:
    device = TOTPDevice.objects.create(user=owner, name="Phone", confirmed=True)
    kind = make_type(owner, "treatment-online", "treatment", 60, online_bookable=True)
    config = online.update_online_settings(
        actor=owner,
        location=location,
        changes={"enabled": True, "new_patients": "request"},
        appointment_types=[kind],
    )
    wanted = dt.datetime(2026, 12, 8, 10, 0, tzinfo=TAMPA)  # 15:00 UTC
    online.request_as_new_patient(
        config=config,
        person=online.NewPatient(
            "Nora", "Quinn", dt.date(1988, 7, 1), "nora@example.com", "", False
        ),
        appointment_type=kind,
        wanted_start=wanted,
    )
    registered = patient.created_at.astimezone(TAMPA)
    sign_in(page, owner, device)  # once: a TOTP code is good for one sign-in
    for width, height in ((1440, 900), (390, 844)):
        tab = page
        tab.set_viewport_size({"width": width, "height": height})
        tab.goto("/online-booking/")
        expect(tab.locator("main")).to_contain_text("Tue 2026-12-08 10:00 EST")
        expect(tab.locator("main")).not_to_contain_text("UTC")
        tab.screenshot(path=str(artifacts / f"local-time-requests-{width}.png"), full_page=True)
        tab.goto("/audit/")
        expect(tab.locator("main")).to_contain_text(f"{registered:%Y-%m-%d %H:%M}")
        expect(tab.locator("main")).to_contain_text("EST")
        expect(tab.locator("main")).not_to_contain_text("UTC")
        tab.screenshot(path=str(artifacts / f"local-time-audit-{width}.png"), full_page=True)
