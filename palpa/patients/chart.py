"""Sections of the patient's chart that higher apps add.

``patients`` sits below the apps whose records a chart shows, so it names none of them:
an app registers a section in its ``AppConfig.ready()``. A section is a template of its
own app and a function of the signed-in staff member and the patient that returns the
context the template needs, or None when the member's role may not see the section.
The chart page renders the sections in ``order``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from palpa.accounts.models import User
    from palpa.patients.models import Patient

SectionContext = Callable[["User", "Patient"], Mapping[str, object] | None]


@dataclass(frozen=True)
class Section:
    name: str
    order: int
    template: str
    context: SectionContext


@dataclass(frozen=True)
class Shown:
    """One section as the chart renders it."""

    name: str
    template: str
    context: Mapping[str, object]


_SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    """Add a section (once by name, however often an app's ``ready()`` runs)."""
    _SECTIONS[section.name] = section


def sections_for(user: User, patient: Patient) -> list[Shown]:
    """The sections this staff member may see on this patient's chart, in order."""
    shown = []
    for section in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.name)):
        context = section.context(user, patient)
        if context is not None:
            shown.append(Shown(section.name, section.template, context))
    return shown


# What the chart's sections share within one request. Kept on the patient instance the
# chart view read for this request (its ``__dict__``), so it lives exactly as long as the
# request: nothing is cached across requests, users or organizations.
_MEMO = "_chart_memo"
_READS = "_chart_reads"


def remembered[T](patient: Patient, key: object, compute: Callable[[], T]) -> T:
    """``compute()``, once per chart request for this ``key``: two sections that need the
    same rows (the care and the reports sections, the patient's plans) read them once.
    Put the actor in ``key`` when what ``compute`` reads depends on who asks."""
    store: dict[object, Any] = patient.__dict__.setdefault(_MEMO, {})
    if key not in store:
        store[key] = compute()
    return store[key]  # type: ignore[no-any-return]


def note_read(patient: Patient, **detail: object) -> None:
    """A section read records beyond the chart itself (the care section, the plan of care
    and its progress): the chart view writes them into its one audit entry of the read,
    after the page is rendered and before it is sent."""
    patient.__dict__.setdefault(_READS, {}).update(detail)


def reads_noted(patient: Patient) -> dict[str, object]:
    """What the sections noted with ``note_read`` in this request."""
    return dict(patient.__dict__.get(_READS, {}))
