"""The clinic's wording of patient messages: templates with ``{placeholders}``.

Pure (no database, no I/O). A clinic writes its own text; only the placeholders listed in
``PLACEHOLDERS`` may appear, so a message never shows a stray ``{...}`` and never reaches
anything but the values given. Braces are written ``{{`` and ``}}``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

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


class WordingError(ValueError):
    """The text cannot be used as a template; the message says why."""


def placeholders_in(text: str) -> list[str]:
    """The placeholder names used in the text, in order; ``WordingError`` if a brace is
    unbalanced or a placeholder carries a format or attribute."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise WordingError(
            f"The text has an unmatched brace ({exc}). Write {{{{ and }}}} for a literal brace."
        ) from exc
    names: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            raise WordingError(
                f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}} "
                "is not a placeholder: use a bare name such as {date}."
            )
        names.append(name)
    return names


def check(text: str, *, required: tuple[str, ...] = ()) -> None:
    """``WordingError`` naming every unknown placeholder and every required one missing."""
    names = placeholders_in(text)
    unknown = sorted({n for n in names if n not in PLACEHOLDERS})
    problems = []
    if unknown:
        problems.append(
            "Unknown placeholder"
            + ("s " if len(unknown) > 1 else " ")
            + ", ".join("{" + n + "}" for n in unknown)
            + "; the placeholders are "
            + ", ".join("{" + n + "}" for n in PLACEHOLDERS)
            + "."
        )
    missing = [n for n in required if n not in names]
    if missing:
        problems.append("The text must contain " + ", ".join("{" + n + "}" for n in missing) + ".")
    if problems:
        raise WordingError(" ".join(problems))


def render(text: str, values: Mapping[str, str]) -> str:
    """The text with every placeholder filled (a missing value becomes empty)."""
    check(text)
    return text.format_map({name: str(values.get(name, "")) for name in PLACEHOLDERS})
