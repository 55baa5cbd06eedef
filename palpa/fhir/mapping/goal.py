"""Goal <- care.Goal of a signed plan of care: a predetermined result with its measure,
target and due date; achievementStatus from Palpa's computed goal status."""

from __future__ import annotations

from palpa.care import progress
from palpa.care.models import Goal, Plan
from palpa.care.plans.services import goal_progress as care_goal_progress
from palpa.care.plans.services import pure_goal
from palpa.fhir.mapping.common import (
    GOAL_ACHIEVEMENT,
    GOAL_MEASURE,
    GOAL_PRIORITY,
    GOAL_STATUS,
    JSON,
    ROM_MOTION,
    UCUM,
    Context,
    coding,
    compact,
    concept,
    ref,
    with_meta,
)
from palpa.fhir.mapping.observation import instrument_codings

LIFECYCLE: dict[str, str] = {
    Plan.Status.ACTIVE: "active",
    Plan.Status.COMPLETED: "completed",
    Plan.Status.SUPERSEDED: "cancelled",
    Plan.Status.ENTERED_IN_ERROR: "entered-in-error",
}


def lifecycle_status(plan_status: str) -> str:
    return LIFECYCLE.get(plan_status, "proposed")


def achievement(result: progress.GoalProgress) -> tuple[str, str]:
    """Palpa's goal status as a FHIR goal-achievement code and its display."""
    if result.status == "achieved":
        return "achieved", "Achieved"
    if result.status == "not_achieved":
        return "not-achieved", "Not Achieved"
    if result.measurements == 0:
        return "in-progress", "In Progress"
    # Only a change beyond measurement error is improving or worsening.
    if result.detected == "worse":
        return "worsening", "Worsening"
    if result.detected == "better":
        return "improving", "Improving"
    return "no-change", "No Change"


def goal_progress(goal: Goal, ctx: Context) -> progress.GoalProgress:
    """Where the goal stands: today, or on the discharge date of a completed plan."""
    plan = goal.plan
    on = ctx.today
    discharge = getattr(plan, "discharge", None) if plan.status == Plan.Status.COMPLETED else None
    if discharge is not None:
        on = discharge.discharged_on
    return care_goal_progress(goal, on)


def _measure(goal: Goal) -> tuple[JSON, str]:
    if goal.measure_kind == Goal.Measure.ROM:
        motion = f"{goal.rom_joint}.{goal.rom_motion}"
        return concept([coding(ROM_MOTION, motion)], goal.measure_label), "deg"
    if goal.measure_kind == Goal.Measure.PSFS_ACTIVITY:
        codings, _ = instrument_codings("PSFS")
        codings.append(coding(GOAL_MEASURE, "psfs-activity", "PSFS activity rating"))
        return concept(codings, goal.measure_label), "points"
    codings, name = instrument_codings(goal.instrument)
    return concept(codings, name), "points"


def to_fhir(goal: Goal, ctx: Context) -> JSON:
    plan = goal.plan
    patient = plan.patient
    measure, unit = _measure(goal)
    result = goal_progress(goal, ctx)
    pure = pure_goal(goal)
    higher_is_better = pure.higher_is_better
    quantity: JSON = {
        "value": int(goal.target_value)
        if float(goal.target_value).is_integer()
        else round(goal.target_value, 2),
        "comparator": ">=" if higher_is_better else "<=",
        "unit": unit,
    }
    if unit == "deg":
        quantity.update({"system": UCUM, "code": "deg"})
    code, display = achievement(result)
    notes = [f"Baseline {goal.baseline_value:g} on {goal.baseline_on.isoformat()}."]
    if goal.target_basis:
        notes.append(f"Target: {goal.target_basis}")
    notes.append(f"Status today: {result.status_label}. {result.reason}")
    if result.meaningful is not None:
        decided = f", decided by the {result.decided_by_label}" if result.decided_by else ""
        notes.append(
            f"Clinically meaningful change: {'yes' if result.meaningful else 'no'}{decided}."
        )
    resource: JSON = {
        "resourceType": "Goal",
        "id": str(goal.public_id),
        "lifecycleStatus": lifecycle_status(plan.status),
        "achievementStatus": concept(
            [
                coding(GOAL_ACHIEVEMENT, code, display),
                coding(GOAL_STATUS, result.status, progress.STATUS_LABELS[result.status]),
            ],
            progress.STATUS_LABELS[result.status],
        ),
        "priority": concept([coding(GOAL_PRIORITY, "high-priority", "High Priority")])
        if goal.is_primary
        else None,
        "description": {"text": goal.statement},
        "subject": ref("Patient", patient.public_id, patient.full_name),
        "startDate": goal.baseline_on.isoformat(),
        "target": [
            {"measure": measure, "detailQuantity": quantity, "dueDate": goal.due_on.isoformat()}
        ],
        "statusDate": result.latest_on.isoformat(),
        "expressedBy": ref("Practitioner", plan.practitioner.public_id, str(plan.practitioner)),
        "addresses": [
            ref("Condition", public_id)
            for public_id in plan.evaluation.diagnoses.values_list("public_id", flat=True)
        ],
        "note": [{"text": " ".join(notes)}],
    }
    if plan.status == Plan.Status.SUPERSEDED:
        resource["statusReason"] = "Replaced by a newer version of the plan of care."
    return with_meta(compact(resource), goal.updated_at, plan.updated_at)
