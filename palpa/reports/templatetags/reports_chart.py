"""The patient's reports on the chart, with "progress report due": clinical roles only."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability
from palpa.care import queries as care_queries
from palpa.care.models import Plan
from palpa.core.tenancy import same_organization
from palpa.patients.models import Patient
from palpa.reports import queries, rules

register = template.Library()

SHOWN = 10


@register.inclusion_tag("reports/_chart_reports_body.html", takes_context=True)
def reports_chart(context: template.Context, user: Any, patient: Patient) -> dict[str, Any]:
    """Newest reports with their delivery status (the chart's read is audited already)."""
    shown: dict[str, Any] = {"visible": False, "patient": patient}
    if not isinstance(user, User) or not same_organization(user, patient):
        return shown
    if not queries.may_see_reports(user):
        return shown
    # The care section's plans and signed notes, read once for the chart request.
    plans = care_queries.chart_plans(user, patient)
    active = next((p for p in plans if p.status == Plan.Status.ACTIVE), None)
    shown_fields = ("public_id", "kind", "period_end", "version", "status", "created_at")
    listed = (
        queries.patient_reports(user, patient)
        .exclude(status="entered-in-error")
        .select_related(None)
        .only(*shown_fields)
    )
    if active is not None:
        # The active plan's last signed report, for "progress report due", with the list:
        # a signed report is one of the patient's, so without a listed report there is none.
        listed = listed.annotate(last_signed_end=queries.last_signed_end(active))
    reports = list(listed[:SHOWN])
    last_end = getattr(reports[0], "last_signed_end", None) if reports else None
    items = []
    for report in reports:
        status = queries.delivery_status(report)
        items.append({"report": report, "status": status, "label": rules.DELIVERY_LABELS[status]})
    shown.update(
        visible=True,
        reports=items,
        due=queries.progress_report_due(
            user,
            patient,
            timezone.localdate(),
            plans=plans,
            signed_visits=lambda plan: care_queries.chart_signed_visits(patient, plan),
            last_end=last_end,
        ),
        discharged=any(
            p.status == Plan.Status.COMPLETED and p.has_discharge  # type: ignore[attr-defined]
            for p in plans
        ),
        may_write=queries.may_write_reports(user),
        may_policy=has_capability(user, Capability.REPORTS_CONFIGURE),
        csrf_token=context.get("csrf_token"),
        request=context.get("request"),
    )
    return shown
