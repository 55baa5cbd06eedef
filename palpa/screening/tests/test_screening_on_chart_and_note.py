"""The screening on the patient's chart (details for clinicians, the flag for the front desk,
nothing for billers; the emergency banner) and on the treatment note page."""

from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import Location, User
from palpa.care.notes.services import start_note
from palpa.core.tests.support import clinic_today, web_client
from palpa.patients.models import Patient
from palpa.screening.models import VisitConfirmation
from palpa.screening.services import record_screening
from palpa.screening.tests.support import facts_clearance, facts_emergency, facts_modify


def today() -> dt.date:
    return clinic_today()


def chart(request: pytest.FixtureRequest, who: str, patient: Patient) -> str:
    response = web_client(request, who).get(f"/patients/{patient.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", ["owner", "therapist", "other_therapist"])
def test_clinicians_see_the_decision_with_what_to_do_on_the_chart(
    request: pytest.FixtureRequest, who: str, therapist: User, patient: Patient
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_clearance(today()))
    body = chart(request, who, patient)
    assert "Safety screening" in body
    assert "decision-clearance" in body
    assert "Ask the patient" in body  # the instruction
    assert "Review the screening" in body
    assert "massage tools anywhere" in body


def test_the_front_desk_sees_the_flag_and_sends_links_but_no_clinical_detail(
    request: pytest.FixtureRequest, therapist: User, patient: Patient
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_clearance(today()))
    body = chart(request, "front_desk", patient)
    assert "A physician&#x27;s clearance is needed before treatment." in body
    assert "Send an intake link" in body
    assert "warfarin" not in body
    assert "massage tools" not in body
    assert "Review the screening" not in body


def test_the_front_desk_is_asked_to_send_a_link_when_nobody_screened_the_patient(
    request: pytest.FixtureRequest, patient: Patient
) -> None:
    body = chart(request, "front_desk", patient)
    assert "No health screening yet" in body


def test_the_biller_sees_nothing_of_the_screening(
    request: pytest.FixtureRequest, therapist: User, patient: Patient
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_emergency())
    body = chart(request, "biller", patient)
    assert "Safety screening" not in body
    assert "banner emergency" not in body
    assert "emergency care" not in body
    assert "intake" not in body


def test_an_emergency_is_unmissable_on_the_chart(
    request: pytest.FixtureRequest, therapist: User, patient: Patient
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_emergency())
    clinical = chart(request, "therapist", patient)
    assert 'class="banner emergency" role="alert"' in clinical
    assert "The patient needs emergency care now: call 911" in clinical
    desk = chart(request, "front_desk", patient)
    assert 'class="banner emergency" role="alert"' in desk
    assert "do not start a massage" in desk
    assert "saddle" not in desk


def test_the_note_page_lists_the_restrictions_and_why_it_cannot_be_signed(
    request: pytest.FixtureRequest, therapist: User, patient: Patient, location: Location
) -> None:
    earlier = (today() - dt.timedelta(days=4)).isoformat()
    record_screening(actor=therapist, patient=patient, facts={"as_of": earlier, **facts_modify()})
    note = start_note(actor=therapist, patient=patient, location=location, visit_date=today())
    client = web_client(request, "therapist")
    page = client.get(f"/care/notes/{note.public_id}/").content.decode()
    assert "Safety screening for this visit" in page
    assert "No deep pressure, deep friction, percussion (tapping), massage tools anywhere." in page
    assert "Cannot be signed yet" in page
    assert f"No change since the screening of {earlier}" in page
    confirmed = client.post(
        f"/screening/patients/{patient.public_id}/confirm/",
        {"on": today().isoformat(), "next": f"/care/notes/{note.public_id}/"},
    )
    assert confirmed["Location"] == f"/care/notes/{note.public_id}/"
    assert VisitConfirmation.objects.filter(on=today()).exists()
    after = client.get(f"/care/notes/{note.public_id}/").content.decode()
    assert "Cannot be signed yet" not in after
    assert "massage tools anywhere" in after


def test_the_chart_works_out_the_screening_status_once_for_banner_and_section(
    request: pytest.FixtureRequest, therapist: User, patient: Patient
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    record_screening(actor=therapist, patient=patient, facts=facts_emergency())
    client = web_client(request, "therapist")
    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"/patients/{patient.public_id}/").content.decode()
    assert "Safety screening" in body  # the section
    assert 'class="banner emergency" role="alert"' in body  # and the banner, one status
    screening_reads = [
        q["sql"] for q in queries.captured_queries if 'FROM "screening_screening"' in q["sql"]
    ]
    assert len(screening_reads) == 1
