"""Drafting, signing, correcting and discarding reports through the services."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.care.plans.services import discharge_plan
from palpa.core.tests.support import TODAY
from palpa.practitioners.models import License, Practitioner
from palpa.practitioners.services import LicenseError
from palpa.reports import services
from palpa.reports.models import Report, SignedReportChanged
from palpa.reports.tests.conftest import EVALUATED, Course, draft_report


def test_a_progress_report_covers_the_plan_from_its_start_to_today(draft: Report) -> None:
    assert draft.kind == "progress"
    assert draft.status == "draft"
    assert (draft.period_start, draft.period_end) == (EVALUATED, TODAY)
    assert draft.physician is not None
    assert draft.physician.family_name == "Park"
    assert draft.referral is not None


def test_drafting_twice_returns_the_open_draft(therapist: User, draft: Report) -> None:
    again = services.start_report(actor=therapist, patient=draft.patient, kind="progress")
    assert again.pk == draft.pk


def test_a_progress_report_needs_an_active_plan(therapist: User, patient: object) -> None:
    with pytest.raises(services.ReportRefused, match="active"):
        services.start_report(actor=therapist, patient=patient, kind="progress")  # type: ignore[arg-type]


def test_a_discharge_report_needs_a_discharged_plan(therapist: User, course: Course) -> None:
    with pytest.raises(services.ReportRefused, match="discharge"):
        services.start_report(actor=therapist, patient=course.patient, kind="discharge")


def test_a_discharge_report_ends_on_the_discharge_day(therapist: User, course: Course) -> None:
    discharge_plan(
        actor=therapist,
        plan=course.plan,
        reason="plateau",
        summary="Pain plateaued at 4/10.",
        discharged_on=TODAY - dt.timedelta(days=1),
    )
    report = draft_report(therapist, course.patient, kind="discharge")
    assert report.period_end == TODAY - dt.timedelta(days=1)
    assert report.recommendation == "continue"  # the helper set it; the default was discharge
    signed = services.sign_report(actor=therapist, report=report)
    assert signed.content["discharge"]["reason"] == "plateau"
    assert signed.content["discharge"]["summary"] == "Pain plateaued at 4/10."


def test_front_desk_cannot_draft_a_report(front_desk: User, course: Course) -> None:
    with pytest.raises(PermissionDenied):
        services.start_report(actor=front_desk, patient=course.patient, kind="progress")


def test_an_unknown_kind_is_refused_naming_the_field(therapist: User, course: Course) -> None:
    with pytest.raises(ValidationError) as caught:
        services.start_report(actor=therapist, patient=course.patient, kind="summary")
    assert "kind" in caught.value.message_dict


def test_signing_needs_an_assessment(therapist: User, course: Course) -> None:
    report = services.start_report(actor=therapist, patient=course.patient, kind="progress")
    with pytest.raises(ValidationError) as caught:
        services.sign_report(actor=therapist, report=report)
    assert "assessment" in caught.value.message_dict


def test_referring_back_needs_a_reason(therapist: User, draft: Report) -> None:
    services.update_report(actor=therapist, report=draft, changes={"recommendation": "refer_back"})
    with pytest.raises(ValidationError) as caught:
        services.sign_report(actor=therapist, report=draft)
    assert "recommendation_detail" in caught.value.message_dict


def test_an_unknown_recommendation_is_refused(therapist: User, draft: Report) -> None:
    with pytest.raises(ValidationError) as caught:
        services.update_report(actor=therapist, report=draft, changes={"recommendation": "stop"})
    assert "recommendation" in caught.value.message_dict


def test_only_the_reports_practitioner_signs_it(other_therapist: User, draft: Report) -> None:
    with pytest.raises(PermissionDenied):
        services.sign_report(actor=other_therapist, report=draft)


def test_signing_stores_the_pdf_its_hash_and_the_snapshot(signed: Report) -> None:
    pdf = bytes(signed.pdf or b"")
    assert pdf.startswith(b"%PDF-")
    assert signed.content_hash == hashlib.sha256(pdf).hexdigest()
    assert signed.pdf_size == len(pdf)
    assert signed.content["patient"]["name"] == "Rosa Delgado"
    assert signed.content["signature"]["license"].startswith("LMT FL #MA")
    assert [g["measure"] for g in signed.content["goals"]] == ["ODI", "NPRS"]
    # Which threshold made each change meaningful travels with the snapshot (issue 18).
    assert [g["decided_by"] for g in signed.content["goals"]] == ["absolute", "absolute"]
    assert [g["detected"] for g in signed.content["goals"]] == ["better", "better"]
    assert signed.content["goals"][0]["chart"]["band_label"] == "MDC"
    assert signed.content["visits"] == {
        "in_period": 4,
        "total": 4,
        "planned": 6,
        "authorized": 6,
        "used": 4,
        "dates": [
            d.isoformat() for d in sorted(TODAY - dt.timedelta(days=n) for n in (18, 14, 11, 7))
        ],
    }
    assert AuditEvent.objects.filter(object_id=str(signed.public_id), detail__signed=True).exists()


def test_signing_needs_a_current_license(therapist: User, draft: Report) -> None:
    practitioner = Practitioner.objects.get(user=therapist)
    License.objects.filter(practitioner=practitioner).update(
        expires_on=TODAY - dt.timedelta(days=1)
    )
    with pytest.raises(LicenseError, match="expired"):
        services.sign_report(actor=therapist, report=draft)
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert not draft.pdf


def test_a_signed_report_never_changes(therapist: User, signed: Report) -> None:
    with pytest.raises(services.ReportLocked):
        services.update_report(actor=therapist, report=signed, changes={"assessment": "Other."})
    signed.assessment = "Changed behind the services' back."
    with pytest.raises(SignedReportChanged):
        signed.save()
    with pytest.raises(SignedReportChanged):
        signed.delete()
    with pytest.raises(SignedReportChanged):
        Report.objects.filter(pk=signed.pk).delete()
    with pytest.raises(SignedReportChanged):
        Report.objects.filter(pk=signed.pk).update(assessment="Nor this way.")


def test_a_correction_is_a_new_version_that_supersedes_the_old_one(
    therapist: User, signed: Report
) -> None:
    correction = services.correct_report(
        actor=therapist, report=signed, reason="The NPRS was 4, not 5."
    )
    assert (correction.version, correction.lineage, correction.supersedes_id) == (
        2,
        signed.lineage,
        signed.pk,
    )
    services.update_report(
        actor=therapist, report=correction, changes={"assessment": "Corrected assessment."}
    )
    services.sign_report(actor=therapist, report=correction)
    signed.refresh_from_db()
    assert signed.status == "superseded"
    assert signed.content_hash == hashlib.sha256(bytes(signed.pdf or b"")).hexdigest()
    assert Report.objects.filter(lineage=signed.lineage).count() == 2
    assert correction.content["correction_reason"] == "The NPRS was 4, not 5."


def test_a_second_correction_of_the_same_version_is_refused(
    therapist: User, signed: Report
) -> None:
    services.correct_report(actor=therapist, report=signed, reason="One fix.")
    with pytest.raises(services.ReportRefused, match="already drafted"):
        services.correct_report(actor=therapist, report=signed, reason="Another fix.")


def test_a_draft_is_discarded_not_deleted(therapist: User, draft: Report) -> None:
    services.discard_report(actor=therapist, report=draft, reason="Wrong patient.")
    draft.refresh_from_db()
    assert draft.status == "entered-in-error"


def test_a_signed_report_is_not_discarded(therapist: User, signed: Report) -> None:
    with pytest.raises(services.ReportLocked):
        services.discard_report(actor=therapist, report=signed, reason="Oops.")


def test_the_next_progress_report_starts_after_the_last_one(
    therapist: User, signed: Report, course: Course
) -> None:
    import time_machine

    with time_machine.travel(dt.datetime(2026, 3, 20, 15, 0, tzinfo=dt.UTC), tick=False):
        nxt = services.start_report(actor=therapist, patient=course.patient, kind="progress")
    assert nxt.period_start == TODAY + dt.timedelta(days=1)
    assert nxt.period_end == dt.date(2026, 3, 20)


def test_the_owner_sets_the_report_policy(owner: User, therapist: User) -> None:
    services.set_report_policy(actor=owner, every_visits=4, every_days=None, link_days=7)
    policy = services.policy_for(owner.organization_id or 0)
    assert (policy.every_visits, policy.every_days, policy.link_days) == (4, None, 7)
    with pytest.raises(PermissionDenied):
        services.set_report_policy(actor=therapist, every_visits=4, every_days=None, link_days=7)
    with pytest.raises(ValidationError) as caught:
        services.set_report_policy(actor=owner, every_visits=None, every_days=None, link_days=7)
    assert "every_visits" in caught.value.message_dict


def test_the_policy_defaults_are_ten_visits_thirty_days_and_fourteen_day_links(
    owner: User,
) -> None:
    policy = services.policy_for(owner.organization_id or 0)
    assert (policy.every_visits, policy.every_days, policy.link_days) == (10, 30, 14)


def test_the_signature_on_the_pdf_reads_in_the_clinics_time(signed: Report) -> None:
    """Signed at 20:00 UTC on 2 March 2026: 15:00 in Tampa, and the PDF says so."""
    assert signed.signed_at is not None
    assert signed.signed_at.astimezone(dt.UTC).strftime("%H:%M") == "20:00"
    assert signed.content["signature"]["signed_at"] == "2026-03-02 15:00 EST"
