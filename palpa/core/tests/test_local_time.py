"""Local time everywhere: every date and time a person sees, and every default date, is the
clinic's (the location's, or for organization-wide pages the organization's), never UTC's.

Every test here runs at 2026-12-07 01:16 UTC, which is Sunday 6 December, 20:16 EST in
Tampa: the UTC date is already Monday. Expected values are computed in the clinic's zone.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Iterator

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from palpa.accounts.models import Location, Organization, User
from palpa.care.notes.services import add_technique, sign_note, start_note
from palpa.core.dates import local, local_now, local_today, zone_of
from palpa.patients.models import Patient
from palpa.practitioners.models import License, Practitioner
from palpa.scheduling import online
from palpa.scheduling.tests.support import make_type
from palpa.screening.services import record_screening

INSTANT = dt.datetime(2026, 12, 7, 1, 16, tzinfo=dt.UTC)
TAMPA = zoneinfo.ZoneInfo("America/New_York")
LOCAL_DAY = INSTANT.astimezone(TAMPA).date()  # Sunday 6 December 2026
UTC_DAY = INSTANT.date()  # Monday 7 December 2026


@pytest.fixture
def evening() -> Iterator[None]:
    """The clock stands at 20:16 on a Sunday in Tampa (already Monday in UTC)."""
    assert LOCAL_DAY != UTC_DAY
    with time_machine.travel(INSTANT, tick=False):
        yield


def _text(response: object) -> str:
    body = response.content.decode()  # type: ignore[attr-defined]
    return re.sub(r"\s+", " ", body)


# --- the helpers ---------------------------------------------------------------------


def test_the_helpers_read_the_day_and_time_of_the_place(
    evening: None, org: Organization, location: Location
) -> None:
    assert local_today(location) == LOCAL_DAY == dt.date(2026, 12, 6)
    assert local_today(org) == LOCAL_DAY
    assert local_now(location).strftime("%H:%M %Z") == "20:16 EST"
    assert local_today("Asia/Tokyo") == dt.date(2026, 12, 7)
    assert local(INSTANT, location).strftime("%Y-%m-%d %H:%M %Z") == "2026-12-06 20:16 EST"
    assert zone_of(location) == TAMPA
    with pytest.raises(ValueError, match="aware"):
        local(dt.datetime(2026, 12, 7, 1, 16), location)


def test_an_organization_takes_the_zone_it_is_given(org: Organization) -> None:
    org.time_zone = "America/Los_Angeles"
    org.full_clean()
    org.save()
    org.refresh_from_db()
    assert zone_of(org) == zoneinfo.ZoneInfo("America/Los_Angeles")


# --- pages ---------------------------------------------------------------------------


def test_the_dashboard_and_the_schedule_show_the_same_local_day(
    evening: None, front_desk: User, location: Location, client_for: Callable[[User], Client]
) -> None:
    client = client_for(front_desk)
    dashboard = _text(client.get("/"))
    assert f"{LOCAL_DAY:%A, %B} {LOCAL_DAY.day}, {LOCAL_DAY.year}" in dashboard
    assert "Sunday, December 6, 2026" in dashboard
    assert "Monday, December 7" not in dashboard
    week = _text(client.get(reverse("scheduling:calendar") + "?view=week"))
    assert f'{LOCAL_DAY:%a %d %b} <span class="muted">(today)</span>' in week
    assert 'Mon 07 Dec <span class="muted">(today)</span>' not in week


def test_the_dashboard_follows_the_organizations_zone(
    evening: None, org: Organization, front_desk: User, client_for: Callable[[User], Client]
) -> None:
    org.time_zone = "Asia/Tokyo"  # 10:16 on Monday there
    org.save(update_fields=["time_zone"])
    dashboard = _text(client_for(front_desk).get("/"))
    assert "Monday, December 7, 2026" in dashboard


def test_a_new_evaluation_and_a_new_note_default_to_the_clinics_day(
    evening: None, therapist: User, patient: Patient, client_for: Callable[[User], Client]
) -> None:
    client = client_for(therapist)
    evaluation = client.get(reverse("care:evaluation_new", args=[patient.public_id]))
    assert evaluation.context["form"].initial["evaluated_on"] == LOCAL_DAY
    assert f'value="{LOCAL_DAY.isoformat()}"' in _text(evaluation)
    note = client.get(reverse("care:note_new", args=[patient.public_id]))
    assert note.context["form"].initial["visit_date"] == LOCAL_DAY
    assert f'value="{LOCAL_DAY.isoformat()}"' in _text(note)


def test_the_screening_forms_default_to_the_clinics_day(
    evening: None,
    owner: User,
    therapist: User,
    patient: Patient,
    client_for: Callable[[User], Client],
) -> None:
    record_screening(actor=owner, patient=patient, facts={})
    page = client_for(therapist).get(reverse("screening:review", args=[patient.public_id]))
    assert page.context["confirm_form"].initial["on"] == LOCAL_DAY
    assert page.context["bp_form"].initial["bp_measured_on"] == LOCAL_DAY
    assert page.context["clearance_form"].initial["cleared_on"] == LOCAL_DAY


def test_a_signed_notes_signature_and_the_audit_log_read_in_local_time(
    evening: None,
    owner: User,
    therapist: User,
    patient: Patient,
    location: Location,
    client_for: Callable[[User], Client],
) -> None:
    record_screening(actor=owner, patient=patient, facts={})
    note = start_note(
        actor=therapist, patient=patient, location=location, visit_date=LOCAL_DAY, pain_today=3
    )
    add_technique(
        actor=therapist,
        note=note,
        technique="myofascial_release",
        region="low_back",
        minutes=20,
        pressure="moderate",
    )
    sign_note(actor=therapist, note=note)
    page = _text(client_for(therapist).get(reverse("care:note", args=[note.public_id])))
    assert "by Tess Therapist on 2026-12-06 20:16 EST" in page
    assert "2026-12-07 01:16" not in page
    log = _text(client_for(owner).get(reverse("audit:log")))
    assert "2026-12-06 20:16:00 EST" in log
    assert "UTC" not in log
    assert "2026-12-07 01:16" not in log


def test_a_patients_requested_time_is_shown_to_staff_in_the_clinics_time(
    evening: None, owner: User, location: Location, client_for: Callable[[User], Client]
) -> None:
    kind = make_type(owner, "treatment-online", "treatment", 60, online_bookable=True)
    config = online.update_online_settings(
        actor=owner,
        location=location,
        changes={"enabled": True, "new_patients": "request"},
        appointment_types=[kind],
    )
    wanted = dt.datetime(2026, 12, 8, 10, 0, tzinfo=TAMPA)  # 15:00 UTC
    online.request_as_new_patient(
        config=config,
        person=online.NewPatient(
            "Nora", "Quinn", dt.date(1988, 7, 1), "nora@example.com", "", False
        ),
        appointment_type=kind,
        wanted_start=wanted,
    )
    page = _text(client_for(owner).get(reverse("online:notices")))
    assert "wants Treatment 60 min, Tue 2026-12-08 10:00 EST" in page
    assert "15:00" not in page
    assert "UTC" not in page
    assert "2026-12-06 20:16 EST" in page  # when the request came in


def test_the_api_judges_today_by_the_organizations_day(
    evening: None,
    therapist: User,
    practitioner: Practitioner,
    api_client_for: Callable[[User], Client],
) -> None:
    """A license that runs until the 6th is still current at 20:16 on the 6th in Tampa."""
    License.objects.filter(practitioner=practitioner).update(expires_on=LOCAL_DAY)
    response = api_client_for(therapist).get(f"/api/v1/practitioners/{practitioner.public_id}")
    assert response.status_code == 200
    assert [lic["current"] for lic in response.json()["licenses"]] == [True]


def test_a_patients_intake_link_says_until_when_in_the_clinics_time(
    evening: None, owner: User, patient: Patient
) -> None:
    from palpa.screening.services import create_intake_link

    link, token = create_intake_link(actor=owner, patient=patient)
    until = link.expires_at.astimezone(TAMPA)
    page = _text(Client().get(reverse("intake:form", args=[token])))
    assert f"until {until:%B} {until.day}, {until.year}, {until:%I:%M}".replace(" 0", " ") in page
    assert f"{until:%p} {until:%Z}" in page  # e.g. 8:16 PM EST
    assert until.strftime("%H:%M") == "20:16"


def test_the_audit_logs_since_filter_counts_the_organizations_days(
    evening: None, owner: User, patient: Patient, client_for: Callable[[User], Client]
) -> None:
    """The patient was registered at 20:16 on the 6th, local time (01:16 on the 7th, UTC)."""
    client = client_for(owner)
    url = reverse("audit:log")
    since_local_day = _text(client.get(url, {"since": LOCAL_DAY.isoformat(), "action": "create"}))
    since_utc_day = _text(client.get(url, {"since": UTC_DAY.isoformat(), "action": "create"}))
    assert "2026-12-06 20:16:00 EST" in since_local_day
    assert "2026-12-06 20:16:00 EST" not in since_utc_day
