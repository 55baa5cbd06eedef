"""Forms to fill, opened from the portal: "Fill in now" issues a fresh one-time link for
the same form (the one the clinic sent stops working) and takes the browser to it. Only
the signed-in patient's own open forms are offered or opened; each opening is audited with
the patient as the actor."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client, override_settings

from conftest import verified_client
from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import NOW, clinic_today
from palpa.outcomes.models import InstrumentLink
from palpa.outcomes.services import create_instrument_link
from palpa.patients.models import Patient
from palpa.patients.services import add_guardian, create_patient
from palpa.portal import services
from palpa.portal.tests.support import Course, sign_in
from palpa.screening.models import IntakeLink
from palpa.screening.services import create_intake_link, save_intake_draft


@pytest.fixture
def portal(course: Course) -> Client:
    client = Client()
    assert sign_in(client, "rosa@example.com").status_code == 302
    return client


def _fill(link_id: object) -> str:
    return f"/my/forms/{link_id}/fill/"


def test_the_list_offers_fill_in_now_for_each_open_form(
    portal: Client, course: Course, owner: User, therapist: User
) -> None:
    intake, _ = create_intake_link(actor=owner, patient=course.patient)
    questions, _ = create_instrument_link(
        actor=therapist, patient=course.patient, instruments=["NPRS"]
    )
    page = portal.get("/my/").content.decode()
    assert "Health questions again (your answers from last time are filled in)" in page
    assert "Questions before your visit: Numeric Pain Rating Scale" in page
    assert page.count(">Fill in now</button>") == 2
    assert _fill(intake.public_id) in page
    assert _fill(questions.public_id) in page


def test_filling_in_an_intake_issues_a_new_link_and_the_old_one_stops_working(
    portal: Client, course: Course, owner: User
) -> None:
    old, old_token = create_intake_link(actor=owner, patient=course.patient)
    save_intake_draft(token=old_token, data={"pregnant": ["no"]}, step=2)
    response = portal.post(_fill(old.public_id))
    assert response.status_code == 302
    target = response["Location"]
    assert target.startswith("/intake/")
    assert old_token not in target
    assert Client().get(f"/intake/{old_token}/").status_code == 404
    assert Client().get(target).status_code == 200
    new = IntakeLink.objects.filter(patient=course.patient).exclude(pk=old.pk).get()
    assert (new.expires_at, new.created_by_id) == (old.expires_at, owner.pk)
    assert new.draft["data"] == {"pregnant": ["no"]}  # the answers saved so far go along
    entry = AuditEvent.objects.get(object_id=str(new.public_id), action="create")
    assert (entry.actor_id, entry.actor_label) == (None, services.PATIENT_LABEL)
    assert entry.detail["replaced"] == str(old.public_id)
    assert entry.patient_id == str(course.patient.public_id)
    # Offered once more, as the new link; a second tap on the old one says it is closed.
    again = portal.post(_fill(old.public_id), follow=True)
    assert again.redirect_chain == [("/my/", 302)]
    assert "That form is no longer open" in again.content.decode()
    assert IntakeLink.objects.filter(patient=course.patient).count() == 2
    assert _fill(new.public_id) in portal.get("/my/").content.decode()


def test_filling_in_questions_issues_a_new_link_for_the_same_instruments(
    portal: Client, course: Course, therapist: User
) -> None:
    old, old_token = create_instrument_link(
        actor=therapist, patient=course.patient, instruments=["NPRS", "GROC"]
    )
    response = portal.post(_fill(old.public_id))
    assert response.status_code == 302
    target = response["Location"]
    assert target.startswith("/before-visit/")
    assert Client().get(f"/before-visit/{old_token}/").status_code == 404
    assert Client().get(target).status_code == 200
    old.refresh_from_db()
    assert old.state == InstrumentLink.State.REVOKED
    new = InstrumentLink.objects.get(patient=course.patient, revoked_at__isnull=True)
    assert (new.instruments, new.context, new.expires_at) == (
        ["NPRS", "GROC"],
        old.context,
        old.expires_at,
    )
    assert new.created_by_id == therapist.pk
    assert AuditEvent.objects.filter(
        object_id=str(new.public_id), actor_id=None, actor_label=services.PATIENT_LABEL
    ).exists()


def test_filled_in_and_expired_forms_are_not_offered(
    portal: Client, course: Course, owner: User, therapist: User
) -> None:
    intake, _ = create_intake_link(actor=owner, patient=course.patient)
    IntakeLink.objects.filter(pk=intake.pk).update(used_at=NOW)
    questions, _ = create_instrument_link(
        actor=therapist, patient=course.patient, instruments=["NPRS"]
    )
    InstrumentLink.objects.filter(pk=questions.pk).update(expires_at=NOW - dt.timedelta(hours=1))
    page = portal.get("/my/").content.decode()
    assert "Fill in now" not in page
    for closed in (intake, questions):
        assert portal.post(_fill(closed.public_id))["Location"] == "/my/"
    assert IntakeLink.objects.count() == InstrumentLink.objects.count() == 1
    later = NOW + dt.timedelta(days=8)  # past the week a link works
    fresh, _ = create_intake_link(actor=owner, patient=course.patient)
    with time_machine.travel(later, tick=False):
        assert sign_in(client := Client(), "rosa@example.com").status_code == 302
        assert "Fill in now" not in client.get("/my/").content.decode()
        assert client.post(_fill(fresh.public_id))["Location"] == "/my/"


def test_another_patients_or_organizations_form_is_not_found(
    portal: Client,
    course: Course,
    owner: User,
    therapist: User,
    outsider: User,
    outsider_patient: Patient,
) -> None:
    sister = create_patient(
        actor=owner,
        given_name="Marta",
        family_name="Delgado",
        date_of_birth=dt.date(1975, 6, 1),
        primary_location=course.patient.primary_location,
    )
    theirs, _ = create_intake_link(actor=owner, patient=sister)
    their_questions, _ = create_instrument_link(
        actor=therapist, patient=sister, instruments=["NPRS"]
    )
    foreign, _ = create_intake_link(actor=outsider, patient=outsider_patient)
    for link_id in (theirs.public_id, their_questions.public_id, foreign.public_id):
        assert portal.post(_fill(link_id)).status_code == 404
    assert IntakeLink.objects.count() == 2
    assert IntakeLink.objects.filter(used_at__isnull=True, expires_at__gt=NOW).count() == 2
    assert InstrumentLink.objects.get().revoked_at is None


def test_a_staff_session_is_not_a_portal_session(
    course: Course, owner: User, outsider: User
) -> None:
    link, _ = create_intake_link(actor=owner, patient=course.patient)
    for member in (owner, outsider):
        response = verified_client(member).post(_fill(link.public_id))
        assert response.status_code == 302
        assert response["Location"] == "/my/sign-in/"
    assert Client().post(_fill(link.public_id))["Location"] == "/my/sign-in/"
    assert IntakeLink.objects.get().pk == link.pk


def test_opening_is_a_post_only(portal: Client, course: Course, owner: User) -> None:
    link, _ = create_intake_link(actor=owner, patient=course.patient)
    assert portal.get(_fill(link.public_id)).status_code == 405


@override_settings(PALPA_PORTAL_FORM_LIMIT=2)
def test_opening_forms_is_rate_limited(portal: Client, course: Course, owner: User) -> None:
    link, _ = create_intake_link(actor=owner, patient=course.patient)
    for _ in range(2):
        assert portal.post(_fill(link.public_id)).status_code == 302
        link = IntakeLink.objects.filter(used_at__isnull=True, expires_at__gt=NOW).get()
    assert portal.post(_fill(link.public_id)).status_code == 429


def test_a_guardian_opens_the_childs_form_and_the_audit_names_the_guardian(
    course: Course, owner: User
) -> None:
    today = clinic_today()
    leo = create_patient(
        actor=owner,
        given_name="Leo",
        family_name="Delgado",
        date_of_birth=dt.date(today.year - 10, 1, 15),
        primary_location=course.patient.primary_location,
    )
    guardian = add_guardian(
        actor=owner, patient=leo, name="Marta Delgado", relationship="mother", email="m@example.com"
    )
    link, _ = create_intake_link(actor=owner, patient=leo)
    client = Client()
    assert sign_in(client, "m@example.com")["Location"] == "/my/"
    assert "Health history form" in client.get("/my/").content.decode()
    assert client.post(_fill(link.public_id)).status_code == 302
    new = IntakeLink.objects.get(patient=leo, expires_at__gt=NOW)
    entry = AuditEvent.objects.get(object_id=str(new.public_id), action="create")
    assert entry.actor_label == services.guardian_label(guardian)
    assert entry.detail["guardian"] == str(guardian.public_id)
    assert entry.patient_id == str(leo.public_id)
