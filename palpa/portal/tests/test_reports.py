"""Reports the clinic shares with the patient, in the portal's documents: listed in plain
words and downloaded as the signed PDF the physician gets, audited with the patient as the
actor. A report not shared, no longer shared, replaced by a correction, another patient's
or another organization's answers 404. A guardian acting for the patient sees them too."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import pypdf
import pytest
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.patients.services import add_guardian, create_patient
from palpa.portal import services
from palpa.portal.tests.support import Course, sign_in
from palpa.reports import render
from palpa.reports import services as reports
from palpa.reports.models import Report
from palpa.reports.tests.conftest import draft_report


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _url(report: Report) -> str:
    return f"/my/documents/reports/{report.public_id}.pdf"


@pytest.fixture
def stand_in_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signing stores a stand-in PDF (only the download test renders a real one)."""
    monkeypatch.setattr(render, "pdf", lambda content, *, draft: b"%PDF-1.7 stand-in")


@pytest.fixture
def sign(therapist: User, course: Course) -> Callable[[], Report]:
    def signed() -> Report:
        return reports.sign_report(actor=therapist, report=draft_report(therapist, course.patient))

    return signed


@pytest.fixture
def portal(course: Course) -> Client:
    client = Client()
    assert sign_in(client, "rosa@example.com").status_code == 302
    return client


def _downloads() -> int:
    return AuditEvent.objects.filter(detail__document="report").count()


def test_the_patient_downloads_a_shared_report_the_physician_gets(
    therapist: User, course: Course, sign: Callable[[], Report], portal: Client
) -> None:
    report = sign()
    reports.share_report_with_patient(actor=therapist, report=report)
    page = portal.get("/my/").content.decode()
    assert _url(report) in page
    assert "Progress report, " in page
    today = clinic_today()
    assert f"shared with you on {today:%B} {today.day}, {today.year}" in page

    response = portal.get(_url(report))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert response.content == bytes(Report.objects.get(pk=report.pk).pdf or b"")
    assert response.content.startswith(b"%PDF")
    text = _text(response.content)
    assert "Rosa Delgado" in text
    assert "Progress report" in text
    export = AuditEvent.objects.get(action="export", detail__document="report")
    assert (export.actor_id, export.actor_label) == (None, services.PATIENT_LABEL)
    assert export.object_id == str(report.public_id)
    assert export.detail["portal"] == "download"
    assert export.patient_id == str(course.patient.public_id)


def test_a_report_not_shared_is_not_listed_nor_found(
    stand_in_pdf: None, sign: Callable[[], Report], portal: Client
) -> None:
    report = sign()
    assert _url(report) not in portal.get("/my/").content.decode()
    assert portal.get(_url(report)).status_code == 404
    assert _downloads() == 0


def test_a_report_no_longer_shared_is_not_found(
    stand_in_pdf: None, therapist: User, sign: Callable[[], Report], portal: Client
) -> None:
    report = sign()
    reports.share_report_with_patient(actor=therapist, report=report)
    assert portal.get(_url(report)).status_code == 200
    reports.stop_sharing_report(actor=therapist, report=report)
    assert portal.get(_url(report)).status_code == 404
    assert _url(report) not in portal.get("/my/").content.decode()


def test_a_corrected_report_leaves_the_portal_until_the_correction_is_shared(
    stand_in_pdf: None, therapist: User, sign: Callable[[], Report], portal: Client
) -> None:
    report = sign()
    reports.share_report_with_patient(actor=therapist, report=report)
    draft = reports.correct_report(actor=therapist, report=report, reason="Wrong visit count.")
    correction = reports.sign_report(actor=therapist, report=draft)
    page = portal.get("/my/").content.decode()
    assert _url(report) not in page
    assert _url(correction) not in page
    assert portal.get(_url(report)).status_code == 404
    assert portal.get(_url(correction)).status_code == 404
    reports.share_report_with_patient(actor=therapist, report=correction)
    assert _url(correction) in portal.get("/my/").content.decode()
    assert portal.get(_url(correction)).status_code == 200


def test_another_patients_shared_report_is_not_found(
    stand_in_pdf: None,
    therapist: User,
    owner: User,
    location: Location,
    sign: Callable[[], Report],
) -> None:
    report = sign()
    reports.share_report_with_patient(actor=therapist, report=report)
    create_patient(
        actor=owner,
        given_name="Marta",
        family_name="Delgado",
        date_of_birth=dt.date(1975, 6, 1),
        email="marta@example.com",
        primary_location=location,
    )
    sister = Client()
    assert sign_in(sister, "marta@example.com").status_code == 302
    assert _url(report) not in sister.get("/my/").content.decode()
    assert sister.get(_url(report)).status_code == 404
    assert _downloads() == 0


def test_another_organizations_patient_does_not_find_the_report(
    stand_in_pdf: None, therapist: User, outsider: User, sign: Callable[[], Report]
) -> None:
    report = sign()
    reports.share_report_with_patient(actor=therapist, report=report)
    create_patient(
        actor=outsider,
        given_name="Ivo",
        family_name="Foreign",
        date_of_birth=dt.date(1980, 1, 1),
        email="ivo@example.com",
    )
    foreign = Client()
    assert sign_in(foreign, "ivo@example.com").status_code == 302
    assert foreign.get(_url(report)).status_code == 404
    assert _downloads() == 0


def test_a_shared_report_needs_a_signed_in_patient(
    stand_in_pdf: None, therapist: User, sign: Callable[[], Report]
) -> None:
    report = sign()
    reports.share_report_with_patient(actor=therapist, report=report)
    response = Client().get(_url(report))
    assert response.status_code == 302
    assert response["Location"] == "/my/sign-in/"


def test_a_guardian_acting_for_the_patient_sees_the_shared_report(
    stand_in_pdf: None,
    therapist: User,
    owner: User,
    course: Course,
    sign: Callable[[], Report],
) -> None:
    report = sign()
    reports.share_report_with_patient(actor=therapist, report=report)
    add_guardian(
        actor=owner,
        patient=course.patient,
        name="Marta Delgado",
        relationship="sister",
        email="marta.g@example.com",
        legal_representative=True,
    )
    guardian = Client()
    assert sign_in(guardian, "marta.g@example.com").status_code == 302
    page = guardian.get("/my/").content.decode()
    assert "Acting for Rosa Delgado" in page
    assert _url(report) in page
    assert guardian.get(_url(report)).status_code == 200
    export = AuditEvent.objects.get(action="export", detail__document="report")
    assert "Marta Delgado" in export.actor_label


def test_the_portal_service_refuses_another_patients_report(
    stand_in_pdf: None, sign: Callable[[], Report], outsider_patient: Patient
) -> None:
    report = sign()
    with pytest.raises(Report.DoesNotExist):
        services.report_pdf(patient=outsider_patient, report=report)
