"""A payment's receipt: the clinic, the patient, the number (from the payment, not a
database key), the day paid, the amount and method, the visit it paid for (or the account
balance) and the balance left; who may download it, and the audit entry it leaves."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from django.urls import reverse

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import documents
from palpa.billing import services as billing
from palpa.billing.models import Charge, LedgerEntry
from palpa.billing.tests.documents_support import (
    VISITS,
    make_payer,
    self_pay_visit,
    set_self_pay_prices,
)
from palpa.core.tests.support import matrix, web_client
from palpa.patients.models import Patient

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def visit(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> Charge:
    """A self-pay visit of 85.00 (97140 x2 at 30.00, 97124 x1 at 25.00)."""
    set_self_pay_prices(owner, location)
    return self_pay_visit(
        owner=owner,
        therapist=therapist,
        biller=biller,
        patient=patient,
        location=location,
        on=VISITS[0],
    )


@pytest.fixture
def paid(visit: Charge, front_desk: User, patient: Patient) -> LedgerEntry:
    """50.00 by card applied to the visit, on the day of the visit."""
    return billing.record_payment(
        actor=front_desk,
        patient=patient,
        amount="50.00",
        method="card",
        reference="T-2001",
        posted_on=VISITS[0],
        charge=visit,
    )


def test_the_receipt_names_the_payment_the_visit_it_paid_and_what_is_left(
    paid: LedgerEntry, front_desk: User, patient: Patient, location: Location
) -> None:
    content, pdf = documents.receipt(actor=front_desk, payment_id=paid.public_id)
    number = f"R-{VISITS[0]:%Y%m%d}-{paid.public_id.hex[:8].upper()}"
    assert content["number"] == number
    assert content["amount"] == "50.00"
    assert content["method"] == "Card (terminal)"
    assert content["paid_on"] == VISITS[0].isoformat()
    assert content["balance_after"] == "35.00"
    visit = content["applied_to"]
    assert visit["date"] == VISITS[0].isoformat()
    assert visit["total"] == "85.00"
    assert [(li["code"], li["units"], li["amount"]) for li in visit["lines"]] == [
        ("97140", 2, "60.00"),
        ("97124", 1, "25.00"),
    ]
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    for expected in (
        f"Receipt {number}",
        location.organization.name,
        location.address_line1,
        f"{patient.given_name} {patient.family_name}",
        f"Paid on {VISITS[0].isoformat()}",
        "Card (terminal), ref. T-2001",
        "Amount paid 50.00 USD",
        f"Visit on {VISITS[0].isoformat()}",
        "97140",
        "Visit total 85.00",
        "Remaining balance after this payment: 35.00 USD",
    ):
        assert expected in text, expected
    assert not re.search(r"\b[0-9a-f]{8}-[0-9a-f]{4}-", text), "no internal ids on the receipt"


def test_a_payment_on_the_account_says_so_and_the_balance_counts_only_what_came_before(
    paid: LedgerEntry, front_desk: User, biller: User, patient: Patient
) -> None:
    rest = billing.record_payment(actor=front_desk, patient=patient, amount="40.00", method="cash")
    content, pdf = documents.receipt(actor=biller, payment_id=rest.public_id)
    assert content["applied_to"] is None
    assert (content["balance_after"], content["credit_after"]) == ("0.00", "5.00")
    text = _text(pdf)
    assert documents.RECEIPT_UNAPPLIED in text
    assert "Amount paid 40.00 USD" in text
    assert "credit on your account: 5.00 USD" in text
    first, _ = documents.receipt(actor=biller, payment_id=paid.public_id)
    assert first["balance_after"] == "35.00"  # the later payment does not change it


def test_a_receipt_download_is_audited(paid: LedgerEntry, front_desk: User) -> None:
    content, _ = documents.receipt(actor=front_desk, payment_id=paid.public_id)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT, object_id=str(paid.public_id))
    assert event.actor_id == front_desk.pk
    assert event.patient_id == str(paid.patient.public_id)
    assert event.detail["document"] == "receipt"
    assert event.detail["number"] == content["number"]


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
def test_who_may_download_a_receipt(
    paid: LedgerEntry, persona: str, status: int, request: pytest.FixtureRequest
) -> None:
    url = reverse("billing:receipt", args=[paid.public_id])
    before = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count()
    response = web_client(request, persona).get(url)
    assert response.status_code == status
    exported = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() - before
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert "no-store" in response["Cache-Control"]
        assert "Amount paid 50.00 USD" in _text(response.content)
        assert exported == 1
    else:
        assert exported == 0


def test_an_insurer_payment_or_a_charge_has_no_receipt(
    owner: User, biller: User, patient: Patient, visit: Charge, request: pytest.FixtureRequest
) -> None:
    payer = make_payer(owner)
    insurer = billing.record_payment(
        actor=biller, patient=patient, amount="20.00", method="insurer", payer=payer
    )
    charge_entry = LedgerEntry.objects.get(charge=visit, kind=LedgerEntry.Kind.CHARGE)
    client = web_client(request, "biller")
    for entry in (insurer, charge_entry):
        assert client.get(reverse("billing:receipt", args=[entry.public_id])).status_code == 404
    assert not AuditEvent.objects.filter(detail__document="receipt").exists()


def test_the_account_page_offers_a_receipt_per_patient_payment(
    paid: LedgerEntry, patient: Patient, request: pytest.FixtureRequest
) -> None:
    url = reverse("billing:account", args=[patient.public_id])
    receipt = reverse("billing:receipt", args=[paid.public_id])
    assert receipt in web_client(request, "front_desk").get(url).content.decode()
    assert receipt not in web_client(request, "therapist").get(url).content.decode()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
def test_the_receipt_renders_to_png_for_a_person_to_look_at(
    paid: LedgerEntry, biller: User, tmp_path: Path
) -> None:
    _content, pdf = documents.receipt(actor=biller, payment_id=paid.public_id)
    ARTIFACTS.mkdir(exist_ok=True)
    source = tmp_path / "receipt.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "1",
            str(source),
            str(ARTIFACTS / "receipt"),
        ],
        check=True,
        timeout=60,
    )
    page = ARTIFACTS / "receipt-1.png"
    assert page.read_bytes().startswith(b"\x89PNG")
    assert page.stat().st_size > 10_000  # a page with text and tables, not a blank
