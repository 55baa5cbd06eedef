"""The patient's intake page (/intake/<token>/): no sign-in, works without JavaScript, every
input labelled; a stale or guessed link gets one plain page that reveals nothing; requests
are rate-limited per client address."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.screening.models import IntakeLink, Screening
from palpa.screening.services import create_intake_link, record_screening


@pytest.fixture
def token(front_desk: User, patient: Patient) -> str:
    _link, token = create_intake_link(actor=front_desk, patient=patient)
    return token


def url(token: str) -> str:
    return f"/intake/{token}/"


class Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []
        self.labels: set[str] = set()
        self.scripts: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in ("input", "select", "textarea") and values.get("type") != "hidden":
            self.inputs.append(values)
        if tag == "label" and values.get("for"):
            self.labels.add(values["for"])
        if tag == "script":
            self.scripts.append(values)


WARFARIN_AND_CLOT = {
    "blood_thinner": "on",
    "blood_thinner_name": "warfarin",
    "clot": "past",
    "clot_where": "left_lower_limb",
}


def test_the_page_asks_plain_questions_with_every_input_labelled(
    token: str, patient: Patient
) -> None:
    response = Client().get(url(token))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Health questions before your massage" in body
    assert "Bayside Medical Massage" in body
    assert patient.given_name not in body
    assert patient.family_name not in body
    assert "Numbness or tingling around your bottom, genitals or inner thighs" in body
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"  # the token never leaves the site
    assert "Step 1 of 5" in body
    inputs = 0
    for step in range(1, 6):  # every step's questions
        parser = Inputs()
        parser.feed(Client().get(f"{url(token)}?step={step}").content.decode())
        inputs += len(parser.inputs)
        unlabelled = [i.get("name") for i in parser.inputs if i.get("id") not in parser.labels]
        assert unlabelled == []
        assert all(s.get("src") for s in parser.scripts)  # no inline script (CSP)
    assert inputs > 150
    assert '<form method="post"' in body  # a plain form: no script needed


def test_the_patients_answers_are_screened_and_the_link_then_refuses(
    token: str, patient: Patient
) -> None:
    client = Client()
    two_months_ago = (clinic_today() - dt.timedelta(days=60)).isoformat()
    response = client.post(url(token), {**WARFARIN_AND_CLOT, "clot_when": two_months_ago})
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    screening = Screening.objects.get(patient=patient)
    assert screening.decision == "CLEARANCE"
    assert screening.questionnaire_version == "palpa-intake-2"
    assert screening.source == "patient_link"
    again = client.get(url(token))
    assert again.status_code == 404
    assert "This link cannot be used" in again.content.decode()
    assert client.post(url(token), WARFARIN_AND_CLOT).status_code == 404
    assert Screening.objects.count() == 1


def test_a_missing_answer_is_shown_at_its_question_and_the_link_still_works(
    token: str,
) -> None:
    response = Client().post(url(token), WARFARIN_AND_CLOT)  # no date for the clot
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tell us roughly when the clot was found." in body
    assert 'value="warfarin"' in body  # what was typed is kept
    assert not Screening.objects.exists()
    assert IntakeLink.objects.get().used_at is None


def _plain(body: bytes) -> str:
    """The page without the per-response CSRF token."""
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", body.decode())


def test_unknown_used_and_replaced_links_get_the_same_page_revealing_nothing(
    front_desk: User, patient: Patient, token: str
) -> None:
    client = Client()
    unknown = client.get(url("x" * 43))
    _link, used = create_intake_link(actor=front_desk, patient=patient)  # replaces `token`
    two_months_ago = (clinic_today() - dt.timedelta(days=60)).isoformat()
    client.post(url(used), {**WARFARIN_AND_CLOT, "clot_when": two_months_ago})
    pages = [unknown, client.get(url(used)), client.get(url(token))]
    assert {p.status_code for p in pages} == {404}
    assert len({_plain(p.content) for p in pages}) == 1
    for page in pages:
        body = page.content.decode()
        assert patient.family_name not in body
        assert "Bayside" not in body


def test_an_expired_link_gets_the_same_page(token: str) -> None:
    fresh = Client().get(url("y" * 43))
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        stale = Client().get(url(token))
    assert stale.status_code == 404
    assert _plain(stale.content) == _plain(fresh.content)


def test_guesses_from_one_address_are_refused_but_a_real_link_still_opens(
    token: str, settings: Any
) -> None:
    """Patients behind one address (a waiting-room tablet) are not slowed down by each
    other or by someone guessing: an unknown token counts against the address, a real
    link on its own."""
    settings.PALPA_INTAKE_RATE_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert [client.get(url("z" * 43)).status_code for _ in range(4)] == [404, 404, 404, 429]
    refused = client.get(url("y" * 43))
    assert refused.status_code == 429
    assert "too many tries" in refused.content.decode()
    assert [client.get(url(token)).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert Client(REMOTE_ADDR="198.51.100.7").get(url(token)).status_code == 429  # the link's


def test_a_surgery_without_a_site_or_a_blood_thinner_without_a_name_is_asked_for(
    token: str,
) -> None:
    """Nothing is invented: the page asks for the missing detail and saves nothing."""
    response = Client().post(
        url(token), {"surgery_when": "2026-02-20", "blood_thinner": "on", "neck_pain": "on"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tick where the operation was." in body
    assert "Write the name of your blood thinner" in body
    assert 'value="2026-02-20"' in body  # what was given is kept
    assert not Screening.objects.exists()
    assert IntakeLink.objects.get().used_at is None


def test_a_re_screen_starts_from_the_previous_answers(
    front_desk: User, owner: User, patient: Patient
) -> None:
    record_screening(
        actor=owner,
        patient=patient,
        facts={
            "medications": [{"name": "apixaban", "kind": "anticoagulant"}],
            "surgeries": [{"region": "abdomen", "date": "2026-02-20"}],
        },
    )
    _, again = create_intake_link(actor=front_desk, patient=patient)
    body = Client().get(url(again)).content.decode()
    assert "We have filled in your answers from last time" in body
    medicines = Client().get(f"{url(again)}?step=2").content.decode()
    assert 'value="apixaban"' in medicines
    assert "from last time" in medicines
    operations = Client().get(f"{url(again)}?step=4").content.decode()
    assert 'value="2026-02-20"' in operations
    assert AuditEvent.objects.filter(
        actor_label="patient (intake link)", detail__view="previous answers for a re-screen"
    ).exists()


def test_a_first_intake_starts_empty(token: str) -> None:
    body = Client().get(url(token)).content.decode()
    assert "from last time" not in body


def _step(client: Client, token: str, step: int, go: str = "next", **answers: Any) -> Any:
    return client.post(url(token), {"step": str(step), "go": go, **answers})


def test_each_step_is_saved_so_the_patient_can_come_back_with_the_same_link(
    token: str, patient: Patient
) -> None:
    phone = Client()
    first = _step(phone, token, 1, neck_pain="on", neck_flags="dizziness")
    assert first.status_code == 302
    assert first["Location"] == f"{url(token)}?step=2"
    assert "no-store" in first["Cache-Control"]
    two_months_ago = (clinic_today() - dt.timedelta(days=60)).isoformat()
    assert _step(phone, token, 2, **WARFARIN_AND_CLOT, clot_when=two_months_ago).status_code == 302
    assert not Screening.objects.exists()
    # The patient closes the page; later, on another device, the link opens where they were.
    later = Client().get(url(token)).content.decode()
    assert "Step 3 of 5" in later
    back = Client().get(f"{url(token)}?step=2").content.decode()
    assert 'value="warfarin"' in back
    assert 'data-follows="clot" id="id_clot_where_0" checked' in back
    saves = AuditEvent.objects.filter(
        actor_label="patient (intake link)", detail__has_key="answers saved"
    )
    assert saves.count() == 2
    assert {e.patient_id for e in saves} == {str(patient.public_id)}
    # The last steps, then "Send my answers": every step's answers are screened together.
    for step in (3, 4):
        assert _step(phone, token, step).status_code == 302
    sent = _step(phone, token, 5, go="send")
    assert "Thank you" in sent.content.decode()
    screening = Screening.objects.get(patient=patient)
    assert screening.facts["red_flags"]["neck"]["dizziness"] is True  # from step 1
    assert "dvt_known" in {f["rule_id"] for f in screening.result["findings"]}  # step 2
    assert screening.facts["medications"][0]["name"] == "warfarin"
    link = IntakeLink.objects.get()
    assert link.used_at is not None
    assert link.draft == {}  # nothing kept beside the screening


def test_a_step_with_a_missing_detail_stays_with_the_message_and_what_was_typed(
    token: str,
) -> None:
    response = _step(Client(), token, 2, blood_thinner="on", other_medicines="vitamin D")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Step 2 of 5" in body
    assert "Write the name of your blood thinner" in body
    assert "vitamin D" in body
    # Saved all the same: the patient does not retype it after coming back.
    assert "vitamin D" in Client().get(url(token)).content.decode()
    assert IntakeLink.objects.get().draft["step"] == 2


def test_back_keeps_the_answers_without_judging_them_and_send_returns_to_a_step_with_an_error(
    token: str,
) -> None:
    phone = Client()
    assert _step(phone, token, 1).status_code == 302
    back = _step(phone, token, 2, go="back", clot="past", clot_where="left_lower_limb")
    assert back["Location"] == f"{url(token)}?step=1"  # no date for the clot: not judged yet
    sent = _step(phone, token, 5, go="send")
    body = sent.content.decode()
    assert "Step 2 of 5" in body
    assert "Tell us roughly when the clot was found." in body
    assert not Screening.objects.exists()


def test_a_follow_up_question_says_which_answer_it_follows(token: str) -> None:
    body = Client().get(f"{url(token)}?step=2").content.decode()
    assert 'name="blood_thinner_name"' in body
    assert 'data-follows="blood_thinner"' in body
    assert 'data-follows="clot"' in body
    places = Client().get(f"{url(token)}?step=3").content.decode()
    assert '<details class="fold">' in places  # the place questions are folded until opened


def test_a_new_link_discards_the_unsent_answers_of_the_old_one(
    token: str, front_desk: User, patient: Patient
) -> None:
    _step(Client(), token, 2, blood_thinner="on", blood_thinner_name="warfarin")
    assert IntakeLink.objects.get().draft["data"]["blood_thinner_name"] == ["warfarin"]
    create_intake_link(actor=front_desk, patient=patient)
    old = IntakeLink.objects.order_by("created_at").first()
    assert old is not None
    assert old.draft == {}
    assert _step(Client(), token, 3).status_code == 404
