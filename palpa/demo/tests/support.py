"""The demo tests' clock and what the shared demo build hands them (see conftest.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Sunday 29 November 2026, 09:00 in Tampa: the demo's "today" and every reading's clock.
DEMO_NOW = dt.datetime(2026, 11, 29, 14, 0, tzinfo=dt.UTC)
DEMO_TODAY = dt.date(2026, 11, 29)


@dataclass(frozen=True)
class Built:
    printed: str  # what the first `palpa demo` printed
    rows: str  # the rows it added (snapshot.rows_added_since)
