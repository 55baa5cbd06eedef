"""Staff pages: entering the health history (questions or facts), making an intake link,
and the owner's rules page."""

from __future__ import annotations

import copy
import json

import pytest

from palpa.accounts.models import User
from palpa.core.tests.support import assert_answer, matrix, web_client
from palpa.patients.models import Patient
from palpa.screening.models import IntakeLink, RuleSetVersion, Screening, ScreeningPolicy
from palpa.screening.rules import default_rule_set_document
from palpa.screening.services import find_intake_link

ENTER = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
LINK = {**ENTER, "front_desk": 200}
RULES = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,
    "anonymous": 302,
}


def intake(patient: Patient) -> str:
    return f"/screening/patients/{patient.public_id}/intake/"


@pytest.mark.parametrize(("who", "status"), matrix(ENTER))
def test_who_may_open_the_staff_intake_page(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    assert_answer(web_client(request, who).get(intake(patient)), who, status)


def test_the_therapist_screens_the_patients_answers(
    request: pytest.FixtureRequest, patient: Patient
) -> None:
    response = web_client(request, "therapist").post(
        intake(patient),
        {"mode": "questions", "q-neck_pain": "on", "q-neck_flags": ["trauma"]},
    )
    assert response["Location"] == f"/screening/patients/{patient.public_id}/"
    screening = Screening.objects.get()
    assert screening.decision == "STOP"
    assert screening.facts["red_flags"] == {"neck": {"trauma": True}}
    assert screening.questionnaire_version == "palpa-intake-2"


def test_the_therapist_screens_facts_and_bad_facts_name_the_field(
    request: pytest.FixtureRequest, patient: Patient
) -> None:
    client = web_client(request, "therapist")
    bad = client.post(intake(patient), {"mode": "facts", "f-facts": '{"bleeding": {"inr": 3}}'})
    assert bad.status_code == 200
    assert "bleeding.inr: unknown fact" in bad.content.decode()
    not_json = client.post(intake(patient), {"mode": "facts", "f-facts": "{oops"})
    assert "Not valid JSON" in not_json.content.decode()
    assert not Screening.objects.exists()
    facts = {"bleeding": {"inr_unstable": True}}
    client.post(intake(patient), {"mode": "facts", "f-facts": json.dumps(facts)})
    assert Screening.objects.get().decision == "CLEARANCE"
    assert Screening.objects.get().questionnaire_version == ""
    again = client.get(intake(patient)).content.decode()
    assert "inr_unstable" in again  # the latest facts are offered for editing


@pytest.mark.parametrize(("who", "status"), matrix(LINK))
def test_who_may_make_an_intake_link_on_the_chart(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).post(
        f"/screening/patients/{patient.public_id}/intake-link/"
    )
    assert_answer(response, who, status)
    if status == 200:
        body = response.content.decode()
        start = body.index('id="intake-url" href="') + len('id="intake-url" href="')
        link_url = body[start : body.index('"', start)]
        token = link_url.rstrip("/").rsplit("/", 1)[-1]
        assert find_intake_link(token) == IntakeLink.objects.get()
        assert "<svg" in body  # the QR code
        assert "no-store" in response["Cache-Control"]
    else:
        assert not IntakeLink.objects.exists()


@pytest.mark.parametrize(("who", "status"), matrix(RULES))
def test_who_may_open_the_rules_page(
    request: pytest.FixtureRequest, who: str, status: int, org: object
) -> None:
    assert_answer(web_client(request, who).get("/screening/rules/"), who, status)


def test_the_owner_publishes_a_version_and_sets_the_timings(
    request: pytest.FixtureRequest, owner: User
) -> None:
    client = web_client(request, "owner")
    page = client.get("/screening/rules/").content.decode()
    assert "palpa-default-3" in page
    doc = copy.deepcopy(default_rule_set_document())
    doc["version"] = "bayside-1"
    published = client.post(
        "/screening/rules/",
        {"mode": "rules", "document": json.dumps(doc), "reason": "Our own copy."},
    )
    assert published.status_code == 302
    assert RuleSetVersion.objects.get().version == "bayside-1"
    again = client.post(
        "/screening/rules/",
        {"mode": "rules", "document": json.dumps(doc), "reason": "Again."},
    )
    assert "already used" in again.content.decode()
    client.post("/screening/rules/", {"mode": "policy", "rescreen_days": 60, "intake_link_days": 5})
    assert ScreeningPolicy.objects.get().rescreen_days == 60
