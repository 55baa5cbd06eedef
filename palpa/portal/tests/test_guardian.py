"""A parent or guardian acts for a minor in the portal: the contact staff recorded for the
guardian gets the code, the guardian picks whom to act for, every page says so and every
audit entry names the guardian. A patient who is 18 or older today is out of reach of a
former guardian (unless the guardian is their legal representative); another child, and
another organization's records, stay out of reach."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Guardian, Patient
from palpa.patients.services import add_guardian, create_patient, end_guardian, is_minor
from palpa.portal import services
from palpa.portal.tests.support import Course, sign_in
from palpa.scheduling.models import Appointment
from palpa.scheduling.services import book_appointment
from palpa.scheduling.tests.booking_support import run_worker

MARTA = "marta.g@example.com"


def _born(years: int, days: int = 0) -> dt.date:
    today = clinic_today()
    return dt.date(today.year - years, today.month, today.day) + dt.timedelta(days=days)


def _child(actor: User, location: Location | None, given: str, born: dt.date) -> Patient:
    return create_patient(
        actor=actor,
        given_name=given,
        family_name="Delgado",
        date_of_birth=born,
        primary_location=location,
    )


def _book(owner: User, course: Course, patient: Patient, hours: int) -> Appointment:
    return book_appointment(
        actor=owner,
        patient=patient,
        practitioner=course.upcoming.practitioner,
        location=course.upcoming.location,
        appointment_type=course.upcoming.appointment_type,
        start=course.upcoming.start + dt.timedelta(hours=hours),
    )


def _marta(owner: User, patient: Patient, **more: object) -> Guardian:
    return add_guardian(
        actor=owner,
        patient=patient,
        name="Marta Delgado",
        relationship="mother",
        email=MARTA,
        **more,
    )


@pytest.fixture
def leo(owner: User, location: Location) -> Patient:
    return _child(owner, location, "Leo", _born(10))


@pytest.fixture
def mia(owner: User, location: Location) -> Patient:
    return _child(owner, location, "Mia", _born(8))


def test_a_guardian_signs_in_picks_a_child_and_sees_that_childs_appointments(
    course: Course, owner: User, leo: Patient, mia: Patient
) -> None:
    leos = _book(owner, course, leo, 2)
    mias = _book(owner, course, mia, 4)
    guardian = _marta(owner, leo)
    _marta(owner, mia)
    client = Client()
    entered = sign_in(client, MARTA)
    assert mail.outbox[-1].to == [MARTA]
    assert "Hello Marta" in str(mail.outbox[-1].body)
    assert entered["Location"] == "/my/sign-in/choose/"
    assert client.get("/my/")["Location"] == "/my/sign-in/choose/"
    chooser = client.get("/my/sign-in/choose/").content.decode()
    assert "Leo Delgado" in chooser
    assert "Mia Delgado" in chooser
    assert "Rosa" not in chooser

    picked = client.post("/my/sign-in/choose/", {"person": str(leo.public_id)})
    assert picked["Location"] == "/my/"
    home = client.get("/my/").content.decode()
    assert "Acting for Leo Delgado" in home
    assert "Signed in as Marta Delgado (mother)" in home
    assert "Leo\u2019s appointments and documents" in home
    assert "Hello Leo" not in home
    assert f"/my/appointments/{leos.public_id}/cancel/" in home
    assert str(mias.public_id) not in home
    for url in ("/my/progress/", "/my/home-care/", "/my/consents/"):
        assert "Acting for Leo Delgado" in client.get(url).content.decode()

    [read] = AuditEvent.objects.filter(
        action="read", patient_id=str(leo.public_id), detail__portal="home"
    )
    assert read.actor_id is None
    assert read.actor_label == "Marta Delgado (mother, portal, acting for the patient)"
    assert read.actor_label == services.guardian_label(guardian)
    assert read.detail["guardian"] == str(guardian.public_id)
    login = AuditEvent.objects.get(action="login", patient_id=str(leo.public_id))
    assert login.actor_label == services.guardian_label(guardian)

    switched = client.post("/my/sign-in/choose/", {"person": str(mia.public_id)})
    assert switched["Location"] == "/my/"
    home = client.get("/my/").content.decode()
    assert "Acting for Mia Delgado" in home
    assert f"/my/appointments/{mias.public_id}/cancel/" in home


def test_a_guardian_of_one_child_goes_straight_to_that_childs_page(
    course: Course, owner: User, leo: Patient
) -> None:
    _marta(owner, leo)
    client = Client()
    assert sign_in(client, MARTA)["Location"] == "/my/"
    home = client.get("/my/").content.decode()
    assert "Acting for Leo Delgado" in home
    assert "Switch person" not in home


def test_a_guardian_cannot_reach_another_child(
    course: Course, owner: User, leo: Patient, location: Location
) -> None:
    noah = create_patient(
        actor=owner,
        given_name="Noah",
        family_name="Fisher",
        date_of_birth=_born(9),
        primary_location=location,
    )
    add_guardian(
        actor=owner, patient=noah, name="Paul Fisher", relationship="father", email="p@example.com"
    )
    noahs = _book(owner, course, noah, 2)
    _marta(owner, leo)
    client = Client()
    sign_in(client, MARTA)
    refused = client.post("/my/sign-in/choose/", {"person": str(noah.public_id)}, follow=True)
    assert "Person: choose one of the names listed." in refused.content.decode()
    assert "Noah" not in client.get("/my/").content.decode()
    assert client.post(f"/my/appointments/{noahs.public_id}/cancel/").status_code == 404
    noahs.refresh_from_db()
    assert noahs.status == Appointment.Status.BOOKED
    assert not AuditEvent.objects.filter(patient_id=str(noah.public_id), actor_id=None).exists()


def test_a_former_guardian_of_a_patient_now_adult_gets_no_code(
    owner: User, location: Location
) -> None:
    ana = _child(owner, location, "Ana", _born(18))
    _marta(owner, ana)
    client = Client()
    asked = client.post("/my/sign-in/", {"contact": MARTA})
    assert asked.status_code == 302
    run_worker()
    assert not [m for m in mail.outbox if "sign-in code" in str(m.subject)]
    assert services.people_for("email", MARTA) == []


def test_a_legal_representative_keeps_acting_for_an_adult(owner: User, location: Location) -> None:
    ana = _child(owner, location, "Ana", _born(30))
    _marta(owner, ana, legal_representative=True)
    client = Client()
    assert sign_in(client, MARTA)["Location"] == "/my/"
    assert "Acting for Ana Delgado" in client.get("/my/").content.decode()


def test_a_guardian_staff_ended_is_signed_out_at_the_next_page(owner: User, leo: Patient) -> None:
    guardian = _marta(owner, leo)
    client = Client()
    sign_in(client, MARTA)
    assert client.get("/my/").status_code == 200
    end_guardian(actor=owner, guardian=guardian)
    assert client.get("/my/")["Location"] == "/my/sign-in/"


def test_a_guardian_in_another_organization_cannot_reach_this_clinics_children(
    owner: User, outsider: User, leo: Patient
) -> None:
    far = _child(outsider, None, "Ivy", _born(7))
    add_guardian(actor=outsider, patient=far, name="Marta D", relationship="aunt", email=MARTA)
    _marta(owner, leo)
    assert services.people_for("email", MARTA) == []
    client = Client()
    client.post("/my/sign-in/", {"contact": MARTA})
    run_worker()
    assert not [m for m in mail.outbox if "sign-in code" in str(m.subject)]
    with pytest.raises(Exception, match="another organization"):
        add_guardian(actor=outsider, patient=leo, name="X", relationship="aunt", email="x@e.com")


def test_a_parent_who_is_a_patient_picks_themself_or_their_child(
    course: Course, owner: User, leo: Patient
) -> None:
    add_guardian(
        actor=owner,
        patient=leo,
        name="Rosa Delgado",
        relationship="mother",
        email="rosa@example.com",
    )
    client = Client()
    assert sign_in(client, "rosa@example.com")["Location"] == "/my/sign-in/choose/"
    chooser = client.get("/my/sign-in/choose/").content.decode()
    assert "Yourself: Rosa Delgado" in chooser
    assert "Leo Delgado" in chooser
    client.post("/my/sign-in/choose/", {"person": str(course.patient.public_id)})
    home = client.get("/my/").content.decode()
    assert "Hello Rosa" in home
    assert "Acting for" not in home
    assert "Switch person" in home


@pytest.mark.parametrize(
    ("years", "days", "minor"), [(18, 0, False), (18, 1, True), (17, 0, True), (0, 0, True)]
)
def test_a_patient_is_a_minor_until_their_18th_birthday_in_the_clinics_day(
    owner: User, location: Location, years: int, days: int, minor: bool
) -> None:
    patient = _child(owner, location, "Eve", _born(years, days=days))
    assert is_minor(patient, clinic_today()) is minor


@pytest.mark.parametrize("value", ["", "x", "'; drop table", "0" * 5000, "1"])
def test_hostile_choices_give_a_clear_message_and_change_nothing(
    owner: User, leo: Patient, mia: Patient, value: str
) -> None:
    _marta(owner, leo)
    _marta(owner, mia)
    client = Client()
    sign_in(client, MARTA)
    response = client.post("/my/sign-in/choose/", {"person": value}, follow=True)
    assert response.status_code == 200
    assert "Person: choose one of the names listed." in response.content.decode()
    assert client.get("/my/")["Location"] == "/my/sign-in/choose/"


def test_the_chooser_needs_a_sign_in(client: Client) -> None:
    assert client.get("/my/sign-in/choose/")["Location"] == "/my/sign-in/"
    assert client.post("/my/sign-in/choose/", {"person": "x"})["Location"] == "/my/sign-in/"
