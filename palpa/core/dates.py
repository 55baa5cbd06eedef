"""Dates read from a page's query string or form (pure).

``date.fromisoformat`` accepts ``0001-01-01`` and ``9999-12-31``; a calendar that then
steps a week back or forward from them overflows and the page fails. Pages read dates
through ``page_date``: an ISO date (YYYY-MM-DD, ASCII digits) within the years a clinic's
records can hold, or nothing.
"""

from __future__ import annotations

import datetime as dt
import re

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
