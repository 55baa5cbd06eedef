"""Domain events of scheduling (published on commit through ``palpa.core.events``).

Reminders, the calendar feed and higher apps subscribe in their ``AppConfig.ready()``.
Each event carries the appointment's (or offer's) integer id and public id.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from palpa.core.events import Event


@dataclass(frozen=True)
class AppointmentBooked(Event):
    appointment_id: int
    public_id: UUID


@dataclass(frozen=True)
class AppointmentRescheduled(Event):
    appointment_id: int
    public_id: UUID


@dataclass(frozen=True)
class AppointmentCancelled(Event):
    appointment_id: int
    public_id: UUID


@dataclass(frozen=True)
class AppointmentStatusChanged(Event):
    """Arrived, no-show or fulfilled."""

    appointment_id: int
    public_id: UUID
    status: str


@dataclass(frozen=True)
class WaitlistSlotOffered(Event):
    offer_id: int
    public_id: UUID
