"""The result-based care part of the patient chart: evaluations, plans, goals and trends."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import mark_safe

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability
from palpa.care import charts, queries
from palpa.care.models import Evaluation, Goal, Plan
from palpa.care.plans import services as plan_services
from palpa.care.progress import Point
from palpa.care.queries import goal_chart_points
from palpa.patients.chart import note_read
from palpa.patients.models import Patient

register = template.Library()


@register.inclusion_tag("care/_chart_care_body.html", takes_context=True)
def care_chart(context: template.Context, user: Any, patient: Patient) -> dict[str, Any]:
    """Only what the user may see (queries limit it); nothing for non-clinical roles."""
    shown: dict[str, Any] = {"visible": False, "patient": patient, "can": context.get("can")}
    if not isinstance(user, User) or not has_capability(user, Capability.CLINICAL_READ):
        return shown
    evaluations = list(
        queries.evaluations_for(user)
        .filter(patient=patient)
        .exclude(status=Evaluation.Status.ENTERED_IN_ERROR)
    )
    # Read once per chart request: the reports section uses the same rows.
    plans = [
        p for p in queries.chart_plans(user, patient) if p.status != Plan.Status.ENTERED_IN_ERROR
    ]
    current = next((p for p in plans if p.status == Plan.Status.ACTIVE), None)
    current = current or next((p for p in plans if p.status == Plan.Status.DRAFT), None)
    current = current or next((p for p in plans if p.status == Plan.Status.COMPLETED), None)
    progress = None
    if current is not None:
        # The chart view's one audit entry records this read of the plan and its progress.
        progress = plan_services.plan_progress(
            actor=user,
            plan=current,
            signed_visits=queries.chart_signed_visits(patient, current),
            record_read=False,
        )
        note_read(
            patient,
            plan=str(current.public_id),
            version=current.version,
            **plan_services.progress_read_detail(progress.goals, progress.non_responder),
        )
    shown.update(
        visible=True,
        evaluations=evaluations,
        plans=plans,
        current=current,
        progress=progress,
    )
    return shown


@register.inclusion_tag("care/_chart_notes.html")
def chart_notes(user: Any, patient: Patient) -> dict[str, Any]:
    """The patient's treatment notes on the chart, for staff who may see clinical notes
    (the chart view has recorded the read). The chart (patients) is below care, so care
    fills in this part."""
    if not isinstance(user, User) or not has_capability(user, Capability.CLINICAL_READ):
        return {"notes": []}
    return {"notes": list(queries.patient_notes(user, patient))}


@register.inclusion_tag("care/_chart_visits.html", takes_context=True)
def visits_to_document(context: template.Context, user: Any, patient: Patient) -> dict[str, Any]:
    """Today's booked or arrived appointments of the patient that no note documents yet,
    each with a link that starts its treatment note (clinical staff who write notes)."""
    shown: dict[str, Any] = {"visits": [], "patient": patient}
    if not isinstance(user, User) or not has_capability(user, Capability.CLINICAL_AUTHOR):
        return shown
    shown["visits"] = queries.visits_to_document(user, patient)
    return shown


@register.simple_tag
def trend_svg(goal: Goal, series: dict[int, list[Point]] | None = None) -> str:
    """The goal's trend chart, inline: the page that shows it has audited the plan's read.
    ``series`` is the plan progress's measurements by goal, so they are not read again."""
    chart = goal_chart_points(goal, (series or {}).get(goal.pk))
    return mark_safe(  # noqa: S308 - Palpa's own SVG (escaped text), cleaned by inline_svg
        charts.inline_svg(charts.render_svg(chart), f"Trend of {goal.measure_label}")
    )
