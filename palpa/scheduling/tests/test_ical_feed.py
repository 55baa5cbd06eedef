"""The therapist's calendar feed: a secret, revocable URL with that therapist's
appointments only, the patient reduced to initials; every read audited.

The feed is read by the ``icalendar`` package (as calendar apps would) and by the strict
reader in ``test_ical_writer``, which checks the line rules too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.errors import Refused
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import feeds, services
from palpa.scheduling.models import Appointment, AppointmentType, CalendarFeed
from palpa.scheduling.tests.support import at
from palpa.scheduling.tests.test_ical_writer import parse, unescape

TUESDAY_NEXT = dt.date(2026, 3, 10)


def book(
    actor: User,
    patient: Patient,
    who: Practitioner,
    location: Location,
    kind: AppointmentType,
    start: dt.datetime,
) -> Appointment:
    return services.book_appointment(
        actor=actor,
        patient=patient,
        practitioner=who,
        location=location,
        appointment_type=kind,
        start=start,
    )


@pytest.fixture
def booked(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    other_practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    hours: None,
    other_hours: None,
) -> list[Appointment]:
    mine = book(front_desk, patient, practitioner, location, treatment, at(TUESDAY_NEXT, "10:00"))
    cancelled = book(
        front_desk, patient, practitioner, location, treatment, at(TUESDAY_NEXT, "13:00")
    )
    services.cancel_appointment(actor=front_desk, appointment=cancelled, reason="Patient ill")
    theirs = book(
        front_desk, patient, other_practitioner, location, treatment, at(TUESDAY_NEXT, "10:00")
    )
    return [mine, cancelled, theirs]


def path_of(therapist: User) -> str:
    _feed, token = feeds.create_feed(actor=therapist)
    return feeds.feed_path(token)


def test_the_feed_is_a_calendar_of_the_therapists_own_appointments(
    therapist: User, booked: list[Appointment]
) -> None:
    response = Client().get(path_of(therapist))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    components = parse(response.content.decode())
    events = [c for c in components if c["_"] == "VEVENT"]
    assert {e["UID"] for e in events} == {
        f"{booked[0].public_id}@palpa",
        f"{booked[1].public_id}@palpa",
    }
    first = next(e for e in events if e["UID"].startswith(str(booked[0].public_id)))
    assert first["DTSTART"] == "20260310T140000Z"  # 10:00 EDT
    assert first["DTEND"] == "20260310T150000Z"
    assert unescape(first["SUMMARY"]) == "R.D. · Treatment 60 min"
    assert first["STATUS"] == "CONFIRMED"
    assert "Bayside Clinic" in unescape(first["LOCATION"])
    cancelled = next(e for e in events if e["UID"].startswith(str(booked[1].public_id)))
    assert cancelled["STATUS"] == "CANCELLED"


def test_the_feed_carries_no_names_or_contact_details(
    therapist: User, patient: Patient, booked: list[Appointment]
) -> None:
    text = Client().get(path_of(therapist)).content.decode()
    # UIDs are random UUIDs: any digit run may occur in them, so they are left out.
    readable = "\n".join(line for line in text.splitlines() if not line.startswith("UID:"))
    phone_digits = "".join(ch for ch in patient.phone if ch.isdigit())
    for private in ("Rosa", "Delgado", patient.mrn, phone_digits, "555 0101", "rosa@example.com"):
        assert private not in readable
    assert patient.date_of_birth.isoformat().replace("-", "") not in readable


def test_every_read_is_audited(therapist: User, booked: list[Appointment]) -> None:
    path = path_of(therapist)
    Client().get(path)
    Client().get(path)
    feed = CalendarFeed.objects.get()
    reads = AuditEvent.objects.filter(action="export", object_id=str(feed.public_id))
    assert reads.count() == 2
    assert feed.__class__.objects.get().last_read_at is not None


def test_a_revoked_or_replaced_feed_stops_at_once(
    therapist: User, booked: list[Appointment]
) -> None:
    first = path_of(therapist)
    second = path_of(therapist)  # making a new one revokes the first
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    feed = CalendarFeed.objects.get(revoked_at__isnull=True)
    feeds.revoke_feed(actor=therapist, feed=feed)
    assert Client().get(second).status_code == 404
    with pytest.raises(Refused):
        feeds.revoke_feed(actor=therapist, feed=feed)


def test_an_unknown_token_and_a_revoked_one_look_the_same(therapist: User) -> None:
    path = path_of(therapist)
    feeds.revoke_feed(actor=therapist, feed=CalendarFeed.objects.get())
    revoked = Client().get(path)
    unknown = Client().get("/feeds/calendar/not-a-token.ics")
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.content == unknown.content


def test_the_feed_is_rate_limited(settings: Any, therapist: User) -> None:
    settings.PALPA_FEED_RATE_LIMIT = 2
    path = path_of(therapist)
    assert [Client().get(path).status_code for _ in range(3)] == [200, 200, 429]


def test_front_desk_has_no_feed_of_their_own(front_desk: User) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        feeds.create_feed(actor=front_desk)


def test_another_therapist_cannot_revoke_a_feed_but_the_owner_can(
    owner: User, therapist: User, other_therapist: User, outsider: User
) -> None:
    from django.core.exceptions import PermissionDenied

    path_of(therapist)
    feed = CalendarFeed.objects.get()
    for intruder in (other_therapist, outsider):
        with pytest.raises(PermissionDenied):
            feeds.revoke_feed(actor=intruder, feed=feed)
    feeds.revoke_feed(actor=owner, feed=feed)


def test_the_icalendar_package_reads_the_feed(therapist: User, booked: list[Appointment]) -> None:
    calendar = icalendar.Calendar.from_ical(Client().get(path_of(therapist)).content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2
    starts = sorted(e.decoded("DTSTART") for e in events)
    assert starts[0] == booked[0].start
    assert {str(e.get("STATUS")) for e in events} == {"CONFIRMED", "CANCELLED"}
