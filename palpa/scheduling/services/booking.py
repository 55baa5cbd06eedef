"""Booking, moving, cancelling and marking appointments (staff and online).

Every booking (staff or online, single or a course) passes the same rules, in order:

1. the patient, practitioner, type, location and room belong to one organization and
   are active; the practitioner may perform the type; the room is at the location and
   has the features the type requires (a free suitable room is chosen when none is given);
2. the practitioner holds a current license for the location's jurisdiction on the
   appointment's local date (``practitioners.services.require_current_license``);
3. the appointment lies inside the practitioner's working hours at the location, outside
   time off; staff may book outside hours by giving ``outside_hours_reason`` (stored and
   audited); online booking never may;
4. a patient whose screening decision is STOP may be booked only for an evaluation; the
   decision at booking is stored on the appointment (``screening_decision``);
5. neither the practitioner nor the room is busy, buffers included: refused with
   ``SlotTaken`` (409, code ``slot_taken``), and on PostgreSQL guaranteed by exclusion
   constraints even for concurrent requests;
6. for types that count as visits, the referral must cover every planned visit: the new
   ones plus the patient's booked and arrived appointments not yet counted
   (``referrals.services.require_authorization``); an owner may override with a reason.

Each service takes keyword arguments with ``actor`` first, checks role and organization,
runs in one transaction and leaves an audit entry per appointment written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from palpa.accounts.models import Location, Room, User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action
from palpa.core import events
from palpa.core.tenancy import require_same_organization
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import hours
from palpa.scheduling.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    AppointmentStatusChanged,
)
from palpa.scheduling.models import (
    Appointment,
    AppointmentType,
)
from palpa.scheduling.services import waitlist
from palpa.scheduling.services._common import (
    NotAllowedNow,
    SlotTaken,
    Status,
    _audit,
    _check_free,
    _check_hours,
    _check_license,
    _check_parties,
    _check_referral,
    _check_screening,
    _choose_room,
    _reason,
    _Request,
    _save,
    _utc,
)

ONLINE_MIN_NOTICE = dt.timedelta(hours=2)


def _book(
    actor: User | None,
    req: _Request,
    *,
    source: str,
    outside_hours_reason: str,
    override_reason: str,
    notes: str,
    series: uuid.UUID | None = None,
) -> Appointment:
    online = source == Appointment.Source.ONLINE
    req.start = _utc(req.start, "start")
    with transaction.atomic():  # IMMEDIATE on SQLite: writers queue here
        _check_parties(req)
        _check_license(req)
        reason = _check_hours(req, outside_hours_reason=outside_hours_reason, online=online)
        decision = _check_screening(req)
        _choose_room(req)
        _check_free(req)
        override = _check_referral(actor, [req], override_reason, req.exclude)
        appointment = Appointment(
            organization_id=req.location.organization_id,
            location=req.location,
            practitioner=req.practitioner,
            room=req.room,
            patient=req.patient,
            appointment_type=req.appointment_type,
            start=req.start,
            end=req.end,
            busy_until=req.busy_until,
            status=Status.BOOKED,
            source=source,
            booked_by=actor,
            series=series,
            notes=(notes or "").strip()[:500],
            screening_decision=decision,
            outside_hours_reason=reason,
            referral_override=override,
        )
        _save(appointment)
        _audit(actor, Action.CREATE, appointment, source=source, outside_hours_reason=reason)
        events.publish(AppointmentBooked(appointment.pk, appointment.public_id))
    return appointment


def book_appointment(
    *,
    actor: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    room: Room | None = None,
    outside_hours_reason: str = "",
    override_reason: str = "",
    notes: str = "",
) -> Appointment:
    """Book one appointment as staff (the rules are in the module text). ``room`` None
    picks the first free suitable room; ``override_reason`` is an owner's referral
    override; ``outside_hours_reason`` books outside working hours."""
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, location)
    req = _Request(patient, practitioner, location, appointment_type, start, room)
    return _book(
        actor,
        req,
        source=Appointment.Source.STAFF,
        outside_hours_reason=outside_hours_reason,
        override_reason=override_reason,
        notes=notes,
    )


def book_online_appointment(
    *,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    notes: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """A patient books themself (no staff actor): the type must be online-bookable, the
    slot inside working hours, at least ``ONLINE_MIN_NOTICE`` ahead; no overrides."""
    if not appointment_type.online_bookable:
        raise ValidationError({"appointment_type": "This appointment type is not bookable online."})
    moment = now or timezone.now()
    if _utc(start, "start") < moment + ONLINE_MIN_NOTICE:
        hours_ahead = int(ONLINE_MIN_NOTICE.total_seconds() // 3600)
        raise ValidationError(
            {"start": f"Online bookings start at least {hours_ahead} hours from now."}
        )
    require_same_organization(location, patient)
    req = _Request(patient, practitioner, location, appointment_type, start)
    return _book(
        None,
        req,
        source=Appointment.Source.ONLINE,
        outside_hours_reason="",
        override_reason="",
        notes=notes,
    )


def reschedule_appointment(
    *,
    actor: User,
    appointment: Appointment,
    start: dt.datetime,
    practitioner: Practitioner | None = None,
    room: Room | None = None,
    outside_hours_reason: str = "",
    override_reason: str = "",
) -> Appointment:
    """Move a booked appointment (and optionally to another practitioner or room); every
    booking rule is checked again, the old time is freed only if the new one is taken."""
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, appointment)
    with transaction.atomic():
        current = Appointment.objects.select_related(
            "location__organization", "patient", "practitioner", "appointment_type", "room"
        ).get(pk=appointment.pk)
        if current.status != Status.BOOKED:
            raise NotAllowedNow(
                "Only a booked appointment can be moved; this one is "
                f"{current.get_status_display().lower()}."
            )
        before = {
            "start": current.start.isoformat(),
            "practitioner": str(current.practitioner.public_id),
        }
        req = _Request(
            current.patient,
            practitioner or current.practitioner,
            current.location,
            current.appointment_type,
            _utc(start, "start"),
            room if room is not None else (current.room if practitioner is None else None),
            exclude=(current.pk,),
        )
        if room is None and practitioner is None and current.room is not None:
            req.room = current.room
            try:
                _check_free(req)
            except SlotTaken:
                req.room = None  # the same room is taken then: look for another
        _check_parties(req)
        _check_license(req)
        reason = _check_hours(req, outside_hours_reason=outside_hours_reason, online=False)
        decision = _check_screening(req)
        _choose_room(req)
        _check_free(req)
        override = _check_referral(actor, [req], override_reason, req.exclude)
        current.practitioner = req.practitioner
        current.room = req.room
        current.start = req.start
        current.end = req.end
        current.busy_until = req.busy_until
        current.screening_decision = decision
        current.outside_hours_reason = reason
        current.referral_override = override or current.referral_override
        _save(current)
        _audit(actor, Action.UPDATE, current, moved_from=before, outside_hours_reason=reason)
        events.publish(AppointmentRescheduled(current.pk, current.public_id))
    appointment.refresh_from_db()
    return current


def cancel_appointment(
    *, actor: User | None, appointment: Appointment, reason: str, offer_to_waitlist: bool = True
) -> Appointment:
    """Cancel a booked or arrived appointment (reason required). The freed slot is
    offered to the next fitting waitlist patient when it is still ahead.
    ``actor`` None is the patient cancelling online."""
    if actor is not None:
        require(actor, Capability.SCHEDULE_BOOK)
        require_same_organization(actor, appointment)
    text = _reason(reason, "reason", minimum=3)
    with transaction.atomic():
        current = _locked(appointment)
        if current.status not in (Status.BOOKED, Status.ARRIVED):
            raise NotAllowedNow(
                f"This appointment is {current.get_status_display().lower()}: "
                "it cannot be cancelled."
            )
        current.status = Status.CANCELLED
        current.cancel_reason = text
        current.cancelled_at = timezone.now()
        current.cancelled_by = actor
        current.save(
            update_fields=["status", "cancel_reason", "cancelled_at", "cancelled_by", "updated_at"]
        )
        _audit(actor, Action.UPDATE, current, cancel_reason=text)
        events.publish(AppointmentCancelled(current.pk, current.public_id))
        if offer_to_waitlist and current.start > timezone.now():
            waitlist.offer_freed_slot(actor=actor, appointment=current)
    appointment.refresh_from_db()
    return current


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related(
            "location__organization", "patient", "practitioner", "appointment_type", "room"
        )
        .get(pk=appointment.pk)
    )


def _set_status(
    actor: User, appointment: Appointment, to: str, allowed_from: Sequence[str], **extra: Any
) -> Appointment:
    require(actor, Capability.SCHEDULE_BOOK)
    require_same_organization(actor, appointment)
    with transaction.atomic():
        current = _locked(appointment)
        if current.status not in allowed_from:
            label = dict(Status.choices)[to].lower()
            raise NotAllowedNow(
                f"This appointment is {current.get_status_display().lower()}: it cannot be "
                f"marked {label}."
            )
        now = timezone.now()
        tz = hours.zone(current.location.time_zone)
        if to == Status.ARRIVED and hours.local_day(current.start, tz) > hours.local_day(now, tz):
            raise NotAllowedNow("A patient can arrive only on the appointment's day.")
        if to in (Status.NOSHOW, Status.FULFILLED) and current.start > now:
            raise NotAllowedNow("The appointment has not started yet.")
        before = current.status
        current.status = to
        fields = ["status", "updated_at"]
        if to == Status.ARRIVED:
            current.arrived_at = now
            fields.append("arrived_at")
        current.save(update_fields=fields)
        _audit(actor, Action.UPDATE, current, status_from=before, **extra)
        events.publish(AppointmentStatusChanged(current.pk, current.public_id, to))
    appointment.refresh_from_db()
    return current


def mark_arrived(*, actor: User, appointment: Appointment) -> Appointment:
    return _set_status(actor, appointment, Status.ARRIVED, [Status.BOOKED])


def mark_no_show(*, actor: User, appointment: Appointment) -> Appointment:
    return _set_status(actor, appointment, Status.NOSHOW, [Status.BOOKED])


def mark_fulfilled(*, actor: User, appointment: Appointment) -> Appointment:
    """The visit took place (care calls this when the treatment note is signed)."""
    return _set_status(actor, appointment, Status.FULFILLED, [Status.BOOKED, Status.ARRIVED])
