"""Result-based care over the JSON API: evaluations, the ICD-10-CM subset, instrument
administrations, plans of care with goals and progress, and discharge.

Owners and therapists only: front desk and billers get 403, another organization 404.
Bad input is 422 naming each field; a rule that forbids the request now is 409 (with a
code). Every read and write of patient data is audited by the services it calls.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from pydantic import Field

from palpa.accounts.gates import api_requires
from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, tenant_id
from palpa.care import gates as care_gates
from palpa.care import icd10, progress, queries
from palpa.care.evaluations import services as evaluation_services
from palpa.care.models import (
    Diagnosis,
    Discharge,
    Evaluation,
    Goal,
    PainMapEntry,
    PalpationFinding,
    Plan,
    RomMeasurement,
    SpecialTest,
)
from palpa.care.plans import services as plan_services
from palpa.care.schemas import (
    AddendumIn,
    AddendumOut,
    AdministrationIn,
    AdministrationOut,
    BaselineIn,
    DiagnosisIn,
    DiagnosisOut,
    DischargeIn,
    DischargeOut,
    EvaluationIn,
    EvaluationOut,
    EvaluationPatch,
    GoalIn,
    GoalOut,
    Icd10HitOut,
    InErrorIn,
    PainIn,
    PainOut,
    PalpationIn,
    PalpationOut,
    PlanIn,
    PlanOut,
    PlanPatch,
    PlanProgressOut,
    ReassessmentIn,
    ReassessmentRomIn,
    RomIn,
    RomOut,
    SpecialTestIn,
    SpecialTestOut,
)
from palpa.core.api import ERRORS, RefusedOut, actor
from palpa.core.schemas import TextInputSchema
from palpa.outcomes.models import InstrumentAdministration
from palpa.outcomes.services import (
    administer_instrument,
    audit_administration_read,
    mark_administration_entered_in_error,
)
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for

router = Router()
CARE_ERRORS: dict[int, Any] = {**ERRORS, 409: RefusedOut}


# ---------------------------------------------------------------------------------------
# Shapes


def progress_out(report: plan_services.PlanProgress) -> dict[str, Any]:
    plan = report.plan
    alert = report.non_responder
    return {
        "plan": plan.public_id,
        "version": plan.version,
        "status": plan.status,
        "as_of": report.as_of,
        "signed_notes": report.signed_notes,
        "goals": [
            {
                "goal": goal.public_id,
                "statement": goal.statement,
                "measure": goal.measure_label,
                "primary": goal.is_primary,
                "status": result.status,
                "status_label": result.status_label,
                "reason": result.reason,
                "baseline": result.baseline,
                "baseline_on": result.baseline_on,
                "latest": result.latest,
                "latest_on": result.latest_on,
                "measurements": result.measurements,
                "target": result.target,
                "target_kind": result.target_kind,
                "due_on": result.due_on,
                "improvement": result.improvement,
                "required": result.required,
                "expected": result.expected,
                "meaningful": result.meaningful,
                "decided_by": result.decided_by,
                "detected": result.detected,
                "noise_band": result.noise_band,
                "noise_basis": result.noise_basis,
                "meaningful_explanation": result.meaningful_explanation,
                "thresholds": [
                    {
                        "kind": t.kind,
                        "value": t.value,
                        "unit": t.unit,
                        "source": t.source,
                        "citation": t.citation,
                        "met": t.met,
                    }
                    for t in result.thresholds
                ],
                "thresholds_reason": result.thresholds_reason,
                "notes": list(result.notes),
            }
            for goal, result in report.goals
        ],
        "non_responder": {
            "alert": alert.alert,
            "decided": alert.decided,
            "signed_notes": alert.signed_notes,
            "after_notes": alert.after_notes,
            "reason": alert.reason,
            "suggestion": alert.suggestion,
        },
        "reassessment_due": report.reassessment_due,
        "reassessment_reason": report.reassessment_reason,
    }


# ---------------------------------------------------------------------------------------
# Lookups: the actor's own organization only (404 otherwise); each operation's gate
# (api_requires) refuses other roles (403) before the body is read.


def _reader(request: HttpRequest) -> User:
    user = actor(request)
    return user


def _writer(request: HttpRequest) -> User:
    user = actor(request)
    return user


def _patient(user: User, patient_id: UUID) -> Patient:
    return get_object_or_404(patients_for(user), public_id=patient_id)


def _evaluation(user: User, evaluation_id: UUID) -> Evaluation:
    return get_object_or_404(queries.evaluations_for(user), public_id=evaluation_id)


def _plan(user: User, plan_id: UUID) -> Plan:
    return get_object_or_404(queries.plans_for(user), public_id=plan_id)


# ---------------------------------------------------------------------------------------
# Evaluations


@router.get(
    "/patients/{patient_id}/evaluations",
    response={200: list[EvaluationOut], **ERRORS},
    summary="A patient's evaluations (clinical: owners and therapists)",
)
@api_requires(Capability.CLINICAL_READ)
def list_evaluations(request: HttpRequest, patient_id: UUID) -> list[Evaluation]:
    user = _reader(request)
    patient = _patient(user, patient_id)
    evaluations = list(queries.patient_evaluations(user, patient))
    for evaluation in evaluations:
        evaluation_services.audit_evaluation_read(actor=user, evaluation=evaluation)
    return evaluations


@router.post(
    "/patients/{patient_id}/evaluations",
    response={201: EvaluationOut, **CARE_ERRORS},
    summary="Start a draft evaluation",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PATIENT)
def create_evaluation(
    request: HttpRequest, patient_id: UUID, payload: EvaluationIn
) -> Status[Evaluation]:
    user = _writer(request)
    patient = _patient(user, patient_id)
    data = payload.model_dump()
    location = Location.objects.filter(
        public_id=data.pop("location"), organization_id=tenant_id(user)
    ).first()
    if location is None:
        raise ValidationError({"location": "No location of yours has this id."})
    evaluation = evaluation_services.start_evaluation(
        actor=user, patient=patient, location=location, **data
    )
    return Status(201, evaluation)


@router.get(
    "/evaluations/{evaluation_id}",
    response={200: EvaluationOut, **ERRORS},
    summary="Read an evaluation",
)
@api_requires(Capability.CLINICAL_READ)
def get_evaluation(request: HttpRequest, evaluation_id: UUID) -> Evaluation:
    user = _reader(request)
    evaluation = _evaluation(user, evaluation_id)
    evaluation_services.audit_evaluation_read(actor=user, evaluation=evaluation)
    return evaluation


@router.patch(
    "/evaluations/{evaluation_id}",
    response={200: EvaluationOut, **CARE_ERRORS},
    summary="Change a draft evaluation's complaint, onset, history or posture notes",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def patch_evaluation(
    request: HttpRequest, evaluation_id: UUID, payload: EvaluationPatch
) -> Evaluation:
    user = _writer(request)
    evaluation = _evaluation(user, evaluation_id)
    evaluation_services.update_evaluation(
        actor=user, evaluation=evaluation, changes=payload.model_dump(exclude_unset=True)
    )
    return evaluation


@router.post(
    "/evaluations/{evaluation_id}/pain-map",
    response={201: PainOut, **CARE_ERRORS},
    summary="Add a pain-map entry (coded region, side, intensity 0-10, quality)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def add_pain(request: HttpRequest, evaluation_id: UUID, payload: PainIn) -> Status[PainMapEntry]:
    user = _writer(request)
    evaluation = _evaluation(user, evaluation_id)
    entry = evaluation_services.add_pain_map_entry(
        actor=user, evaluation=evaluation, **payload.model_dump()
    )
    return Status(201, entry)


@router.post(
    "/evaluations/{evaluation_id}/palpation",
    response={201: PalpationOut, **CARE_ERRORS},
    summary="Add a palpation finding (tone, tenderness 0-3, trigger points, texture)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def add_palpation(
    request: HttpRequest, evaluation_id: UUID, payload: PalpationIn
) -> Status[PalpationFinding]:
    user = _writer(request)
    evaluation = _evaluation(user, evaluation_id)
    finding = evaluation_services.add_palpation_finding(
        actor=user, evaluation=evaluation, **payload.model_dump()
    )
    return Status(201, finding)


@router.post(
    "/evaluations/{evaluation_id}/rom",
    response={201: RomOut, **CARE_ERRORS},
    summary="Record a range-of-motion measurement (the norm and its source are copied)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def add_rom(request: HttpRequest, evaluation_id: UUID, payload: RomIn) -> Status[RomMeasurement]:
    user = _writer(request)
    evaluation = _evaluation(user, evaluation_id)
    entry = evaluation_services.record_rom(
        actor=user, evaluation=evaluation, **payload.model_dump()
    )
    return Status(201, entry)


@router.post(
    "/evaluations/{evaluation_id}/special-tests",
    response={201: SpecialTestOut, **CARE_ERRORS},
    summary="Record a special test (positive, negative or equivocal)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def add_special_test(
    request: HttpRequest, evaluation_id: UUID, payload: SpecialTestIn
) -> Status[SpecialTest]:
    user = _writer(request)
    evaluation = _evaluation(user, evaluation_id)
    test = evaluation_services.add_special_test(
        actor=user, evaluation=evaluation, **payload.model_dump()
    )
    return Status(201, test)


@router.post(
    "/evaluations/{evaluation_id}/diagnoses",
    response={201: DiagnosisOut, **CARE_ERRORS},
    summary="Add a working diagnosis from the ICD-10-CM subset (rank 1 = primary)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def add_diagnosis(
    request: HttpRequest, evaluation_id: UUID, payload: DiagnosisIn
) -> Status[Diagnosis]:
    user = _writer(request)
    evaluation = _evaluation(user, evaluation_id)
    diagnosis = evaluation_services.add_diagnosis(
        actor=user, evaluation=evaluation, code=payload.code, rank=payload.rank
    )
    return Status(201, diagnosis)


@router.post(
    "/evaluations/{evaluation_id}/administrations",
    response={201: AdministrationOut, **CARE_ERRORS},
    summary="Score an instrument as a baseline of the evaluation",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def add_baseline(
    request: HttpRequest, evaluation_id: UUID, payload: BaselineIn
) -> Status[InstrumentAdministration]:
    user = _writer(request)
    evaluation = _evaluation(user, evaluation_id)
    administration = evaluation_services.record_baseline_administration(
        actor=user,
        evaluation=evaluation,
        instrument=payload.instrument,
        answers=payload.answers,
        item_labels=payload.item_labels,
    )
    return Status(201, administration)


@router.post(
    "/evaluations/{evaluation_id}/sign",
    response={200: EvaluationOut, **CARE_ERRORS},
    summary="Sign an evaluation (needs a current license); it is locked afterwards",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def sign_evaluation(request: HttpRequest, evaluation_id: UUID) -> Evaluation:
    user = _writer(request)
    evaluation = _evaluation(user, evaluation_id)
    evaluation_services.sign_evaluation(actor=user, evaluation=evaluation)
    return evaluation


@router.post(
    "/evaluations/{evaluation_id}/entered-in-error",
    response={200: EvaluationOut, **CARE_ERRORS},
    summary="Mark an evaluation as entered in error (it is kept)",
)
@api_requires(Capability.CLINICAL_READ, record=care_gates.EVALUATION_IN_ERROR)
def evaluation_in_error(
    request: HttpRequest, evaluation_id: UUID, payload: InErrorIn
) -> Evaluation:
    user = _writer(request)
    evaluation = _evaluation(user, evaluation_id)
    evaluation_services.mark_evaluation_entered_in_error(
        actor=user, evaluation=evaluation, reason=payload.reason
    )
    return evaluation


@router.post(
    "/evaluations/{evaluation_id}/addenda",
    response={201: AddendumOut, **CARE_ERRORS},
    summary="Add a signed addendum to a signed evaluation (the evaluation stays as signed)",
)
@api_requires(Capability.CLINICAL_ADDENDUM, record=care_gates.EVALUATION)
def add_evaluation_addendum(
    request: HttpRequest, evaluation_id: UUID, payload: AddendumIn
) -> Status[Any]:
    user = _writer(request)
    evaluation = _evaluation(user, evaluation_id)
    addendum = evaluation_services.add_evaluation_addendum(
        actor=user, evaluation=evaluation, text=payload.text
    )
    return Status(201, addendum)


# Removing a finding from a draft evaluation (409 evaluation_locked once it is signed)


def _remove_finding(
    request: HttpRequest, evaluation_id: UUID, related: str, row_id: UUID
) -> Evaluation:
    user = _writer(request)
    evaluation = _evaluation(user, evaluation_id)
    finding = get_object_or_404(getattr(evaluation, related).all(), public_id=row_id)
    evaluation_services.remove_evaluation_finding(actor=user, finding=finding)
    return evaluation


@router.delete(
    "/evaluations/{evaluation_id}/pain-map/{entry_id}",
    response={200: EvaluationOut, **CARE_ERRORS},
    summary="Remove a pain-map entry from a draft evaluation",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def remove_pain(request: HttpRequest, evaluation_id: UUID, entry_id: UUID) -> Evaluation:
    return _remove_finding(request, evaluation_id, "pain_map", entry_id)


@router.delete(
    "/evaluations/{evaluation_id}/palpation/{finding_id}",
    response={200: EvaluationOut, **CARE_ERRORS},
    summary="Remove a palpation finding from a draft evaluation",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def remove_palpation(request: HttpRequest, evaluation_id: UUID, finding_id: UUID) -> Evaluation:
    return _remove_finding(request, evaluation_id, "palpation", finding_id)


@router.delete(
    "/evaluations/{evaluation_id}/rom/{measurement_id}",
    response={200: EvaluationOut, **CARE_ERRORS},
    summary="Remove a range-of-motion measurement from a draft evaluation",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def remove_rom(request: HttpRequest, evaluation_id: UUID, measurement_id: UUID) -> Evaluation:
    return _remove_finding(request, evaluation_id, "rom_measurements", measurement_id)


@router.delete(
    "/evaluations/{evaluation_id}/special-tests/{test_id}",
    response={200: EvaluationOut, **CARE_ERRORS},
    summary="Remove a special test from a draft evaluation",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def remove_special_test(request: HttpRequest, evaluation_id: UUID, test_id: UUID) -> Evaluation:
    return _remove_finding(request, evaluation_id, "special_tests", test_id)


@router.delete(
    "/evaluations/{evaluation_id}/diagnoses/{diagnosis_id}",
    response={200: EvaluationOut, **CARE_ERRORS},
    summary="Remove a working diagnosis from a draft evaluation (the next ones move up)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def remove_diagnosis(request: HttpRequest, evaluation_id: UUID, diagnosis_id: UUID) -> Evaluation:
    return _remove_finding(request, evaluation_id, "diagnoses", diagnosis_id)


# ---------------------------------------------------------------------------------------
# ICD-10-CM subset


class Icd10Query(TextInputSchema):
    q: str = Field("", max_length=60)
    limit: int = Field(25, ge=1, le=50)


@router.get(
    "/icd10",
    response={200: list[Icd10HitOut], **ERRORS},
    summary="Search Palpa's ICD-10-CM subset for medical massage (by code or words)",
)
@api_requires(Capability.CLINICAL_READ)
def search_icd10(request: HttpRequest, params: Query[Icd10Query]) -> list[dict[str, Any]]:
    _reader(request)
    return [
        {
            "code": hit.code,
            "label": hit.label,
            "group": hit.group,
            "tag": hit.tag,
            "seventh_character_required": hit.seventh_required,
            "seventh_characters": [
                {"character": s.character, "label": s.label} for s in hit.seventh_characters
            ],
            "not_billable": hit.not_billable,
            "note": hit.note,
        }
        for hit in icd10.search(params.q, limit=params.limit)
    ]


# ---------------------------------------------------------------------------------------
# Instrument administrations


class AdministrationQuery(TextInputSchema):
    instrument: str = Field("", max_length=40)


@router.get(
    "/patients/{patient_id}/administrations",
    response={200: list[AdministrationOut], **ERRORS},
    summary="A patient's scored instruments, newest first (filter by instrument)",
)
@api_requires(Capability.CLINICAL_READ)
def list_administrations(
    request: HttpRequest, patient_id: UUID, params: Query[AdministrationQuery]
) -> list[InstrumentAdministration]:
    user = _reader(request)
    patient = _patient(user, patient_id)
    administrations = list(
        queries.patient_administrations(user, patient, instrument=params.instrument)
    )
    for administration in administrations:
        audit_administration_read(actor=user, administration=administration)
    return administrations


@router.post(
    "/patients/{patient_id}/administrations",
    response={201: AdministrationOut, **CARE_ERRORS},
    summary="Score and record an instrument (422 names the item and the rule)",
)
@api_requires(Capability.CLINICAL_WRITE)
def create_administration(
    request: HttpRequest, patient_id: UUID, payload: AdministrationIn
) -> Status[InstrumentAdministration]:
    user = _writer(request)
    patient = _patient(user, patient_id)
    administration = administer_instrument(
        actor=user,
        patient=patient,
        instrument=payload.instrument,
        answers=payload.answers,
        item_labels=payload.item_labels,
        administered_on=payload.administered_on,
        context=payload.context,
    )
    return Status(201, administration)


@router.post(
    "/administrations/{administration_id}/entered-in-error",
    response={200: AdministrationOut, **CARE_ERRORS},
    summary="Mark an administration as entered in error (kept, out of progress)",
)
@api_requires(Capability.CLINICAL_WRITE)
def administration_in_error(
    request: HttpRequest, administration_id: UUID, payload: InErrorIn
) -> InstrumentAdministration:
    user = _writer(request)
    administration = get_object_or_404(
        queries.administrations_for(user), public_id=administration_id
    )
    mark_administration_entered_in_error(
        actor=user, administration=administration, reason=payload.reason
    )
    return administration


# ---------------------------------------------------------------------------------------
# Plans of care


@router.get(
    "/patients/{patient_id}/plans",
    response={200: list[PlanOut], **ERRORS},
    summary="A patient's plans of care, every version",
)
@api_requires(Capability.CLINICAL_READ)
def list_plans(request: HttpRequest, patient_id: UUID) -> list[Plan]:
    user = _reader(request)
    patient = _patient(user, patient_id)
    plans = list(queries.patient_plans(user, patient))
    for plan in plans:
        plan_services.audit_plan_read(actor=user, plan=plan)
    return plans


@router.post(
    "/patients/{patient_id}/plans",
    response={201: PlanOut, **CARE_ERRORS},
    summary="Draft a plan of care from a signed evaluation",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PATIENT)
def create_plan(request: HttpRequest, patient_id: UUID, payload: PlanIn) -> Status[Plan]:
    user = _writer(request)
    patient = _patient(user, patient_id)
    data = payload.model_dump()
    evaluation = (
        queries.evaluations_for(user).filter(patient=patient, public_id=data.pop("evaluation"))
    ).first()
    if evaluation is None:
        raise ValidationError({"evaluation": "No evaluation of this patient has this id."})
    plan = plan_services.create_plan(actor=user, evaluation=evaluation, **data)
    return Status(201, plan)


@router.get("/plans/{plan_id}", response={200: PlanOut, **ERRORS}, summary="Read a plan of care")
@api_requires(Capability.CLINICAL_READ)
def get_plan(request: HttpRequest, plan_id: UUID) -> Plan:
    user = _reader(request)
    plan = _plan(user, plan_id)
    plan_services.audit_plan_read(actor=user, plan=plan)
    return plan


@router.patch(
    "/plans/{plan_id}",
    response={200: PlanOut, **CARE_ERRORS},
    summary="Change a draft plan (diagnoses and home care replace their lists)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT)
def patch_plan(request: HttpRequest, plan_id: UUID, payload: PlanPatch) -> Plan:
    user = _writer(request)
    plan = _plan(user, plan_id)
    plan_services.update_plan(actor=user, plan=plan, changes=payload.model_dump(exclude_unset=True))
    return plan


@router.post(
    "/plans/{plan_id}/goals",
    response={201: GoalOut, **CARE_ERRORS},
    summary="Add a goal: measure, target (value or meaningful change) and due date",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT)
def add_goal(request: HttpRequest, plan_id: UUID, payload: GoalIn) -> Status[Goal]:
    user = _writer(request)
    plan = _plan(user, plan_id)
    goal = plan_services.add_goal(actor=user, plan=plan, **payload.model_dump())
    return Status(201, goal)


@router.delete(
    "/plans/{plan_id}/goals/{goal_id}",
    response={200: PlanOut, **CARE_ERRORS},
    summary="Remove a goal from a draft plan",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT)
def remove_goal(request: HttpRequest, plan_id: UUID, goal_id: UUID) -> Plan:
    user = _writer(request)
    plan = _plan(user, plan_id)
    goal = get_object_or_404(Goal, plan=plan, public_id=goal_id)
    plan_services.remove_goal(actor=user, goal=goal)
    return plan


@router.post(
    "/plans/{plan_id}/sign",
    response={200: PlanOut, **CARE_ERRORS},
    summary="Sign a plan (needs a current license); a new version supersedes the one before",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT)
def sign_plan(request: HttpRequest, plan_id: UUID) -> Plan:
    user = _writer(request)
    plan = _plan(user, plan_id)
    plan_services.sign_plan(actor=user, plan=plan)
    return plan


@router.post(
    "/plans/{plan_id}/revise",
    response={201: PlanOut, **CARE_ERRORS},
    summary="Start a new version of an active plan (a draft carrying everything over)",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN)
def revise_plan(request: HttpRequest, plan_id: UUID) -> Status[Plan]:
    user = _writer(request)
    plan = _plan(user, plan_id)
    revision = plan_services.revise_plan(actor=user, plan=plan)
    return Status(201, revision)


@router.post(
    "/plans/{plan_id}/entered-in-error",
    response={200: PlanOut, **CARE_ERRORS},
    summary="Discard a draft, or mark an active first version as entered in error",
)
@api_requires(Capability.CLINICAL_READ, record=care_gates.PLAN_IN_ERROR)
def plan_in_error(request: HttpRequest, plan_id: UUID, payload: InErrorIn) -> Plan:
    user = _writer(request)
    plan = _plan(user, plan_id)
    plan_services.mark_plan_entered_in_error(actor=user, plan=plan, reason=payload.reason)
    return plan


@router.post(
    "/plans/{plan_id}/reassessments/administrations",
    response={201: AdministrationOut, **CARE_ERRORS},
    summary="Score an instrument again under the active plan",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN)
def reassess_instrument(
    request: HttpRequest, plan_id: UUID, payload: ReassessmentIn
) -> Status[InstrumentAdministration]:
    user = _writer(request)
    plan = _plan(user, plan_id)
    administration = plan_services.record_reassessment(
        actor=user,
        plan=plan,
        instrument=payload.instrument,
        answers=payload.answers,
        item_labels=payload.item_labels,
        administered_on=payload.administered_on,
    )
    return Status(201, administration)


@router.post(
    "/plans/{plan_id}/reassessments/rom",
    response={201: RomOut, **CARE_ERRORS},
    summary="Measure a range of motion again under the active plan",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN)
def reassess_rom(
    request: HttpRequest, plan_id: UUID, payload: ReassessmentRomIn
) -> Status[RomMeasurement]:
    user = _writer(request)
    plan = _plan(user, plan_id)
    entry = plan_services.record_reassessment_rom(actor=user, plan=plan, **payload.model_dump())
    return Status(201, entry)


class ProgressQuery(TextInputSchema):
    after_notes: int = Field(progress.DEFAULT_NON_RESPONDER_NOTES, ge=1, le=100)
    as_of: dt.date | None = None


@router.get(
    "/plans/{plan_id}/progress",
    response={200: PlanProgressOut, **ERRORS},
    summary="Each goal's status, meaningful change with its thresholds, non-responder alert",
)
@api_requires(Capability.CLINICAL_READ)
def plan_progress(
    request: HttpRequest, plan_id: UUID, params: Query[ProgressQuery]
) -> dict[str, Any]:
    user = _reader(request)
    plan = _plan(user, plan_id)
    report = plan_services.plan_progress(
        actor=user, plan=plan, today=params.as_of, non_responder_after=params.after_notes
    )
    return progress_out(report)


@router.post(
    "/plans/{plan_id}/discharge",
    response={201: DischargeOut, **CARE_ERRORS},
    summary="Discharge: the reason and each goal's outcome, signed; the plan completes",
)
@api_requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN)
def discharge(request: HttpRequest, plan_id: UUID, payload: DischargeIn) -> Status[Discharge]:
    user = _writer(request)
    plan = _plan(user, plan_id)
    record = plan_services.discharge_plan(actor=user, plan=plan, **payload.model_dump())
    return Status(201, record)
