"""Palpa's daily pages benchmark: the chart and the patient search, as ratios to a bare
baseline measured beside them (issue 20, part 8).

    .venv/bin/python bench/pages_bench.py [--seconds 10] [--database pages_bench]

It runs bench/api_bench.py's machinery (its own PostgreSQL database, dropped and
recreated; ``palpa demo`` plus 2,000 patients; gunicorn, 2 sync workers; wrk at 16
connections; each page in slices alternating with the baseline) on these pages, as the
demo therapist (Maya Chen) signed in with her second factor:

- the chart page of a patient picked across the whole database (most have no care yet),
- the chart page of the demo's patients in a course of care (signed notes, a plan with
  goals, appointments, messages, referrals): the page a therapist opens all day,
- the patient search page (``/patients/?q=``), the header search's results (htmx), and
  the API's search, by the same name terms.

It prints each rate as a ratio to the paired baseline, then whether the targets are met:
chart page >= 0.10x, patient search >= 0.40x. Other options pass through to api_bench.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import api_bench

PAGES = "chart,chart_care,search_page,find,search"
TARGETS = {  # key: least ratio to the baseline
    "chart": 0.10,
    "chart_care": 0.10,
    "search_page": 0.40,
    "find": 0.40,
    "search": 0.40,
}


def main(argv: list[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if "--only" not in given:
        given += ["--only", PAGES]
    if "--database" not in given:
        given += ["--database", "pages_bench"]
    if "--no-audit-off" not in given:
        given.append("--no-audit-off")
    if "--micro-calls" not in given:
        given += ["--micro-calls", "0"]
    before = set(api_bench.RESULTS_DIR.glob("api_bench-*.json"))
    status = api_bench.main(given)
    written = sorted(set(api_bench.RESULTS_DIR.glob("api_bench-*.json")) - before)
    if not written:
        return status or 1
    run = json.loads(written[-1].read_text())
    print()
    print(f"Targets (load average at the end {run.get('load_average')}):")
    for result in run["results"]:
        least = TARGETS.get(result["key"])
        if least is None:
            continue
        ratio = result["ratio"] or 0.0
        verdict = "met" if ratio >= least else "MISSED"
        print(
            f"  {result['label']:<36} {result['rps']:>7.0f}/s  {ratio:.2f}x  p99"
            f" {result['p99_ms']:.0f} ms  {verdict} (>= {least:.2f}x)"
        )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
