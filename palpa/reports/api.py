"""Reports over the JSON API: draft, read (with the content), change, sign, correct,
send to the physician, the signed PDF, and the organization's report policy.

Owners and therapists only (front desk and billers 403, another organization 404); the
policy is read by every staff role and changed by owners. Bad input is 422 naming the
field; a rule that forbids the request now is 409 with a code.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from palpa.accounts.gates import api_requires
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability
from palpa.audit.services import Action, record
from palpa.core.api import ERRORS, RefusedOut, actor
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for
from palpa.reports import gates as report_gates
from palpa.reports import queries, render, services
from palpa.reports.models import Report, ReportDelivery
from palpa.reports.schemas import (
    CorrectionIn,
    DeliveryIn,
    DeliveryOut,
    ReportContentOut,
    ReportIn,
    ReportOut,
    ReportPatch,
    ReportPolicyIn,
    ReportPolicyOut,
)

router = Router()
REPORT_ERRORS: dict[int, Any] = {**ERRORS, 409: RefusedOut}


def report_out(report: Report) -> dict[str, Any]:
    return {
        "id": report.public_id,
        "patient": report.patient.public_id,
        "plan": report.plan.public_id,
        "kind": report.kind,
        "version": report.version,
        "supersedes": report.supersedes.public_id if report.supersedes else None,
        "correction_reason": report.correction_reason,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "practitioner": str(report.practitioner),
        "physician": str(report.physician) if report.physician else None,
        "assessment": report.assessment,
        "recommendation": report.recommendation,
        "recommendation_detail": report.recommendation_detail,
        "status": report.status,
        "delivery_status": queries.delivery_status(report),
        "signed_at": report.signed_at,
        "content_hash": report.content_hash,
        "pdf_size": report.pdf_size,
    }


def delivery_out(d: ReportDelivery) -> dict[str, Any]:
    return {
        "id": d.public_id,
        "channel": d.channel,
        "recipient": d.recipient,
        "sent_at": d.sent_at,
        "expires_at": d.expires_at,
        "opened_at": d.opened_at,
    }


def _reader(request: HttpRequest) -> User:
    user = actor(request)
    return user


def _writer(request: HttpRequest) -> User:
    user = actor(request)
    return user


def _patient(user: User, patient_id: UUID) -> Patient:
    return get_object_or_404(patients_for(user), public_id=patient_id)


def _report(user: User, report_id: UUID) -> Report:
    found: Report = get_object_or_404(
        queries.reports_for(user).select_related(
            "patient", "plan", "practitioner", "physician", "supersedes", "organization", "location"
        ),
        public_id=report_id,
    )
    return found


@router.get(
    "/patients/{patient_id}/reports",
    response={200: list[ReportOut], **ERRORS},
    summary="A patient's progress and discharge reports (clinical: owners and therapists)",
)
@api_requires(Capability.CLINICAL_READ)
def list_reports(request: HttpRequest, patient_id: UUID) -> list[dict[str, Any]]:
    user = _reader(request)
    patient = _patient(user, patient_id)
    reports = list(queries.patient_reports(user, patient))
    record(
        actor=user,
        action=Action.READ,
        object_type="Report",
        patient_id=str(patient.public_id),
        detail={"reports": [str(r.public_id) for r in reports]},
    )
    return [report_out(r) for r in reports]


@router.post(
    "/patients/{patient_id}/reports",
    response={201: ReportOut, **REPORT_ERRORS},
    summary="Draft a progress report (active plan) or a discharge report (discharged plan)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=report_gates.PATIENT)
def create_report(
    request: HttpRequest, patient_id: UUID, payload: ReportIn
) -> Status[dict[str, Any]]:
    user = _writer(request)
    patient = _patient(user, patient_id)
    report = services.start_report(actor=user, patient=patient, kind=payload.kind)
    return Status(201, report_out(report))


@router.get(
    "/reports/{report_id}",
    response={200: ReportContentOut, **ERRORS},
    summary="Read a report with its content (a signed report's snapshot)",
)
@api_requires(Capability.CLINICAL_READ)
def get_report(request: HttpRequest, report_id: UUID) -> dict[str, Any]:
    user = _reader(request)
    report = _report(user, report_id)
    content = services.preview(actor=user, report=report)
    return {**report_out(report), "content": content}


@router.patch(
    "/reports/{report_id}",
    response={200: ReportOut, **REPORT_ERRORS},
    summary="Change a draft's assessment or recommendation",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=report_gates.REPORT_DRAFT)
def patch_report(request: HttpRequest, report_id: UUID, payload: ReportPatch) -> dict[str, Any]:
    user = _writer(request)
    report = _report(user, report_id)
    services.update_report(
        actor=user, report=report, changes=payload.model_dump(exclude_unset=True)
    )
    return report_out(report)


@router.post(
    "/reports/{report_id}/sign",
    response={200: ReportOut, **REPORT_ERRORS},
    summary="Sign (409 license when the license does not allow it); the PDF is stored",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=report_gates.REPORT_DRAFT)
def sign_report(request: HttpRequest, report_id: UUID) -> dict[str, Any]:
    user = _writer(request)
    report = services.sign_report(actor=user, report=_report(user, report_id))
    return report_out(report)


@router.post(
    "/reports/{report_id}/corrections",
    response={201: ReportOut, **REPORT_ERRORS},
    summary="Draft a corrected version; once signed it supersedes this one (both are kept)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=report_gates.REPORT)
def correct_report(
    request: HttpRequest, report_id: UUID, payload: CorrectionIn
) -> Status[dict[str, Any]]:
    user = _writer(request)
    draft = services.correct_report(
        actor=user, report=_report(user, report_id), reason=payload.reason
    )
    return Status(201, report_out(draft))


@router.post(
    "/reports/{report_id}/deliveries",
    response={201: DeliveryOut, **REPORT_ERRORS},
    summary="Email the physician a single-use link to the signed PDF",
)
@api_requires(Capability.CLINICAL_WRITE)
def send_report(
    request: HttpRequest, report_id: UUID, payload: DeliveryIn
) -> Status[dict[str, Any]]:
    user = _writer(request)
    delivery = services.send_report(
        actor=user,
        report=_report(user, report_id),
        recipient=payload.email,
        base_url=request.build_absolute_uri("/"),
    )
    delivery.refresh_from_db()
    return Status(201, delivery_out(delivery))


@router.get(
    "/reports/{report_id}/pdf",
    response={200: None, **REPORT_ERRORS},
    summary="The signed PDF as stored (application/pdf); 409 for a draft",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The signed PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
@api_requires(Capability.CLINICAL_READ)
def report_pdf(request: HttpRequest, report_id: UUID) -> HttpResponse:
    user = _reader(request)
    report = _report(user, report_id)
    if not report.is_signed:
        raise services.ReportRefused("A draft has no PDF yet: sign it first.")
    services.audit_pdf_read(actor=user, report=report)
    response = HttpResponse(bytes(report.pdf or b""), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{render.filename(report.content)}"'
    return response


@router.get(
    "/report-policy",
    response={200: ReportPolicyOut, **ERRORS},
    summary="When progress reports are due and how long physicians' links work",
)
@api_requires(Capability.STAFF)
def get_policy(request: HttpRequest) -> dict[str, Any]:
    user = actor(request)
    policy = services.policy_for(user.organization_id or 0)
    return {
        "every_visits": policy.every_visits,
        "every_days": policy.every_days,
        "link_days": policy.link_days,
    }


@router.put(
    "/report-policy",
    response={200: ReportPolicyOut, **ERRORS},
    summary="Set the report policy (owners)",
)
@api_requires(Capability.REPORTS_CONFIGURE)
def put_policy(request: HttpRequest, payload: ReportPolicyIn) -> dict[str, Any]:
    user = actor(request)
    saved = services.set_report_policy(actor=user, **payload.model_dump())
    return {
        "every_visits": saved.every_visits,
        "every_days": saved.every_days,
        "link_days": saved.link_days,
    }
