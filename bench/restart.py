"""How long ``palpa serve`` takes from process start to its first HTTP 200 (issue 14).

Production settings (gunicorn, 2 workers) on SQLite in a throw-away data directory whose
database is migrated and whose static files are built once first (``palpa migrate``,
``palpa build_static``), as after an install. Then ``palpa serve`` is started RUNS times;
each time the script polls ``/healthz`` every 20 ms until it answers 200, prints the
seconds since the process started, and stops the server (SIGTERM to the process it
started). It prints the median. Target: under 2 s.

    .venv/bin/python bench/restart.py [--runs 3] [--port 8765]
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PALPA = ROOT / ".venv" / "bin" / "palpa"


def _environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        PALPA_ENV="production",
        PALPA_DATA_DIR=str(data_dir),
        SECRET_KEY=secrets.token_urlsafe(50),
        PALPA_AUDIT_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="localhost",
        PALPA_AUDIT_CHECKPOINT_MINUTES="0",
    )
    return env


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request(
            "GET", "/healthz", headers={"Host": "localhost", "X-Forwarded-Proto": "https"}
        )
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its living children, from /proc: on a
    busy machine the wall time to the first 200 grows with the load, this does not."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, IndexError, ValueError):
            continue
        pending.extend(int(child) for child in children)
    return total


def _one_start(env: dict[str, str], port: int, limit: float) -> tuple[float, float]:
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(PALPA), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < limit:
            if server.poll() is not None:
                raise SystemExit(f"palpa serve exited with {server.returncode}")
            if _healthy(port):
                return time.perf_counter() - started, _cpu_seconds(server.pid)
            time.sleep(0.02)
        raise SystemExit(f"no HTTP 200 within {limit} s")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--limit", type=float, default=120.0, help="seconds to wait per start")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="palpa-restart-") as tmp:
        env = _environment(Path(tmp))
        for step in (["migrate", "-v0"], ["build_static"]):
            subprocess.run([str(PALPA), *step], env=env, check=True, capture_output=True)
        times, cpu = [], []
        for run in range(1, options.runs + 1):
            seconds, used = _one_start(env, options.port, options.limit)
            times.append(seconds)
            cpu.append(used)
            print(
                f"start {run}: first HTTP 200 after {seconds:.2f} s "
                f"({used:.2f} CPU s in the server's processes)",
                flush=True,
            )
    print(
        f"median of {len(times)}: {statistics.median(times):.2f} s to the first HTTP 200, "
        f"{statistics.median(cpu):.2f} CPU s (target < 2 s); load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
