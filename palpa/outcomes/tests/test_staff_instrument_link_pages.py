"""Staff pages for instrument links: the patient's links page (send, list, revoke) and the
links on the chart. Therapists and owners only; every read is audited."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import NOW, assert_answer, frozen_clock, matrix, web_client
from palpa.outcomes.models import InstrumentLink
from palpa.outcomes.services import (
    create_instrument_link,
    find_instrument_link,
    submit_instrument_link,
)
from palpa.patients.models import Patient

_clock = pytest.fixture(autouse=True)(frozen_clock)

CLINICAL = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
REVOKE = {**CLINICAL, "owner": 302, "therapist": 302, "other_therapist": 302}


def page(patient: Patient) -> str:
    return f"/outcomes/patients/{patient.public_id}/links/"


@pytest.mark.parametrize(("who", "status"), matrix(CLINICAL))
def test_who_may_open_a_patients_instrument_links(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).get(page(patient))
    assert_answer(response, who, status)
    read = AuditEvent.objects.filter(action="read", detail__view="instrument links")
    assert read.exists() == (status == 200)
    if status == 200:
        body = response.content.decode()
        assert "Send instruments to fill before the visit" in body
        assert 'value="NPRS"' in body
        assert 'value="ODI"' not in body
        assert "Not sent by link: PEG3, ODI, RMDQ" in body


@pytest.mark.parametrize(("who", "status"), matrix(CLINICAL))
def test_who_may_make_an_instrument_link(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    response = web_client(request, who).post(
        page(patient), {"instruments": ["NPRS", "GROC"], "context": "reassessment"}
    )
    assert_answer(response, who, status)
    assert InstrumentLink.objects.exists() == (status == 200)
    if status == 200:
        body = response.content.decode()
        assert "no-store" in response["Cache-Control"]
        assert "<svg" in body  # the QR code
        url = body.split('id="instrument-link-url" href="', 1)[1].split('"', 1)[0]
        assert url.startswith("http://testserver/before-visit/")
        assert find_instrument_link(url.rstrip("/").rsplit("/", 1)[-1]) is not None


def test_a_licensed_instrument_is_refused_with_the_reason_on_the_page(
    request: pytest.FixtureRequest, patient: Patient
) -> None:
    response = web_client(request, "therapist").post(
        page(patient), {"instruments": ["NPRS", "ODI"], "context": "reassessment"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "ODI (Oswestry Disability Index) cannot be sent by link" in body
    assert not InstrumentLink.objects.exists()


@pytest.mark.parametrize(("who", "status"), matrix(REVOKE))
def test_who_may_revoke_an_unused_link(
    request: pytest.FixtureRequest, who: str, status: int, therapist: User, patient: Patient
) -> None:
    link, token = create_instrument_link(actor=therapist, patient=patient, instruments=["NPRS"])
    response = web_client(request, who).post(f"/outcomes/links/{link.public_id}/revoke/")
    assert_answer(response, who, status)
    assert (find_instrument_link(token) is None) == (status == 302 and who != "anonymous")
    if who in ("owner", "therapist", "other_therapist"):
        assert response["Location"] == page(patient)


def test_a_used_link_cannot_be_revoked(
    request: pytest.FixtureRequest, therapist: User, patient: Patient
) -> None:
    link, token = create_instrument_link(actor=therapist, patient=patient, instruments=["NPRS"])
    submit_instrument_link(token=token, answers={"NPRS": [3]})
    client = web_client(request, "therapist")
    response = client.post(f"/outcomes/links/{link.public_id}/revoke/", follow=True)
    assert "This link is filled in; only an unused link is revoked." in response.content.decode()


CHART_SHOWS = {
    "owner": True,
    "therapist": True,
    "other_therapist": True,
    "front_desk": False,
    "biller": False,
}


@pytest.mark.parametrize(("who", "shown"), CHART_SHOWS.items())
def test_the_chart_lists_pending_used_and_revoked_links_for_clinical_roles(
    request: pytest.FixtureRequest, who: str, shown: bool, therapist: User, patient: Patient
) -> None:
    with time_machine.travel(NOW - dt.timedelta(days=10), tick=False):
        create_instrument_link(actor=therapist, patient=patient, instruments=["GROC"])
    used, used_token = create_instrument_link(
        actor=therapist, patient=patient, instruments=["NPRS"]
    )
    submit_instrument_link(token=used_token, answers={"NPRS": [3]})
    create_instrument_link(actor=therapist, patient=patient, instruments=["GROC"])
    create_instrument_link(actor=therapist, patient=patient, instruments=["PSFS"])  # replaces
    response = web_client(request, who).get(f"/patients/{patient.public_id}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert ("Instruments by phone link" in body) == shown
    if shown:
        section = body.split('id="instrument-links"', 1)[1].split("</section>", 1)[0]
        assert "Expired" in section
        assert "Filled in" in section
        assert "Revoked" in section
        assert "Replaced by a newer link." in section
        assert "Waiting for the patient" in section
        assert section.count("Revoke</button>") == 1  # only the pending one
    assert str(used.token_hash) not in body
