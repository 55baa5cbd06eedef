"""The referral section of the patient chart: referrals with their countdown and warning.

Shown to the roles that see referrals (owners, therapists, front desk); the owner also
gets the override form. Whoever opens the chart has had the chart read audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.utils import timezone

from palpa.accounts.models import User
from palpa.core.tenancy import same_organization
from palpa.patients.models import Patient
from palpa.referrals import queries, services
from palpa.referrals.countdown import ACTIVE, Countdown
from palpa.referrals.forms import OverrideForm
from palpa.referrals.models import Referral

register = template.Library()


@dataclass(frozen=True)
class Row:
    referral: Referral
    countdown: Countdown


@register.inclusion_tag("referrals/_chart_section.html", takes_context=True)
def referrals_chart(context: template.Context, user: Any, patient: Patient) -> dict[str, Any]:
    shown: dict[str, Any] = {"visible": False}
    if not isinstance(user, User) or not same_organization(user, patient):
        return shown
    if not queries.may_see_referrals(user):
        return shown
    today = timezone.localdate()
    policy = services.policy_for(patient.organization_id, actor=user)
    rows = [
        Row(r, services.countdown(r, today, policy=policy))
        for r in queries.referrals_for(user, patient)
    ]
    current = [row for row in rows if row.countdown.status == ACTIVE]
    past = [row for row in rows if row.countdown.status != ACTIVE]
    latest = rows[0] if rows else None
    shown.update(
        visible=True,
        patient=patient,
        current=current,
        past=past,
        lapsed=latest is not None and not current,
        latest=latest,
        may_edit=queries.may_edit_referrals(user) and patient.status == Patient.Status.ACTIVE,
        may_override=queries.may_override(user) and bool(rows),
        overrides=list(queries.overrides_for(user, patient)[:5]),
        override_form=OverrideForm(prefix="override"),
        csrf_token=context.get("csrf_token"),
        request=context.get("request"),
    )
    return shown
