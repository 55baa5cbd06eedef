"""A biller reviews the charge a signed note created, marks it ready, and takes the
patient's card payment: in a real browser, through the billing pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from palpa.accounts.models import Location, User
from palpa.billing import services as billing
from palpa.billing.models import Charge, LedgerEntry
from palpa.billing.queries import patient_balance
from palpa.care.notes import services as note_services
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.screening.services import record_screening

pytestmark = pytest.mark.e2e


@pytest.fixture
def signed_visit(owner: User, therapist: User, patient: Patient, location: Location) -> Charge:
    """A self-pay visit of 45 minutes of Swedish massage, signed: 3 units of 97124."""
    billing.set_self_pay_price(actor=owner, location=location, code="97124", unit_price="20.00")
    record_screening(actor=owner, patient=patient, facts={})
    note = note_services.start_note(
        actor=therapist, patient=patient, location=location, visit_date=clinic_today()
    )
    note_services.add_technique(
        actor=therapist,
        note=note,
        technique="swedish",
        region="low_back",
        minutes=45,
        pressure="moderate",
    )
    note_services.sign_note(actor=therapist, note=note)  # committed: capture runs on commit
    return Charge.objects.get(note=note)


def test_a_biller_marks_a_visit_ready_and_takes_the_card_payment(
    page: Page, biller: User, patient: Patient, signed_visit: Charge
) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(biller.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Charges to review")
    row = page.get_by_role("row").filter(has_text=patient.full_name)
    expect(row).to_contain_text("60.00 USD")
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Charge of")
    page.get_by_role("button", name="Mark ready to bill").click()
    expect(page.get_by_text("Marked ready to bill")).to_be_visible()

    page.get_by_role("link", name=f"{patient.full_name}'s account").click()
    expect(page.locator("#patient-balance")).to_have_text("60.00")
    page.locator("#id_pay-amount").fill("60.00")
    page.locator("#id_pay-method").select_option("card")
    page.locator("#id_pay-reference").fill("TRM-0042-7781")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_text("Payment recorded.")).to_be_visible()
    expect(page.locator("#patient-balance")).to_have_text("0.00")

    assert patient_balance(patient) == 0
    payment = LedgerEntry.objects.get(kind="payment")
    assert (payment.reference, payment.posted_by) == ("TRM-0042-7781", biller)
