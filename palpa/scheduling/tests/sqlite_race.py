"""Run as ``python -m palpa.scheduling.tests.sqlite_race`` with ``PALPA_DATA_DIR`` set to
an empty folder, or one holding only a kept migrated schema as ``palpa.sqlite3`` (and no
``DATABASE_URL``): migrates the file SQLite database configured as in production (WAL,
IMMEDIATE transactions, busy_timeout), then lets ``CLERKS`` threads, each on its own
connection, book overlapping times for one practitioner at once. Prints the outcomes as
JSON (one per thread, sorted).

Used by test_no_double_booking_concurrently.py: pytest's own SQLite test database is an
in-memory shared-cache database whose locks do not queue, so the race runs here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading

CLERKS = 8
NOW = dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palpa.settings")
    if os.environ.get("DATABASE_URL"):
        sys.exit("run this against SQLite: unset DATABASE_URL")
    import django

    django.setup()
    import time_machine
    from django.core.management import call_command
    from django.db import connection

    assert connection.vendor == "sqlite"
    # Every app: a model's newest column (a patient's, an organization's) must exist even
    # when no scheduling migration depends on it.
    call_command("migrate", verbosity=0)
    from palpa.core import events

    events._handlers.clear()  # the race is about bookings, not what listens to them
    with time_machine.travel(NOW, tick=True):
        print(json.dumps(_race()))


def _race() -> list[str]:
    from django.db import connection

    from palpa.accounts.models import Location, Organization, Room, User
    from palpa.accounts.services import create_staff
    from palpa.patients.services import create_patient
    from palpa.practitioners.services import add_license, create_practitioner
    from palpa.scheduling import services
    from palpa.scheduling.tests.support import NEXT_MONDAY, WEEKDAYS_9_TO_5, at

    org = Organization.objects.create(name="Race Clinic", slug="race")
    location = Location.objects.create(
        organization=org,
        name="Race Clinic",
        address_line1="1 Test Way",
        city="Tampa",
        region="FL",
        postal_code="33602",
    )
    Room.objects.create(organization=org, location=location, name="Room 1")

    def staff(email: str, role: str, name: str) -> User:
        return create_staff(organization=org, email=email, full_name=name, role=role, password=None)

    owner = staff("owner@race.example", "owner", "Olive Owner")
    desk = staff("desk@race.example", "front_desk", "Fran Desk")
    therapist = staff("tess@race.example", "therapist", "Tess Therapist")
    practitioner = create_practitioner(
        actor=owner, user=therapist, given_name="Tess", family_name="Therapist"
    )
    add_license(
        actor=owner,
        practitioner=practitioner,
        jurisdiction="FL",
        license_type="LMT",
        number="MA00001",
        issued_on=dt.date(2025, 1, 1),
        expires_on=dt.date(2027, 1, 1),
    )
    services.set_weekly_hours(
        actor=owner, practitioner=practitioner, location=location, rows=WEEKDAYS_9_TO_5
    )
    kind = services.create_appointment_type(
        actor=owner,
        code="treatment-60",
        name="Treatment",
        kind="treatment",
        duration_minutes=60,
        buffer_minutes=15,
    )
    patients = [
        create_patient(
            actor=owner,
            given_name=f"Patient{n}",
            family_name="Racer",
            date_of_birth=dt.date(1980, 1, n + 1),
            primary_location=location,
        )
        for n in range(CLERKS)
    ]
    connection.close()
    barrier = threading.Barrier(CLERKS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def clerk(n: int) -> None:
        try:
            barrier.wait(timeout=60)
            services.book_appointment(
                actor=desk,
                patient=patients[n],
                practitioner=practitioner,
                location=location,
                appointment_type=kind,
                start=at(NEXT_MONDAY, f"10:{15 * (n % 4):02d}"),
            )
            result = "booked"
        except services.SlotTaken as exc:
            result = exc.code
        except Exception as exc:  # the test reports anything else
            result = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=clerk, args=(n,)) for n in range(CLERKS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    from palpa.scheduling.models import Appointment

    outcomes.append(f"rows:{Appointment.objects.filter(status='booked').count()}")
    return sorted(outcomes)


if __name__ == "__main__":
    main()
