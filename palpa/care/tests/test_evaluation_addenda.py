"""Addenda to a signed evaluation: the service and the evaluation page, per persona."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.care.evaluations.services import (
    EvaluationAddendumRefused,
    add_evaluation_addendum,
    evaluation_content,
)
from palpa.care.models import Evaluation, EvaluationAddendum, SignedRecordChanged
from palpa.core.records import content_hash
from palpa.core.tests.support import clinic_today
from palpa.practitioners.models import License
from palpa.practitioners.services import LicenseError

CORRECTION = "Correction: the Slump test was done on the left side only."


def test_an_addendum_keeps_the_signed_evaluation_its_text_and_its_hash(
    therapist: User, signed_evaluation: Evaluation
) -> None:
    signed_hash = signed_evaluation.content_hash
    complaint = signed_evaluation.chief_complaint

    addendum = add_evaluation_addendum(
        actor=therapist, evaluation=signed_evaluation, text=f"  {CORRECTION}  "
    )

    stored = Evaluation.objects.get(pk=signed_evaluation.pk)
    assert stored.status == "signed"
    assert stored.chief_complaint == complaint
    assert stored.content_hash == signed_hash
    assert content_hash(evaluation_content(stored)) == signed_hash
    assert addendum.text == CORRECTION
    assert addendum.signed_by == therapist
    assert len(addendum.content_hash) == 64
    assert addendum.content_hash != signed_hash
    assert list(stored.addenda.values_list("text", flat=True)) == [CORRECTION]


def test_the_addendum_is_audited_on_the_evaluation(
    therapist: User, signed_evaluation: Evaluation
) -> None:
    addendum = add_evaluation_addendum(
        actor=therapist, evaluation=signed_evaluation, text=CORRECTION
    )
    entry = AuditEvent.objects.filter(
        actor=therapist, action="create", object_type="Evaluation"
    ).latest("pk")
    assert entry.detail["addendum"] == str(addendum.public_id)
    assert entry.patient_id == str(signed_evaluation.patient.public_id)


def test_an_addendum_never_changes_once_signed(
    therapist: User, signed_evaluation: Evaluation
) -> None:
    addendum = add_evaluation_addendum(
        actor=therapist, evaluation=signed_evaluation, text=CORRECTION
    )
    addendum.text = "Something else."
    with pytest.raises(SignedRecordChanged):
        addendum.save()
    assert EvaluationAddendum.objects.get(pk=addendum.pk).text == CORRECTION


def test_a_draft_takes_no_addendum_it_is_edited_instead(
    therapist: User, evaluation: Evaluation
) -> None:
    with pytest.raises(EvaluationAddendumRefused, match="edit the draft itself"):
        add_evaluation_addendum(actor=therapist, evaluation=evaluation, text=CORRECTION)
    assert not EvaluationAddendum.objects.exists()


def test_an_empty_addendum_is_refused_naming_the_text(
    therapist: User, signed_evaluation: Evaluation
) -> None:
    with pytest.raises(ValidationError) as caught:
        add_evaluation_addendum(actor=therapist, evaluation=signed_evaluation, text="   ")
    assert caught.value.message_dict == {"text": ["Write the correction or addition."]}


def test_an_addendum_needs_a_current_license_today(
    therapist: User, signed_evaluation: Evaluation
) -> None:
    License.objects.filter(practitioner__user=therapist).update(
        expires_on=clinic_today() - dt.timedelta(days=1)
    )
    with pytest.raises(LicenseError):
        add_evaluation_addendum(actor=therapist, evaluation=signed_evaluation, text=CORRECTION)
    assert not EvaluationAddendum.objects.exists()


def test_a_colleague_may_add_an_addendum_but_an_owner_who_is_not_a_practitioner_may_not(
    other_therapist: User, owner: User, signed_evaluation: Evaluation
) -> None:
    add_evaluation_addendum(actor=other_therapist, evaluation=signed_evaluation, text=CORRECTION)
    with pytest.raises(PermissionDenied):
        add_evaluation_addendum(actor=owner, evaluation=signed_evaluation, text=CORRECTION)
    assert EvaluationAddendum.objects.count() == 1


# ---------------------------------------------------------------------------------------
# The page


def _post(client: Client, evaluation: Evaluation, text: str = CORRECTION) -> object:
    return client.post(
        reverse("care:evaluation_addendum_add", args=[evaluation.public_id]),
        {"addendum-text": text},
    )


def test_the_signed_evaluation_page_offers_the_addendum_and_lists_it(
    therapist: User, signed_evaluation: Evaluation, client_for: Callable[[User], Client]
) -> None:
    client = client_for(therapist)
    url = reverse("care:evaluation", args=[signed_evaluation.public_id])
    assert "Sign addendum" in client.get(url).content.decode()
    response = client.post(
        reverse("care:evaluation_addendum_add", args=[signed_evaluation.public_id]),
        {"addendum-text": CORRECTION},
        follow=True,
    )
    page = response.content.decode()
    assert "Addendum signed." in page
    assert CORRECTION in page
    assert signed_evaluation.chief_complaint in page


def test_an_empty_addendum_is_shown_next_to_its_field_on_the_page(
    therapist: User, signed_evaluation: Evaluation, client_for: Callable[[User], Client]
) -> None:
    response = client_for(therapist).post(
        reverse("care:evaluation_addendum_add", args=[signed_evaluation.public_id]),
        {"addendum-text": ""},
    )
    assert response.status_code == 200
    assert 'id="id_addendum-text_error"' in response.content.decode()
    assert not EvaluationAddendum.objects.exists()


def test_a_draft_evaluation_page_has_no_addendum_form(
    therapist: User, evaluation: Evaluation, client_for: Callable[[User], Client]
) -> None:
    page = client_for(therapist).get(reverse("care:evaluation", args=[evaluation.public_id]))
    assert "Sign addendum" not in page.content.decode()


@pytest.mark.parametrize(
    ("persona", "expected", "added"),
    [
        ("therapist", 302, 1),
        ("other_therapist", 302, 1),
        ("owner", 403, 0),
        ("front_desk", 403, 0),
        ("biller", 403, 0),
        ("outsider", 404, 0),
    ],
)
def test_who_may_sign_an_addendum_on_the_page(
    request: pytest.FixtureRequest,
    persona: str,
    expected: int,
    added: int,
    signed_evaluation: Evaluation,
    client_for: Callable[[User], Client],
) -> None:
    response = _post(client_for(request.getfixturevalue(persona)), signed_evaluation)
    assert response.status_code == expected  # type: ignore[attr-defined]
    assert EvaluationAddendum.objects.count() == added


def test_anonymous_visitors_are_sent_to_sign_in_before_an_addendum(
    signed_evaluation: Evaluation,
) -> None:
    response = Client().post(
        reverse("care:evaluation_addendum_add", args=[signed_evaluation.public_id]),
        {"addendum-text": CORRECTION},
    )
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not EvaluationAddendum.objects.exists()
