"""The chart's "Home care done" section: what the patient ticked in the portal, per item
of their home-care program, over the last seven days (their clinic's days), for the
therapist to read before the next note. Part of the chart, whose opening is audited."""

from __future__ import annotations

from collections.abc import Mapping

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.patients.chart import Section
from palpa.patients.models import Patient
from palpa.portal import queries, services


def section(user: User, patient: Patient) -> Mapping[str, object] | None:
    if not has_capability(user, Capability.CLINICAL_READ):
        return None
    if patient.organization_id != tenant_id(user):
        return None
    items = services.home_care_items(patient)
    if not items:
        return None
    return {"rows": queries.home_care_rows(patient, items), "days": queries.ADHERENCE_DAYS}


SECTION = Section(
    name="home_care_done",
    order=65,
    template="portal/_chart_home_care.html",
    context=section,
)
