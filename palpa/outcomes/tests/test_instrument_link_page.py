"""The patient's instrument page (/before-visit/<token>/): no sign-in, a plain form with every
input labelled; bad answers come back named; a used, expired, revoked or guessed link gets
one plain page that reveals nothing; requests are rate-limited per client address."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.test import Client

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import NOW, frozen_clock
from palpa.outcomes.models import InstrumentAdministration, InstrumentLink
from palpa.outcomes.services import administer_instrument, create_instrument_link
from palpa.patients.models import Patient

_clock = pytest.fixture(autouse=True)(frozen_clock)


@pytest.fixture
def token(therapist: User, patient: Patient) -> str:
    _link, token = create_instrument_link(
        actor=therapist, patient=patient, instruments=["NPRS", "PSFS", "GROC"]
    )
    return token


def url(token: str) -> str:
    return f"/before-visit/{token}/"


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


def test_the_page_shows_each_instrument_with_every_input_labelled(
    token: str, patient: Patient
) -> None:
    response = Client().get(url(token))
    assert response.status_code == 200
    body = response.content.decode()
    assert "A few questions before your visit" in body
    assert "Bayside Medical Massage" in body
    assert patient.given_name not in body
    assert patient.family_name not in body
    assert "How much pain do you have right now, from 0 to 10?" in body
    assert "0 = No pain; 10 = The worst pain you can imagine" in body
    assert "Compared with when this course of care began, how is your condition now?" in body
    assert "Name the important activities" in body
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    parser = Inputs()
    parser.feed(body)
    # NPRS 11 + GROC 15 options, and 5 PSFS activities (a name and 11 ratings each).
    assert len(parser.inputs) == 11 + 15 + 5 * 12
    unlabelled = [i.get("name") for i in parser.inputs if i.get("id") not in parser.labels]
    assert unlabelled == []
    assert all(s.get("src") for s in parser.scripts)  # no inline script (CSP)
    assert '<form method="post"' in body
    opened = AuditEvent.objects.get(action="read", object_type="InstrumentLink")
    assert opened.actor_label == "patient (instrument link)"


def test_the_answers_are_scored_and_the_link_then_refuses(
    token: str, therapist: User, patient: Patient
) -> None:
    client = Client()
    answers = {"NPRS-1": "6", "GROC-1": "-2", "PSFS-name-1": "Lift my grandson", "PSFS-1": "4"}
    response = client.post(url(token), answers)
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    stored = {a.instrument: a for a in InstrumentAdministration.objects.all()}
    assert stored["NPRS"].score == 6
    assert stored["GROC"].score == -2
    assert stored["PSFS"].item_labels == ["Lift my grandson"]
    assert all(a.source == "patient_link" for a in stored.values())
    again = client.get(url(token))
    assert again.status_code == 404
    assert "This link is no longer valid" in again.content.decode()
    assert client.post(url(token), answers).status_code == 404
    assert InstrumentAdministration.objects.count() == 3


def test_bad_answers_come_back_named_and_nothing_is_saved(token: str) -> None:
    response = Client().post(
        url(token),
        {"NPRS-1": "12", "PSFS-name-2": "Garden", "PSFS-2": "", "GROC-1": "3"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Please check the answers marked below." in body
    assert "Rating 1 answer 12 is out of range 0 to 10." in body
    assert "Activity 2: rate &#x27;Garden&#x27; from 0 to 10, or clear its name." in body
    assert 'value="Garden"' in body  # what was typed is kept
    assert re.search(r'name="GROC-1" value="3" id="[^"]+" checked', body)
    assert not InstrumentAdministration.objects.exists()


def test_the_activities_on_file_are_asked_again(therapist: User, patient: Patient) -> None:
    administer_instrument(
        actor=therapist,
        patient=patient,
        instrument="PSFS",
        answers=[2, 3],
        item_labels=["Check blind spot driving", "Read in bed"],
        administered_on=NOW.date() - dt.timedelta(days=10),
        context="baseline",
    )
    _link, token = create_instrument_link(actor=therapist, patient=patient, instruments=["PSFS"])
    body = Client().get(url(token)).content.decode()
    assert "Activity 1: Check blind spot driving" in body
    assert "Activity 2: Read in bed" in body
    response = Client().post(url(token), {"PSFS-1": "6", "PSFS-2": "5"})
    assert response.status_code == 200
    latest = InstrumentAdministration.objects.filter(source="patient_link").get()
    assert latest.item_labels == ["Check blind spot driving", "Read in bed"]
    assert latest.answers == [6, 5]


@pytest.mark.parametrize("how", ["unknown", "expired", "revoked"])
def test_every_unusable_link_gets_the_same_plain_page(
    how: str, token: str, therapist: User
) -> None:
    target = url(token)
    when = NOW
    if how == "unknown":
        target = url("x" * 43)
    elif how == "expired":
        when = NOW + dt.timedelta(days=8)
    else:
        InstrumentLink.objects.update(revoked_at=NOW)
    with time_machine.travel(when, tick=False):
        response = Client().get(target)
    assert response.status_code == 404
    body = response.content.decode()
    assert "This link is no longer valid" in body
    assert "Bayside" not in body
    assert "Rosa" not in body


def test_guesses_from_one_address_are_turned_away_but_a_real_link_still_opens(
    token: str, settings: Any
) -> None:
    settings.PALPA_INSTRUMENT_LINK_RATE_LIMIT = 2
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert [client.get(url(f"guess-{n}")).status_code for n in range(3)] == [404, 404, 429]
    assert "Please wait a few minutes" in client.get(url("guess")).content.decode()
    assert client.get(url(token)).status_code == 200  # the patient's own link still opens
    assert Client(REMOTE_ADDR="198.51.100.7").get(url(token)).status_code == 200
    response = client.get(url(token))  # a link's own requests are limited too
    assert response.status_code == 429
