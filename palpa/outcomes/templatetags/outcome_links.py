"""The patient's instrument links on the chart: clinical roles only (queries limit it)."""

from __future__ import annotations

from typing import Any

from django import template

from palpa.accounts.models import User
from palpa.core.tenancy import same_organization
from palpa.outcomes import queries
from palpa.patients.models import Patient

register = template.Library()

SHOWN = 5


@register.inclusion_tag("outcomes/_chart_links_body.html", takes_context=True)
def instrument_links_chart(
    context: template.Context, user: Any, patient: Patient
) -> dict[str, Any]:
    """The newest links with their state; the chart's own read is already audited."""
    shown: dict[str, Any] = {"visible": False, "patient": patient}
    if not isinstance(user, User) or not same_organization(user, patient):
        return shown
    if not queries.may_see_links(user):
        return shown
    shown.update(
        visible=True,
        links=list(queries.patient_instrument_links(user, patient)[:SHOWN]),
        may_revoke=queries.may_send_links(user) and patient.status == Patient.Status.ACTIVE,
        csrf_token=context.get("csrf_token"),
        request=context.get("request"),
    )
    return shown
