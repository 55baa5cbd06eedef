"""Wording of patient messages: templates with ``{placeholders}``.

Pure (no database, no I/O). A clinic writes its own text; only the placeholders a kind of
message allows may appear, so a message never shows a stray ``{...}`` and never reaches
anything but the values given. Braces are written ``{{`` and ``}}``. Scheduling's
reminders (``palpa.scheduling.wording``) and the patient message ledger
(``palpa.patients.messages``) share these rules.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping


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


def check(text: str, allowed: Iterable[str], *, required: tuple[str, ...] = ()) -> None:
    """``WordingError`` naming every placeholder not ``allowed`` and every required one
    missing."""
    known = list(allowed)
    names = placeholders_in(text)
    unknown = sorted({n for n in names if n not in known})
    problems = []
    if unknown:
        problems.append(
            "Unknown placeholder"
            + ("s " if len(unknown) > 1 else " ")
            + ", ".join("{" + n + "}" for n in unknown)
            + "; the placeholders are "
            + ", ".join("{" + n + "}" for n in known)
            + "."
        )
    missing = [n for n in required if n not in names]
    if missing:
        problems.append("The text must contain " + ", ".join("{" + n + "}" for n in missing) + ".")
    if problems:
        raise WordingError(" ".join(problems))


def render(text: str, values: Mapping[str, str], allowed: Iterable[str]) -> str:
    """The text with every placeholder filled (a missing value becomes empty)."""
    known = list(allowed)
    check(text, known)
    return text.format_map({name: str(values.get(name, "")) for name in known})
