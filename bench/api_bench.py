"""Palpa's API benchmark: production-style server, PostgreSQL, ratios to a bare baseline.

    .venv/bin/python bench/api_bench.py [--seconds 10] [--connections 16]

What one run does (everything on 127.0.0.1, bounded in time):

1. drops and recreates its own PostgreSQL database (``palpa_bench``), migrates it, loads
   ``palpa demo`` and 2,000 more patients through the services (so every one is audited),
   and ANALYZEs it (a database in use has planner statistics; a fresh one has none);
2. issues an API token for the demo therapist (Maya Chen) and, for the HTML chart page,
   a session for the same therapist already verified by her TOTP device (the session
   django-otp's own login would leave: ``DEVICE_ID_SESSION_KEY`` set);
3. serves Palpa with gunicorn (2 workers, ``PALPA_ENV=production``) and loads, with wrk
   and N connections for a bounded time each: read one patient, search patients by name,
   open the chart page, create a patient, each in slices alternating with the bare
   baseline view (one primary-key read on the same database, through the same
   middleware), so that each ratio compares rates measured side by side;
4. measures what audit logging costs: the same read and create again on a second server
   whose workers skip the audit write (bench/gunicorn_audit_off.py, bench-only), and
   ``audit.services.record`` timed in-process against a plain INSERT of the same row;
5. prints req/s, p50 and p99 with each rate as a ratio to the baseline, the targets,
   every worker's resident memory, verifies the audit chains, stops the servers, and
   writes the numbers as JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
HOST = "127.0.0.1"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
FORWARDED = {"X-Forwarded-Proto": "https"}  # as behind the TLS-terminating proxy

# Targets from the foundation issue (on the 2-core reference machine, 16 connections).
READ_MIN_RATIO = 0.50
READ_MAX_P99_MS = 25.0
CREATE_MIN_RPS = 400.0
WORKER_MAX_RSS_MB = 150.0
DEFAULT_KEYS = ("baseline", "read", "search", "chart", "create")  # pages_bench.py runs the rest
NOISY_OTHER_CPU = 20.0  # percent of one CPU used by processes outside the benchmark
READY_SECONDS = 120  # a busy machine boots the workers slowly


# --- Set-up: database, data, credentials ------------------------------------------------


def reset_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    """The production-style environment shared by this process and the servers."""
    env = {
        "DJANGO_SETTINGS_MODULE": "palpa.settings",
        "PALPA_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters, fresh each run
        "PALPA_AUDIT_KEY": secrets.token_urlsafe(48),  # the audit MAC key (ADR 0008)
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "PALPA_DATA_DIR": str(data_dir),
        "PALPA_BENCH_BASELINE": "true",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    return dict(os.environ)


@dataclass(frozen=True)
class Fixture:
    token: str
    session_cookie: str
    organization_id: int
    patient_ids: list[str]  # public ids, for the API read and the chart page
    patient_pks: list[int]  # primary keys of the same patients, for the baseline
    charted_ids: list[str]  # public ids of demo patients in a course of care (signed notes)
    search_terms: list[str]
    create_bodies: list[str]
    patients: int


def prepare(extra_patients: int) -> Fixture:
    """Migrate, load the demo and more patients, and make the credentials (in-process)."""
    import io

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection, transaction
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from palpa.accounts.models import Location, User
    from palpa.accounts.services import issue_token
    from palpa.care.models import TreatmentNote
    from palpa.demo import data
    from palpa.patients.models import Patient
    from palpa.patients.services import create_patient

    quiet = io.StringIO()
    call_command("migrate", interactive=False, verbosity=0, stdout=quiet)
    call_command("collectstatic", interactive=False, verbosity=0, stdout=quiet)
    call_command("demo", quiet=True, stdout=quiet)

    therapist = User.objects.select_related("organization").get(email="therapist@harbor.example")
    assert therapist.organization is not None
    locations = list(Location.objects.filter(organization=therapist.organization).order_by("pk"))
    with transaction.atomic():
        for i in range(extra_patients):
            given = data.GIVEN[i % len(data.GIVEN)]
            family = data.FAMILY[(i // len(data.GIVEN) + i) % len(data.FAMILY)]
            city, postal = data.CITIES[i % len(data.CITIES)]
            create_patient(
                actor=therapist,
                given_name=given,
                family_name=family,
                date_of_birth=dt.date(1940 + i % 65, 1 + i % 12, 1 + i % 28),
                sex="female" if i % 2 else "male",
                email=f"p{i}@mail.example",
                phone=f"+1 813 555 {i % 10000:04d}",
                address_line1=f"{10 + i} {data.STREETS[i % len(data.STREETS)]}",
                city=city,
                region="FL",
                postal_code=postal,
                primary_location=locations[i % len(locations)],
            )

    # Fresh tables have no planner statistics until autovacuum gets to them; without them
    # PostgreSQL reads a patient by scanning the organization's rows instead of using the
    # unique public_id index. A clinic's database in use has statistics: give them now.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    issued = issue_token(actor=therapist, name="api benchmark")
    device = TOTPDevice.objects.get(user=therapist, confirmed=True)
    session = SessionStore()
    session[SESSION_KEY] = str(therapist.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = therapist.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()

    rows = list(
        Patient.objects.filter(organization=therapist.organization)
        .order_by("pk")
        .values_list("pk", "public_id")
    )
    sample = rows[:: max(1, len(rows) // 200)][:200]
    charted = sorted(
        {
            str(public_id)
            for public_id in TreatmentNote.objects.filter(
                organization=therapist.organization, status=TreatmentNote.Status.SIGNED
            ).values_list("patient__public_id", flat=True)
        }
    )
    terms: list[str] = []
    for i, family in enumerate(data.FAMILY):
        stem = family.lower().replace("'", "")[:4]
        terms.append(stem if i % 2 else f"{data.GIVEN[i].lower()} {stem}")
    bodies = [
        json.dumps(
            {
                "given_name": data.GIVEN[i % len(data.GIVEN)],
                "family_name": data.FAMILY[(i * 7) % len(data.FAMILY)],
                "date_of_birth": f"{1950 + i}-0{1 + i % 9}-1{i % 10}",
                "sex": "female" if i % 2 else "male",
                "email": f"new{i}@mail.example",
                "phone": f"+1 727 555 {3000 + i:04d}",
                "city": "Tampa",
                "region": "FL",
                "primary_location": str(locations[i % len(locations)].public_id),
            }
        )
        for i in range(50)
    ]
    return Fixture(
        token=issued.secret,
        session_cookie=f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
        organization_id=therapist.organization.pk,
        patient_ids=[str(public_id) for _pk, public_id in sample],
        patient_pks=[pk for pk, _public_id in sample],
        charted_ids=charted,
        search_terms=terms,
        create_bodies=bodies,
        patients=len(rows),
    )


def audit_entries(organization_id: int) -> int:
    """Entries in the organization's chain so far (its head's sequence number)."""
    from palpa.audit.models import AuditChainHead

    head = AuditChainHead.objects.filter(organization_id=organization_id).first()
    return head.last_seq if head is not None else 0


# --- In-process: the audit writer against a plain INSERT of the same row -----------------


@dataclass(frozen=True)
class MicroResult:
    calls: int
    record_us: float
    plain_insert_us: float


def audit_micro(calls: int) -> MicroResult:
    """``record()`` (lock chain head, hash, insert, move head; one commit) vs a bare INSERT
    of the same row into a copy of the table (same indexes, no chain; one commit), in
    alternating blocks so that outside load falls on both alike."""
    from django.db import connection

    from palpa.accounts.models import User
    from palpa.audit.services import Action, record
    from palpa.patients.models import Patient

    therapist = User.objects.get(email="therapist@harbor.example")
    patient = Patient.objects.filter(organization=therapist.organization).first()
    assert patient is not None
    insert = (
        "INSERT INTO bench_plain_event (organization_id, seq, at, actor_id, actor_label,"
        " action, object_type, object_id, patient_id, detail, client_address, request_id,"
        " via, prev_hash, hash, mac, key_id) VALUES (%s, %s, now(), %s, %s, 'read', 'Patient',"
        " %s, %s, %s::jsonb, '', '', 'cli', %s, %s, %s, '')"
    )
    args: list[Any] = [
        therapist.organization_id,
        0,
        therapist.pk,
        therapist.get_username(),
        str(patient.public_id),
        str(patient.public_id),
        json.dumps({"view": "bench"}),
        "0" * 64,
        "0" * 64,
        "0" * 64,
    ]
    blocks = 5
    per_block = max(1, calls // blocks)
    record_s = insert_s = 0.0
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain_event")
        cursor.execute("CREATE TABLE bench_plain_event (LIKE audit_auditevent INCLUDING ALL)")
        for block in range(-1, blocks):  # block -1 warms both up, unmeasured
            n = 20 if block < 0 else per_block
            start = time.perf_counter()
            for _ in range(n):
                record(
                    actor=therapist,
                    action=Action.READ,
                    obj=patient,
                    patient_id=str(patient.public_id),
                    detail={"view": "bench"},
                )
            middle = time.perf_counter()
            for _ in range(n):
                args[1] += 1
                cursor.execute(insert, args)  # autocommit: one commit each, like record()
            end = time.perf_counter()
            if block >= 0:
                record_s += middle - start
                insert_s += end - middle
        cursor.execute("DROP TABLE bench_plain_event")
    done = per_block * blocks
    return MicroResult(done, record_s / done * 1e6, insert_s / done * 1e6)


# --- The server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def http_request(
    port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Gunicorn:
    """A gunicorn master and its workers, stopped on exit whatever happened."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        log_dir: Path,
        name: str,
        workers: int,
        worker_class: str,
        threads: int,
        audit_off: bool = False,
    ) -> None:
        self.env = env
        self.port = free_port()
        self.log = log_dir / f"{name}.log"
        self.args = [
            sys.executable,
            "-m",
            "gunicorn",
            "palpa.wsgi:application",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--access-logfile",
            str(log_dir / f"{name}.access.log"),
        ]
        if worker_class == "gthread":
            self.args += ["--threads", str(threads)]
        if audit_off:
            self.args += ["--config", "python:bench.gunicorn_audit_off"]
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        with self.log.open("ab") as log:
            self.process = self._start(log)
        try:
            self._wait_ready(self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                status, _ = http_request(self.port, "GET", "/healthz", FORWARDED)
                if status == 200 and len(self.worker_pids()) >= 1:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {READY_SECONDS} s:\n{self.log_tail()}")

    def _start(self, log: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,  # Django's error log goes to the workers' stderr
            start_new_session=True,  # its own process group, so it can be stopped whole
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # graceful: the master stops its workers
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group this run started
            process.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):  # any worker left behind
            os.killpg(process.pid, signal.SIGKILL)

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return sorted(int(child) for child in children)

    def worker_rss_mb(self) -> dict[int, float]:
        rss: dict[int, float] = {}
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss[pid] = int(line.split()[1]) / 1024
        return rss

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return "(no log)"


# --- Where the machine's CPU went during a run ---------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _postgres_cpu() -> dict[int, float]:
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    cpu[int(entry.name)] = _proc_cpu(int(entry.name))
    return cpu


@dataclass(frozen=True)
class CpuSnapshot:
    at: float
    machine: float  # busy CPU seconds of all CPUs
    server: dict[int, float]
    postgres: dict[int, float]
    wrk: float

    @classmethod
    def take(cls, server: Gunicorn) -> CpuSnapshot:
        first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[:8])
        assert server.process is not None
        pids = [server.process.pid, *server.worker_pids()]
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(
            at=time.monotonic(),
            machine=(user + nice + system + irq + softirq + steal) / TICK,
            server={pid: _proc_cpu(pid) for pid in pids},
            postgres=_postgres_cpu(),
            wrk=children.ru_utime + children.ru_stime,
        )


def _grown(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


def cpu_shares(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """CPU used during the run in percent of one CPU (2 CPUs: 200%). "other" is everything
    else on the machine (e.g. someone's test suite): when it is high, the run is noisy."""
    wall = after.at - before.at
    server = _grown(before.server, after.server)
    postgres = _grown(before.postgres, after.postgres)  # includes other users' backends
    wrk = after.wrk - before.wrk
    other = max(0.0, (after.machine - before.machine) - server - postgres - wrk)
    return {
        name: round(100 * value / wall, 1)
        for name, value in (
            ("server", server),
            ("postgres", postgres),
            ("wrk", wrk),
            ("other", other),
        )
    }


# --- Load generation with wrk --------------------------------------------------------------


def lua_string(text: str) -> str:
    assert text.isascii(), text
    return json.dumps(text)  # an ASCII JSON string is a valid Lua string literal


LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
    .. '"mean_us":%d,"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    method: str
    paths: list[str]
    headers: dict[str, str]
    bodies: list[str] = field(default_factory=list)
    expect: int = 200

    def lua(self) -> str:
        lines = [f"wrk.method = {lua_string(self.method)}"]
        for name, value in {**FORWARDED, **self.headers}.items():
            lines.append(f"wrk.headers[{lua_string(name)}] = {lua_string(value)}")
        lines.append("local paths = {" + ", ".join(lua_string(p) for p in self.paths) + "}")
        lines.append("local bodies = {" + ", ".join(lua_string(b) for b in self.bodies) + "}")
        lines.append("local i = 0")
        lines.append("request = function()")
        lines.append("  i = i + 1")
        lines.append("  local path = paths[(i % #paths) + 1]")
        lines.append("  if #bodies > 0 then")
        lines.append("    return wrk.format(nil, path, nil, bodies[(i % #bodies) + 1])")
        lines.append("  end")
        lines.append("  return wrk.format(nil, path)")
        lines.append("end")
        return "\n".join(lines) + "\n" + LUA_DONE

    def first_request(self, port: int) -> tuple[int, bytes]:
        body = self.bodies[0] if self.bodies else None
        return http_request(port, self.method, self.paths[0], {**FORWARDED, **self.headers}, body)


def endpoints(fx: Fixture) -> list[Endpoint]:
    bearer = {"Authorization": f"Bearer {fx.token}"}
    return [
        Endpoint(
            "baseline",
            "bare baseline (1 pk read)",
            "GET",
            [f"/bench/baseline/{pk}" for pk in fx.patient_pks],
            {},
        ),
        Endpoint(
            "read",
            "read one patient (API)",
            "GET",
            [f"/api/v1/patients/{pid}" for pid in fx.patient_ids],
            bearer,
        ),
        Endpoint(
            "search",
            "search patients by name (API)",
            "GET",
            [f"/api/v1/patients?q={term.replace(' ', '+')}" for term in fx.search_terms],
            bearer,
        ),
        Endpoint(
            "chart",
            "patient chart page (HTML)",
            "GET",
            [f"/patients/{pid}/" for pid in fx.patient_ids],
            {"Cookie": fx.session_cookie},
        ),
        Endpoint(
            "chart_care",
            "chart page, patient in care (HTML)",
            "GET",
            [f"/patients/{pid}/" for pid in fx.charted_ids],
            {"Cookie": fx.session_cookie},
        ),
        Endpoint(
            "search_page",
            "patient search page (HTML)",
            "GET",
            [f"/patients/?q={term.replace(' ', '+')}" for term in fx.search_terms],
            {"Cookie": fx.session_cookie},
        ),
        Endpoint(
            "find",
            "header search results (htmx)",
            "GET",
            [f"/patients/?q={term.replace(' ', '+')}" for term in fx.search_terms],
            {"Cookie": fx.session_cookie, "HX-Request": "true"},
        ),
        Endpoint(
            "create",
            "create a patient (API)",
            "POST",
            ["/api/v1/patients"],
            {**bearer, "Content-Type": "application/json"},
            bodies=fx.create_bodies,
            expect=201,
        ),
    ]


@dataclass
class Result:
    key: str
    label: str
    server: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: dict[str, int]
    audit_entries: int | None = None
    cpu: dict[str, float] = field(default_factory=dict)
    ratio: float | None = None
    baseline_rps: float | None = None  # the baseline slices paired with this endpoint

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def run_wrk(
    endpoint: Endpoint, port: int, *, seconds: float, connections: int, threads: int, lua: Path
) -> dict[str, int]:
    lua.write_text(endpoint.lua())
    command = [
        WRK,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=5s",
        "--latency",
        f"--script={lua}",
        f"http://{HOST}:{port}",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            numbers: dict[str, int] = json.loads(line.removeprefix("BENCH_RESULT "))
            return numbers
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}):\n{done.stdout}{done.stderr}")


def measure(
    endpoint: Endpoint,
    server: Gunicorn,
    *,
    name: str,
    args: argparse.Namespace,
    work_dir: Path,
    organization_id: int,
    seconds: float,
    warmup: float,
) -> Result:
    status, body = endpoint.first_request(server.port)
    if status != endpoint.expect:
        raise RuntimeError(
            f"{endpoint.label}: expected HTTP {endpoint.expect}, got {status}: {body[:300]!r}\n"
            f"{server.log_tail()}"
        )
    lua = work_dir / f"{name}-{endpoint.key}.lua"
    if warmup > 0:
        run_wrk(
            endpoint,
            server.port,
            seconds=warmup,
            connections=args.connections,
            threads=args.threads,
            lua=lua,
        )
    time.sleep(0.3)  # let the warm-up's last requests finish before counting
    before = audit_entries(organization_id)
    cpu_before = CpuSnapshot.take(server)
    n = run_wrk(
        endpoint,
        server.port,
        seconds=seconds,
        connections=args.connections,
        threads=args.threads,
        lua=lua,
    )
    cpu = cpu_shares(cpu_before, CpuSnapshot.take(server))
    time.sleep(0.3)  # let the requests in flight when wrk stopped finish
    written = audit_entries(organization_id) - before
    took = n["duration_us"] / 1e6
    return Result(
        key=endpoint.key,
        label=endpoint.label,
        server=name,
        requests=n["requests"],
        seconds=round(took, 2),
        rps=n["requests"] / took,
        p50_ms=n["p50_us"] / 1000,
        p90_ms=n["p90_us"] / 1000,
        p99_ms=n["p99_us"] / 1000,
        mean_ms=n["mean_us"] / 1000,
        max_ms=n["max_us"] / 1000,
        errors={k: n[k] for k in ("connect", "read", "write", "status", "timeout")},
        audit_entries=written,
        cpu=cpu,
    )


def combine(slices: list[Result]) -> Result:
    """One result from alternating slices: rate over all of them, the median slice's p50,
    the worst slice's p99 and max, CPU shares averaged."""
    first = slices[0]
    requests = sum(r.requests for r in slices)
    took = sum(r.seconds for r in slices)
    p50 = sorted(r.p50_ms for r in slices)[len(slices) // 2]
    errors = {k: sum(r.errors[k] for r in slices) for k in first.errors}
    cpu = {k: round(sum(r.cpu[k] for r in slices) / len(slices), 1) for k in first.cpu}
    return Result(
        key=first.key,
        label=first.label,
        server=first.server,
        requests=requests,
        seconds=round(took, 2),
        rps=requests / took,
        p50_ms=p50,
        p90_ms=max(r.p90_ms for r in slices),
        p99_ms=max(r.p99_ms for r in slices),
        mean_ms=sum(r.mean_ms * r.requests for r in slices) / max(1, requests),
        max_ms=max(r.max_ms for r in slices),
        errors=errors,
        audit_entries=sum(r.audit_entries or 0 for r in slices),
        cpu=cpu,
    )


# --- Report ----------------------------------------------------------------------------------


def verdict(result: Result) -> str:
    if result.error_count:
        return f"ERRORS {result.errors}"
    if result.key == "read":
        ok = (result.ratio or 0) >= READ_MIN_RATIO and result.p99_ms <= READ_MAX_P99_MS
        goal = f">= {READ_MIN_RATIO:.0%} of baseline, p99 <= {READ_MAX_P99_MS:g} ms"
        return f"{'met' if ok else 'MISSED'} ({goal})"
    if result.key == "create":
        ok = result.rps >= CREATE_MIN_RPS
        return f"{'met' if ok else 'MISSED'} (>= {CREATE_MIN_RPS:g}/s)"
    return ""


def print_table(results: list[Result]) -> None:
    head = (
        f"{'endpoint':<31}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'ratio':>7}{'audit/req':>10}"
        f"{'cpu% app/pg/wrk/other':>23}  target"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        per_req = "" if r.audit_entries is None else f"{r.audit_entries / max(1, r.requests):.2f}"
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}"
        cpu = "/".join(f"{r.cpu.get(k, 0):.0f}" for k in ("server", "postgres", "wrk", "other"))
        print(
            f"{r.label:<31}{r.rps:>9.0f}{r.p50_ms:>8.1f}{r.p99_ms:>8.1f}{ratio:>7}{per_req:>10}"
            f"{cpu:>23}  {verdict(r)}"
        )


def install_signal_handlers() -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds through the servers' exit, stopping them

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10, help="load per endpoint (10)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured load first (2)")
    parser.add_argument(
        "--pairs",
        type=int,
        default=2,
        help="baseline/endpoint slice pairs per endpoint; each slice is seconds/pairs (2)",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--worker-threads", type=int, default=4, help="threads for gthread")
    parser.add_argument("--patients", type=int, default=2000, help="patients beyond the demo")
    parser.add_argument("--micro-calls", type=int, default=1000, help="in-process audit calls")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated subset of baseline,read,search,chart,chart_care,search_page,find,"
        "create (baseline always runs; the default leaves out chart_care, search_page, find)",
    )
    parser.add_argument("--no-audit-off", action="store_true", help="skip the audit-off server")
    parser.add_argument("--database", default="palpa_bench", help="dropped and recreated!")
    parser.add_argument("--pg", default=f"postgres://postgres@{HOST}:5432", help="server URL")
    args = parser.parse_args(argv)
    if "bench" not in args.database:
        parser.error("--database must contain 'bench': it is dropped and recreated")
    if urlsplit(args.pg).hostname not in {HOST, "localhost"}:
        parser.error(f"--pg must be a PostgreSQL server on {HOST}")
    if not Path(WRK).exists():
        parser.error("wrk is needed (Debian package wrk)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    install_signal_handlers()
    started = time.monotonic()
    work_dir = Path(tempfile.mkdtemp(prefix="palpa-bench-"))
    try:
        return run(args, work_dir, started)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def run(args: argparse.Namespace, work_dir: Path, started: float) -> int:
    pg = args.pg.rstrip("/")
    print(f"Resetting database {args.database} on {pg} ...", flush=True)
    reset_database(f"{pg}/postgres", args.database)
    env = configure_environment(f"{pg}/{args.database}", work_dir / "data")
    print(f"Migrating and seeding the demo clinic + {args.patients} patients ...", flush=True)
    fx = prepare(args.patients)
    print(f"  {fx.patients} patients; token and verified session for Maya Chen (therapist)")

    micro = MicroResult(0, 0.0, 0.0)
    if args.micro_calls > 0:
        print(f"Timing audit record() in-process ({args.micro_calls} calls) ...", flush=True)
        micro = audit_micro(args.micro_calls)

    only = {"baseline", *filter(None, args.only.split(","))} if args.only else set(DEFAULT_KEYS)
    targets = [e for e in endpoints(fx) if e.key in only]
    results: list[Result] = []
    rss: dict[int, float] = {}
    server_kw: dict[str, Any] = {
        "env": env,
        "log_dir": work_dir,
        "workers": args.workers,
        "worker_class": args.worker_class,
        "threads": args.worker_threads,
    }
    print(
        f"Serving with gunicorn ({args.workers} {args.worker_class} workers"
        + (f" x {args.worker_threads} threads" if args.worker_class == "gthread" else "")
        + f"); wrk {args.connections} connections, {args.seconds:g} s per endpoint",
        flush=True,
    )

    def measured(
        endpoint: Endpoint, target: Gunicorn, name: str, seconds: float, warmup: float
    ) -> Result:
        return measure(
            endpoint,
            target,
            name=name,
            args=args,
            work_dir=work_dir,
            organization_id=fx.organization_id,
            seconds=seconds,
            warmup=warmup,
        )

    on: list[Result] = []
    off: list[Result] = []
    with contextlib.ExitStack() as servers:
        server = servers.enter_context(Gunicorn(name="palpa", **server_kw))
        # Each endpoint alternates with the baseline in short slices (baseline, endpoint,
        # baseline, endpoint, …) and its ratio is taken against the baseline slices run
        # beside it: this machine's speed drifts from minute to minute, and pairing puts
        # the drift on both sides of the ratio alike.
        baseline = next(e for e in targets if e.key == "baseline")
        others = [e for e in targets if e.key != "baseline"]
        slice_seconds = max(1.0, args.seconds / args.pairs)
        baseline_slices: list[Result] = []
        if not others:
            print(f"  {baseline.label} ...", flush=True)
            baseline_slices.append(measured(baseline, server, "palpa", args.seconds, args.warmup))
        for endpoint in others:
            print(f"  {endpoint.label}, alternating with the baseline ...", flush=True)
            mine: dict[str, list[Result]] = {"baseline": [], endpoint.key: []}
            for turn in range(2 * args.pairs):
                current = baseline if turn % 2 == 0 else endpoint
                warm = args.warmup if turn < 2 else 0.0
                mine[current.key].append(measured(current, server, "palpa", slice_seconds, warm))
            paired_base = combine(mine["baseline"])
            result = combine(mine[endpoint.key])
            result.ratio = result.rps / paired_base.rps if paired_base.rps else None
            result.baseline_rps = paired_base.rps
            results.append(result)
            baseline_slices.extend(mine["baseline"])
        overall = combine(baseline_slices)
        overall.ratio = 1.0
        results.insert(0, overall)
        rss = server.worker_rss_mb()
        if not args.no_audit_off:
            # The same requests on a second server whose workers skip the audit write,
            # alternating short slices (on, off, on, off) so that load from outside the
            # benchmark falls on both alike.
            quiet = servers.enter_context(Gunicorn(name="audit-off", audit_off=True, **server_kw))
            print("Audit cost: audited and audit-skipped servers, alternating slices ...")
            half = max(1.0, args.seconds / 2)
            for endpoint in targets:
                if endpoint.key not in {"read", "create"}:
                    continue
                print(f"  {endpoint.label} ...", flush=True)
                slices: dict[str, list[Result]] = {"palpa": [], "audit-off": []}
                for turn in range(4):
                    target, name = (server, "palpa") if turn % 2 == 0 else (quiet, "audit-off")
                    warm = args.warmup if turn == 1 else 0.0  # the audited one is warm
                    slices[name].append(measured(endpoint, target, name, half, warm))
                on.append(combine(slices["palpa"]))
                off.append(combine(slices["audit-off"]))

    from palpa.audit.services import verify_all

    chains = verify_all()
    base = next(r for r in results if r.key == "baseline")
    for r in [*on, *off]:
        r.ratio = r.rps / base.rps if base.rps else None

    print()
    print(
        f"Palpa API benchmark: gunicorn {args.workers} {args.worker_class} workers, PostgreSQL,"
        f" {args.connections} connections, {args.seconds:g} s each, {os.cpu_count()} CPUs"
    )
    load = os.getloadavg()
    print(f"Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min)")
    print()
    print_table(results)
    print(
        "  (each ratio is to the baseline slices run alternately with that endpoint: "
        + ", ".join(f"{r.key} {r.baseline_rps:.0f}/s" for r in results if r.baseline_rps)
        + ")"
    )
    print()
    print("Audit cost (alternating slices, audited vs the same server skipping the audit write)")
    for a, b in zip(on, off, strict=True):
        print(
            f"  {a.label:<24} audited {a.rps:>6.0f}/s p99 {a.p99_ms:>6.1f} ms | skipped"
            f" {b.rps:>6.0f}/s p99 {b.p99_ms:>6.1f} ms | audit costs {1 - a.rps / b.rps:>4.0%}"
            " of the rate"
        )
    print(
        f"  in-process ({micro.calls} calls), one commit each: record() {micro.record_us:.0f}"
        " us/call; plain INSERT"
        f" of the same row {micro.plain_insert_us:.0f} us/call"
        f" (chain overhead {micro.record_us - micro.plain_insert_us:.0f} us)"
    )
    print()
    print("Worker resident memory after the run")
    for pid, mb in rss.items():
        ok = "met" if mb <= WORKER_MAX_RSS_MB else "MISSED"
        print(f"  worker {pid}: {mb:.1f} MB  {ok} (<= {WORKER_MAX_RSS_MB:g} MB)")
    noisy = [r.label for r in [*results, *on, *off] if r.cpu.get("other", 0) > NOISY_OTHER_CPU]
    if noisy:
        print()
        print(
            f"WARNING: other processes used over {NOISY_OTHER_CPU:g}% CPU during: "
            + "; ".join(noisy)
            + ". Those numbers are disturbed; run again on a quiet machine."
        )
    chain_ok = all(c.ok for c in chains)
    print()
    print(
        f"Audit chains verified: {'ok' if chain_ok else 'BROKEN'} "
        f"({sum(c.entries for c in chains)} entries in {len(chains)} chains)"
    )

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"api_bench-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "at": stamp,
                "commit": git_commit(),
                "cpus": os.cpu_count(),
                "load_average": [round(v, 2) for v in os.getloadavg()],
                "settings": {
                    k: v for k, v in vars(args).items() if k not in {"pg"} and not k.startswith("_")
                },
                "patients": fx.patients,
                "results": [asdict(r) for r in results],
                "audit_ab_on": [asdict(r) for r in on],
                "audit_ab_off": [asdict(r) for r in off],
                "audit_micro": asdict(micro),
                "worker_rss_mb": {str(pid): round(mb, 1) for pid, mb in rss.items()},
                "audit_chains_ok": chain_ok,
                "wall_seconds": round(time.monotonic() - started, 1),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"Results: {out.relative_to(ROOT)}  ({time.monotonic() - started:.0f} s in all)")
    failed = [r for r in [*results, *on, *off] if r.error_count] or not chain_ok
    return 1 if failed else 0


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
