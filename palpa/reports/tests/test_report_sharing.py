"""Sharing a signed report with the patient (their portal copy): a staff decision kept
apart from the signed report, audited, told to the patient through the message ledger
("Report ready": only that a document waits on their page). A correction is not shared
until it is shared itself; roles without the right, and other organizations, are refused.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import TODAY
from palpa.patients import messages as ledger
from palpa.patients.models import MessageKind, PatientMessage
from palpa.reports import render, services
from palpa.reports.models import Report, ReportShare

READY = MessageKind.REPORT_READY


@pytest.fixture(autouse=True)
def _no_pdf_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signing here stores a stand-in PDF: sharing never looks inside it (the portal's
    tests download a real one once)."""
    monkeypatch.setattr(render, "pdf", lambda content, *, draft: b"%PDF-1.7 stand-in")


def _ready_messages(report: Report) -> list[PatientMessage]:
    return list(
        PatientMessage.objects.filter(kind=READY, about=f"report:{report.public_id}").order_by("pk")
    )


def test_sharing_a_signed_report_tells_the_patient_it_is_ready_in_the_portal(
    therapist: User, signed: Report
) -> None:
    share = services.share_report_with_patient(actor=therapist, report=signed)
    assert services.current_share(signed) == share
    assert (share.shared_by, share.withdrawn_at) == (therapist, None)
    entry = AuditEvent.objects.get(object_id=str(signed.public_id), detail__channel="portal")
    assert (entry.action, entry.actor_id) == ("export", therapist.pk)
    assert entry.patient_id == str(signed.patient.public_id)

    [message] = _ready_messages(signed)
    assert (message.channel, message.status) == ("email", "sent")
    assert "[link]" in message.body  # the ledger keeps the link's place only
    email = next(m for m in mail.outbox if m.to == ["rosa@example.com"])
    assert "http://localhost:8000/my/" in str(email.body)
    assert "progress report" in str(email.body)
    assert "ODI" not in str(email.body)
    assert "sitting" not in str(email.body)
    assert "progress" not in str(email.subject)


def test_a_text_message_says_only_that_a_document_is_ready(therapist: User, signed: Report) -> None:
    from palpa.patients.services import record_consent

    patient = signed.patient
    record_consent(
        actor=therapist,
        patient=patient,
        kind="contact_sms",
        version="1",
        given_on=TODAY,
        granted=True,
    )
    patient.preferred_channel = "sms"
    patient.save(update_fields=["preferred_channel"])
    services.share_report_with_patient(actor=therapist, report=signed)
    [message] = _ready_messages(signed)
    assert message.channel == "sms"
    assert (
        message.body == "Bayside Medical Massage: a document is ready for you on your page: [link]"
    )
    assert "report" not in ledger.allowed(READY, "sms")


def test_stop_sharing_keeps_the_share_marked_withdrawn_and_audits_it(
    therapist: User, owner: User, signed: Report
) -> None:
    services.share_report_with_patient(actor=therapist, report=signed)
    share = services.stop_sharing_report(actor=owner, report=signed)
    assert share.withdrawn_by == owner
    assert share.withdrawn_at is not None
    assert services.current_share(signed) is None
    entry = AuditEvent.objects.get(object_id=str(signed.public_id), detail__withdrawn=True)
    assert (entry.action, entry.actor_id) == ("update", owner.pk)
    with pytest.raises(services.ReportRefused, match="not shared"):
        services.stop_sharing_report(actor=owner, report=signed)
    again = services.share_report_with_patient(actor=therapist, report=signed)
    assert ReportShare.objects.filter(report=signed).count() == 2
    assert services.current_share(signed) == again
    assert len(_ready_messages(signed)) == 2


def test_a_report_is_shared_once_at_a_time(therapist: User, signed: Report) -> None:
    services.share_report_with_patient(actor=therapist, report=signed)
    with pytest.raises(services.ReportRefused, match="already shared"):
        services.share_report_with_patient(actor=therapist, report=signed)


def test_a_draft_is_not_shared(therapist: User, draft: Report) -> None:
    with pytest.raises(services.ReportRefused, match="this one is a draft"):
        services.share_report_with_patient(actor=therapist, report=draft)
    assert not ReportShare.objects.exists()
    assert not _ready_messages(draft)


def test_a_correction_is_not_shared_until_it_is_shared_itself(
    therapist: User, signed: Report
) -> None:
    services.share_report_with_patient(actor=therapist, report=signed)
    correction = services.correct_report(
        actor=therapist, report=signed, reason="The visit count was wrong."
    )
    corrected = services.sign_report(actor=therapist, report=correction)
    signed.refresh_from_db()
    assert signed.status == "superseded"
    assert services.current_share(signed) is None
    assert services.current_share(corrected) is None
    with pytest.raises(services.ReportRefused, match="superseded"):
        services.share_report_with_patient(actor=therapist, report=signed)
    share = services.share_report_with_patient(actor=therapist, report=corrected)
    assert services.current_share(corrected) == share


def test_resending_report_ready_works_while_shared_only(
    therapist: User, front_desk: User, signed: Report
) -> None:
    services.share_report_with_patient(actor=therapist, report=signed)
    [first] = _ready_messages(signed)
    [again] = ledger.resend_message(actor=front_desk, message=first)
    assert (again.kind, again.resend_of) == (READY, first)
    services.stop_sharing_report(actor=therapist, report=signed)
    with pytest.raises(ValidationError, match="no longer shared"):
        ledger.resend_message(actor=front_desk, message=first)


@pytest.mark.parametrize("who", ["front_desk", "biller", "outsider"])
def test_who_may_not_send_reports_may_not_share_them(
    who: str, therapist: User, signed: Report, request: pytest.FixtureRequest
) -> None:
    actor: User = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.share_report_with_patient(actor=actor, report=signed)
    services.share_report_with_patient(actor=therapist, report=signed)
    with pytest.raises(PermissionDenied):
        services.stop_sharing_report(actor=actor, report=signed)
    assert services.current_share(signed) is not None


@pytest.mark.parametrize("who", ["owner", "other_therapist"])
def test_the_owner_and_any_therapist_may_share(
    who: str, signed: Report, request: pytest.FixtureRequest
) -> None:
    actor: User = request.getfixturevalue(who)
    assert services.share_report_with_patient(actor=actor, report=signed).shared_by == actor


def test_another_organizations_report_is_refused(therapist: User, outsider_signed: Report) -> None:
    with pytest.raises(PermissionDenied):
        services.share_report_with_patient(actor=therapist, report=outsider_signed)
    assert not ReportShare.objects.exists()
