"""Care's writers now live in topic packages (``care/notes/``, ``care/evaluations/``,
``care/plans/``). This module only re-exports the names the billing and scheduling tests
still import from here, until those apps switch (they are being changed in parallel);
nothing else may import it."""

from palpa.care.evaluations.services import (
    add_diagnosis,
    record_baseline_administration,
    sign_evaluation,
    start_evaluation,
)
from palpa.care.notes.services import (
    add_technique,
    mark_note_entered_in_error,
    sign_note,
    start_note,
)
from palpa.care.plans.services import add_goal, create_plan, sign_plan

__all__ = [
    "add_diagnosis",
    "add_goal",
    "add_technique",
    "create_plan",
    "mark_note_entered_in_error",
    "record_baseline_administration",
    "sign_evaluation",
    "sign_note",
    "sign_plan",
    "start_evaluation",
    "start_note",
]
