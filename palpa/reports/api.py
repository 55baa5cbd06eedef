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
from palpa.core.schemas import extended
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for
from palpa.reports import gates as report_gates
from palpa.reports import queries, render, services
from palpa.reports.models import Report, ReportDelivery, ReportPolicy
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
def list_reports(request: HttpRequest, patient_id: UUID) -> list[Report]:
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
    return reports


@router.post(
    "/patients/{patient_id}/reports",
    response={201: ReportOut, **REPORT_ERRORS},
    summary="Draft a progress report (active plan) or a discharge report (discharged plan)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=report_gates.PATIENT)
def create_report(request: HttpRequest, patient_id: UUID, payload: ReportIn) -> Status[Report]:
    user = _writer(request)
    patient = _patient(user, patient_id)
    report = services.start_report(actor=user, patient=patient, kind=payload.kind)
    return Status(201, report)


@router.get(
    "/reports/{report_id}",
    response={200: ReportContentOut, **ERRORS},
    summary="Read a report with its content (a signed report's snapshot)",
)
@api_requires(Capability.CLINICAL_READ)
def get_report(request: HttpRequest, report_id: UUID) -> ReportContentOut:
    user = _reader(request)
    report = _report(user, report_id)
    # The content first: a draft's period may move to today while it is built.
    content = services.preview(actor=user, report=report)
    return extended(ReportContentOut, ReportOut.model_validate(report), content=content)


@router.patch(
    "/reports/{report_id}",
    response={200: ReportOut, **REPORT_ERRORS},
    summary="Change a draft's assessment or recommendation",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=report_gates.REPORT_DRAFT)
def patch_report(request: HttpRequest, report_id: UUID, payload: ReportPatch) -> Report:
    user = _writer(request)
    report = _report(user, report_id)
    services.update_report(
        actor=user, report=report, changes=payload.model_dump(exclude_unset=True)
    )
    return report


@router.post(
    "/reports/{report_id}/sign",
    response={200: ReportOut, **REPORT_ERRORS},
    summary="Sign (409 license when the license does not allow it); the PDF is stored",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=report_gates.REPORT_DRAFT)
def sign_report(request: HttpRequest, report_id: UUID) -> Report:
    user = _writer(request)
    report = services.sign_report(actor=user, report=_report(user, report_id))
    return report


@router.post(
    "/reports/{report_id}/corrections",
    response={201: ReportOut, **REPORT_ERRORS},
    summary="Draft a corrected version; once signed it supersedes this one (both are kept)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=report_gates.REPORT)
def correct_report(request: HttpRequest, report_id: UUID, payload: CorrectionIn) -> Status[Report]:
    user = _writer(request)
    draft = services.correct_report(
        actor=user, report=_report(user, report_id), reason=payload.reason
    )
    return Status(201, draft)


@router.post(
    "/reports/{report_id}/deliveries",
    response={201: DeliveryOut, **REPORT_ERRORS},
    summary="Email the physician a single-use link to the signed PDF",
)
@api_requires(Capability.CLINICAL_WRITE)
def send_report(
    request: HttpRequest, report_id: UUID, payload: DeliveryIn
) -> Status[ReportDelivery]:
    user = _writer(request)
    delivery = services.send_report(
        actor=user,
        report=_report(user, report_id),
        recipient=payload.email,
        base_url=request.build_absolute_uri("/"),
    )
    delivery.refresh_from_db()
    return Status(201, delivery)


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
def get_policy(request: HttpRequest) -> services.Policy:
    user = actor(request)
    return services.policy_for(user.organization_id or 0)


@router.put(
    "/report-policy",
    response={200: ReportPolicyOut, **ERRORS},
    summary="Set the report policy (owners)",
)
@api_requires(Capability.REPORTS_CONFIGURE)
def put_policy(request: HttpRequest, payload: ReportPolicyIn) -> ReportPolicy:
    user = actor(request)
    return services.set_report_policy(actor=user, **payload.model_dump())
