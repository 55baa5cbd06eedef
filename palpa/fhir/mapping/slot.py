"""Slot <- free time computed by the scheduling slot finder (base R4), search only.

Slots are not stored: a search computes the free slots of one appointment type (or of
each active type) at the organization's locations over a window of days, with the same
finder the calendar and online booking use (working hours, time off, appointments and
their buffers, a free suitable room, a current license). Only free slots are listed
(``status`` free). A slot's id is derived from what it is (practitioner, location, type,
start), so the same free time keeps its id between searches; slots cannot be read by id.

Parameters: ``schedule`` (Schedule/<practitioner id>), ``service-type``
(``urn:palpa:appointment-type|code``), ``start`` (date; default: today and the 6 days
after it; at most 31 days), ``status`` (``free``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from palpa.accounts.models import User
from palpa.fhir.errors import FhirError
from palpa.fhir.mapping.common import (
    APPOINTMENT_TYPE,
    JSON,
    Context,
    coding,
    concept,
    instant,
    ref,
    with_meta,
)
from palpa.fhir.params import instant_in, parse_date, parse_reference, parse_token
from palpa.practitioners.queries import practitioners_for
from palpa.scheduling.models import AppointmentType
from palpa.scheduling.queries import appointment_types_for, available_slots, locations_for

DEFAULT_DAYS = 7
MAX_DAYS = 31
_NAMESPACE = uuid.UUID("6f1c2a57-3f0e-4d7b-9a43-2b7f3c1d9e10")


def slot_id(practitioner: Any, location: Any, kind: AppointmentType, start: dt.datetime) -> str:
    key = f"{practitioner.public_id}|{location.public_id}|{kind.code}|{instant(start)}"
    return str(uuid.uuid5(_NAMESPACE, key))


def _window(values: list[list[str]], today: dt.date) -> tuple[dt.date, int]:
    """The first day and the number of days the ``start`` values ask for."""
    low: dt.date | None = None
    high: dt.date | None = None  # inclusive
    for occurrence in values:
        for raw in occurrence:
            wanted = parse_date("start", raw)
            # The days a slot may fall on; the instants are checked on each slot.
            first = wanted.start.date()
            last = (wanted.end - dt.timedelta(microseconds=1)).date()
            if wanted.prefix in ("eq",):
                low = max(low or first, first)
                high = min(high or last, last)
            elif wanted.prefix == "ge":
                low = max(low or first, first)
            elif wanted.prefix in ("gt", "sa"):
                after = wanted.end.date()
                low = max(low or after, after)
            elif wanted.prefix == "le":
                high = min(high or last, last)
            elif wanted.prefix in ("lt", "eb"):
                before = (wanted.start - dt.timedelta(microseconds=1)).date()
                high = min(high or before, before)
            else:
                raise FhirError(400, f"start={raw!r}: Slot takes eq, ge, gt, le, lt only.")
    first_day = max(low or today, today)
    last_day = high or first_day + dt.timedelta(days=DEFAULT_DAYS - 1)
    days = (last_day - first_day).days + 1
    if days > MAX_DAYS:
        raise FhirError(400, f"start: ask for at most {MAX_DAYS} days of slots (asked for {days}).")
    return first_day, max(days, 0)


def compute(actor: User, criteria: Sequence[Any], ctx: Context) -> list[JSON]:
    """The free slots the criteria ask for, as Slot resources (unsorted)."""
    practitioners: set[uuid.UUID] | None = None
    type_codes: set[str] | None = None
    every_type = False  # ``service-type=urn:palpa:appointment-type|``
    starts: list[list[str]] = []
    for criterion in criteria:
        if criterion.name == "schedule":
            wanted = {parse_reference("schedule", v, "Schedule") for v in criterion.values}
            named = {u for u in wanted if u is not None}
            practitioners = named if practitioners is None else practitioners & named
        elif criterion.name == "service-type":
            codes = set()
            for raw in criterion.values:
                system, code = parse_token(raw)
                if system == APPOINTMENT_TYPE and code == "":
                    every_type = True
                elif system in (None, APPOINTMENT_TYPE) and code:
                    codes.add(code)
            if every_type:
                every_type = False
                continue  # any code of the system: this occurrence narrows nothing
            type_codes = codes if type_codes is None else type_codes & codes
        elif criterion.name == "start":
            starts.append(criterion.values)
        elif criterion.name == "status" and "free" not in criterion.values:
            return []
    first_day, days = _window(starts, ctx.today)
    ranges = [[parse_date("start", raw) for raw in occurrence] for occurrence in starts]
    if days == 0:
        return []
    kinds = list(appointment_types_for(actor).prefetch_related("practitioners"))
    if type_codes is not None:
        kinds = [k for k in kinds if k.code in type_codes]
    people: list[Any] = [None]  # None: every practitioner who may perform the type
    if practitioners is not None:
        people = list(practitioners_for(actor).filter(public_id__in=practitioners, active=True))
    found: list[JSON] = []
    now = timezone.now()
    for location in locations_for(actor):
        for kind in kinds:
            performers = {p.pk for p in kind.practitioners.all()}
            for person in people:
                if person is not None and performers and person.pk not in performers:
                    continue  # not a practitioner of this type
                for open_slot in available_slots(
                    location=location,
                    appointment_type=kind,
                    first_day=first_day,
                    days=days,
                    practitioner=person,
                    now=now,
                ):
                    if all(
                        any(instant_in(open_slot.start, value) for value in occurrence)
                        for occurrence in ranges
                    ):
                        found.append(_to_fhir(open_slot, location, kind))
    return found


def _to_fhir(open_slot: Any, location: Any, kind: AppointmentType) -> JSON:
    practitioner = open_slot.practitioner
    where = location.name + (f", {open_slot.room.name}" if open_slot.room else "")
    resource: JSON = {
        "resourceType": "Slot",
        "id": slot_id(practitioner, location, kind, open_slot.start),
        "serviceType": [concept([coding(APPOINTMENT_TYPE, kind.code, kind.name)], kind.name)],
        "schedule": ref("Schedule", practitioner.public_id, practitioner.display_name),
        "status": "free",
        "start": instant(open_slot.start),
        "end": instant(open_slot.end),
        "comment": f"{kind.name} with {practitioner.display_name} at {where}",
    }
    return with_meta(resource)
