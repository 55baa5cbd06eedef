"""The patient chart's "Messages" section: what was sent to the patient, when (in the
clinic's time zone), how, and whether it arrived, with a Resend button. It is part of
the chart, whose opening is audited once (a read of the patient, "chart").

Messages a higher app keeps in its own table (scheduling's appointment reminders, sent
at most once each) join the list through ``register_source``: a function of the staff
member and the patient returning rows shaped like ``messages.describe`` (with
``resendable`` false), newest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability
from palpa.patients import messages, queries
from palpa.patients.chart import Section
from palpa.patients.models import Patient

SHOWN = 20

Source = Callable[[User, Patient, int], Sequence[Mapping[str, Any]]]
_SOURCES: dict[str, Source] = {}


def register_source(name: str, source: Source) -> None:
    """Add rows kept by a higher app (once by name). ``source(user, patient, limit)``
    returns at most ``limit`` rows, newest first."""
    _SOURCES[name] = source


def _when(row: Mapping[str, Any]) -> dt.datetime:
    moment = row.get("sent_at") or row["created_at"]
    assert isinstance(moment, dt.datetime)
    return moment


def section(user: User, patient: Patient) -> Mapping[str, object] | None:
    if not has_capability(user, Capability.PATIENT_MESSAGES):
        return None
    found = list(queries.messages_for(user, patient=patient)[: SHOWN + 1])
    rows: list[Mapping[str, Any]] = [{**messages.describe(m), "resendable": True} for m in found]
    for source in _SOURCES.values():
        rows.extend(source(user, patient, SHOWN + 1))
    rows.sort(key=_when, reverse=True)
    return {
        "patient": patient,
        "rows": rows[:SHOWN],
        "more": len(rows) > SHOWN,
        "may_resend": patient.status == Patient.Status.ACTIVE,
        "zone": patient.time_zone,
    }


SECTION = Section(
    name="messages",
    order=90,
    template="patients/_chart_messages.html",
    context=section,
)
