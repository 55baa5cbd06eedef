"""Palpa's FHIR benchmark: reads, a one-patient search and bulk export, each against the
same data read straight from the database in the same run.

    .venv/bin/python bench/fhir_bench.py [--factor 40] [--seconds 5] [--database-url URL]

What one run does (in one process, nothing listens on the network, bounded in time):

1. makes a fresh database (SQLite in a temporary directory, or ``--database-url``, e.g.
   ``postgres://postgres@127.0.0.1:5432/palpa_fhir_bench``, which is dropped and
   recreated), migrates it, loads ``palpa demo`` and scales it up ``--factor`` times
   (bench/fhir_data.py), and gives one patient 100+ Observations;
2. registers a system/*.read FHIR client and takes a token through the token endpoint;
3. measures through the whole Django stack (middleware, bearer token, audit entry;
   django.test.Client, no network), each op timed alone:
   - Patient read (``GET /fhir/R4/Patient/<id>``, rotating over 200 patients) against the
     same row read by the ORM with the same joins;
   - Observation search for one patient (``?patient=…&_count=100``, 100 results) against
     the same 100 rows read by the ORM;
   - bulk ``$export`` of every Observation: kick-off, the task's work (run in-process, as
     ``db_worker`` would), and downloading every file; against reading the same rows
     by the ORM with the same joins (``.iterator()``);
4. prints ms per op (mean, p50, p99 for reads), resources/s and MB/s for the export, each
   as a ratio to the database read, and whether the targets are met; writes the numbers
   as JSON to bench/results/.

Targets: export at least 50 % of the raw database read rate; Patient read p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
HOST = "127.0.0.1"
EXPORT_MIN_RATIO = 0.50
READ_MAX_P99_MS = 20.0


def configure(database_url: str, data_dir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "palpa.settings",
            "PALPA_ENV": "development",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": HOST,
            "PALPA_DATA_DIR": str(data_dir),
            "LOG_LEVEL": "WARNING",
        }
    )
    if database_url:
        os.environ["DATABASE_URL"] = database_url
        import psycopg
        from psycopg import sql

        name = database_url.rsplit("/", 1)[1]
        admin = database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    sys.path.insert(0, str(ROOT))


def timed(op: Callable[[], object], seconds: float, most: int) -> list[float]:
    """Milliseconds of each run of ``op`` (a few warm-up runs first, not counted)."""
    for _ in range(3):
        op()
    found: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and len(found) < most:
        start = time.perf_counter()
        op()
        found.append((time.perf_counter() - start) * 1000)
    return found


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "ops": len(ms),
        "mean_ms": round(statistics.fmean(ms), 3),
        "p50_ms": round(p(ms, 0.50), 3),
        "p99_ms": round(p(ms, 0.99), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factor", type=int, default=40, help="copies of the demo (40)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per read measurement (5)")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default SQLite)")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="palpa-fhir-bench-") as tmp:
        configure(args.database_url, Path(tmp))
        results = run(args)
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"fhir-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwall time {results['wall_seconds']} s; results in {out.relative_to(ROOT)}")
    return 0


def run(args: argparse.Namespace) -> dict[str, Any]:
    import io

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bench import fhir_data
    from palpa.accounts.models import Organization, User
    from palpa.fhir import bulk, queries
    from palpa.fhir.models import ExportJob
    from palpa.fhir.services import create_fhir_client
    from palpa.patients.models import Patient

    quiet = io.StringIO()
    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0, stdout=quiet)
    call_command("demo", quiet=True, stdout=quiet)
    therapist = User.objects.get(email="therapist@harbor.example")
    assert therapist.organization_id is not None
    org = Organization.objects.get(pk=therapist.organization_id)
    patients, observation_rows = fhir_data.multiply(org.pk, args.factor)
    busiest = (
        Patient.objects.filter(organization=org, instrument_administrations__isnull=False)
        .order_by("pk")
        .first()
    )
    assert busiest is not None
    fhir_data.deepen(busiest.pk, 100)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"data: {patients} patients, {observation_rows} observation rows "
        f"(demo x{args.factor}), loaded in {time.perf_counter() - t0:.1f} s "
        f"on {connection.vendor}"
    )

    issued = create_fhir_client(
        actor=None, organization=org, name="bench", scopes=["system/*.read"]
    )
    web = Client(HTTP_HOST=HOST)
    token = web.post(
        "/fhir/R4/auth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION="Basic "
        + base64.b64encode(f"{issued.client_id}:{issued.client_secret}".encode()).decode(),
    ).json()["access_token"]
    fhir = Client(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Bearer {token}")
    actor = therapist
    results: dict[str, Any] = {"vendor": connection.vendor, "factor": args.factor}

    # --- Patient read ---------------------------------------------------------------
    sample = list(
        Patient.objects.filter(organization=org).order_by("pk").values_list("public_id", flat=True)
    )[:: max(1, patients // 200)][:200]
    turn = {"i": 0}

    def next_id() -> str:
        turn["i"] += 1
        return str(sample[turn["i"] % len(sample)])

    def fhir_read() -> None:
        response = fhir.get(f"/fhir/R4/Patient/{next_id()}")
        assert response.status_code == 200, response.content

    def db_read() -> None:
        queries.fhir_patients(actor).get(public_id=next_id())

    read = summary(timed(fhir_read, args.seconds, 5000))
    raw_read = summary(timed(db_read, args.seconds / 2, 5000))
    results["patient_read"] = {**read, "db": raw_read}

    # --- Observation search for one patient (100 results) ----------------------------
    url = f"/fhir/R4/Observation?patient={busiest.public_id}&_count=100"

    def fhir_search() -> None:
        found = fhir.get(url).json()
        assert len(found["entry"]) == 100, found.get("total")

    def db_search() -> None:
        rows: list[Any] = []
        for source in (queries.fhir_administrations, queries.fhir_rom):
            rows += list(source(actor).filter(patient=busiest)[: 100 - len(rows)])
        assert len(rows) == 100

    search = summary(timed(fhir_search, args.seconds, 2000))
    raw_search = summary(timed(db_search, args.seconds / 2, 2000))
    results["observation_search"] = {**search, "db": raw_search}

    # --- bulk export of every Observation -------------------------------------------
    from palpa.fhir.registry import get_type

    observation = get_type("Observation")
    assert observation is not None
    start = time.perf_counter()
    rows = 0
    for source in observation.sources:
        qs = source.queryset(actor)
        if source.prefetch:
            qs = qs.prefetch_related(*source.prefetch)
        for _row in qs.order_by("pk").iterator(chunk_size=bulk.CHUNK):
            rows += 1
    raw_seconds = time.perf_counter() - start

    start = time.perf_counter()
    kick = fhir.get(
        "/fhir/R4/$export?_type=Observation",
        HTTP_ACCEPT="application/fhir+json",
        HTTP_PREFER="respond-async",
    )
    assert kick.status_code == 202, kick.content
    job = ExportJob.objects.latest("created_at")
    bulk.run_export.call(job.pk, f"http://{HOST}/fhir/R4")  # the task's work, as db_worker runs it
    manifest = fhir.get(kick["Content-Location"]).json()
    size = 0
    resources = 0
    for item in manifest["output"]:
        body = fhir.get(item["url"]).content
        size += len(body)
        resources += body.count(b"\n")
    export_seconds = time.perf_counter() - start
    assert resources == rows, (resources, rows)
    mb = size / 1e6
    results["export"] = {
        "resources": resources,
        "megabytes": round(mb, 2),
        "seconds": round(export_seconds, 3),
        "resources_per_s": round(resources / export_seconds),
        "mb_per_s": round(mb / export_seconds, 2),
        "db": {
            "seconds": round(raw_seconds, 3),
            "rows_per_s": round(rows / raw_seconds),
            "mb_per_s": round(mb / raw_seconds, 2),  # the same bytes at the raw read's pace
        },
    }
    report(results)
    return results


def report(results: dict[str, Any]) -> None:
    read, search, export = (
        results["patient_read"],
        results["observation_search"],
        results["export"],
    )
    print(f"\n{'measure':<34}{'ms/op':>9}{'p50':>9}{'p99':>9}{'db ms/op':>10}{'x db rate':>11}")
    for label, found in (("Patient read", read), ("Observation search (100)", search)):
        ratio = found["db"]["mean_ms"] / found["mean_ms"]
        found["ratio_to_db"] = round(ratio, 3)
        print(
            f"{label:<34}{found['mean_ms']:>9.2f}{found['p50_ms']:>9.2f}{found['p99_ms']:>9.2f}"
            f"{found['db']['mean_ms']:>10.2f}{ratio:>11.3f}"
        )
    ratio = export["resources_per_s"] / export["db"]["rows_per_s"]
    export["ratio_to_db"] = round(ratio, 3)
    print(
        f"\nbulk export of {export['resources']} Observations ({export['megabytes']} MB): "
        f"{export['resources_per_s']} resources/s, {export['mb_per_s']} MB/s; "
        f"database read {export['db']['rows_per_s']} rows/s "
        f"({export['db']['mb_per_s']} MB/s equivalent): x{ratio:.3f}"
    )
    met_export = ratio >= EXPORT_MIN_RATIO
    met_read = read["p99_ms"] < READ_MAX_P99_MS
    results["targets"] = {"export_ratio_met": met_export, "read_p99_met": met_read}
    print(
        f"targets: export >= {EXPORT_MIN_RATIO:.0%} of the database read rate: "
        f"{'met' if met_export else 'NOT met'}; Patient read p99 < {READ_MAX_P99_MS:.0f} ms: "
        f"{'met' if met_read else 'NOT met'}"
    )


if __name__ == "__main__":
    sys.exit(main())
