"""iCalendar (RFC 5545) text for a therapist's feed: a pure writer, no database.

Times are written in UTC (``DTSTART:20260302T150000Z``): every calendar app shows them in
its own zone, and no VTIMEZONE block is needed. Lines end in CRLF and are folded at 75
octets, never inside a UTF-8 character. The feed carries as little about the patient as
a calendar needs (see docs/scheduling.md, "The therapist's calendar feed").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

PRODID = "-//Palpa//Scheduling feed//EN"
MAX_OCTETS = 75


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    start: dt.datetime
    end: dt.datetime
    summary: str
    location: str = ""
    description: str = ""
    cancelled: bool = False
    sequence: int = 0
    stamp: dt.datetime | None = None


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma, newline."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def utc_stamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("iCalendar times must be aware datetimes")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets, continuation lines starting
    with one space (RFC 5545 3.1)."""
    pieces: list[str] = []
    current = ""
    limit = MAX_OCTETS
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            pieces.append(current)
            current = char
            limit = MAX_OCTETS - 1  # the leading space counts
        else:
            current += char
    pieces.append(current)
    return "\r\n ".join(pieces)


def _lines(event: FeedEvent, now: dt.datetime) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{utc_stamp(event.stamp or now)}",
        f"DTSTART:{utc_stamp(event.start)}",
        f"DTEND:{utc_stamp(event.end)}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"SEQUENCE:{max(0, event.sequence)}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        "CLASS:PRIVATE",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    lines.append("END:VEVENT")
    return lines


def build_calendar(
    *, name: str, events: Iterable[FeedEvent], now: dt.datetime, refresh_minutes: int = 30
) -> str:
    """The whole VCALENDAR as text, CRLF line ends, folded."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"REFRESH-INTERVAL;VALUE=DURATION:PT{max(5, refresh_minutes)}M",
        f"X-PUBLISHED-TTL:PT{max(5, refresh_minutes)}M",
    ]
    for event in events:
        lines.extend(_lines(event, now))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
