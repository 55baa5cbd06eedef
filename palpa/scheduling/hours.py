"""Wall-clock working hours in a location's time zone, turned into UTC intervals (pure).

A weekly pattern says "Mondays 09:00-17:00" in the location's local time. On a day when
the clocks change, the local times still hold (09:00 is 09:00 before and after), so the
UTC interval shifts by the change and a shift that spans the change is an hour shorter
(spring forward) or longer (fall back). A local time that does not exist (02:30 on the
spring-forward day in New York) is read with the offset in force before the change, as
Python's ``zoneinfo`` does (fold=0), i.e. 03:30 daylight time; a repeated local time (01:30 on
the fall-back day) is its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from palpa.scheduling.slots import Interval


@dataclass(frozen=True)
class WeeklyHours:
    weekday: int  # 0 Monday … 6 Sunday
    start: dt.time
    end: dt.time
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def applies_on(self, day: dt.date) -> bool:
        if day.weekday() != self.weekday:
            return False
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until


def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def to_utc(day: dt.date, at: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """The UTC instant of a local wall-clock time on a day."""
    return dt.datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz).astimezone(dt.UTC)


def local_day(instant: dt.datetime, tz: dt.tzinfo) -> dt.date:
    return instant.astimezone(tz).date()


def day_bounds(day: dt.date, tz: dt.tzinfo) -> Interval:
    """The local day as a UTC interval (23 or 25 hours long on a change day)."""
    return Interval(to_utc(day, dt.time(0), tz), to_utc(day + dt.timedelta(days=1), dt.time(0), tz))


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def working_intervals(
    pattern: Iterable[WeeklyHours], first: dt.date, last: dt.date, tz: dt.tzinfo
) -> list[Interval]:
    """The pattern's intervals on each local day from ``first`` to ``last``, in UTC."""
    rows = list(pattern)
    found = [
        Interval(to_utc(day, row.start, tz), to_utc(day, row.end, tz))
        for day in days(first, last)
        for row in rows
        if row.applies_on(day)
    ]
    return sorted(i for i in found if i.end > i.start)
