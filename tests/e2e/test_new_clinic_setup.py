"""A new clinic sets itself up in the browser, from an empty database to its first
booked visit: first-run page, owner's second factor, a room, appointment types, a
therapist invited by email who sets their own password and second factor, the therapist
as a practitioner with a license and hours, then the owner books the first visit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.scheduling.models import Appointment
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import PHONE, current_code

OWNER_EMAIL = "hana@harbour.example"
OWNER_PASSWORD = "tide-pool-lantern-17"
THERAPIST_EMAIL = "tom@harbour.example"
THERAPIST_PASSWORD = "sea-glass-window-88"


def _second_factor(page: Page, email: str) -> None:
    """The set-up page of the authenticator app, answered with the current code."""
    page.wait_for_url("**/accounts/otp/setup/")
    device = TOTPDevice.objects.get(user__email=email, confirmed=False)
    page.get_by_label("6-digit code").fill(current_code(device))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")


@pytest.mark.django_db(transaction=True)
def test_a_new_clinic_goes_from_the_first_run_page_to_its_first_booked_visit(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    # A fresh install: the sign-in page hands over to the first-run page.
    page.goto("/")
    page.wait_for_url("**/accounts/setup/")
    assert_accessible(page, "the first-run page")
    page.get_by_label("Organization name").fill("Harbour Medical Massage")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_label("Location name").fill("Harbour Clinic")
    page.locator("#id_location-address_line1").fill("5 Dock Road")
    page.get_by_label("City").fill("Tampa")
    page.get_by_label("State / region").fill("FL")
    page.get_by_label("Postal code").fill("33602")
    page.get_by_label("Your full name").fill("Hana Harbour")
    page.get_by_label("Your email").fill(OWNER_EMAIL)
    page.locator("#id_password").fill(OWNER_PASSWORD)
    page.get_by_label("Password again").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Create the clinic").click()
    _second_factor(page, OWNER_EMAIL)

    # The checklist says what is left, each step a link to its page.
    checklist = page.get_by_role("region", name=re.compile("Setting up"))
    expect(checklist).to_contain_text("To do")
    assert_accessible(page, "the dashboard with the set-up checklist")

    # A treatment room at the first location.
    page.goto("/accounts/settings/")
    page.get_by_role("link", name="Harbour Clinic").click()
    page.locator("#id_room-name").fill("Room 1")
    page.get_by_role("button", name="Add room").click()
    expect(page.get_by_text("Room added.")).to_be_visible()

    # Appointment types: the starting set.
    page.goto("/schedule/setup/types/")
    page.get_by_role("button", name=re.compile("Add the starting set")).click()
    expect(page.get_by_role("link", name="Spa massage 60 min")).to_be_visible()
    assert_accessible(page, "the appointment types page")

    # The price: a self-pay price of massage therapy (CPT 97124) at the clinic.
    page.goto("/billing/settings/")
    page.get_by_text("Set a place of service or a self-pay price").click()
    page.locator("#id_loc-code").fill("97124")
    page.locator("#id_loc-unit_price").fill("40.00")
    page.locator("#id_loc-unit_price").press("Enter")
    expect(page.get_by_text("Self-pay price at Harbour Clinic saved.")).to_be_visible()

    # Invite the therapist; the link comes by email.
    page.goto("/accounts/staff/")
    page.get_by_label("Full name").fill("Tom Tide")
    page.locator("#id_email").fill(THERAPIST_EMAIL)
    page.locator("#id_role").select_option("therapist")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"Invitation sent to {THERAPIST_EMAIL}")).to_be_visible()
    assert_accessible(page, "the staff page")
    body = str(mail.outbox[-1].body)
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", body)
    assert link is not None
    assert mail.outbox[-1].to == [THERAPIST_EMAIL]

    # The therapist, on a phone, sets a password and the second factor.
    phone = browser.new_context(base_url=live_server.url, viewport=PHONE).new_page()
    phone.goto(link.group(0))
    assert_accessible(phone, "the invitation page on a phone")
    phone.locator("#id_new_password1").fill(THERAPIST_PASSWORD)
    phone.get_by_label("New password again").fill(THERAPIST_PASSWORD)
    phone.get_by_role("button", name="Set password").click()
    _second_factor(phone, THERAPIST_EMAIL)
    phone.context.close()

    # The owner adds the therapist as a practitioner linked to that login, with a license.
    page.goto("/practitioners/new/")
    page.get_by_label("Sign-in account").select_option(label=f"Tom Tide ({THERAPIST_EMAIL})")
    page.get_by_label("Given name").fill("Tom")
    page.get_by_label("Family name").fill("Tide")
    page.get_by_label("Credentials").fill("LMT")
    page.get_by_role("button", name="Save").click()
    today = clinic_today()
    page.get_by_label("Jurisdiction").fill("FL")
    page.get_by_label("License type").fill("LMT")
    page.get_by_label("Number").fill("MA12345")
    page.get_by_label("Issued on").fill((today - dt.timedelta(days=30)).isoformat())
    page.get_by_label("Expires on").fill((today + dt.timedelta(days=700)).isoformat())
    page.get_by_role("button", name="Add license").click()
    expect(page.get_by_text("License added.")).to_be_visible()

    # Weekly hours: every day 08:00 to 20:00.
    page.goto("/schedule/setup/hours/")
    page.get_by_role("link", name=re.compile("Tom")).click()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(f"{day} from", exact=True).fill("08:00")
        page.get_by_label(f"{day} until", exact=True).fill("20:00")
    page.get_by_role("button", name="Save weekly hours").click()
    expect(page.get_by_text("Weekly hours at Harbour Clinic saved.")).to_be_visible()
    assert_accessible(page, "the weekly hours page")

    # A patient, then the first booked visit, tomorrow at 10:00 in Tampa.
    page.goto("/patients/new/")
    page.locator("#id_given_name").fill("Rosa")
    page.locator("#id_family_name").fill("Delgado")
    page.locator("#id_date_of_birth").fill("1971-03-14")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/patients/[0-9a-f-]{36}/"))
    mrn = Patient.objects.get().mrn
    expect(page.get_by_text(mrn).first).to_be_visible()
    page.goto("/schedule/new/")
    page.locator("#id_patient").fill(mrn)
    page.locator("#id_appointment_type").select_option(label="Spa massage 60 min")
    page.locator("#id_practitioner").select_option(index=1)
    page.locator("#id_date").fill((today + dt.timedelta(days=1)).isoformat())
    page.locator("#id_time").fill("10:00")
    page.get_by_role("button", name="Book appointment").click()
    page.wait_for_url(re.compile(r"/schedule/appointments/[0-9a-f-]{36}/"))
    appointment = Appointment.objects.get()
    assert appointment.practitioner.user is not None
    assert appointment.practitioner.user.email == THERAPIST_EMAIL
    assert appointment.room is not None
    assert appointment.room.name == "Room 1"

    # The checklist now has only the reminders' wording left.
    page.goto("/")
    checklist = page.get_by_role("region", name=re.compile("Setting up"))
    expect(checklist.get_by_role("heading")).to_have_text("Setting up: 1 step left")
