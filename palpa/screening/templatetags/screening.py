"""Screening on other apps' pages: the chart's banner and section, and the note's panel.

What each role sees is decided here, in Python: clinical roles the decision with its
restrictions and instruction; front desk only whether the patient may be treated and
what must happen next; billers nothing.
"""

from __future__ import annotations

from typing import Any

from django import template

from palpa.accounts.models import User
from palpa.core.tenancy import same_organization
from palpa.patients.models import Patient
from palpa.screening import queries

register = template.Library()

ACTION_WORDS = {
    "screen": "No health screening yet: send the patient an intake link before the visit.",
    "rescreen": "The health screening is out of date: send the patient a new intake link.",
    "emergency": "Emergency: a therapist must see this patient's screening now.",
    "stop": "Treatment is stopped until a therapist has reviewed the screening.",
    "clearance": "A physician's clearance is needed before treatment.",
    "confirm_at_visit": "Screened: the therapist checks for changes at the visit.",
    "none": "Screened: treatment may go ahead.",
}


def _user(context: template.Context) -> User | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if isinstance(user, User) and user.is_authenticated else None


def _status_once_per_request(context: template.Context, patient: Patient) -> Any:
    """The patient's screening status, worked out once per request: the chart shows it in
    its banner and again in its section."""
    request = context.get("request")
    memo: dict[int, Any] | None = getattr(request, "_palpa_screening_status", None)
    if memo is None:
        memo = {}
        if request is not None:
            request._palpa_screening_status = memo
    if patient.pk not in memo:
        memo[patient.pk] = queries.screening_status(patient, actor=_user(context))
    return memo[patient.pk]


def _chart(context: template.Context, patient: Patient) -> dict[str, Any]:
    user = _user(context)
    if user is None or not same_organization(user, patient):
        return {"show_flag": False, "show_details": False}
    details = queries.may_see_details(user)
    flag = queries.may_see_flag(user) or details
    if not flag:
        return {"show_flag": False, "show_details": False}
    status = _status_once_per_request(context, patient)
    return {
        "show_flag": True,
        "show_details": details,
        "may_link": queries.may_send_intake(user),
        "status": status,
        "patient": patient,
        "action_words": ACTION_WORDS[status.action],
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


@register.inclusion_tag("screening/_chart_banner.html", takes_context=True)
def screening_chart_banner(context: template.Context, patient: Patient) -> dict[str, Any]:
    return _chart(context, patient)


@register.inclusion_tag("screening/_chart_section.html", takes_context=True)
def screening_chart_section(context: template.Context, patient: Patient) -> dict[str, Any]:
    return _chart(context, patient)


@register.inclusion_tag("screening/_note_panel.html", takes_context=True)
def screening_note_panel(context: template.Context, note: Any) -> dict[str, Any]:
    """The screening for a treatment note's visit: restrictions and what blocks signing."""
    user = _user(context)
    if user is None or not queries.may_see_details(user):
        return {"show": False}
    status = queries.screening_status(note.patient, on=note.visit_date)
    draft = note.status == "draft"
    return {
        "show": True,
        "status": status,
        "note": note,
        "draft": draft,
        "may_confirm": (
            queries.may_edit(user)
            and status.screening is not None
            and not status.due
            and not status.confirmed_for_visit
        ),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
