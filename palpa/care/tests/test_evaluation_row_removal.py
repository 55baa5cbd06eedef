"""Removing a finding from a draft evaluation: the services and the evaluation page.

A draft's rows may be removed (a region tapped by mistake); the audit log keeps what was
removed. Once the evaluation is signed nothing in it is removed, by the services or the
models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.care.evaluations.services import (
    EvaluationLocked,
    FindingInUse,
    add_diagnosis,
    evaluation_content,
    record_rom,
    remove_diagnosis,
    remove_pain_map_entry,
    remove_palpation_finding,
    remove_rom_measurement,
    remove_special_test,
    sign_evaluation,
    start_evaluation,
)
from palpa.care.models import Evaluation, SignedRecordChanged
from palpa.care.plans.services import add_goal, create_plan
from palpa.core.records import content_hash
from palpa.core.tests.support import clinic_today


def _last_audit(actor: User) -> AuditEvent:
    return AuditEvent.objects.filter(actor=actor, object_type="Evaluation").latest("pk")


def test_a_pain_map_entry_is_removed_from_a_draft_and_the_audit_keeps_it(
    therapist: User, evaluation: Evaluation
) -> None:
    entry = evaluation.pain_map.get()
    remove_pain_map_entry(actor=therapist, entry=entry)
    assert not evaluation.pain_map.exists()
    audit = _last_audit(therapist)
    assert audit.action == "update"
    assert audit.detail["removed_draft_pain"] == {
        "region": "low_back",
        "side": "",
        "intensity": 6,
        "quality": "aching",
        "note": "",
    }


def test_palpation_rom_and_special_tests_are_removed_from_a_draft(
    therapist: User, evaluation: Evaluation
) -> None:
    remove_palpation_finding(actor=therapist, finding=evaluation.palpation.get())
    remove_rom_measurement(actor=therapist, measurement=evaluation.rom_measurements.get())
    remove_special_test(actor=therapist, test=evaluation.special_tests.get())
    assert not evaluation.palpation.exists()
    assert not evaluation.rom_measurements.exists()
    assert not evaluation.special_tests.exists()
    kinds = sorted(
        key
        for event in AuditEvent.objects.filter(actor=therapist, object_type="Evaluation")
        for key in event.detail
        if key.startswith("removed_draft_")
    )
    assert kinds == ["removed_draft_palpation", "removed_draft_rom", "removed_draft_test"]


def test_removing_the_primary_diagnosis_moves_the_next_one_up(
    therapist: User, evaluation: Evaluation
) -> None:
    add_diagnosis(actor=therapist, evaluation=evaluation, code="M62.830")
    primary = evaluation.diagnoses.get(rank=1)
    remove_diagnosis(actor=therapist, diagnosis=primary)
    assert list(evaluation.diagnoses.values_list("code", "rank")) == [("M62.830", 1)]


def test_a_signed_evaluation_refuses_every_removal_with_a_clear_message(
    therapist: User, signed_evaluation: Evaluation
) -> None:
    entry = signed_evaluation.pain_map.get()
    with pytest.raises(EvaluationLocked, match="This evaluation is signed and cannot change"):
        remove_pain_map_entry(actor=therapist, entry=entry)
    with pytest.raises(EvaluationLocked):
        remove_special_test(actor=therapist, test=signed_evaluation.special_tests.get())
    with pytest.raises(EvaluationLocked):
        remove_diagnosis(actor=therapist, diagnosis=signed_evaluation.diagnoses.get())
    assert signed_evaluation.pain_map.count() == 1
    assert signed_evaluation.diagnoses.count() == 1


def test_the_models_refuse_to_delete_a_signed_evaluations_rows(
    signed_evaluation: Evaluation,
) -> None:
    with pytest.raises(SignedRecordChanged):
        signed_evaluation.pain_map.get().delete()
    with pytest.raises(SignedRecordChanged):
        signed_evaluation.rom_measurements.get().delete()
    with pytest.raises(SignedRecordChanged):
        signed_evaluation.diagnoses.get().delete()
    assert signed_evaluation.pain_map.count() == 1


def test_only_the_evaluations_own_practitioner_removes_its_rows(
    other_therapist: User, owner: User, evaluation: Evaluation
) -> None:
    for actor in (other_therapist, owner):
        with pytest.raises(PermissionDenied):
            remove_pain_map_entry(actor=actor, entry=evaluation.pain_map.get())
    assert evaluation.pain_map.count() == 1


def test_a_measurement_used_as_a_goals_baseline_is_not_removed(
    therapist: User, signed_evaluation: Evaluation
) -> None:
    """A ROM measured in a later draft evaluation can become a plan goal's baseline."""
    draft = start_evaluation(
        actor=therapist,
        patient=signed_evaluation.patient,
        location=signed_evaluation.location,
        evaluated_on=clinic_today(),
    )
    measured = record_rom(
        actor=therapist,
        evaluation=draft,
        joint="cervical_spine",
        motion="flexion",
        degrees=35,
        instrument="goniometer",
    )
    plan = create_plan(
        actor=therapist, evaluation=signed_evaluation, frequency_per_week=1, duration_weeks=4
    )
    add_goal(
        actor=therapist,
        plan=plan,
        statement="Look down at my phone without neck pain.",
        measure_kind="rom",
        rom_joint="cervical_spine",
        rom_motion="flexion",
        target_value=45,
        due_on=clinic_today() + dt.timedelta(weeks=4),
    )
    with pytest.raises(FindingInUse, match="baseline of a goal"):
        remove_rom_measurement(actor=therapist, measurement=measured)
    assert draft.rom_measurements.count() == 1


# ---------------------------------------------------------------------------------------
# The page


def _remove_url(evaluation: Evaluation, part: str, row_id: object) -> str:
    return reverse("care:evaluation_remove", args=[evaluation.public_id, part, row_id])


def test_the_draft_page_has_a_full_size_remove_button_beside_each_row(
    therapist: User, evaluation: Evaluation, client_for: Callable[[User], Client]
) -> None:
    page = client_for(therapist).get(reverse("care:evaluation", args=[evaluation.public_id]))
    html = page.content.decode()
    entry = evaluation.pain_map.get()
    assert f'action="{_remove_url(evaluation, "pain", entry.public_id)}"' in html
    # a real button (44px high in the stylesheet), not a text link, with a distinct name
    assert 'class="secondary remove" aria-label="Remove Low back"' in html
    assert html.count('class="secondary remove"') == 5  # pain, palpation, ROM, test, dx


def test_the_therapist_removes_a_tapped_region_on_the_page(
    therapist: User, evaluation: Evaluation, client_for: Callable[[User], Client]
) -> None:
    entry = evaluation.pain_map.get()
    response = client_for(therapist).post(
        _remove_url(evaluation, "pain", entry.public_id), follow=True
    )
    assert "Pain-map entry removed." in response.content.decode()
    assert response.redirect_chain[-1][0].endswith("#pain-h")
    assert not evaluation.pain_map.exists()


def test_a_signed_evaluation_shows_no_remove_buttons_and_refuses_with_a_message(
    therapist: User, signed_evaluation: Evaluation, client_for: Callable[[User], Client]
) -> None:
    client = client_for(therapist)
    url = reverse("care:evaluation", args=[signed_evaluation.public_id])
    assert 'class="secondary remove"' not in client.get(url).content.decode()
    entry = signed_evaluation.pain_map.get()
    response = client.post(_remove_url(signed_evaluation, "pain", entry.public_id), follow=True)
    assert "Not removed: This evaluation is signed and cannot change." in (
        response.content.decode()
    )
    assert signed_evaluation.pain_map.count() == 1


def test_an_unknown_part_or_row_is_not_found(
    therapist: User, evaluation: Evaluation, client_for: Callable[[User], Client]
) -> None:
    client = client_for(therapist)
    entry = evaluation.pain_map.get()
    assert client.post(_remove_url(evaluation, "posture", entry.public_id)).status_code == 404
    assert client.post(_remove_url(evaluation, "palpation", entry.public_id)).status_code == 404
    assert evaluation.pain_map.count() == 1


@pytest.mark.parametrize(
    ("persona", "expected", "left"),
    [
        ("therapist", 302, 0),
        ("other_therapist", 403, 1),
        ("owner", 403, 1),
        ("front_desk", 403, 1),
        ("biller", 403, 1),
        ("outsider", 404, 1),
    ],
)
def test_who_may_remove_a_pain_map_entry_on_the_page(
    request: pytest.FixtureRequest,
    persona: str,
    expected: int,
    left: int,
    evaluation: Evaluation,
    client_for: Callable[[User], Client],
) -> None:
    entry = evaluation.pain_map.get()
    client = client_for(request.getfixturevalue(persona))
    response = client.post(_remove_url(evaluation, "pain", entry.public_id))
    assert response.status_code == expected
    assert evaluation.pain_map.count() == left


def test_anonymous_visitors_are_sent_to_sign_in_before_removing(evaluation: Evaluation) -> None:
    entry = evaluation.pain_map.get()
    response = Client().post(_remove_url(evaluation, "pain", entry.public_id))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert evaluation.pain_map.count() == 1


def test_signing_after_a_removal_hashes_what_is_left(
    therapist: User, evaluation: Evaluation
) -> None:
    remove_special_test(actor=therapist, test=evaluation.special_tests.get())
    signed = sign_evaluation(actor=therapist, evaluation=evaluation)
    assert evaluation_content(signed)["special_tests"] == []
    assert signed.content_hash == content_hash(evaluation_content(signed))
