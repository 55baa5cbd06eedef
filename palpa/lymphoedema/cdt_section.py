"""The CDT phase as the chart's Limb volumes section shows it: the phase, its dates, who
switched and why, and for practitioners the "Start phase 1" / "Switch to phase 2" form.
Part of the chart, whose opening is audited (the section notes the phase it showed)."""

from __future__ import annotations

from palpa.accounts.models import User
from palpa.core.dates import local_today
from palpa.lymphoedema.cdt import PHASES, SOURCE, course_for
from palpa.patients.chart import note_read
from palpa.patients.models import Patient


def cdt_context(user: User, patient: Patient, *, can_record: bool) -> dict[str, object] | None:
    course = course_for(user, patient)
    if course is None and not can_record:
        return None
    if course is not None:
        note_read(patient, cdt_phase=course.phase)
    return {
        "course": course,
        "phase": PHASES[course.phase] if course else None,
        "phases": PHASES,
        "source": SOURCE,
        "can_start": can_record and course is None,
        "can_switch": can_record and course is not None and course.phase == 1,
        "today": local_today(patient).isoformat(),
    }
