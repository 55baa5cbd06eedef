"""Many clerks book the same slot at the same moment, each on their own database
connection: exactly one booking succeeds, every other gets "slot just taken".

On PostgreSQL the exclusion constraints decide (migration 0002); on SQLite the
IMMEDIATE write transaction serializes the bookings and the overlap check inside it
decides (that race runs in a subprocess on a SQLite file: sqlite_race.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection

from palpa.accounts.models import Location, User
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services
from palpa.scheduling.models import Appointment, AppointmentType
from palpa.scheduling.tests.support import NEXT_MONDAY, at
from tests.schema import kept_sqlite_schema

CLERKS = 8


def _race(
    front_desk: User,
    patients: list[Patient],
    practitioner: Practitioner,
    location: Location,
    kind: AppointmentType,
    starts: list[str],
) -> list[str]:
    barrier = threading.Barrier(len(patients))
    outcomes: list[str] = []
    lock = threading.Lock()

    def clerk(patient: Patient, hhmm: str) -> None:
        try:
            barrier.wait(timeout=30)
            services.book_appointment(
                actor=front_desk,
                patient=patient,
                practitioner=practitioner,
                location=location,
                appointment_type=kind,
                start=at(NEXT_MONDAY, hhmm),
            )
            result = "booked"
        except services.SlotTaken as exc:
            result = exc.code
        except Exception as exc:  # the test reports anything else
            result = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()  # each thread had its own connection
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=clerk, args=(p, hhmm))
        for p, hhmm in zip(patients, starts, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return sorted(outcomes)


@pytest.fixture
def patients(owner: User, location: Location) -> list[Patient]:
    return [
        create_patient(
            actor=owner,
            given_name=f"Patient{n}",
            family_name="Racer",
            date_of_birth=__import__("datetime").date(1980, 1, n + 1),
            primary_location=location,
        )
        for n in range(CLERKS)
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("hours", "room")
def test_exactly_one_of_many_concurrent_bookings_of_one_slot_succeeds(
    front_desk: User,
    patients: list[Patient],
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    if connection.vendor == "sqlite":
        pytest.skip(
            "the SQLite test database is in-memory with a shared cache, whose table locks "
            "fail at once (SQLITE_LOCKED) instead of queueing on busy_timeout as the file "
            "database does; the SQLite file-database race below covers SQLite"
        )
    # The same practitioner, overlapping times (10:00, 10:15, 10:30, 10:45 twice each).
    starts = [f"10:{15 * (n % 4):02d}" for n in range(CLERKS)]
    outcomes = _race(front_desk, patients, practitioner, location, treatment, starts)
    assert outcomes == ["booked"] + ["slot_taken"] * (CLERKS - 1), outcomes
    assert Appointment.objects.filter(status="booked").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("hours", "room")
def test_the_database_itself_refuses_an_overlap_the_service_did_not_see(
    front_desk: User,
    patients: list[Patient],
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    """A row written past the service (as a buggy import might) still cannot overlap on
    PostgreSQL; SQLite has no exclusion constraint, so there only the service guards."""
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints exist only on PostgreSQL; SQLite is covered above")
    from django.db import IntegrityError

    first = services.book_appointment(
        actor=front_desk,
        patient=patients[0],
        practitioner=practitioner,
        location=location,
        appointment_type=treatment,
        start=at(NEXT_MONDAY, "10:00"),
    )
    clash = Appointment(
        organization_id=first.organization_id,
        location=location,
        practitioner=practitioner,
        patient=patients[1],
        appointment_type=treatment,
        start=at(NEXT_MONDAY, "10:30"),
        end=at(NEXT_MONDAY, "11:30"),
        busy_until=at(NEXT_MONDAY, "11:30"),
    )
    with pytest.raises(IntegrityError, match="appointment_practitioner_no_overlap"):
        clash.save()
    clash.status = "cancelled"
    clash.pk = None
    clash.save()  # cancelled rows do not take the slot


def test_on_a_sqlite_file_database_exactly_one_concurrent_booking_succeeds(
    tmp_path: Path,
) -> None:
    """The same race on a fresh SQLite file configured as Palpa runs it (WAL, IMMEDIATE
    transactions, busy_timeout), in a separate process: see sqlite_race.py. The file
    starts as the session's migrated schema when one is kept (tests/schema.py), so its
    ``migrate`` finds nothing left to apply instead of running every migration again."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PALPA_DATA_DIR"] = str(tmp_path)
    kept = kept_sqlite_schema()
    if kept is not None:
        shutil.copyfile(kept, tmp_path / "palpa.sqlite3")
    done = subprocess.run(
        [sys.executable, "-m", "palpa.scheduling.tests.sqlite_race"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcomes = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcomes == ["booked", "rows:1"] + ["slot_taken"] * 7, outcomes
