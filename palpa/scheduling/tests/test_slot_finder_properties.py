"""The pure slot finder (palpa.scheduling.slots): properties over generated schedules."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palpa.scheduling import alternatives
from palpa.scheduling.slots import Interval, Slot, find_slots, merge, subtract

BASE = dt.datetime(2026, 3, 2, 13, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def _at(minutes: int) -> dt.datetime:
    return BASE + minutes * MINUTE


@st.composite
def intervals(draw: st.DrawFn, max_size: int = 6) -> list[Interval]:
    found = []
    for _ in range(draw(st.integers(0, max_size))):
        start = draw(st.integers(0, 3 * 24 * 60))
        length = draw(st.integers(5, 10 * 60))
        found.append(Interval(_at(start), _at(start + length)))
    return found


durations = st.sampled_from([15, 30, 45, 60, 90]).map(lambda m: m * MINUTE)
buffers = st.sampled_from([0, 5, 10, 15]).map(lambda m: m * MINUTE)
steps = st.sampled_from([5, 10, 15, 30]).map(lambda m: m * MINUTE)


@given(intervals(), intervals(), durations, buffers, steps, st.integers(0, 24 * 60))
def test_slots_avoid_busy_time_stay_inside_working_hours_and_are_sorted(
    working: list[Interval],
    busy: list[Interval],
    duration: dt.timedelta,
    buffer: dt.timedelta,
    step: dt.timedelta,
    notice: int,
) -> None:
    not_before = _at(notice)
    slots = find_slots(
        working=working,
        busy=busy,
        duration=duration,
        buffer=buffer,
        step=step,
        not_before=not_before,
    )
    for slot in slots:
        assert slot.end - slot.start == duration
        assert slot.start >= not_before
        assert any(w.contains(Interval(slot.start, slot.end)) for w in merge(working))
        blocked = Interval(slot.start, slot.end + buffer)
        assert not any(b.overlaps(blocked) for b in busy if b.end > b.start)
    starts = [s.start for s in slots]
    assert starts == sorted(set(starts))


@given(intervals(), intervals(), durations, steps)
def test_every_free_grid_start_is_found(
    working: list[Interval], busy: list[Interval], duration: dt.timedelta, step: dt.timedelta
) -> None:
    """Completeness: each start on a window's grid that is free appears among the slots."""
    found = {s.start for s in find_slots(working=working, busy=busy, duration=duration, step=step)}
    for window in merge(working):
        start = window.start
        while start + duration <= window.end:
            free = not any(b.overlaps(Interval(start, start + duration)) for b in busy)
            assert (start in found) == free
            start += step


@given(intervals(), st.dictionaries(st.sampled_from([1, 2, 3]), intervals(3)), durations, buffers)
def test_a_slot_needing_a_room_names_a_room_free_for_it(
    working: list[Interval],
    rooms: dict[int, list[Interval]],
    duration: dt.timedelta,
    buffer: dt.timedelta,
) -> None:
    slots = find_slots(working=working, busy=[], duration=duration, buffer=buffer, rooms=rooms)
    for slot in slots:
        assert slot.room in rooms
        blocked = Interval(slot.start, slot.end + buffer)
        assert not any(b.overlaps(blocked) for b in rooms[slot.room])
    if not rooms:
        assert slots == []


@given(intervals(), intervals())
def test_subtract_leaves_nothing_of_what_was_removed(
    kept: list[Interval], removed: list[Interval]
) -> None:
    rest = subtract(kept, removed)
    assert rest == merge(rest)
    for piece in rest:
        assert any(k.contains(piece) for k in merge(kept))
        assert not any(r.overlaps(piece) for r in removed)


def test_an_hour_of_work_with_one_booking_in_the_middle() -> None:
    working = [Interval(_at(0), _at(180))]
    busy = [Interval(_at(60), _at(75))]  # a 15-minute booking (its buffer included)
    slots = find_slots(
        working=working,
        busy=busy,
        duration=30 * MINUTE,
        buffer=15 * MINUTE,
        step=15 * MINUTE,
        horizon=_at(150),
    )
    assert [s.start for s in slots] == [_at(0), _at(15), _at(75), _at(90), _at(105), _at(120)]
    assert slots[0] == Slot(_at(0), _at(30), None)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="duration"):
        find_slots(working=[], busy=[], duration=dt.timedelta(0))
    with pytest.raises(ValueError, match="step"):
        find_slots(working=[], busy=[], duration=MINUTE, step=dt.timedelta(0))
    with pytest.raises(ValueError, match="ends before"):
        Interval(_at(10), _at(0))


# --- the nearest alternatives (alternatives.nearest) -------------------------------------

_BASE = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 in New York
_starts = st.integers(min_value=0, max_value=14 * 24 * 4).map(
    lambda n: _BASE + dt.timedelta(minutes=15 * n)
)


@given(
    wanted=_starts,
    free=st.lists(_starts, max_size=40),
    avoid=st.lists(_starts, max_size=5),
    limit=st.integers(min_value=0, max_value=5),
)
def test_the_nearest_alternatives_are_free_clear_of_the_course_and_nearest_first(
    wanted: dt.datetime, free: list[dt.datetime], avoid: list[dt.datetime], limit: int
) -> None:
    tz = zoneinfo.ZoneInfo("America/New_York")
    length = dt.timedelta(minutes=75)
    busy = [Interval(a, a + length) for a in avoid]
    found = alternatives.nearest(wanted, free, tz=tz, length=length, avoid=busy, limit=limit)
    eligible = {
        s
        for s in free
        if s != wanted and not any(Interval(s, s + length).overlaps(b) for b in busy)
    }
    assert len(found) == len(set(found)) == min(limit, len(eligible))
    assert set(found) <= eligible
    keys = [alternatives.distance(wanted, s, tz) for s in found]
    assert keys == sorted(keys)
    if found:  # nothing left out is nearer than the last one offered
        assert all(alternatives.distance(wanted, s, tz) >= keys[-1] for s in eligible - set(found))
    days = [k[0] for k in keys]
    assert days == sorted(days)  # the same day before any other day
