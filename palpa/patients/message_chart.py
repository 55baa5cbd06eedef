"""The patient chart's "Messages" section: what was sent to the patient, when (in the
clinic's time zone), how, and whether it arrived, with a Resend button. It is part of
the chart, whose opening is audited once (a read of the patient, "chart")."""

from __future__ import annotations

from collections.abc import Mapping

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability
from palpa.patients import messages, queries
from palpa.patients.chart import Section
from palpa.patients.models import Patient

SHOWN = 20


def section(user: User, patient: Patient) -> Mapping[str, object] | None:
    if not has_capability(user, Capability.PATIENT_MESSAGES):
        return None
    found = list(queries.messages_for(user, patient=patient)[: SHOWN + 1])
    return {
        "patient": patient,
        "rows": [messages.describe(m) for m in found[:SHOWN]],
        "more": len(found) > SHOWN,
        "may_resend": patient.status == Patient.Status.ACTIVE,
        "zone": patient.time_zone,
    }


SECTION = Section(
    name="messages",
    order=90,
    template="patients/_chart_messages.html",
    context=section,
)
