"""Palpa's scheduling benchmark: a 5-year calendar on PostgreSQL, slot search and the week view.

    .venv/bin/python bench/schedule_bench.py [--repeat 40] [--years 5]

What one run does (everything on 127.0.0.1, bounded in time):

1. drops and recreates its own PostgreSQL database (``palpa_bench_sched``) and migrates it;
2. seeds one organization with 20 locations (four US time zones) x 10 therapists, each
   with a current license, Monday-Friday 09:00-17:00 hours and their own room, 1,000
   patients per location, and five years of appointments (about five a working day per
   therapist, some cancelled, every day with free gaps): the small tables through the ORM,
   the appointments with one ``INSERT ... SELECT generate_series`` into the table with its
   secondary indexes and constraints dropped, built again afterwards (which re-checks
   every row: the exclusion constraints forbid double booking), then ``ANALYZE``;
3. measures, in this process, alternating in rounds so that outside load falls on all
   alike: a primary-key read of one appointment through the ORM (the baseline); the bare
   baseline view ``/bench/baseline/<pk>`` through Django's middleware (a second
   baseline, for the page); finding the free slots of one appointment type across a
   location for a week (``scheduling.queries.available_slots``); and rendering the staff
   week view of a location (``GET /schedule/?view=week``, through the whole middleware,
   session and template) - each over a different location and week every round;
4. prints ms per operation (median and p90), each as a ratio to the baselines, whether
   the targets are met (slot search < 30 ms, week view < 100 ms), how busy the machine
   was meanwhile, and writes the numbers as JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
HOST = "127.0.0.1"

SLOT_TARGET_MS = 30.0
WEEK_TARGET_MS = 100.0
TIME_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
REGIONS = ["FL", "IL", "CO", "CA"]
# Local start times of the day's appointments (60 min + 15 min buffer each): gaps stay
# free between them and where the pattern below leaves a slot empty.
DAY_SLOTS = ["09:00", "10:15", "11:30", "13:30", "14:45", "16:00"]


def reset_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure_environment(database_url: str, data_dir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "palpa.settings",
            "PALPA_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "PALPA_AUDIT_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": f"{HOST},testserver",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "PALPA_DATA_DIR": str(data_dir),
            "PALPA_BENCH_BASELINE": "true",
            "LOG_LEVEL": "WARNING",
        }
    )


# --- seeding -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    organization_id: int
    location_ids: list[int]
    type_id: int
    desk_email: str
    appointments: int
    patients: int
    first_day: str
    last_day: str
    migrate_seconds: float
    seconds: float


def seeded_before() -> Seeded | None:
    """The calendar a previous run seeded into this database (``--reuse``), if any."""
    import django

    django.setup()
    from django.db import DatabaseError
    from django.db.models import Max, Min

    from palpa.accounts.models import Location, Organization, User
    from palpa.patients.models import Patient
    from palpa.scheduling.models import Appointment, AppointmentType

    try:
        org = Organization.objects.filter(slug="bench-net").first()
    except DatabaseError:  # no such database or tables yet
        return None
    if org is None:
        return None
    span = Appointment.objects.filter(organization=org).aggregate(a=Min("start"), b=Max("start"))
    return Seeded(
        organization_id=org.pk,
        location_ids=list(
            Location.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True)
        ),
        type_id=AppointmentType.objects.get(organization=org, code="treatment-60").pk,
        desk_email=User.objects.get(organization=org, role="front_desk").email,
        appointments=Appointment.objects.filter(organization=org).count(),
        patients=Patient.objects.filter(organization=org).count(),
        first_day=span["a"].date().isoformat(),
        last_day=span["b"].date().isoformat(),
        migrate_seconds=0.0,
        seconds=0.0,
    )


def seed(*, locations: int, therapists: int, patients_per_location: int, years: int) -> Seeded:
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    from palpa.accounts.models import Location, Organization, Room, User
    from palpa.patients.models import Patient
    from palpa.practitioners.models import License, Practitioner
    from palpa.scheduling.models import AppointmentType, WorkingHours

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    migrated = time.monotonic()
    today = dt.date.today()
    first = today - dt.timedelta(days=365 * (years - 1))  # four years back, one ahead
    last = today + dt.timedelta(days=365)
    with transaction.atomic():
        org = Organization.objects.create(name="Benchmark Massage Network", slug="bench-net")
        owner = User.objects.create(
            username="owner@bench.example",
            email="owner@bench.example",
            full_name="Bench Owner",
            organization=org,
            role="owner",
            password=make_password(None),
        )
        desk = User.objects.create(
            username="desk@bench.example",
            email="desk@bench.example",
            full_name="Bench Desk",
            organization=org,
            role="front_desk",
            password=make_password(None),
        )
        del owner
        locs = Location.objects.bulk_create(
            Location(
                organization=org,
                name=f"Clinic {n + 1:02d}",
                address_line1=f"{n + 1} Bench Way",
                city="Tampa",
                region=REGIONS[n % 4],
                postal_code="33602",
                time_zone=TIME_ZONES[n % 4],
            )
            for n in range(locations)
        )
        rooms = Room.objects.bulk_create(
            Room(organization=org, location=loc, name=f"Room {t + 1}")
            for loc in locs
            for t in range(therapists)
        )
        people = Practitioner.objects.bulk_create(
            Practitioner(
                organization=org,
                given_name=f"Therapist{n:03d}",
                family_name=f"Bench{n:03d}",
                credentials="LMT",
            )
            for n in range(locations * therapists)
        )
        License.objects.bulk_create(
            License(
                organization=org,
                practitioner=p,
                jurisdiction=REGIONS[(n // therapists) % 4],
                license_type="LMT",
                number=f"MA{n:05d}",
                issued_on=first - dt.timedelta(days=30),
                expires_on=last + dt.timedelta(days=365),
            )
            for n, p in enumerate(people)
        )
        WorkingHours.objects.bulk_create(
            WorkingHours(
                organization=org,
                practitioner=p,
                location=locs[n // therapists],
                weekday=day,
                start_time=dt.time(9),
                end_time=dt.time(17),
            )
            for n, p in enumerate(people)
            for day in range(5)
        )
        kind = AppointmentType.objects.create(
            organization=org,
            code="treatment-60",
            name="Treatment 60 min",
            kind="treatment",
            duration_minutes=60,
            buffer_minutes=15,
        )
        AppointmentType.objects.create(
            organization=org,
            code="evaluation",
            name="Initial evaluation",
            kind="evaluation",
            duration_minutes=60,
            buffer_minutes=15,
        )
        Patient.objects.bulk_create(
            (
                Patient(
                    organization=org,
                    mrn=f"P{n + 1:06d}",
                    given_name=f"Given{n % 997}",
                    family_name=f"Family{n:06d}",
                    search_name=f"given{n % 997} family{n:06d}",
                    date_of_birth=dt.date(1940 + n % 60, 1 + n % 12, 1 + n % 28),
                    primary_location=locs[n % locations],
                )
                for n in range(locations * patients_per_location)
            ),
            batch_size=5000,
        )
        org.next_mrn = locations * patients_per_location + 1
        org.save(update_fields=["next_mrn"])
    count = _insert_appointments(
        connection,
        organization_id=org.pk,
        practitioner_ids=[p.pk for p in people],
        room_ids=[r.pk for r in rooms],
        location_ids=[loc.pk for loc in locs],
        time_zones=[loc.time_zone for loc in locs],
        therapists=therapists,
        type_id=kind.pk,
        first=first,
        last=last,
        patients=locations * patients_per_location,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Seeded(
        organization_id=org.pk,
        location_ids=[loc.pk for loc in locs],
        type_id=kind.pk,
        desk_email=desk.email,
        appointments=count,
        patients=locations * patients_per_location,
        first_day=first.isoformat(),
        last_day=last.isoformat(),
        migrate_seconds=round(migrated - started, 1),
        seconds=round(time.monotonic() - migrated, 1),
    )


def _insert_appointments(
    connection: Any,
    *,
    organization_id: int,
    practitioner_ids: list[int],
    room_ids: list[int],
    location_ids: list[int],
    time_zones: list[str],
    therapists: int,
    type_id: int,
    first: dt.date,
    last: dt.date,
    patients: int,
) -> int:
    """Five years of appointments in one statement, loaded the way PostgreSQL loads bulk
    data fast: the table's secondary indexes and its unique and exclusion constraints are
    dropped first and built again afterwards (building them re-checks every row: no
    double booking, unique public ids), and the foreign-key triggers are skipped for the
    load (``session_replication_role = replica``; every id comes from the rows just
    made). The rows are identical to what the services would store."""
    from palpa.patients.models import Patient

    patient_min = Patient.objects.order_by("pk").values_list("pk", flat=True).first()
    assert patient_min is not None
    rows = [
        (i, pid, room_ids[i], location_ids[i // therapists], time_zones[i // therapists])
        for i, pid in enumerate(practitioner_ids)
    ]
    slots = ", ".join(f"({n}, time '{t}')" for n, t in enumerate(DAY_SLOTS))
    table = "scheduling_appointment"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('u', 'x')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint"
            " WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "CREATE TEMP TABLE bench_therapist (idx int, practitioner_id bigint, room_id bigint,"
            " location_id bigint, tz text)"
        )
        cursor.executemany("INSERT INTO bench_therapist VALUES (%s, %s, %s, %s, %s)", rows)
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            f"""
            INSERT INTO {table} (
                public_id, organization_id, created_at, updated_at, location_id,
                practitioner_id, room_id, patient_id, appointment_type_id, start, "end",
                busy_until, status, source, notes, screening_decision, outside_hours_reason,
                cancel_reason)
            SELECT gen_random_uuid(), %(org)s, now(), now(), t.location_id, t.practitioner_id,
                t.room_id,
                %(pmin)s + ((t.idx * 7919 + (d::date - %(first)s) * 31 + s.n * 101)
                    %% %(patients)s),
                %(type)s, x.at, x.at + interval '60 minutes', x.at + interval '75 minutes',
                CASE WHEN (t.idx + (d::date - %(first)s) + s.n) %% 23 = 0 THEN 'cancelled'
                     WHEN x.at < now() THEN 'fulfilled' ELSE 'booked' END,
                'staff', '', '', '',
                CASE WHEN (t.idx + (d::date - %(first)s) + s.n) %% 23 = 0
                     THEN 'Patient ill' ELSE '' END
            FROM bench_therapist t
            CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') d
            CROSS JOIN (VALUES {slots}) AS s(n, at_local)
            CROSS JOIN LATERAL (
                SELECT ((d::date + s.at_local) AT TIME ZONE t.tz) AS at) x
            WHERE extract(isodow FROM d) < 6
              AND (t.idx * 3 + (d::date - %(first)s) + s.n * 2) %% 6 <> 0
            """,
            {
                "org": organization_id,
                "pmin": patient_min,
                "first": first,
                "last": last,
                "patients": patients,
                "type": type_id,
            },
        )
        count: int = cursor.rowcount
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("DROP TABLE bench_therapist")
    # Build the indexes and constraints again, two at a time (one per CPU of the
    # reference machine), the slow GiST exclusion constraints first.
    statements = [f'ALTER TABLE {table} ADD CONSTRAINT "{n}" {d}' for n, d in constraints]
    statements.sort(key=lambda sql: "EXCLUDE" not in sql)
    statements += [definition for _name, definition in indexes]
    _run_parallel(statements, workers=2)
    return count


def _run_parallel(statements: list[str], *, workers: int) -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    queue = list(statements)

    def work() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '256MB'")
            while queue:
                try:
                    statement = queue.pop(0)
                except IndexError:
                    return
                conn.execute(statement)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(work) for _ in range(workers)]:
            future.result()


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Measured:
    key: str
    label: str
    runs: int
    median_ms: float
    p90_ms: float
    min_ms: float
    x_pk_read: float = 0.0
    x_baseline_view: float = 0.0
    target_ms: float | None = None

    @property
    def met(self) -> bool | None:
        return None if self.target_ms is None else self.median_ms < self.target_ms


def _cpu_times() -> tuple[float, float]:
    """(total jiffies of the machine, jiffies used by this process)."""
    with open("/proc/stat") as f:
        fields = [float(v) for v in f.readline().split()[1:]]
    busy_total = sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)
    own = os.times()
    return busy_total, (own.user + own.system) * os.sysconf("SC_CLK_TCK")


def measure(seeded: Seeded, *, rounds: int) -> tuple[list[Measured], float]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from palpa.accounts.models import Location, User
    from palpa.scheduling import queries
    from palpa.scheduling.models import Appointment, AppointmentType

    desk = User.objects.get(email=seeded.desk_email)
    client = Client()
    client.force_login(desk)
    kind = AppointmentType.objects.get(pk=seeded.type_id)
    locations = list(Location.objects.filter(pk__in=seeded.location_ids).order_by("pk"))
    today = dt.date.today()
    monday = today - dt.timedelta(days=today.weekday())
    weeks = [monday + dt.timedelta(days=7 * (1 + n)) for n in range(8)]
    pks = list(
        Appointment.objects.filter(location_id=locations[0].pk)
        .order_by("pk")
        .values_list("pk", flat=True)[:5000:25]
    )
    patient_pks = list(Appointment.objects.filter(pk__in=pks).values_list("patient_id", flat=True))

    def pk_read(i: int) -> None:
        found = Appointment.objects.filter(pk=pks[i % len(pks)]).values_list("start").first()
        assert found is not None

    def baseline_view(i: int) -> None:
        response = client.get(f"/bench/baseline/{patient_pks[i % len(patient_pks)]}", secure=True)
        assert response.status_code == 200, response.status_code

    def slot_search(i: int) -> None:
        found = queries.available_slots(
            location=locations[i % len(locations)],
            appointment_type=kind,
            first_day=weeks[i % len(weeks)],
            days=7,
        )
        assert found, "the seeded calendar always leaves free slots"

    def week_view(i: int) -> None:
        loc = locations[(i * 7) % len(locations)]
        day = weeks[(i * 3) % len(weeks)]
        url = f"/schedule/?view=week&date={day.isoformat()}&location={loc.public_id}"
        response = client.get(url, secure=True)
        assert response.status_code == 200, response.status_code
        assert b'class="appt ' in response.content

    operations: list[tuple[str, str, Callable[[int], None], float | None]] = [
        ("pk_read", "primary-key read (ORM, baseline)", pk_read, None),
        ("baseline_view", "bare baseline view (1 pk read + middleware)", baseline_view, None),
        ("slot_search", "free slots: 1 type, 1 location, 1 week", slot_search, SLOT_TARGET_MS),
        ("week_view", "week view of a location (HTML)", week_view, WEEK_TARGET_MS),
    ]
    assert not settings.DEBUG
    timings: dict[str, list[float]] = {key: [] for key, *_ in operations}
    for _key, _label, run, _target in operations:  # warm up, unmeasured
        for i in range(3):
            run(i)
    # Statement counts (not timed): what one slot search and one week view ask the database.
    statements: dict[str, int] = {}
    from django.test.utils import CaptureQueriesContext

    for key, _label, run, _target in operations:
        with CaptureQueriesContext(connection) as captured:
            run(0)
        statements[key] = len(captured.captured_queries)
    machine0, own0 = _cpu_times()
    wall0 = time.monotonic()
    for r in range(rounds):
        for key, _label, run, _target in operations:
            inner = 20 if key in ("pk_read", "baseline_view") else 1
            start = time.perf_counter()
            for k in range(inner):
                run(r * inner + k)
            timings[key].append((time.perf_counter() - start) * 1000 / inner)
    machine1, own1 = _cpu_times()
    wall = time.monotonic() - wall0
    hz = os.sysconf("SC_CLK_TCK")
    other_cpu = max(0.0, ((machine1 - machine0) - (own1 - own0)) / hz / wall * 100)

    results = []
    for key, label, _run, target in operations:
        values = sorted(timings[key])
        results.append(
            Measured(
                key=key,
                label=f"{label} [{statements[key]} statements]",
                runs=len(values),
                median_ms=statistics.median(values),
                p90_ms=values[min(len(values) - 1, int(len(values) * 0.9))],
                min_ms=values[0],
                target_ms=target,
            )
        )
    pk = results[0].median_ms
    view = results[1].median_ms
    for m in results:
        m.x_pk_read = m.median_ms / pk if pk else 0.0
        m.x_baseline_view = m.median_ms / view if view else 0.0
    return results, other_cpu


# --- the run -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=40, help="measured rounds (40)")
    parser.add_argument("--years", type=int, default=5, help="years of calendar (5)")
    parser.add_argument("--locations", type=int, default=20)
    parser.add_argument("--therapists", type=int, default=10, help="per location (10)")
    parser.add_argument("--patients", type=int, default=1000, help="per location (1000)")
    parser.add_argument("--database", default="palpa_bench_sched", help="dropped and recreated!")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the calendar a previous run seeded"
    )
    parser.add_argument("--pg", default=f"postgres://postgres@{HOST}:5432", help="server URL")
    args = parser.parse_args(argv)
    if "bench" not in args.database:
        parser.error("--database must contain 'bench': it is dropped and recreated")
    if urlsplit(args.pg).hostname not in {HOST, "localhost"}:
        parser.error(f"--pg must be a PostgreSQL server on {HOST}")
    if not 1 <= args.repeat <= 1000 or not 1 <= args.years <= 10:
        parser.error("--repeat 1..1000 and --years 1..10")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="palpa-sched-bench-") as work:
        pg = args.pg.rstrip("/")
        configure_environment(f"{pg}/{args.database}", Path(work) / "data")
        seeded = seeded_before() if args.reuse else None
        if seeded is not None:
            print(f"Reusing the calendar seeded before in {args.database}", flush=True)
            from django.core.management import call_command

            call_command("collectstatic", interactive=False, verbosity=0)
        else:
            print(f"Resetting database {args.database} on {pg} ...", flush=True)
            reset_database(f"{pg}/postgres", args.database)
            print(
                f"Migrating and seeding {args.years} years: {args.locations} locations x"
                f" {args.therapists} therapists, {args.patients} patients per location ...",
                flush=True,
            )
            seeded = seed(
                locations=args.locations,
                therapists=args.therapists,
                patients_per_location=args.patients,
                years=args.years,
            )
        print(
            f"  {seeded.appointments:,} appointments ({seeded.first_day} to {seeded.last_day}),"
            f" {seeded.patients:,} patients; migrated in {seeded.migrate_seconds:.0f} s,"
            f" seeded in {seeded.seconds:.0f} s",
            flush=True,
        )
        print(f"Measuring {args.repeat} rounds (alternating operations) ...", flush=True)
        results, other_cpu = measure(seeded, rounds=args.repeat)
    print()
    print(
        f"Palpa scheduling benchmark: PostgreSQL, in-process, {os.cpu_count()} CPUs,"
        f" {seeded.appointments:,} appointments"
    )
    print()
    print("| operation | median ms | p90 ms | x pk read | x baseline view | target |")
    print("| --- | --- | --- | --- | --- | --- |")
    for m in results:
        target = (
            "" if m.target_ms is None else f"< {m.target_ms:g} ms {'met' if m.met else 'MISSED'}"
        )
        print(
            f"| {m.label} | {m.median_ms:.2f} | {m.p90_ms:.2f} | {m.x_pk_read:.1f} |"
            f" {m.x_baseline_view:.2f} | {target} |"
        )
    print()
    print(f"Other processes used {other_cpu:.0f}% of one CPU on average while measuring.")
    if other_cpu > 20:
        print("WARNING: the machine was busy; these numbers are disturbed. Run again when quiet.")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"schedule_bench-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "at": stamp,
                "commit": git_commit(),
                "cpus": os.cpu_count(),
                "settings": {k: v for k, v in vars(args).items() if k != "pg"},
                "seeded": asdict(seeded),
                "results": [asdict(m) | {"met": m.met} for m in results],
                "other_cpu_percent": round(other_cpu, 1),
                "wall_seconds": round(time.monotonic() - started, 1),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"Results: {out.relative_to(ROOT)}  ({time.monotonic() - started:.0f} s in all)")
    return 0


def git_commit() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip()
    return ""


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
