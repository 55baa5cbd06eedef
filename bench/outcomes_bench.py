"""Palpa's outcomes benchmark: a full snapshot recompute of a generated organization against
a plain read of the same episode rows, in the same run.

    .venv/bin/python bench/outcomes_bench.py [--scale 100000] [--seed 1] [--rounds 3]
                                             [--data-dir DIR]

What one run does (one process, nothing listens on the network):

1. uses an SQLite database in ``--data-dir`` (default: a new temporary directory),
   migrates it, and creates the generated organization for ``--scale`` and ``--seed``
   (``palpa outcomes generate``: 20 locations, 100 therapists, one patient, evaluation and
   episode per generated episode) unless ``--data-dir`` holds it already; the generation's
   wall and CPU time are printed;
2. measures, alternating in ``--rounds`` rounds so outside load falls on both alike:
   - the baseline: ``list(Episode.objects.filter(organization=org).values_list(...))`` of
     every column an ``EpisodeRow`` holds (with the therapist's and location's public ids);
   - ``snapshots.recompute(org)``: every registered kind of snapshot (reading the rows as
     ``EpisodeRow``, building each kind, storing it), as the worker runs it;
3. prints the median seconds of each, the ratio to the baseline, the registered kinds, and
   the CPU other processes used meanwhile; writes the figures as JSON to bench/results/.

Target (issue 15, in the worker): a full recompute of ≥ 100,000 episodes in ≤ 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
TARGET_SECONDS = 60.0


def configure(data_dir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "palpa.settings",
            "PALPA_ENV": "development",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "PALPA_DATA_DIR": str(data_dir),
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))


def others_cpu_seconds() -> float:
    """CPU seconds used by every process but this one since boot (from /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as handle:
        fields = [float(x) for x in handle.readline().split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    busy = (sum(fields) - fields[3] - fields[4]) / ticks  # all but idle and iowait
    mine = os.times()
    return busy - (mine.user + mine.system)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100_000, help="episodes (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of each (default 3)")
    parser.add_argument("--data-dir", type=Path, help="reuse this database directory")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="palpa-outcomes-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    configure(data_dir)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from palpa.accounts.models import Organization
    from palpa.analytics import snapshots
    from palpa.analytics.generated import generate_organization, slug_for
    from palpa.analytics.models import Episode
    from palpa.analytics.queries import ROW_COLUMNS

    slug = slug_for(scale=args.scale, seed=args.seed, null=False)
    generation: dict[str, float] = {}
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        wall, cpu = time.perf_counter(), time.process_time()
        org = generate_organization(scale=args.scale, seed=args.seed).organization
        generation = {
            "wall_s": round(time.perf_counter() - wall, 1),
            "cpu_s": round(time.process_time() - cpu, 1),
        }
        print(
            f"generated {slug}: {args.scale} episodes in {generation['wall_s']} s "
            f"({generation['cpu_s']} s CPU)"
        )
    else:
        print(f"reusing {slug} in {data_dir}")
    episodes = Episode.objects.filter(organization=org).count()

    def baseline() -> int:
        return len(list(Episode.objects.filter(organization=org).values_list(*ROW_COLUMNS)))

    def recompute() -> int:
        return len(snapshots.recompute(org))

    times: dict[str, list[float]] = {"baseline": [], "recompute": []}
    others_before, wall_before = others_cpu_seconds(), time.perf_counter()
    for _ in range(args.rounds):
        for name, op in (("baseline", baseline), ("recompute", recompute)):
            started = time.perf_counter()
            op()
            times[name].append(time.perf_counter() - started)
    others_share = (others_cpu_seconds() - others_before) / (time.perf_counter() - wall_before)

    base = statistics.median(times["baseline"])
    full = statistics.median(times["recompute"])
    kinds = snapshots.kinds()
    print(f"\n{episodes} episodes, {args.rounds} rounds, median seconds")
    print("| operation | median s | x plain read |\n| --- | --- | --- |")
    print(f"| plain read (values_list, {len(ROW_COLUMNS)} columns) | {base:.2f} | 1.0 |")
    print(
        f"| snapshots.recompute ({len(kinds)} kinds: {', '.join(kinds) or 'none registered'}) "
        f"| {full:.2f} | {full / base:.1f} |"
    )
    met = "met" if full <= TARGET_SECONDS else "NOT met"
    if episodes < 100_000:
        met = f"not judged ({episodes} episodes)"
    print(f"\ntarget: full recompute ≤ {TARGET_SECONDS:.0f} s at ≥ 100,000 episodes: {met}")
    print(f"other processes used {others_share * 100:.0f} % of one CPU meanwhile")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "episodes": episodes,
        "scale": args.scale,
        "seed": args.seed,
        "generation": generation,
        "kinds": kinds,
        "baseline_s": times["baseline"],
        "recompute_s": times["recompute"],
        "ratio": full / base,
        "others_cpu_share": others_share,
    }
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS_DIR / f"outcomes-{stamp}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
