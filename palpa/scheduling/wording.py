"""The clinic's wording of patient messages: templates with ``{placeholders}``.

Pure (no database, no I/O). A clinic writes its own text; only the placeholders listed in
``PLACEHOLDERS`` may appear, so a message never shows a stray ``{...}`` and never reaches
anything but the values given. Braces are written ``{{`` and ``}}``; the rules are
``palpa.core.wording``'s.
"""

from __future__ import annotations

from collections.abc import Mapping

from palpa.core import wording as core_wording
from palpa.patients.messages import BOOKING

PLACEHOLDERS: dict[str, str] = dict(BOOKING)  # the same as the booking notices'

DEFAULT_EMAIL_SUBJECT = "Reminder: {what} on {date} at {time}"
DEFAULT_EMAIL_BODY = """Hello {first_name},

This is a reminder of your appointment at {clinic}.

What:  {what} with {therapist}
When:  {date} at {time} ({time_zone})
Where: {location}, {address}

To cancel or change it, open this link: {manage_link}
You can do so online until {change_until}; after that, please call us at {location_phone}.

{clinic}
"""
DEFAULT_SMS_BODY = (
    "{clinic}: reminder of your {what} on {date} at {time} ({time_zone}), "
    "{location}, {address}. To cancel or change: {manage_link}"
)


WordingError = core_wording.WordingError
placeholders_in = core_wording.placeholders_in


def check(text: str, *, required: tuple[str, ...] = ()) -> None:
    """``WordingError`` naming every unknown placeholder and every required one missing."""
    core_wording.check(text, PLACEHOLDERS, required=required)


def render(text: str, values: Mapping[str, str]) -> str:
    """The text with every placeholder filled (a missing value becomes empty)."""
    return core_wording.render(text, values, PLACEHOLDERS)
