"""The signed-in patient's own pages: appointments (local times, cancel within the
clinic's rules), balance and documents (PDFs from billing), progress in plain words,
home care ticked off (shown on the therapist's chart) and consents withdrawn. Another
patient's or another organization's record is 404; every read is audited with the
patient as the actor."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pypdf
import pytest
from django.test import Client

from conftest import verified_client
from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import TODAY
from palpa.patients.models import Consent, Patient
from palpa.patients.services import create_patient, record_consent
from palpa.portal import services
from palpa.portal.models import HomeCareLog
from palpa.portal.tests.support import Course, sign_in
from palpa.scheduling.models import Appointment
from palpa.scheduling.services import book_appointment


@pytest.fixture
def portal(course: Course) -> Client:
    client = Client()
    assert sign_in(client, "rosa@example.com").status_code == 302
    return client


@pytest.fixture
def sister(owner: User, location: Location) -> Patient:
    """Another patient of the same clinic."""
    return create_patient(
        actor=owner,
        given_name="Marta",
        family_name="Delgado",
        date_of_birth=dt.date(1975, 6, 1),
        email="marta@example.com",
        primary_location=location,
    )


def _reads(patient: Patient, page: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action="read", patient_id=str(patient.public_id), detail__portal=page
        )
    )


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_home_lists_the_next_appointment_at_the_clinics_time(
    portal: Client, course: Course
) -> None:
    page = portal.get("/my/").content.decode()
    assert "Monday, March 9, 2026 at 10:00 AM (EDT)" in page
    assert "with Tess Therapist" in page
    assert "Cancel the appointment on Monday, March 9, 2026" in page
    [read] = _reads(course.patient, "home")
    assert (read.actor_id, read.actor_label) == (None, services.PATIENT_LABEL)


def test_home_shows_the_balance_and_a_superbill_per_billed_visit(
    portal: Client, course: Course
) -> None:
    page = portal.get("/my/").content.decode()
    assert "You owe <strong>$170.00</strong>" in page
    for charge in course.charges:
        assert f"/my/documents/visits/{charge.public_id}/superbill.pdf" in page


def test_a_patient_downloads_the_superbill_of_their_visit(portal: Client, course: Course) -> None:
    charge = course.charges[0]
    response = portal.get(f"/my/documents/visits/{charge.public_id}/superbill.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    assert "Rosa Delgado" in text
    assert "85.00" in text
    export = AuditEvent.objects.get(action="export", object_id=str(charge.public_id))
    assert export.detail["portal"] == "download"
    assert export.actor_id is None


def test_a_patient_downloads_their_statement(portal: Client, course: Course) -> None:
    response = portal.get("/my/documents/statement.pdf")
    assert response.status_code == 200
    text = _text(response.content)
    assert "170.00" in text
    assert AuditEvent.objects.filter(
        action="export", patient_id=str(course.patient.public_id), detail__document="statement"
    ).exists()


def test_a_patient_cancels_their_appointment_within_the_clinics_notice(
    portal: Client, course: Course
) -> None:
    response = portal.post(f"/my/appointments/{course.upcoming.public_id}/cancel/", {"reason": ""})
    assert response.status_code == 302
    course.upcoming.refresh_from_db()
    assert course.upcoming.status == Appointment.Status.CANCELLED
    assert course.upcoming.cancel_reason == "Cancelled by the patient in the portal"
    assert "No appointments booked." in portal.get("/my/").content.decode()


def test_cancelling_inside_the_notice_is_refused_with_the_clinics_phone(
    portal: Client, course: Course
) -> None:
    Appointment.objects.filter(pk=course.upcoming.pk).update(
        start=dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC),
        end=dt.datetime(2026, 3, 3, 16, 0, tzinfo=dt.UTC),
    )
    page = portal.get("/my/").content.decode()
    assert "Online changes have closed for this one" in page
    response = portal.post(f"/my/appointments/{course.upcoming.public_id}/cancel/", {}, follow=True)
    assert "Online changes close 24 hours before the appointment" in response.content.decode()
    course.upcoming.refresh_from_db()
    assert course.upcoming.status == Appointment.Status.BOOKED


def test_another_patients_records_are_not_found(
    portal: Client, course: Course, owner: User, sister: Patient, outsider: User
) -> None:
    theirs = book_appointment(
        actor=owner,
        patient=sister,
        practitioner=course.upcoming.practitioner,
        location=course.upcoming.location,
        appointment_type=course.upcoming.appointment_type,
        start=course.upcoming.start + dt.timedelta(hours=3),
    )
    assert portal.post(f"/my/appointments/{theirs.public_id}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Appointment.Status.BOOKED
    from palpa.billing.models import Charge

    Charge.objects.filter(pk=course.charges[1].pk).update(patient=sister)
    hidden = course.charges[1].public_id
    assert portal.get(f"/my/documents/visits/{hidden}/superbill.pdf").status_code == 404


def test_another_organizations_records_are_not_found(
    portal: Client, course: Course, outsider_patient: Patient
) -> None:
    HomeCareLog.objects.all().delete()
    from palpa.care.models import HomeCareItem

    HomeCareItem.objects.filter(pk=course.item.pk).update(
        organization=outsider_patient.organization
    )
    assert (
        portal.post(f"/my/home-care/{course.item.public_id}/done/", {"done": "on"}).status_code
        == 404
    )
    assert not HomeCareLog.objects.exists()


def test_progress_is_told_in_plain_words_with_a_chart(portal: Client, course: Course) -> None:
    page = portal.get("/my/progress/").content.decode()
    assert "Sit through a 1-hour meeting without low back pain stopping me." in page
    assert "Oswestry Disability Index score went from 40 % to 22 % (lower is better)." in page
    assert "A change of 10 points is one people notice." in page
    assert "<svg" in page
    assert _reads(course.patient, "progress")


def test_a_patient_ticks_home_care_and_the_therapist_sees_it_on_the_chart(
    portal: Client, course: Course, therapist: User
) -> None:
    page = portal.get("/my/home-care/").content.decode()
    assert "Ball on the left glute against a wall." in page
    assert "Once a day, 2 minutes" in page
    assert "Done 0 of the last 7 days." in page
    response = portal.post(f"/my/home-care/{course.item.public_id}/done/", {"done": "on"})
    assert response.status_code == 302
    log = HomeCareLog.objects.get()
    assert (log.day, log.done, log.patient_id) == (TODAY, True, course.patient.pk)
    assert "Done 1 of the last 7 days." in portal.get("/my/home-care/").content.decode()
    entry = AuditEvent.objects.get(object_id=str(log.public_id))
    assert (entry.action, entry.actor_id, entry.actor_label) == (
        "create",
        None,
        services.PATIENT_LABEL,
    )
    chart = verified_client(therapist).get(f"/patients/{course.patient.public_id}/")
    text = chart.content.decode()
    assert "Home care done (ticked by the patient)" in text
    assert "Done 1 of the last 7 days · done today" in text
    portal.post(f"/my/home-care/{course.item.public_id}/done/", {})
    assert HomeCareLog.objects.get().done is False


def test_the_home_care_day_is_the_clinics_day(course: Course) -> None:
    import time_machine

    # 02:30 UTC on March 3 is still March 2 in Tampa.
    with time_machine.travel(dt.datetime(2026, 3, 3, 2, 30, tzinfo=dt.UTC), tick=False):
        log = services.set_home_care_done(patient=course.patient, item=course.item, done=True)
    assert log.day == dt.date(2026, 3, 2)


def test_a_patient_withdraws_consent_to_email_but_not_to_treatment(
    portal: Client, course: Course, owner: User
) -> None:
    for kind in (Consent.Kind.EMAIL, Consent.Kind.TREATMENT):
        record_consent(
            actor=owner,
            patient=course.patient,
            kind=kind,
            version="2",
            given_on=TODAY,
            granted=True,
        )
    page = portal.get("/my/consents/").content.decode()
    assert "Withdraw: contact by email" in page
    assert "Withdraw: consent to treatment" not in page
    assert portal.post("/my/consents/contact_email/withdraw/").status_code == 302
    latest = (
        Consent.objects.filter(patient=course.patient, kind=Consent.Kind.EMAIL)
        .order_by("-pk")
        .first()
    )
    assert latest is not None
    assert (latest.granted, latest.version) == (False, "2")
    assert AuditEvent.objects.filter(
        object_id=str(latest.public_id), actor_label=services.PATIENT_LABEL
    ).exists()
    refused = portal.post("/my/consents/treatment/withdraw/", follow=True).content.decode()
    assert "This consent is withdrawn with the clinic, not online." in refused
    assert (
        Consent.objects.filter(patient=course.patient, kind="treatment", granted=False).count() == 0
    )


@pytest.mark.parametrize(
    "url",
    ["/my/", "/my/progress/", "/my/home-care/", "/my/consents/", "/my/documents/statement.pdf"],
)
def test_every_page_needs_a_signed_in_patient(url: str, course: Course, client: Any) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == "/my/sign-in/"
