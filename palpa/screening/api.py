"""Safety screening over the API: intake, status, clearances, overrides, rule sets.

Who may do what: front desk, therapists and owners create intake links and read the
decision flag; therapists and owners enter intake facts, read screenings and record
physician clearances; only owners override a clearance and change the rules. Billers get
nothing clinical; other organizations' records are 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from palpa.accounts.gates import api_requires
from palpa.accounts.permissions import Capability, tenant_id
from palpa.core.api import ERRORS, RefusedOut, actor
from palpa.core.schemas import Line
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for
from palpa.referrals.queries import physicians_for
from palpa.screening import queries, services
from palpa.screening.models import Clearance, RuleSetVersion, Screening, VisitConfirmation
from palpa.screening.rules import default_rule_set, default_rule_set_document
from palpa.screening.schemas import (
    BloodPressureIn,
    BloodPressureOut,
    ClearanceIn,
    ClearanceOut,
    ConfirmationIn,
    ConfirmationOut,
    IntakeLinkOut,
    RuleSetIn,
    RuleSetList,
    RuleSetOut,
    ScreeningFlagOut,
    ScreeningIn,
    ScreeningOut,
    ScreeningOverrideIn,
    ScreeningPolicyIn,
    ScreeningPolicyOut,
    StatusOut,
    StatusQuery,
)

router = Router()
SCREENING_ERRORS: dict[int, Any] = {**ERRORS, 409: RefusedOut}


def _patient(request: HttpRequest, patient_id: UUID) -> Patient:
    return get_object_or_404(patients_for(actor(request)), public_id=patient_id)


def _clinical_patient(request: HttpRequest, patient_id: UUID) -> Patient:
    return _patient(request, patient_id)


def _screening(request: HttpRequest, screening_id: UUID) -> Screening:
    user = actor(request)
    return get_object_or_404(queries.screenings_for(user), public_id=screening_id)


@router.post(
    "/patients/{patient_id}/intake-links",
    response={201: IntakeLinkOut, **SCREENING_ERRORS},
    summary="Create a one-time intake link for the patient (front desk, therapists, owners)",
)
@api_requires(Capability.SCREENING_SEND_INTAKE)
def create_intake_link(request: HttpRequest, patient_id: UUID) -> Status[dict[str, Any]]:
    user = actor(request)
    patient = _patient(request, patient_id)
    link, token = services.create_intake_link(actor=user, patient=patient)
    url = request.build_absolute_uri(reverse("intake:form", args=[token]))
    return Status(
        201,
        {
            "id": link.public_id,
            "patient": patient.public_id,
            "url": url,
            "expires_at": link.expires_at,
        },
    )


@router.post(
    "/patients/{patient_id}/screenings",
    response={201: ScreeningOut, **SCREENING_ERRORS},
    summary="Enter the patient's intake facts; they are screened at once (clinical)",
)
@api_requires(Capability.CLINICAL_WRITE)
def create_screening(
    request: HttpRequest, patient_id: UUID, payload: ScreeningIn
) -> Status[Screening]:
    user = actor(request)
    patient = _patient(request, patient_id)
    screening = services.record_screening(
        actor=user,
        patient=patient,
        facts=payload.facts,
        questionnaire_version=payload.questionnaire_version,
    )
    return Status(201, screening)


@router.get(
    "/patients/{patient_id}/screenings",
    response={200: list[ScreeningOut], **ERRORS},
    summary="The patient's screenings, newest first (clinical)",
)
@api_requires(Capability.CLINICAL_READ)
def list_screenings(request: HttpRequest, patient_id: UUID) -> QuerySet[Screening]:
    patient = _clinical_patient(request, patient_id)
    user = actor(request)
    services.audit_screening_read(actor=user, patient=patient, what="screenings")
    return queries.patient_screenings(user, patient)


@router.get(
    "/patients/{patient_id}/screening-status",
    response={200: StatusOut, **ERRORS},
    summary="What the patient's screening allows on a day: decision, reasons, restrictions",
)
@api_requires(Capability.CLINICAL_READ)
def get_status(
    request: HttpRequest, patient_id: UUID, params: Query[StatusQuery]
) -> queries.ScreeningStatus:
    patient = _clinical_patient(request, patient_id)
    services.audit_screening_read(actor=actor(request), patient=patient, what="screening status")
    return queries.screening_status(patient, on=params.on)


@router.get(
    "/patients/{patient_id}/screening-flag",
    response={200: ScreeningFlagOut, **ERRORS},
    summary="Whether the patient may be treated, without clinical detail (front desk)",
)
@api_requires(Capability.SCREENING_READ_DECISION)
def get_flag(
    request: HttpRequest, patient_id: UUID, params: Query[StatusQuery]
) -> queries.ScreeningStatus:
    patient = _patient(request, patient_id)
    return queries.screening_status(patient, on=params.on)


@router.post(
    "/patients/{patient_id}/screening-confirmations",
    response={201: ConfirmationOut, **SCREENING_ERRORS},
    summary="At a visit: the health history has not changed since the last screening",
)
@api_requires(Capability.CLINICAL_WRITE)
def confirm(
    request: HttpRequest, patient_id: UUID, payload: ConfirmationIn
) -> Status[VisitConfirmation]:
    user = actor(request)
    patient = _patient(request, patient_id)
    made = services.confirm_no_change(
        actor=user, patient=patient, on=payload.on or timezone.localdate()
    )
    return Status(201, made)


_BP_RULES = ("blood_pressure_", "symptoms_at_reading_")


def blood_pressure_out(patient: Patient, on: Any, screening: Screening | None) -> dict[str, Any]:
    reading: dict[str, Any] | None = (
        screening.facts.get("blood_pressure") if screening else None
    ) or None
    return {
        "patient": patient.public_id,
        "on": on,
        "screening": screening.public_id if screening else None,
        "reading": {**reading, "symptoms": reading.get("symptoms", [])} if reading else None,
        "todays": reading is not None and reading["measured_on"] == on.isoformat(),
        "decision": screening.decision if screening else None,
        "urgency": screening.urgency if screening else None,
        "findings": [
            f["rule_id"]
            for f in (screening.result.get("findings", []) if screening else [])
            if f["rule_id"].startswith(_BP_RULES)
        ],
    }


@router.get(
    "/patients/{patient_id}/blood-pressure",
    response={200: BloodPressureOut, **ERRORS},
    summary="The blood pressure reading in the screening in force on a day (clinical)",
)
@api_requires(Capability.CLINICAL_READ)
def get_blood_pressure(
    request: HttpRequest, patient_id: UUID, params: Query[StatusQuery]
) -> dict[str, Any]:
    patient = _clinical_patient(request, patient_id)
    services.audit_screening_read(actor=actor(request), patient=patient, what="blood pressure")
    on = params.on or timezone.localdate()
    status = queries.screening_status(patient, on=on)
    return blood_pressure_out(patient, on, status.screening)


@router.post(
    "/patients/{patient_id}/blood-pressure",
    response={201: BloodPressureOut, **SCREENING_ERRORS},
    summary="At a visit: a measured blood pressure, screened at once with the history in force",
)
@api_requires(Capability.CLINICAL_WRITE)
def record_blood_pressure(
    request: HttpRequest, patient_id: UUID, payload: BloodPressureIn
) -> Status[dict[str, Any]]:
    patient = _patient(request, patient_id)
    try:
        screening = services.record_blood_pressure(
            actor=actor(request),
            patient=patient,
            systolic=payload.systolic,
            diastolic=payload.diastolic,
            measured_on=payload.measured_on or timezone.localdate(),
            symptoms=payload.symptoms,
        )
    except ValidationError as exc:
        # The service names facts paths (blood_pressure.systolic); the API names the body's.
        raise ValidationError(
            {k.removeprefix("blood_pressure."): v for k, v in exc.message_dict.items()}
        ) from exc
    return Status(201, blood_pressure_out(patient, screening.as_of, screening))


@router.post(
    "/screenings/{screening_id}/clearances",
    response={201: ClearanceOut, **SCREENING_ERRORS},
    summary="Record a physician's clearance with the letter (multipart/form-data)",
)
@api_requires(Capability.CLINICAL_WRITE)
def add_clearance(
    request: HttpRequest,
    screening_id: UUID,
    payload: Form[ClearanceIn],
    letter: File[UploadedFile],
) -> Status[Clearance]:
    user = actor(request)
    screening = _screening(request, screening_id)
    physician = physicians_for(user).filter(public_id=payload.physician).first()
    if physician is None:
        raise ValidationError({"physician": "No physician of your directory has this id."})
    clearance = services.record_clearance(
        actor=user,
        screening=screening,
        physician=physician,
        cleared_on=payload.cleared_on,
        scope=payload.scope,
        conditions=payload.conditions,
        valid_until=payload.valid_until,
        rule_ids=payload.rule_ids or None,
        letter=letter,
    )
    return Status(201, clearance)


@router.get(
    "/clearances/{clearance_id}/letter",
    response={200: None, **ERRORS},
    summary="Download a clearance's letter (clinical)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The letter as uploaded: PDF, PNG or JPEG",
                "content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}},
            }
        }
    },
)
@api_requires(Capability.CLINICAL_READ)
def get_letter(request: HttpRequest, clearance_id: UUID) -> FileResponse:
    user = actor(request)
    clearance = get_object_or_404(queries.clearances_for(user), public_id=clearance_id)
    if not clearance.letter:
        raise Http404("An override has no letter.")
    services.audit_letter_read(actor=user, clearance=clearance)
    return FileResponse(
        clearance.letter.open("rb"),
        content_type=clearance.letter_content_type,
        as_attachment=True,
        filename=clearance.letter_name,
    )


@router.post(
    "/screenings/{screening_id}/overrides",
    response={201: ClearanceOut, **SCREENING_ERRORS},
    summary="An owner lets treatment go ahead without a clearance, with a written reason",
)
@api_requires(Capability.SCREENING_OVERRIDE)
def add_override(
    request: HttpRequest, screening_id: UUID, payload: ScreeningOverrideIn
) -> Status[Clearance]:
    user = actor(request)
    screening = _screening(request, screening_id)
    override = services.override_clearance(
        actor=user, screening=screening, reason=payload.reason, rule_ids=payload.rule_ids or None
    )
    return Status(201, override)


def _summary(stored: RuleSetVersion | None, in_force: str) -> dict[str, Any]:
    if stored is None:
        doc = default_rule_set_document()
        return {
            "version": doc["version"],
            "name": doc["name"],
            "reason": "Palpa's shipped rules",
            "created_by": None,
            "created_at": None,
            "in_force": doc["version"] == in_force,
            "document": doc,
        }
    return {
        "version": stored.version,
        "name": stored.name,
        "reason": stored.reason,
        "created_by": str(stored.created_by),
        "created_at": stored.created_at,
        "in_force": stored.version == in_force,
        "document": stored.document,
    }


def _owner(request: HttpRequest) -> int:
    user = actor(request)
    return tenant_id(user)


@router.get(
    "/screening/rule-sets",
    response={200: RuleSetList, **ERRORS},
    summary="The organization's rule-set versions and the one in force (owners)",
)
@api_requires(Capability.SCREENING_MANAGE_RULES)
def list_rule_sets(request: HttpRequest) -> dict[str, Any]:
    org_id = _owner(request)
    stored = queries.current_rule_set_version(org_id)
    in_force = stored.version if stored else default_rule_set().version
    versions = [_summary(None, in_force)] + [
        _summary(v, in_force) for v in queries.rule_sets_for(actor(request))
    ]
    return {
        "in_force": in_force,
        "default_version": default_rule_set().version,
        "versions": versions,
    }


@router.get(
    "/screening/rule-sets/{version}",
    response={200: RuleSetOut, **ERRORS},
    summary="One rule-set version with its whole document (owners)",
)
@api_requires(Capability.SCREENING_MANAGE_RULES)
def get_rule_set(request: HttpRequest, version: Line) -> dict[str, Any]:
    org_id = _owner(request)
    stored = queries.current_rule_set_version(org_id)
    in_force = stored.version if stored else default_rule_set().version
    if version == default_rule_set().version:
        return _summary(None, in_force)
    found = get_object_or_404(queries.rule_sets_for(actor(request)), version=version)
    return _summary(found, in_force)


@router.post(
    "/screening/rule-sets",
    response={201: RuleSetOut, **SCREENING_ERRORS},
    summary="Publish a new version of the organization's rules (owners; audited)",
)
@api_requires(Capability.SCREENING_MANAGE_RULES)
def publish_rule_set(request: HttpRequest, payload: RuleSetIn) -> Status[dict[str, Any]]:
    _owner(request)
    stored = services.publish_rule_set(
        actor=actor(request), document=payload.document, reason=payload.reason
    )
    return Status(201, _summary(stored, stored.version))


@router.get(
    "/screening/policy",
    response={200: ScreeningPolicyOut, **ERRORS},
    summary="Re-screen interval and intake-link lifetime (clinical)",
)
@api_requires(Capability.CLINICAL_READ)
def get_policy(request: HttpRequest) -> dict[str, Any]:
    user = actor(request)
    policy = queries.policy_for(tenant_id(user))
    return {"rescreen_days": policy.rescreen_days, "intake_link_days": policy.intake_link_days}


@router.put(
    "/screening/policy",
    response={200: ScreeningPolicyOut, **ERRORS},
    summary="Set the re-screen interval and intake-link lifetime (owners; audited)",
)
@api_requires(Capability.SCREENING_MANAGE_RULES)
def put_policy(request: HttpRequest, payload: ScreeningPolicyIn) -> dict[str, Any]:
    _owner(request)
    policy = services.set_screening_policy(
        actor=actor(request),
        rescreen_days=payload.rescreen_days,
        intake_link_days=payload.intake_link_days,
    )
    return {"rescreen_days": policy.rescreen_days, "intake_link_days": policy.intake_link_days}
