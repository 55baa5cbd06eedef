"""Helpers for the scheduling tests: the clinic's week, types and rooms, and times.

The clock stands at ``palpa.core.tests.support.NOW`` (Monday 2 March 2026, 15:00 in
Tampa). ``at(day, "10:00")`` is a local wall-clock time at the Bayside Clinic
(America/New_York) as a UTC instant.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from palpa.accounts.models import Location, Room, User
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services
from palpa.scheduling.models import AppointmentType

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
MONDAY = dt.date(2026, 3, 2)  # the frozen today
NEXT_MONDAY = dt.date(2026, 3, 9)
WEEKDAYS_9_TO_5 = [services.HoursRow(d, dt.time(9), dt.time(17)) for d in range(5)]


def at(day: dt.date, hhmm: str, tz: dt.tzinfo = NEW_YORK) -> dt.datetime:
    hour, minute = (int(p) for p in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz).astimezone(dt.UTC)


def make_type(owner: User, code: str, kind: str, minutes: int, **fields: Any) -> AppointmentType:
    names = {
        "evaluation": "Initial evaluation",
        "treatment": f"Treatment {minutes} min",
        "reassessment": "Re-assessment",
        "spa": f"Spa massage {minutes} min",
    }
    defaults: dict[str, Any] = {"buffer_minutes": 15, "name": names[kind]}
    if kind == "spa":
        defaults.update(counts_as_visit=False, online_bookable=True)
    defaults.update(fields)
    return services.create_appointment_type(
        actor=owner, code=code, kind=kind, duration_minutes=minutes, **defaults
    )


def make_room(location: Location, name: str, features: list[str] | None = None) -> Room:
    room = Room.objects.create(organization=location.organization, location=location, name=name)
    if features:
        owner = User.objects.get(organization=location.organization, role="owner")
        services.set_room_features(actor=owner, room=room, features=features)
    return room


def weekday_hours(owner: User, practitioner: Practitioner, location: Location) -> None:
    services.set_weekly_hours(
        actor=owner, practitioner=practitioner, location=location, rows=WEEKDAYS_9_TO_5
    )
