"""The patient downloads the receipt of a payment they made from the portal's documents:
a real PDF with the amount, the visit it paid and the balance left, audited with the
patient as the actor. Another patient's or another organization's payment is 404."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import services as billing
from palpa.billing.models import LedgerEntry
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from palpa.portal import services
from palpa.portal.tests.support import Course, sign_in


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def portal(course: Course) -> Client:
    client = Client()
    assert sign_in(client, "rosa@example.com").status_code == 302
    return client


@pytest.fixture
def payment(course: Course, front_desk: User) -> LedgerEntry:
    """60.00 cash applied to the first visit (85.00); the account owed 170.00."""
    return billing.record_payment(
        actor=front_desk,
        patient=course.patient,
        amount="60.00",
        method="cash",
        charge=course.charges[0],
    )


def _url(payment: LedgerEntry) -> str:
    return f"/my/documents/payments/{payment.public_id}/receipt.pdf"


def test_home_lists_a_receipt_per_payment(
    portal: Client, course: Course, payment: LedgerEntry
) -> None:
    page = portal.get("/my/").content.decode()
    assert _url(payment) in page
    assert "Receipt for your payment of $60.00 on" in page


def test_a_patient_downloads_the_receipt_of_their_payment(
    portal: Client, course: Course, payment: LedgerEntry
) -> None:
    response = portal.get(_url(payment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    text = _text(response.content)
    assert "Rosa Delgado" in text
    assert "Amount paid 60.00 USD" in text
    assert "Visit total 85.00" in text
    assert "Remaining balance after this payment: 110.00 USD" in text
    export = AuditEvent.objects.get(action="export", object_id=str(payment.public_id))
    assert (export.actor_id, export.actor_label) == (None, services.PATIENT_LABEL)
    assert export.detail["portal"] == "download"
    assert export.detail["document"] == "receipt"
    assert export.patient_id == str(course.patient.public_id)


def test_another_patients_payment_is_not_found(
    portal: Client, course: Course, owner: User, front_desk: User, location: Location
) -> None:
    sister = create_patient(
        actor=owner,
        given_name="Marta",
        family_name="Delgado",
        date_of_birth=dt.date(1975, 6, 1),
        email="marta@example.com",
        primary_location=location,
    )
    theirs = billing.record_payment(actor=front_desk, patient=sister, amount="15.00", method="cash")
    assert portal.get(_url(theirs)).status_code == 404
    assert _url(theirs) not in portal.get("/my/").content.decode()
    assert not AuditEvent.objects.filter(detail__document="receipt").exists()


def test_another_organizations_payment_is_not_found(
    portal: Client, course: Course, outsider: User, outsider_patient: Patient
) -> None:
    theirs = billing.record_payment(
        actor=outsider, patient=outsider_patient, amount="15.00", method="cash"
    )
    assert portal.get(_url(theirs)).status_code == 404
    assert not AuditEvent.objects.filter(detail__document="receipt").exists()


def test_an_insurers_payment_has_no_receipt_for_the_patient(
    portal: Client, course: Course, owner: User, biller: User
) -> None:
    payer = billing.add_payer(actor=owner, name="Gulf Coast Health Plan", payer_code="GCHP1")
    insurer = billing.record_payment(
        actor=biller, patient=course.patient, amount="20.00", method="insurer", payer=payer
    )
    assert portal.get(_url(insurer)).status_code == 404


def test_a_receipt_needs_a_signed_in_patient(course: Course, payment: LedgerEntry) -> None:
    response = Client().get(_url(payment))
    assert response.status_code == 302
    assert response["Location"] == "/my/sign-in/"
