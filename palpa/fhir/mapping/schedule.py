"""Schedule <- a practitioner's weekly working hours (scheduling.WorkingHours), base R4.

One Schedule per practitioner who has working hours (its id is the practitioner's id):
actor is the Practitioner and every location where they have hours that have not ended;
serviceType lists the active appointment types they may perform; comment gives the
weekly hours in each location's local time. Its free time is searched as Slot.
"""

from __future__ import annotations

from palpa.fhir.mapping.common import (
    APPOINTMENT_TYPE,
    JSON,
    Context,
    coding,
    compact,
    concept,
    ref,
    with_meta,
)
from palpa.fhir.mapping.practitionerrole import specialty
from palpa.practitioners.models import Practitioner
from palpa.scheduling.models import AppointmentType, WorkingHours

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _types(practitioner: Practitioner, ctx: Context) -> list[AppointmentType]:
    key = f"appointment-types:{practitioner.organization_id}"
    if key not in ctx.cache:
        ctx.cache[key] = [
            (kind, {p.pk for p in kind.practitioners.all()})
            for kind in AppointmentType.objects.filter(
                organization_id=practitioner.organization_id, active=True
            )
            .prefetch_related("practitioners")
            .order_by("name")
        ]
    return [kind for kind, who in ctx.cache[key] if not who or practitioner.pk in who]


def to_fhir(practitioner: Practitioner, ctx: Context) -> JSON:
    rows = [
        row
        for row in WorkingHours.objects.filter(practitioner=practitioner)
        .select_related("location")
        .order_by("location__name", "weekday", "start_time")
        if row.valid_until is None or row.valid_until >= ctx.today
    ]
    locations: dict[int, list[WorkingHours]] = {}
    for row in rows:
        locations.setdefault(row.location_id, []).append(row)
    lines = []
    actors = [ref("Practitioner", practitioner.public_id, practitioner.display_name)]
    for hours in locations.values():
        place = hours[0].location
        actors.append(ref("Location", place.public_id, place.name))
        spans = ", ".join(
            f"{DAYS[h.weekday]} {h.start_time:%H:%M}-{h.end_time:%H:%M}"
            + (f" from {h.valid_from.isoformat()}" if h.valid_from else "")
            + (f" until {h.valid_until.isoformat()}" if h.valid_until else "")
            for h in hours
        )
        lines.append(f"{place.name} ({place.time_zone}): {spans}")
    kinds = _types(practitioner, ctx)
    resource: JSON = {
        "resourceType": "Schedule",
        "id": str(practitioner.public_id),
        "active": practitioner.active,
        "serviceType": [
            concept([coding(APPOINTMENT_TYPE, kind.code, kind.name)], kind.name) for kind in kinds
        ],
        "specialty": [specialty()],
        "actor": actors,
        "comment": "; ".join(lines),
    }
    stamps = [practitioner.updated_at, *(row.updated_at for row in rows)]
    stamps += [kind.updated_at for kind in kinds]
    return with_meta(compact(resource), *stamps)
