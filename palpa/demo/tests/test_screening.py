"""The demo clinic screens before it treats, and shows every decision."""

from __future__ import annotations

from palpa.accounts.models import Organization
from palpa.audit.services import verify_chain
from palpa.care.models import TreatmentNote
from palpa.patients.models import Patient
from palpa.screening.models import Clearance, IntakeLink, Screening
from palpa.screening.queries import screening_status


def test_the_demo_has_each_decision_and_every_signed_note_was_screened(demo: Organization) -> None:
    org = demo
    decisions = set(Screening.objects.filter(organization=org).values_list("decision", flat=True))
    assert decisions == {"PROCEED", "MODIFY", "CLEARANCE", "STOP"}

    patients = list(Patient.objects.filter(organization=org).order_by("mrn"))
    for note in TreatmentNote.objects.filter(organization=org, status="signed"):
        status = screening_status(note.patient, on=note.visit_date)
        assert status.sign_refusal == "", (note.patient, note.visit_date, status.sign_refusal)

    cleared = screening_status(patients[7])
    assert cleared.decision == "CLEARANCE"
    assert cleared.cleared
    assert cleared.screening is not None
    assert "blood_pressure_raised" in {f.rule_id for f in cleared.findings}
    assert cleared.screening.rule_set_version == "palpa-default-3"
    assert Clearance.objects.get(organization=org).letter.read().startswith(b"%PDF-")

    waiting = screening_status(patients[18])
    assert waiting.effective_decision == "CLEARANCE"
    assert waiting.screening is not None
    assert waiting.screening.source == "patient_link"
    assert screening_status(patients[19]).emergency
    assert "no massage today" in screening_status(patients[20]).start_refusal
    assert screening_status(patients[21]).effective_decision == "MODIFY"
    assert screening_status(patients[23]).due
    assert screening_status(patients[25]).screening is None
    assert IntakeLink.objects.filter(patient=patients[24], used_at__isnull=True).exists()
    assert verify_chain(org.pk).ok
