"""The clinic's wording of patient messages: templates with ``{placeholders}``.

Pure (no database, no I/O). A clinic writes its own text; only the placeholders listed in
``PLACEHOLDERS`` may appear, so a message never shows a stray ``{...}`` and never reaches
anything but the values given. Braces are written ``{{`` and ``}}``; the rules are
``palpa.core.wording``'s.
"""

from __future__ import annotations

from collections.abc import Mapping

from palpa.core import wording as core_wording

PLACEHOLDERS: dict[str, str] = {
    "first_name": "the patient's first (or preferred) name",
    "clinic": "the organization's name",
    "what": "the appointment type, e.g. Treatment 60 minutes",
    "therapist": "the therapist's name",
    "date": "the date, e.g. Tuesday, March 3, 2026",
    "time": "the start time in the location's time zone, e.g. 9:00 AM",
    "time_zone": "the location's time zone abbreviation, e.g. EST",
    "location": "the location's name",
    "address": "the location's street address",
    "location_phone": "the location's phone number",
    "manage_link": "the link to cancel or change the appointment",
    "change_until": "until when the patient may cancel or change online",
}

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
