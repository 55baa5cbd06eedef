"""When a progress report is due, and a report's delivery status. Pure: no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

DeliveryStatus = Literal["draft", "signed", "sent", "opened", "superseded", "entered-in-error"]

DELIVERY_LABELS: dict[str, str] = {
    "draft": "Draft",
    "signed": "Signed, not sent",
    "sent": "Sent",
    "opened": "Opened by the physician",
    "superseded": "Superseded by a correction",
    "entered-in-error": "Entered in error",
}


@dataclass(frozen=True)
class Due:
    due: bool
    reason: str
    since: dt.date
    visits_since: int
    days_since: int


def progress_report_due(
    *,
    since: dt.date,
    visits_since: int,
    today: dt.date,
    every_visits: int | None,
    every_days: int | None,
    reported: bool,
) -> Due:
    """A progress report is due once ``every_visits`` signed visits or ``every_days`` days
    have passed since the last signed report (or, before the first, since the plan of care
    began); ``reported`` says which of the two ``since`` is."""
    days = max(0, (today - since).days)
    what = "the last report" if reported else "the plan of care began"
    when = f"{since.isoformat()}"
    if every_visits is not None and visits_since >= every_visits:
        reason = (
            f"Progress report due: {visits_since} signed visits since {what} ({when}); "
            f"the clinic reports every {every_visits} visits."
        )
        return Due(True, reason, since, visits_since, days)
    if every_days is not None and days >= every_days:
        reason = (
            f"Progress report due: {days} days since {what} ({when}); "
            f"the clinic reports every {every_days} days."
        )
        return Due(True, reason, since, visits_since, days)
    parts = []
    if every_visits is not None:
        parts.append(f"{every_visits - visits_since} more signed visits")
    if every_days is not None:
        parts.append(f"{every_days - days} more days")
    left = " or ".join(parts) if parts else "no schedule set"
    reason = f"Next progress report after {left} ({visits_since} visits since {when})."
    return Due(False, reason, since, visits_since, days)


def delivery_status(status: str, *, sent: bool, opened: bool) -> DeliveryStatus:
    """What the chart shows: draft, signed, sent or opened (or superseded / in error)."""
    if status == "draft":
        return "draft"
    if status == "entered-in-error":
        return "entered-in-error"
    if opened:
        return "opened"
    if sent:
        return "sent"
    if status == "superseded":
        return "superseded"
    return "signed"
