"""Restrictions carry through to the plan of care: signing a plan whose techniques break a
restriction in force anywhere is refused, in the same words the treatment note uses (one
check in screening.services). Source of the restriction in these cases: C2 'Anticoagulant
or antiplatelet therapy' (Batavia 2004, consensus) and C2 'Lymphedema' (Földi)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from palpa.accounts.models import User
from palpa.care.models import Plan, TreatmentNote
from palpa.care.notes import services as note_services
from palpa.care.plans import services as plan_services
from palpa.patients.models import Patient
from palpa.screening.services import record_clearance, record_screening
from palpa.screening.tests.support import letter, make_physician


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    """The clearance letter goes to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


WARFARIN = {"medications": [{"name": "warfarin", "kind": "anticoagulant"}]}


def test_deep_tissue_in_a_plan_is_refused_under_no_deep_pressure_in_the_notes_words(
    therapist: User, patient: Patient, plan: Plan, draft: TreatmentNote
) -> None:
    record_screening(actor=therapist, patient=patient, facts=WARFARIN)
    plan_services.update_plan(
        actor=therapist, plan=plan, changes={"techniques": ["swedish", "deep_tissue"]}
    )
    with pytest.raises(ValidationError) as note_refusal:
        note_services.add_technique(
            actor=therapist,
            note=draft,
            technique="deep_tissue",
            region="low_back",
            minutes=10,
            pressure="light",
        )
    with pytest.raises(ValidationError) as plan_refusal:
        plan_services.sign_plan(actor=therapist, plan=plan)
    assert plan_refusal.value.message_dict == {
        "techniques": note_refusal.value.message_dict["technique"]
    }
    (message,) = plan_refusal.value.message_dict["techniques"]
    assert message.endswith(
        "rules out deep pressure anywhere (rule bleeding_risk: Anticoagulant or antiplatelet "
        "therapy, bleeding disorder or low platelets)."
    )
    plan.refresh_from_db()
    assert plan.status == Plan.Status.DRAFT


def test_each_conflicting_technique_is_named_and_a_fitting_plan_is_signed(
    therapist: User, patient: Patient, plan: Plan
) -> None:
    record_screening(actor=therapist, patient=patient, facts=WARFARIN)
    plan_services.update_plan(
        actor=therapist,
        plan=plan,
        changes={"techniques": ["deep_tissue", "tool_assisted", "myofascial_release"]},
    )
    with pytest.raises(ValidationError) as refused:
        plan_services.sign_plan(actor=therapist, plan=plan)
    messages = refused.value.message_dict["techniques"]
    assert [m.split(" rules out ")[1].split(" anywhere")[0] for m in messages] == [
        "deep pressure",
        "massage tools",
    ]
    plan_services.update_plan(actor=therapist, plan=plan, changes={"techniques": ["swedish"]})
    assert plan_services.sign_plan(actor=therapist, plan=plan).status == Plan.Status.ACTIVE


def test_a_restriction_on_one_region_does_not_refuse_a_plan_without_regions(
    therapist: User, patient: Patient, plan: Plan
) -> None:
    record_screening(
        actor=therapist,
        patient=patient,
        facts={"conditions": [{"code": "lymphedema", "regions": ["left_upper_limb"]}]},
    )
    plan_services.update_plan(actor=therapist, plan=plan, changes={"techniques": ["deep_tissue"]})
    assert plan_services.sign_plan(actor=therapist, plan=plan).status == Plan.Status.ACTIVE


def test_lymph_drainage_in_a_plan_is_refused_while_it_is_stopped_and_allowed_once_cleared(
    therapist: User, owner: User, patient: Patient, plan: Plan
) -> None:
    screening = record_screening(
        actor=therapist,
        patient=patient,
        facts={"conditions": [{"code": "oedema_of_unknown_cause", "regions": ["abdomen"]}]},
    )
    plan_services.update_plan(
        actor=therapist, plan=plan, changes={"techniques": ["manual_lymphatic_drainage"]}
    )
    with pytest.raises(ValidationError, match="rules out lymph drainage"):
        plan_services.sign_plan(actor=therapist, plan=plan)
    record_clearance(
        actor=therapist,
        screening=screening,
        physician=make_physician(owner),
        cleared_on=screening.as_of,
        scope="Swelling explained (hypothyroidism); lymph drainage allowed",
        letter=letter(),
    )
    assert plan_services.sign_plan(actor=therapist, plan=plan).status == Plan.Status.ACTIVE
