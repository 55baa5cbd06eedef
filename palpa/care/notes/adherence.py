"""Home care the patient reported doing, shown on a draft treatment note.

The patient ticks items of their home-care program off in the portal; the therapist
reads, while writing the next note, how many days each item was done since the last
visit. ``care`` sits below the portal that keeps the ticks, so it names no app that
keeps them: an app registers a source in its ``AppConfig.ready()``
(``register_source``). A source answers, in one query, how many days of a span each
item was ticked done.

The span is the days since the patient's last signed note (the day after it up to and
including this note's visit day), at most ``MAX_DAYS``; with no signed note before, the
last ``MAX_DAYS`` days. Read-only, and part of the note: only clinical roles of the
note's organization see it, and only on a draft (a signed note shows what the therapist
recorded).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.care.models import TreatmentNote
from palpa.care.queries import home_care_in_effect

MAX_DAYS = 7

# source(patient_id, item ids, first day, last day) -> {item id: days ticked done}
Source = Callable[[int, Sequence[int], dt.date, dt.date], Mapping[int, int]]
_SOURCES: dict[str, Source] = {}


def register_source(name: str, source: Source) -> None:
    """Add a source of ticked-off days (once by name, however often ``ready()`` runs)."""
    _SOURCES[name] = source


@dataclass(frozen=True)
class ItemDone:
    kind: str
    instructions: str
    frequency: str
    days_done: int


@dataclass(frozen=True)
class Adherence:
    first_day: dt.date
    last_day: dt.date
    days: int
    last_visit: dt.date | None
    items: list[ItemDone]


def for_note(user: User, note: TreatmentNote) -> Adherence | None:
    """What the patient ticked off per item of their home-care program in effect, over
    the span before this draft note's visit; None when the member may not read clinical
    records of the note's organization, the note is not a draft, no app keeps ticks, or
    the patient has no program in effect."""
    if not _SOURCES or note.status != TreatmentNote.Status.DRAFT:
        return None
    if not has_capability(user, Capability.CLINICAL_READ):
        return None
    if note.organization_id != tenant_id(user):
        return None
    items = home_care_in_effect(note.patient)
    if not items:
        return None
    last_visit = (
        TreatmentNote.objects.filter(
            organization_id=note.organization_id,
            patient_id=note.patient_id,
            status=TreatmentNote.Status.SIGNED,
            visit_date__lt=note.visit_date,
        )
        .order_by("-visit_date")
        .values_list("visit_date", flat=True)
        .first()
    )
    first_day = note.visit_date - dt.timedelta(days=MAX_DAYS - 1)
    if last_visit is not None:
        first_day = max(first_day, last_visit + dt.timedelta(days=1))
    done: dict[int, int] = {}
    ids = [item.pk for item in items]
    for source in _SOURCES.values():
        for item_id, days in source(note.patient_id, ids, first_day, note.visit_date).items():
            done[item_id] = done.get(item_id, 0) + days
    return Adherence(
        first_day=first_day,
        last_day=note.visit_date,
        days=(note.visit_date - first_day).days + 1,
        last_visit=last_visit,
        items=[
            ItemDone(
                kind=item.get_kind_display(),
                instructions=item.instructions,
                frequency=item.frequency,
                days_done=done.get(item.pk, 0),
            )
            for item in items
        ],
    )
