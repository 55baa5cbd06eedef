"""The home-care program with pictures: the signed-in patient sees each item's picture above
its instructions (with its description as the alt text), served privately and audited with
the patient as the reader; another patient's or another organization's picture is 404."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.care.models import HomeCareItem
from palpa.care.tests.picture_support import ALT, picture
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from palpa.portal import services
from palpa.portal.tests.support import Course, portal_course, sign_in


@pytest.fixture
def pictured(
    settings: Any,
    tmp_path: Path,
    owner: User,
    therapist: User,
    biller: User,
    patient: Patient,
    location: Location,
) -> Course:
    settings.MEDIA_ROOT = tmp_path / "media"
    return portal_course(
        owner=owner,
        therapist=therapist,
        biller=biller,
        patient=patient,
        location=location,
        today=TODAY,
        picture=(picture(), ALT),
    )


@pytest.fixture
def portal(pictured: Course) -> Client:
    client = Client()
    assert sign_in(client, "rosa@example.com").status_code == 302
    return client


def _url(item: HomeCareItem) -> str:
    return f"/my/home-care/{item.public_id}/picture"


def test_the_picture_is_above_the_instructions_with_its_description(
    portal: Client, pictured: Course
) -> None:
    page = portal.get("/my/home-care/").content.decode()
    image = f'<img class="home-care-picture" src="{_url(pictured.item)}" alt="{ALT}"'
    assert image in page
    assert page.index(image) < page.index("Ball on the left glute against a wall.")


def test_the_patient_sees_their_picture_privately_and_the_read_is_audited(
    portal: Client, pictured: Course
) -> None:
    response = portal.get(_url(pictured.item))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert response.content[:4] == b"\x89PNG"
    read = AuditEvent.objects.filter(
        action="read",
        patient_id=str(pictured.patient.public_id),
        detail__portal="home-care-picture",
    ).get()
    assert (read.actor_id, read.actor_label) == (None, services.PATIENT_LABEL)
    assert read.detail["item"] == str(pictured.item.public_id)


def test_another_patient_does_not_see_the_picture(
    pictured: Course, owner: User, location: Location
) -> None:
    create_patient(
        actor=owner,
        given_name="Marta",
        family_name="Delgado",
        date_of_birth=dt.date(1975, 6, 1),
        email="marta@example.com",
        primary_location=location,
    )
    client = Client()
    assert sign_in(client, "marta@example.com").status_code == 302
    assert client.get(_url(pictured.item)).status_code == 404


def test_another_organizations_picture_is_not_found(
    portal: Client, pictured: Course, outsider_patient: Patient
) -> None:
    HomeCareItem.objects.filter(pk=pictured.item.pk).update(
        organization=outsider_patient.organization
    )
    assert portal.get(_url(pictured.item)).status_code == 404


def test_no_one_signed_out_sees_the_picture(pictured: Course) -> None:
    response = Client().get(_url(pictured.item))
    assert response.status_code == 302
    assert response["Location"].startswith("/my/sign-in/")
