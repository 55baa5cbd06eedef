"""The iCalendar writer (pure): line ends, folding, escaping, required properties.

``parse`` below is a strict reader of exactly the RFC 5545 rules the writer must follow
(CRLF, 75-octet lines, escaping, balanced components), so these tests fail on any of
them; ``test_ical_feed`` also reads the feed with the ``icalendar`` package.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from palpa.scheduling.ical import FeedEvent, build_calendar, escape_text, fold

NOW = dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    raw = text[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in raw), "bare LF or CR"
    assert all(len(line.encode("utf-8")) <= 75 for line in raw), "line over 75 octets"
    lines: list[str] = []
    for line in raw:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\":
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            assert value[i] not in ";,", f"unescaped {value[i]!r} in {value!r}"
            out.append(value[i])
            i += 1
    return "".join(out)


def parse(text: str) -> list[dict[str, str]]:
    """The calendar's components in order, each a dict of its properties (plus ``_``: the
    component's name). Raises AssertionError for anything RFC 5545 forbids here."""
    stack: list[dict[str, str]] = []
    done: list[dict[str, str]] = []
    for line in unfold(text):
        name, _, value = line.partition(":")
        assert _, f"no colon in {line!r}"
        if name == "BEGIN":
            stack.append({"_": value})
        elif name == "END":
            component = stack.pop()
            assert component["_"] == value, f"END:{value} closes {component['_']}"
            done.append(component)
        else:
            key = name.split(";")[0]
            assert key not in stack[-1], f"{key} twice in {stack[-1]['_']}"
            stack[-1][key] = value
    assert not stack, "unclosed component"
    return done


def event(**changes: object) -> FeedEvent:
    fields: dict[str, object] = {
        "uid": "a1b2@palpa",
        "start": dt.datetime(2026, 3, 3, 14, 0, tzinfo=dt.UTC),
        "end": dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC),
        "summary": "R.D. · Treatment 60 min",
    }
    fields.update(changes)
    return FeedEvent(**fields)  # type: ignore[arg-type]


def test_a_feed_has_the_calendar_and_event_properties_calendar_apps_require() -> None:
    text = build_calendar(name="Tess Therapist (Palpa)", events=[event()], now=NOW)
    components = parse(text)
    calendar = components[-1]
    assert calendar["_"] == "VCALENDAR"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    vevent = components[0]
    assert vevent["_"] == "VEVENT"
    assert vevent["UID"] == "a1b2@palpa"
    assert vevent["DTSTAMP"] == "20260302T200000Z"
    assert vevent["DTSTART"] == "20260303T140000Z"
    assert vevent["DTEND"] == "20260303T150000Z"
    assert unescape(vevent["SUMMARY"]) == "R.D. · Treatment 60 min"
    assert vevent["STATUS"] == "CONFIRMED"


def test_times_in_other_zones_are_written_in_utc() -> None:
    eastern = dt.timezone(dt.timedelta(hours=-5))
    text = build_calendar(
        name="x", events=[event(start=dt.datetime(2026, 3, 3, 9, 0, tzinfo=eastern))], now=NOW
    )
    assert parse(text)[0]["DTSTART"] == "20260303T140000Z"


def test_a_cancelled_appointment_is_sent_as_cancelled_with_a_higher_sequence() -> None:
    vevent = parse(build_calendar(name="x", events=[event(cancelled=True, sequence=2)], now=NOW))[0]
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["SEQUENCE"] == "2"


def test_an_empty_feed_is_still_a_valid_calendar() -> None:
    assert [c["_"] for c in parse(build_calendar(name="x", events=[], now=NOW))] == ["VCALENDAR"]


@given(st.text(max_size=300))
def test_any_text_survives_escaping_and_folding(value: str) -> None:
    value = value.replace("\r", "")  # a lone CR has no iCalendar form; newlines do
    text = build_calendar(name="x", events=[event(description=value or "x")], now=NOW)
    assert unescape(parse(text)[0]["DESCRIPTION"]) == (value or "x")


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=70, max_size=400))
def test_folding_never_splits_a_character_and_keeps_lines_short(value: str) -> None:
    folded = fold("DESCRIPTION:" + escape_text(value))
    pieces = folded.split("\r\n ")
    assert all(len(p.encode("utf-8")) <= 75 - (1 if i else 0) for i, p in enumerate(pieces))
    assert "".join(pieces) == "DESCRIPTION:" + escape_text(value)


@given(st.text(max_size=200), st.text(max_size=80))
def test_the_icalendar_package_reads_back_any_summary_and_description(
    description: str, summary: str
) -> None:
    import icalendar

    description = description.replace("\r", "")
    summary = summary.replace("\r", "").replace("\n", " ")
    text = build_calendar(
        name="x", events=[event(summary=summary or "x", description=description or "x")], now=NOW
    )
    vevent = next(iter(icalendar.Calendar.from_ical(text).walk("VEVENT")))
    assert str(vevent.get("SUMMARY")) == (summary or "x")
    assert str(vevent.get("DESCRIPTION")) == (description or "x")
    assert vevent.decoded("DTSTART") == dt.datetime(2026, 3, 3, 14, 0, tzinfo=dt.UTC)
