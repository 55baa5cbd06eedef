"""The patient statement PDF: the balance brought forward, the period's charges, payments,
adjustments and prepaid draws with a running balance, what the patient owes, and what is
billed to the insurer apart from it."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import documents
from palpa.billing import services as billing
from palpa.billing.tests.documents_support import (
    VISITS,
    insured_course,
    self_pay_visit,
    set_self_pay_prices,
)
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
PAID_ON = TODAY - dt.timedelta(days=10)
MONTH = {"start": TODAY - dt.timedelta(days=30), "end": TODAY}


@pytest.fixture
def self_pay(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> Patient:
    """85.00 charged today, 50.00 paid by card ten days ago, a 10.00 courtesy discount."""
    set_self_pay_prices(owner, location)
    billing.record_payment(
        actor=biller,
        patient=patient,
        amount="50.00",
        method="card",
        reference="T-1001",
        posted_on=PAID_ON,
    )
    self_pay_visit(
        owner=owner,
        therapist=therapist,
        biller=biller,
        patient=patient,
        location=location,
        on=VISITS[0],
    )
    billing.post_adjustment(
        actor=biller, patient=patient, amount="-10.00", reason="courtesy", memo="Loyalty"
    )
    return patient


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_statement_lists_charges_payments_and_adjustments(
    self_pay: Patient, front_desk: User
) -> None:
    content, pdf = documents.statement(actor=front_desk, patient=self_pay, **MONTH)
    assert [e["kind"] for e in content["entries"]] == ["payment", "charge", "adjustment"]
    assert [e["balance"] for e in content["entries"]] == ["-50.00", "35.00", "25.00"]
    assert content["opening_balance"] == "0.00"
    assert content["total_charges"] == "85.00"
    assert content["total_credits"] == "60.00"
    assert content["patient_due"] == "25.00"
    text = _text(pdf)
    for expected in (
        "Statement of account",
        "Rosa Delgado",
        "Payment by card (terminal), ref. T-1001",
        "97140 x2, 97124 x1",
        "Adjustment: Courtesy discount (Loyalty)",
        "85.00",
        "Amount due from you: 25.00 USD",
    ):
        assert expected in text, expected


def test_earlier_entries_are_brought_forward(self_pay: Patient, biller: User) -> None:
    content, pdf = documents.statement(actor=biller, patient=self_pay, start=TODAY, end=TODAY)
    assert content["opening_balance"] == "-50.00"
    assert [e["kind"] for e in content["entries"]] == ["charge", "adjustment"]
    assert content["closing_balance"] == "25.00"
    assert "Balance forward" in _text(pdf)


def test_an_insured_patients_statement_keeps_the_insurers_part_apart(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> None:
    insured_course(
        owner=owner, therapist=therapist, biller=biller, patient=patient, location=location
    )
    content, pdf = documents.statement(actor=biller, patient=patient, **MONTH)
    assert content["patient_due"] == "0.00"
    assert content["insurer_pending"] == "260.00"
    text = _text(pdf)
    assert "(billed to insurer)" in text
    assert "Billed to your insurer, not yet settled: 260.00 USD" in text


def test_a_visit_drawn_from_a_package_shows_the_draw(
    owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> None:
    set_self_pay_prices(owner, location)
    plan = billing.add_prepaid_plan(
        actor=owner, kind="package", name="Five relaxation visits", visits=5, price="125.00"
    )
    billing.sell_prepaid(actor=biller, patient=patient, plan=plan, starts_on=VISITS[0])
    self_pay_visit(
        owner=owner,
        therapist=therapist,
        biller=biller,
        patient=patient,
        location=location,
        on=VISITS[0],
    )
    content, pdf = documents.statement(actor=biller, patient=patient, **MONTH)
    kinds = [e["kind"] for e in content["entries"]]
    assert kinds == ["charge", "charge", "prepaid"]
    assert content["patient_due"] == "125.00"  # the package; the visit is drawn from it
    assert "Drawn from Five relaxation visits" in _text(pdf)


def test_every_statement_download_is_audited(self_pay: Patient, front_desk: User) -> None:
    documents.statement(actor=front_desk, patient=self_pay, **MONTH)
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).latest("seq")
    assert event.detail["document"] == "statement"
    assert event.detail["start"] == MONTH["start"].isoformat()
    assert event.patient_id == str(self_pay.public_id)


def test_a_therapist_may_not_download_a_statement(self_pay: Patient, therapist: User) -> None:
    with pytest.raises(PermissionDenied):
        documents.statement(actor=therapist, patient=self_pay, **MONTH)


def test_another_organizations_patient_is_not_found(self_pay: Patient, outsider: User) -> None:
    with pytest.raises(Patient.DoesNotExist):
        documents.statement(actor=outsider, patient=self_pay, **MONTH)


def test_a_period_spans_at_most_a_year(self_pay: Patient, biller: User) -> None:
    with pytest.raises(ValidationError) as caught:
        documents.statement(
            actor=biller, patient=self_pay, start=TODAY - dt.timedelta(days=400), end=TODAY
        )
    assert "366 days" in caught.value.message_dict["end"][0]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
def test_the_statement_renders_to_png_for_a_person_to_look_at(
    self_pay: Patient, biller: User, tmp_path: Path
) -> None:
    _content, pdf = documents.statement(actor=biller, patient=self_pay, **MONTH)
    ARTIFACTS.mkdir(exist_ok=True)
    source = tmp_path / "statement.pdf"
    source.write_bytes(pdf)
    target = ARTIFACTS / "statement"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(source), str(target)],
        check=True,
        timeout=60,
    )
    page = ARTIFACTS / "statement-1.png"
    assert page.read_bytes().startswith(b"\x89PNG")
    assert page.stat().st_size > 10_000  # a page with text and tables, not a blank
