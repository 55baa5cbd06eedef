"""The waitlist: a patient added, a freed slot offered to the longest-waiting patient
who fits, the offer accepted (booked under every booking rule) or declined, and a
patient withdrawn."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action, record
from palpa.core import events
from palpa.core.tenancy import require_same_organization
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import hours, queries
from palpa.scheduling.events import (
    WaitlistSlotOffered,
)
from palpa.scheduling.models import (
    Appointment,
    AppointmentType,
    WaitlistEntry,
    WaitlistOffer,
)
from palpa.scheduling.services import booking
from palpa.scheduling.services._common import NotAllowedNow, _may_perform


def add_to_waitlist(
    *,
    actor: User,
    patient: Patient,
    location: Location,
    appointment_type: AppointmentType,
    practitioner: Practitioner | None = None,
    earliest_date: dt.date | None = None,
    latest_date: dt.date | None = None,
    weekdays: Sequence[int] = (),
    window_start: dt.time | None = None,
    window_end: dt.time | None = None,
    notes: str = "",
) -> WaitlistEntry:
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, patient, location, appointment_type, practitioner)
    errors: dict[str, str] = {}
    if patient.status != Patient.Status.ACTIVE:
        errors["patient"] = "Only active patients can wait for a slot."
    if earliest_date and latest_date and latest_date < earliest_date:
        errors["latest_date"] = "The latest date comes before the earliest."
    if window_start and window_end and window_end <= window_start:
        errors["window_end"] = "The window ends before it starts."
    if any(not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = "Weekdays run from 0 (Monday) to 6 (Sunday)."
    if practitioner is not None and not _may_perform(practitioner, appointment_type):
        errors["practitioner"] = f"{practitioner} does not perform {appointment_type.name}."
    if errors:
        raise ValidationError(errors)
    entry = WaitlistEntry(
        organization_id=patient.organization_id,
        patient=patient,
        location=location,
        appointment_type=appointment_type,
        practitioner=practitioner,
        earliest_date=earliest_date,
        latest_date=latest_date,
        weekdays=sorted(set(weekdays)),
        window_start=window_start,
        window_end=window_end,
        notes=(notes or "").strip()[:300],
        added_by=actor,
    )
    with transaction.atomic():
        entry.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=entry,
            patient_id=str(patient.public_id),
            detail={"type": appointment_type.code, "location": str(location.public_id)},
        )
    return entry


def _fits(entry: WaitlistEntry, freed: Appointment, start: dt.datetime, end: dt.datetime) -> bool:
    tz = hours.zone(freed.location.time_zone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    day = local_start.date()
    return (
        (entry.practitioner_id is None or entry.practitioner_id == freed.practitioner_id)
        and (entry.earliest_date is None or day >= entry.earliest_date)
        and (entry.latest_date is None or day <= entry.latest_date)
        and (not entry.weekdays or day.weekday() in entry.weekdays)
        and (entry.window_start is None or local_start.time() >= entry.window_start)
        and (
            entry.window_end is None
            or (local_end.date() == day and local_end.time() <= entry.window_end)
        )
    )


def offer_freed_slot(*, actor: User | None, appointment: Appointment) -> WaitlistOffer | None:
    """The freed time of a cancelled appointment, offered to the longest-waiting patient
    who fits: same location, an appointment type that fits in the freed time (the
    cancelled one's type first), their practitioner preference, dates, weekdays and
    time window. The offer is recorded; the entry becomes "offered". None if nobody fits,
    or if the location is closed that day (a closed day is never offered)."""
    if actor is not None:
        require_same_organization(actor, appointment)
    tz = hours.zone(appointment.location.time_zone)
    freed_day = hours.local_day(appointment.start, tz)
    if queries.closed_days_at(appointment.location, freed_day, freed_day):
        return None
    freed_start = appointment.start
    freed_until = appointment.busy_until
    entries = (
        WaitlistEntry.objects.filter(
            organization_id=appointment.organization_id,
            location_id=appointment.location_id,
            status=WaitlistEntry.Status.WAITING,
        )
        .exclude(patient_id=appointment.patient_id)
        .select_related("appointment_type", "patient")
        .order_by("created_at", "pk")
    )
    for entry in entries:
        kind = entry.appointment_type
        end = freed_start + kind.duration
        if freed_start + kind.duration + kind.buffer > freed_until:
            continue
        if not _fits(entry, appointment, freed_start, end):
            continue
        with transaction.atomic():
            offer = WaitlistOffer.objects.create(
                organization_id=appointment.organization_id,
                entry=entry,
                freed_by=appointment,
                practitioner_id=appointment.practitioner_id,
                room_id=appointment.room_id,
                start=freed_start,
                end=end,
                offered_by=actor,
            )
            entry.status = WaitlistEntry.Status.OFFERED
            entry.save(update_fields=["status", "updated_at"])
            record(
                actor=actor,
                action=Action.CREATE,
                organization=appointment.location.organization,
                obj=offer,
                patient_id=str(entry.patient.public_id),
                detail={
                    "entry": str(entry.public_id),
                    "freed_by": str(appointment.public_id),
                    "start": freed_start.isoformat(),
                    "type": kind.code,
                },
                actor_label="" if actor is not None else "online cancellation",
            )
            events.publish(WaitlistSlotOffered(offer.pk, offer.public_id))
        return offer
    return None


def accept_offer(
    *, actor: User, offer: WaitlistOffer, outside_hours_reason: str = "", override_reason: str = ""
) -> Appointment:
    """The waiting patient takes the offered slot: it is booked (every booking rule
    applies), the offer is accepted and the entry booked, all or nothing."""
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, offer)
    with transaction.atomic():
        current = WaitlistOffer.objects.select_for_update(of=("self",)).get(pk=offer.pk)
        if current.status != WaitlistOffer.Status.OPEN:
            raise NotAllowedNow(f"This offer is {current.get_status_display().lower()}.")
        entry = current.entry
        appointment = booking.book_appointment(
            actor=actor,
            patient=entry.patient,
            practitioner=current.practitioner,
            location=entry.location,
            appointment_type=entry.appointment_type,
            start=current.start,
            room=current.room,
            outside_hours_reason=outside_hours_reason,
            override_reason=override_reason,
        )
        current.status = WaitlistOffer.Status.ACCEPTED
        current.save(update_fields=["status", "updated_at"])
        entry.status = WaitlistEntry.Status.BOOKED
        entry.save(update_fields=["status", "updated_at"])
    offer.refresh_from_db()
    return appointment


def decline_offer(*, actor: User, offer: WaitlistOffer) -> WaitlistOffer:
    """The patient does not take it: the offer is declined and the patient waits again."""
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, offer)
    with transaction.atomic():
        current = WaitlistOffer.objects.select_for_update(of=("self",)).get(pk=offer.pk)
        if current.status != WaitlistOffer.Status.OPEN:
            raise NotAllowedNow(f"This offer is {current.get_status_display().lower()}.")
        current.status = WaitlistOffer.Status.DECLINED
        current.save(update_fields=["status", "updated_at"])
        entry = current.entry
        entry.status = WaitlistEntry.Status.WAITING
        entry.save(update_fields=["status", "updated_at"])
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            patient_id=str(entry.patient.public_id),
            detail={"status": "declined", "entry": str(entry.public_id)},
        )
    offer.refresh_from_db()
    return current


def withdraw_from_waitlist(*, actor: User, entry: WaitlistEntry, reason: str = "") -> WaitlistEntry:
    """Take a patient off the waitlist (kept, status withdrawn)."""
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, entry)
    with transaction.atomic():
        entry.status = WaitlistEntry.Status.WITHDRAWN
        entry.save(update_fields=["status", "updated_at"])
        record(
            actor=actor,
            action=Action.UPDATE,
            obj=entry,
            patient_id=str(entry.patient.public_id),
            detail={"status": "withdrawn", "reason": (reason or "").strip()[:300]},
        )
    return entry
