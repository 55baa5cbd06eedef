"""The care records that pages and API operations act on, for their route gates
(``accounts.gates.Record``): looked up in the caller's organization first (404 for
another's), and for drafts, whose they are.

A draft note, evaluation or plan of care is written and signed by its own practitioner
only. Marking a record entered in error is for its practitioner, or a role holding
``clinical.correct_others``. Addenda, re-assessments, revisions and discharges are open
to every practitioner of the organization (their capability, no author rule).
"""

from __future__ import annotations

from palpa.accounts.gates import Record
from palpa.accounts.permissions import Capability
from palpa.care.models import Evaluation, Plan, TreatmentNote
from palpa.patients.models import Patient

AUTHOR = "practitioner__user_id"
OTHERS = Capability.CLINICAL_CORRECT_OTHERS

PATIENT = Record("patient_id", Patient)
NOTE = Record("note_id", TreatmentNote)
NOTE_DRAFT = Record("note_id", TreatmentNote, AUTHOR, what="the note")
NOTE_IN_ERROR = Record("note_id", TreatmentNote, AUTHOR, OTHERS, what="the note")
EVALUATION = Record("evaluation_id", Evaluation)
EVALUATION_DRAFT = Record("evaluation_id", Evaluation, AUTHOR, what="the evaluation")
EVALUATION_IN_ERROR = Record("evaluation_id", Evaluation, AUTHOR, OTHERS, what="the evaluation")
PLAN = Record("plan_id", Plan)
PLAN_DRAFT = Record("plan_id", Plan, AUTHOR, what="the plan")
# Reading what only the plan's author uses while writing it (the result to expect for a goal).
PLAN_DRAFT_AUTHORING = Record("plan_id", Plan, AUTHOR, what="the plan", reads=True)
PLAN_IN_ERROR = Record("plan_id", Plan, AUTHOR, OTHERS, what="the plan")
