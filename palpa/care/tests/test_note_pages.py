"""The treatment-note pages: a therapist writes and signs; others are refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from palpa.accounts.models import Location, User
from palpa.care.models import TreatmentNote
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient


def test_therapist_starts_fills_and_signs_a_note_in_the_browser_forms(
    therapist: User,
    patient: Patient,
    location: Location,
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(therapist)
    chart = client.get(reverse("patients:detail", args=[patient.public_id])).content.decode()
    assert "New treatment note" in chart
    started = client.post(
        reverse("care:note_new", args=[patient.public_id]),
        {"location": location.pk, "visit_date": clinic_today().isoformat()},
    )
    note = TreatmentNote.objects.get(patient=patient)
    assert started["Location"] == reverse("care:note", args=[note.public_id])

    client.post(
        reverse("care:technique_add", args=[note.public_id]),
        {
            "t-technique": "manual_lymphatic_drainage",
            "t-region": "upper_arm",
            "t-side": "left",
            "t-minutes": "30",
            "t-pressure": "light",
            "t-tool": "none",
        },
    )
    client.post(
        reverse("care:note", args=[note.public_id]),
        {
            "soap-pain_today": "3",
            "soap-subjective": "Arm feels lighter.",
            "soap-home_care_adherence": "most",
            "soap-objective": "",
            "soap-assessment": "Tolerated MLD well.",
            "soap-plan": "Continue 2x/week.",
        },
    )
    note.refresh_from_db()
    assert (note.pain_today, note.assessment) == (3, "Tolerated MLD well.")

    client.post(reverse("care:note_sign", args=[note.public_id]))
    note.refresh_from_db()
    assert note.status == "signed"
    page = client.get(reverse("care:note", args=[note.public_id])).content.decode()
    assert "Upper arm, left" in page
    assert "Sign addendum" in page
    assert "Save draft" not in page


def test_signing_with_a_lapsed_license_shows_why_on_the_page(
    therapist: User,
    patient: Patient,
    location: Location,
    client_for: Callable[[User], Client],
) -> None:
    from palpa.care.notes.services import add_technique, start_note
    from palpa.practitioners.models import License

    note = start_note(
        actor=therapist, patient=patient, location=location, visit_date=clinic_today()
    )
    add_technique(
        actor=therapist, note=note, technique="swedish", region="neck", minutes=20, pressure="light"
    )
    License.objects.filter(practitioner__user=therapist).update(
        expires_on=clinic_today() - dt.timedelta(days=1)
    )
    client = client_for(therapist)
    response = client.post(reverse("care:note_sign", args=[note.public_id]), follow=True)
    assert "Not signed:" in response.content.decode()
    assert "expired on" in response.content.decode()
    note.refresh_from_db()
    assert note.status == "draft"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("therapist", 200),
        ("other_therapist", 200),
        ("owner", 200),
        ("front_desk", 403),
        ("biller", 403),
        ("outsider", 404),
    ],
)
def test_who_may_open_a_note(
    request: pytest.FixtureRequest,
    persona: str,
    expected: int,
    therapist: User,
    patient: Patient,
    location: Location,
    client_for: Callable[[User], Client],
) -> None:
    from palpa.care.notes.services import start_note

    note = start_note(
        actor=therapist, patient=patient, location=location, visit_date=clinic_today()
    )
    user: User = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("care:note", args=[note.public_id]))
    assert response.status_code == expected


@pytest.mark.parametrize("persona", ["front_desk", "biller"])
def test_front_desk_and_biller_see_no_notes_on_the_chart(
    request: pytest.FixtureRequest,
    persona: str,
    therapist: User,
    patient: Patient,
    location: Location,
    client_for: Callable[[User], Client],
) -> None:
    from palpa.care.notes.services import start_note

    start_note(actor=therapist, patient=patient, location=location, visit_date=clinic_today())
    user: User = request.getfixturevalue(persona)
    chart = client_for(user).get(reverse("patients:detail", args=[patient.public_id]))
    assert "Treatment notes" not in chart.content.decode()
    assert (
        client_for(user).get(reverse("care:note_new", args=[patient.public_id])).status_code == 403
    )


def test_the_chart_lists_the_patients_notes_for_clinical_staff(
    therapist: User,
    patient: Patient,
    location: Location,
    client_for: Callable[[User], Client],
) -> None:
    from palpa.care.notes.services import start_note

    note = start_note(
        actor=therapist, patient=patient, location=location, visit_date=dt.date(2026, 3, 2)
    )
    chart = client_for(therapist).get(reverse("patients:detail", args=[patient.public_id]))
    page = chart.content.decode()
    assert reverse("care:note", args=[note.public_id]) in page
    assert "2026-03-02" in page
    assert "No notes yet." not in page


def test_the_chart_notes_tag_gives_nothing_to_staff_without_clinical_access(
    front_desk: User, therapist: User, patient: Patient, location: Location
) -> None:
    from palpa.care.notes.services import start_note
    from palpa.care.templatetags.care_chart import chart_notes

    start_note(actor=therapist, patient=patient, location=location, visit_date=clinic_today())
    assert chart_notes(front_desk, patient) == {"notes": []}
    assert len(chart_notes(therapist, patient)["notes"]) == 1


def test_dashboard_lists_the_therapists_stale_drafts(
    therapist: User,
    patient: Patient,
    location: Location,
    client_for: Callable[[User], Client],
) -> None:
    from palpa.care.notes.services import start_note

    note = start_note(
        actor=therapist, patient=patient, location=location, visit_date=clinic_today()
    )
    TreatmentNote.objects.filter(pk=note.pk).update(
        created_at=note.created_at - dt.timedelta(hours=80)
    )
    page = client_for(therapist).get("/").content.decode()
    assert "Your notes unsigned for more than 72 hours" in page
    assert patient.full_name in page


def test_dashboard_lists_the_therapists_own_drafts(
    therapist: User,
    other_therapist: User,
    patient: Patient,
    location: Location,
    client_for: Callable[[User], Client],
) -> None:
    from palpa.care.notes.services import start_note

    start_note(actor=therapist, patient=patient, location=location, visit_date=clinic_today())
    mine = client_for(therapist).get("/").content.decode()
    assert "Your draft notes" in mine
    assert patient.full_name in mine
    theirs = client_for(other_therapist).get("/").content.decode()
    assert "Your draft notes" not in theirs
