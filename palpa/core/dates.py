"""Dates read from a page's query string or form, and the local day and time of a place.

``date.fromisoformat`` accepts ``0001-01-01`` and ``9999-12-31``; a calendar that then
steps a week back or forward from them overflows and the page fails. Pages read dates
through ``page_date``: an ISO date (YYYY-MM-DD, ASCII digits) within the years a clinic's
records can hold, or nothing.

Local time: instants are stored in UTC; every date and time a person sees, and every
default date, is in the zone of the place the page is about: a location
(``Location.time_zone``) or, for organization-wide pages, the organization
(``Organization.time_zone``). ``local_today(place)``, ``local_now(place)`` and
``local(moment, place)`` read it; a ``place`` of None means the zone active for the
request (the signed-in staff member's organization, set by
``palpa.accounts.middleware.LocalTimeMiddleware``). Templates use the ``local`` filter
(``{{ note.signed_at|local:note.location|date:"Y-m-d H:i T" }}``).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import lru_cache
from typing import Protocol

from django.utils import timezone

#: The years a page may show or ask for (a clinic's records, with room either side).
FIRST = dt.date(1900, 1, 1)
LAST = dt.date(2199, 12, 31)

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)


def page_date(value: object) -> dt.date | None:
    """``value`` as a date if it is an ISO date between 1900 and 2199, else None."""
    text = str(value or "").strip()
    if not _ISO_DATE.match(text):
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST <= day <= LAST else None


class Zoned(Protocol):
    """A location or an organization: anything with an IANA ``time_zone``."""

    @property
    def time_zone(self) -> str: ...


Place = Zoned | str | dt.tzinfo | None


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def zone_of(place: Place) -> dt.tzinfo:
    """The zone of a location or organization (or a zone name); None: the active zone."""
    if place is None:
        return timezone.get_current_timezone()
    if isinstance(place, dt.tzinfo):
        return place
    name = place if isinstance(place, str) else place.time_zone
    return _zone(name)


def local_now(place: Place = None) -> dt.datetime:
    """The current instant as wall-clock time at ``place``."""
    return timezone.now().astimezone(zone_of(place))


def local_today(place: Place = None) -> dt.date:
    """Today's date at ``place`` (what a person there calls today)."""
    return local_now(place).date()


class Shown(dt.datetime):
    """A datetime already at a place's wall-clock time: templates show it as it is.

    Django converts every aware datetime a template prints to the request's active zone;
    this one is left alone (the attribute Django's own ``timezone`` filter sets).
    """

    convert_to_local_time = False


def local(moment: dt.datetime, place: Place = None) -> dt.datetime:
    """An aware instant as wall-clock time at ``place`` (shown as such by templates)."""
    if timezone.is_naive(moment):
        raise ValueError("local() needs an aware datetime (instants are stored in UTC)")
    at = moment.astimezone(zone_of(place))
    return Shown(
        at.year,
        at.month,
        at.day,
        at.hour,
        at.minute,
        at.second,
        at.microsecond,
        tzinfo=at.tzinfo,
        fold=at.fold,
    )
