"""Sections of a treatment note that higher apps add (lymphoedema's MLD and bandaging).

``care`` sits below the apps that keep these sections, so it names none of them: an app
registers a section in its ``AppConfig.ready()`` (``register``). A section

- shows on the note page: ``context(user, note)`` returns what its template needs, or
  None when it does not apply to this note or this member;
- is part of what the note's signature covers: ``content(note)`` returns the section's
  clinical content, or None when nothing was recorded (a note without sections hashes
  exactly as before sections existed);
- may refuse the signature: ``check(actor, note)`` raises ``ValidationError`` or
  ``Refused`` naming the field and the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from palpa.accounts.models import User
    from palpa.care.models import TreatmentNote


@dataclass(frozen=True)
class NoteSection:
    name: str
    order: int
    template: str
    context: Callable[[User, TreatmentNote], Mapping[str, object] | None]
    content: Callable[[TreatmentNote], Mapping[str, Any] | None]
    check: Callable[[User, TreatmentNote], None]


@dataclass(frozen=True)
class Shown:
    name: str
    template: str
    context: Mapping[str, object]


_SECTIONS: dict[str, NoteSection] = {}


def register(section: NoteSection) -> None:
    """Add a section (once by name, however often an app's ``ready()`` runs)."""
    _SECTIONS[section.name] = section


def _ordered() -> list[NoteSection]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.name))


def sections_for(user: User, note: TreatmentNote) -> list[Shown]:
    """The sections this member sees on this note, in order."""
    shown = []
    for section in _ordered():
        context = section.context(user, note)
        if context is not None:
            shown.append(Shown(section.name, section.template, context))
    return shown


def content_of(note: TreatmentNote) -> dict[str, Any]:
    """The sections' signed content by name; empty when none recorded anything."""
    out: dict[str, Any] = {}
    for section in _ordered():
        content = section.content(note)
        if content is not None:
            out[section.name] = dict(content)
    return out


def check_sign(actor: User, note: TreatmentNote) -> None:
    """Every section's sign check (the first refusal stops the signature)."""
    for section in _ordered():
        section.check(actor, note)
