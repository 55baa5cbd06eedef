"""CarePlan <- care.Plan (a signed plan of care; every version is its own CarePlan)."""

from __future__ import annotations

from palpa.care.catalog import catalog
from palpa.care.models import Plan
from palpa.fhir.mapping.common import (
    JSON,
    PLAN_LINEAGE,
    TECHNIQUE,
    US_CORE_CAREPLAN_CATEGORY,
    Context,
    coding,
    compact,
    concept,
    narrative,
    ref,
    with_meta,
)

STATUS: dict[str, str] = {
    Plan.Status.ACTIVE: "active",
    Plan.Status.COMPLETED: "completed",
    Plan.Status.SUPERSEDED: "revoked",
    Plan.Status.ENTERED_IN_ERROR: "entered-in-error",
}


def careplan_status(plan_status: str) -> str:
    return STATUS.get(plan_status, "unknown")


def _technique_label(technique: str) -> str:
    entry = catalog().techniques.get(technique)
    return entry.label if entry is not None else technique


def to_fhir(plan: Plan, ctx: Context) -> JSON:
    patient = plan.patient
    status = careplan_status(plan.status)
    detail_status = {"active": "in-progress", "completed": "completed"}.get(status, "cancelled")
    goals = list(plan.goals.all())
    home_care = list(plan.home_care.all())
    timing = {
        "repeat": {
            "boundsPeriod": {
                "start": plan.starts_on.isoformat(),
                "end": plan.ends_on.isoformat(),
            },
            "frequency": plan.frequency_per_week,
            "period": 1,
            "periodUnit": "wk",
        }
    }
    activities: list[JSON] = [
        {
            "detail": {
                "kind": "ServiceRequest",
                "code": concept(
                    [coding(TECHNIQUE, technique, _technique_label(technique))],
                    _technique_label(technique),
                ),
                "status": detail_status,
                "scheduledTiming": timing,
                "performer": [ref("Practitioner", plan.practitioner.public_id)],
            }
        }
        for technique in plan.techniques
    ]
    activities.extend(
        {
            "detail": {
                "status": detail_status,
                "description": f"Home care ({item.get_kind_display()}): "
                f"{item.instructions} - {item.frequency}",
            }
        }
        for item in home_care
    )
    lines = [
        f"Plan of care v{plan.version}: {plan.frequency_per_week} visits a week for "
        f"{plan.duration_weeks} weeks, from {plan.starts_on.isoformat()} to "
        f"{plan.ends_on.isoformat()}.",
        "Techniques: " + ", ".join(_technique_label(t) for t in plan.techniques)
        if plan.techniques
        else "",
        *(f"Goal: {goal.statement}" for goal in goals),
        f"Precautions: {plan.precautions}" if plan.precautions else "",
        *(f"Home care: {item.instructions} ({item.frequency})" for item in home_care),
    ]
    resource: JSON = {
        "resourceType": "CarePlan",
        "id": str(plan.public_id),
        "text": narrative(lines),
        "identifier": [{"system": PLAN_LINEAGE, "value": f"{plan.lineage}.v{plan.version}"}],
        "replaces": [ref("CarePlan", plan.supersedes.public_id)] if plan.supersedes else [],
        "status": status,
        "intent": "plan",
        "category": [concept([coding(US_CORE_CAREPLAN_CATEGORY, "assess-plan")])],
        "title": f"Plan of care v{plan.version}",
        "subject": ref("Patient", patient.public_id, patient.full_name),
        "period": {"start": plan.starts_on.isoformat(), "end": plan.ends_on.isoformat()},
        "created": plan.signed_at.date().isoformat() if plan.signed_at else None,
        "author": ref("Practitioner", plan.practitioner.public_id, str(plan.practitioner)),
        "addresses": [
            ref("Condition", public_id)
            for public_id in plan.evaluation.diagnoses.values_list("public_id", flat=True)
        ],
        "goal": [ref("Goal", goal.public_id) for goal in goals],
        "activity": activities,
        "note": [{"text": f"Precautions: {plan.precautions}"}] if plan.precautions else [],
    }
    stamps = [plan.updated_at, *(g.updated_at for g in goals)]
    return with_meta(compact(resource), *stamps)
