"""The nearest free alternatives to a wanted time (a pure rule module).

A course visit that cannot be booked as asked (the slot is taken, it falls outside
working hours) is offered the free starts nearest to it: on the same local day first,
closest in time; then the nearest days, closest to the wanted time of day; ties go to
the earlier start. Starts that would collide with the course's other visits (``avoid``,
each ``[start, busy_until)``) are left out, as is the wanted start itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from palpa.scheduling.slots import Interval

DEFAULT_LIMIT = 3


def distance(
    wanted: dt.datetime, start: dt.datetime, tz: dt.tzinfo
) -> tuple[int, int, dt.datetime]:
    """How far ``start`` is from ``wanted``: local days apart, then minutes apart on the
    wall clock (the same day) or between the times of day (another day), then the start."""
    w = wanted.astimezone(tz)
    s = start.astimezone(tz)
    days = abs((s.date() - w.date()).days)
    if days == 0:
        minutes = abs(int((start - wanted).total_seconds() // 60))
    else:
        minutes = abs((s.hour * 60 + s.minute) - (w.hour * 60 + w.minute))
    return days, minutes, start


def nearest(
    wanted: dt.datetime,
    free: Iterable[dt.datetime],
    *,
    tz: dt.tzinfo,
    length: dt.timedelta,
    avoid: Sequence[Interval] = (),
    limit: int = DEFAULT_LIMIT,
) -> list[dt.datetime]:
    """Up to ``limit`` free starts nearest to ``wanted`` (see the module text), nearest
    first, none twice; ``length`` is how long each start keeps the practitioner busy."""
    if limit < 1:
        return []
    fitting = {
        s
        for s in free
        if s != wanted and not any(Interval(s, s + length).overlaps(a) for a in avoid)
    }
    return sorted(fitting, key=lambda s: distance(wanted, s, tz))[:limit]
