"""Free slots, computed without the database (a pure rule module).

Input: the practitioner's working intervals and busy intervals, optionally the busy
intervals of each room that suits the appointment type, the appointment's duration and
buffer, the step between candidate starts, the earliest allowed start (now plus the
minimum notice) and the horizon. Output: every start at which

- the appointment ``[start, start + duration)`` lies inside one working interval;
- ``[start, start + duration + buffer)`` overlaps none of the practitioner's busy
  intervals (busy intervals already carry their own appointment's buffer);
- when rooms are given, at least one room is free for the same range (the first free
  room, in the order given, is proposed);
- ``not_before <= start`` and ``start + duration <= horizon``.

Candidate starts are laid on a grid of ``step`` from the start of each working interval;
all instants are aware datetimes (UTC by convention), and durations are real elapsed
time, so a slot across a daylight-saving change is still ``duration`` long.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Interval:
    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"interval ends before it starts: {self.start} > {self.end}")

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True, order=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    room: Hashable | None = None


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined; empty ones dropped."""
    merged: list[Interval] = []
    for interval in sorted(i for i in intervals if i.end > i.start):
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, interval.end))
        else:
            merged.append(interval)
    return merged


def subtract(intervals: Iterable[Interval], removed: Iterable[Interval]) -> list[Interval]:
    """``intervals`` minus every part covered by ``removed`` (both merged first)."""
    result: list[Interval] = []
    cuts = merge(removed)
    for interval in merge(intervals):
        pieces = [interval]
        for cut in cuts:
            next_pieces: list[Interval] = []
            for piece in pieces:
                if not piece.overlaps(cut):
                    next_pieces.append(piece)
                    continue
                if piece.start < cut.start:
                    next_pieces.append(Interval(piece.start, cut.start))
                if cut.end < piece.end:
                    next_pieces.append(Interval(cut.end, piece.end))
            pieces = next_pieces
        result.extend(pieces)
    return merge(result)


class _Busy:
    """Busy intervals, merged, answering "is [a, b) free?" by bisection."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        self.intervals = merge(intervals)
        self.ends = [i.end for i in self.intervals]

    def free(self, wanted: Interval) -> bool:
        index = bisect.bisect_right(self.ends, wanted.start)
        return index >= len(self.intervals) or not self.intervals[index].overlaps(wanted)


def find_slots(
    *,
    working: Sequence[Interval],
    busy: Sequence[Interval],
    duration: dt.timedelta,
    buffer: dt.timedelta = dt.timedelta(0),
    step: dt.timedelta = dt.timedelta(minutes=15),
    not_before: dt.datetime | None = None,
    horizon: dt.datetime | None = None,
    rooms: Mapping[Any, Sequence[Interval]] | None = None,
) -> list[Slot]:
    """Every free slot, sorted by start, without duplicates (see the module text)."""
    if duration <= dt.timedelta(0):
        raise ValueError("duration must be positive")
    if step <= dt.timedelta(0):
        raise ValueError("step must be positive")
    if buffer < dt.timedelta(0):
        raise ValueError("buffer cannot be negative")
    practitioner = _Busy(busy)
    room_busy = {key: _Busy(found) for key, found in rooms.items()} if rooms is not None else None
    slots: list[Slot] = []
    last_start: dt.datetime | None = None
    for window in merge(working):
        start = window.start
        if not_before is not None and start < not_before:
            skipped = -((window.start - not_before) // step)  # ceil((not_before - start) / step)
            start = window.start + skipped * step
        while start + duration <= window.end:
            if horizon is not None and start + duration > horizon:
                break
            blocked = Interval(start, start + duration + buffer)
            if (last_start is None or start > last_start) and practitioner.free(blocked):
                room = _free_room(room_busy, blocked)
                if room_busy is None or room is not None:
                    slots.append(Slot(start, start + duration, room))
                    last_start = start
            start += step
    return slots


def _free_room(rooms: Mapping[Any, _Busy] | None, wanted: Interval) -> Any:
    if rooms is None:
        return None
    for key, busy in rooms.items():
        if busy.free(wanted):
            return key
    return None
