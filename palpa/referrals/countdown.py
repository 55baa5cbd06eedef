"""The visit countdown of a referral. Pure: no Django models, no database.

``compute`` turns what is known about a referral (visits authorized and used, its dates,
whether it was cancelled) and the day into the countdown shown on the chart and the
dashboard, with a warning when few visits or days remain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

ACTIVE = "active"
EXHAUSTED = "exhausted"
EXPIRED = "expired"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Countdown:
    visits_authorized: int
    visits_used: int
    visits_left: int
    days_left: int
    status: str
    warning: str | None

    @property
    def visits_over(self) -> int:
        """Visits signed beyond the authorization (after an owner's override)."""
        return max(0, self.visits_used - self.visits_authorized)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def compute(
    *,
    visits_authorized: int,
    visits_used: int,
    starts_on: dt.date,
    expires_on: dt.date,
    cancelled: bool,
    today: dt.date,
    warn_visits: int,
    warn_days: int,
) -> Countdown:
    """Status: cancelled, else exhausted (every visit used), else expired (after
    ``expires_on``), else active. ``days_left`` counts the days after today up to and
    including the expiry date (0 on the last day). An active referral warns when at most
    ``warn_visits`` visits or ``warn_days`` days remain; an exhausted or expired one says
    a new referral is needed."""
    visits_left = max(0, visits_authorized - visits_used)
    days_left = max(0, (expires_on - today).days)
    if cancelled:
        status, warning = CANCELLED, None
    elif visits_left == 0:
        status = EXHAUSTED
        warning = (
            f"All {_plural(visits_authorized, 'authorized visit')} are used: "
            "a new referral is needed."
        )
    elif today > expires_on:
        status = EXPIRED
        warning = f"The referral expired on {expires_on.isoformat()}: a new referral is needed."
    else:
        status = ACTIVE
        parts = []
        if visits_left <= warn_visits:
            parts.append(f"{_plural(visits_left, 'visit')} left of {visits_authorized}")
        if days_left <= warn_days:
            parts.append(
                "expires today"
                if days_left == 0
                else f"{_plural(days_left, 'day')} left (expires {expires_on.isoformat()})"
            )
        warning = ("Referral running out: " + "; ".join(parts) + ".") if parts else None
    return Countdown(
        visits_authorized=visits_authorized,
        visits_used=visits_used,
        visits_left=visits_left,
        days_left=days_left,
        status=status,
        warning=warning,
    )
