"""The calendar's time grid, worked out without the database (a pure rule module).

Rows are local wall-clock times at the location, one every ``step`` minutes, from the
earliest working hour (or appointment) of the days shown to the latest; row 1 is the
column headings, so the first time is row 2. A column's cells are its empty slots:
open (inside someone's working hours) or shaded (outside), and on the day the clocks
spring forward the wall-clock times that do not exist that day (02:00 to 02:59 in New York)
are marked as such and offer no booking. On the day the clocks fall back the repeated
hour is shown once (the grid is a wall clock). Appointments take the rows from their
local start to their local end (at least one) and sit side by side in lanes when they
overlap.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from palpa.scheduling.slots import Interval

DAY_MINUTES = 24 * 60
DEFAULT_HOURS = (8 * 60, 18 * 60)  # shown when nobody works and nothing is booked
MAX_LANES = 6


def wall_minutes(instant: dt.datetime, day: dt.date, tz: dt.tzinfo) -> int:
    """Minutes from the local midnight of ``day`` to ``instant`` on the wall clock,
    clamped to the day (an appointment running past midnight ends at 24:00)."""
    local = instant.astimezone(tz)
    minutes = (local.date() - day).days * DAY_MINUTES + local.hour * 60 + local.minute
    return max(0, min(DAY_MINUTES, minutes))


def at_minute(day: dt.date, minute: int, tz: dt.tzinfo) -> dt.datetime:
    """The UTC instant of a wall-clock minute of a local day (fold=0 for a gap)."""
    local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)
    return local.astimezone(dt.UTC)


def exists(day: dt.date, minute: int, tz: dt.tzinfo) -> bool:
    """Whether the wall-clock time happens on that day (not in a spring-forward gap)."""
    back = at_minute(day, minute, tz).astimezone(tz)
    return back.date() == day and back.hour * 60 + back.minute == minute


@dataclass(frozen=True)
class Rows:
    first: int  # minutes after local midnight of the first row
    end: int  # minutes after local midnight where the last row ends
    step: int

    @property
    def count(self) -> int:
        return (self.end - self.first) // self.step

    def row_of(self, minute: int) -> int:
        """The grid row (2 = the first time) holding a wall-clock minute."""
        clamped = max(self.first, min(self.end - self.step, minute))
        return 2 + (clamped - self.first) // self.step

    def minutes(self) -> list[int]:
        return list(range(self.first, self.end, self.step))


def label(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def rows_for(spans: Iterable[tuple[dt.date, Interval]], tz: dt.tzinfo, step: int = 15) -> Rows:
    """The rows covering every (local day, UTC interval) given, whole steps from the
    hour: working time and appointments alike. Nothing given: 08:00 to 18:00."""
    if step <= 0 or DAY_MINUTES % step:
        raise ValueError("the step divides the day into whole minutes")
    lo, hi = DAY_MINUTES, 0
    for day, interval in spans:
        lo = min(lo, wall_minutes(interval.start, day, tz))
        hi = max(hi, wall_minutes(interval.end, day, tz))
    if hi <= lo:
        lo, hi = DEFAULT_HOURS
    lo = (lo // 60) * 60  # from the full hour
    hi = min(DAY_MINUTES, math.ceil(hi / step) * step)
    return Rows(lo, max(hi, lo + step), step)


@dataclass
class Placed:
    row: int
    span: int
    lane: int = 0
    lanes: int = 1


def place(items: Sequence[tuple[int, int]], rows: Rows) -> list[Placed]:
    """Rows and lanes of items given as (start minute, end minute) of their local day,
    in the order given. Overlapping items take separate lanes (the first free one);
    every item of a cluster of overlapping items shares the cluster's lane count."""
    placed = []
    for start, end in items:
        row = rows.row_of(start)
        last = rows.row_of(max(start, end - 1)) if end > start else row
        placed.append(Placed(row, max(1, last - row + 1)))
    order = sorted(range(len(placed)), key=lambda i: (placed[i].row, -placed[i].span, i))
    cluster: list[int] = []
    lane_ends: list[int] = []  # the row after each lane's last item in the cluster
    cluster_end = 0

    def close() -> None:
        lanes = min(MAX_LANES, max(1, len(lane_ends)))
        for i in cluster:
            placed[i].lanes = lanes

    for i in order:
        p = placed[i]
        if cluster and p.row >= cluster_end:
            close()
            cluster, lane_ends = [], []
        lane = next((n for n, free_at in enumerate(lane_ends) if free_at <= p.row), None)
        if lane is None:
            lane = len(lane_ends)
            lane_ends.append(0)
        lane_ends[lane] = p.row + p.span
        p.lane = min(lane, MAX_LANES - 1)
        cluster.append(i)
        cluster_end = max(cluster_end if len(cluster) > 1 else 0, p.row + p.span)
    if cluster:
        close()
    return placed


@dataclass(frozen=True)
class Cell:
    """An empty slot of a column: its row and wall-clock time, whether it lies inside
    working hours, and whether that time happens at all that day."""

    row: int
    minute: int
    open: bool
    exists: bool = True

    @property
    def time(self) -> str:
        return label(self.minute)


def cells(
    day: dt.date,
    rows: Rows,
    tz: dt.tzinfo,
    working: Sequence[Interval],
    covered: Iterable[Placed] = (),
) -> list[Cell]:
    """The empty slots of one local day's column: every row not covered by an item."""
    taken: set[int] = set()
    for p in covered:
        taken.update(range(p.row, p.row + p.span))
    found = []
    for minute in rows.minutes():
        row = rows.row_of(minute)
        if row in taken:
            continue
        if not exists(day, minute, tz):
            found.append(Cell(row, minute, open=False, exists=False))
            continue
        instant = at_minute(day, minute, tz)
        inside = any(w.start <= instant < w.end for w in working)
        found.append(Cell(row, minute, open=inside))
    return found
