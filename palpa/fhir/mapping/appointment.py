"""Appointment <- scheduling.Appointment (base R4; US Core has no Appointment profile).

Palpa's appointment statuses are R4 AppointmentStatus codes already (booked, arrived,
fulfilled, cancelled, noshow, entered-in-error). serviceType: the appointment type
(``urn:palpa:appointment-type``); participants: the patient, the practitioner and the
location (the room, when one is set, is named in the location's display).
"""

from __future__ import annotations

from palpa.fhir.mapping.common import (
    APPOINTMENT_TYPE,
    JSON,
    Context,
    coding,
    compact,
    concept,
    instant,
    ref,
    with_meta,
)
from palpa.scheduling.models import Appointment

_CANCELLED = (Appointment.Status.CANCELLED, Appointment.Status.NOSHOW)


def _participant(actor: JSON) -> JSON:
    return {"actor": actor, "required": "required", "status": "accepted"}


def to_fhir(appointment: Appointment, ctx: Context) -> JSON:
    patient = appointment.patient
    practitioner = appointment.practitioner
    location = appointment.location
    kind = appointment.appointment_type
    place = location.name + (f", {appointment.room.name}" if appointment.room else "")
    minutes = int((appointment.end - appointment.start).total_seconds() // 60)
    resource: JSON = {
        "resourceType": "Appointment",
        "id": str(appointment.public_id),
        "status": appointment.status,
        "cancelationReason": concept([], appointment.cancel_reason)
        if appointment.status in _CANCELLED and appointment.cancel_reason
        else None,
        "serviceType": [concept([coding(APPOINTMENT_TYPE, kind.code, kind.name)], kind.name)],
        "description": kind.name,
        "start": instant(appointment.start),
        "end": instant(appointment.end),
        "minutesDuration": minutes,
        "created": appointment.created_at.date().isoformat(),
        "comment": appointment.notes,
        "participant": [
            _participant(ref("Patient", patient.public_id, patient.full_name)),
            _participant(ref("Practitioner", practitioner.public_id, practitioner.display_name)),
            _participant(ref("Location", location.public_id, place)),
        ],
    }
    return with_meta(compact(resource), appointment.updated_at)
