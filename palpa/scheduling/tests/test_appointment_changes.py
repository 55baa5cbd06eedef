"""Rescheduling, cancelling (and the waitlist offer), arrival, no-show and fulfilment."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import Location, Room, User
from palpa.audit.models import AuditEvent
from palpa.core import events
from palpa.patients.models import Patient
from palpa.patients.services import create_patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services
from palpa.scheduling.events import AppointmentCancelled, WaitlistSlotOffered
from palpa.scheduling.models import Appointment, AppointmentType, WaitlistEntry, WaitlistOffer
from palpa.scheduling.tests.support import MONDAY, NEXT_MONDAY, at

pytestmark = pytest.mark.usefixtures("hours", "room")


def _book(
    actor: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    kind: AppointmentType,
    start: dt.datetime,
) -> Appointment:
    return services.book_appointment(
        actor=actor,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=start,
    )


@pytest.fixture
def appointment(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> Appointment:
    return _book(front_desk, patient, practitioner, location, treatment, at(NEXT_MONDAY, "10:00"))


@pytest.fixture
def second_patient(owner: User, location: Location) -> Patient:
    return create_patient(
        actor=owner,
        given_name="Ana",
        family_name="Ruiz",
        date_of_birth=dt.date(1980, 5, 1),
        primary_location=location,
    )


def test_front_desk_moves_an_appointment_and_the_old_time_is_freed(
    front_desk: User,
    appointment: Appointment,
    second_patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    moved = services.reschedule_appointment(
        actor=front_desk, appointment=appointment, start=at(NEXT_MONDAY, "14:00")
    )
    assert moved.start == at(NEXT_MONDAY, "14:00")
    assert moved.busy_until == at(NEXT_MONDAY, "15:15")
    entry = AuditEvent.objects.filter(object_id=str(appointment.public_id), action="update").get()
    assert entry.detail["moved_from"]["start"] == at(NEXT_MONDAY, "10:00").isoformat()
    again = _book(
        front_desk, second_patient, practitioner, location, treatment, at(NEXT_MONDAY, "10:00")
    )
    assert again.status == "booked"


def test_moving_by_a_few_minutes_does_not_collide_with_itself(
    front_desk: User, appointment: Appointment
) -> None:
    moved = services.reschedule_appointment(
        actor=front_desk, appointment=appointment, start=at(NEXT_MONDAY, "10:15")
    )
    assert moved.room == appointment.room


def test_moving_onto_a_taken_slot_is_refused_and_nothing_changes(
    front_desk: User,
    appointment: Appointment,
    second_patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    _book(front_desk, second_patient, practitioner, location, treatment, at(NEXT_MONDAY, "14:00"))
    with pytest.raises(services.SlotTaken):
        services.reschedule_appointment(
            actor=front_desk, appointment=appointment, start=at(NEXT_MONDAY, "14:30")
        )
    appointment.refresh_from_db()
    assert appointment.start == at(NEXT_MONDAY, "10:00")


def test_cancelling_needs_a_reason_and_cannot_happen_twice(
    front_desk: User, appointment: Appointment, django_capture_on_commit_callbacks: Any
) -> None:
    with pytest.raises(ValidationError) as missing:
        services.cancel_appointment(actor=front_desk, appointment=appointment, reason=" ")
    assert set(missing.value.message_dict) == {"reason"}
    seen: list[object] = []
    events.subscribe(AppointmentCancelled, seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.cancel_appointment(actor=front_desk, appointment=appointment, reason="Ill")
    finally:
        events.unsubscribe(AppointmentCancelled, seen.append)
    assert seen == [AppointmentCancelled(appointment.pk, appointment.public_id)]
    with pytest.raises(services.NotAllowedNow):
        services.cancel_appointment(actor=front_desk, appointment=appointment, reason="Ill")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "Ill")
    assert appointment.cancelled_by == front_desk
    with pytest.raises(services.NotAllowedNow):
        services.reschedule_appointment(
            actor=front_desk, appointment=appointment, start=at(NEXT_MONDAY, "12:00")
        )


def test_a_freed_slot_is_offered_to_the_first_waiting_patient_who_fits(
    front_desk: User,
    appointment: Appointment,
    second_patient: Patient,
    owner: User,
    location: Location,
    treatment: AppointmentType,
    treatment_30: AppointmentType,
    other_practitioner: Practitioner,
    django_capture_on_commit_callbacks: Any,
) -> None:
    third = create_patient(
        actor=owner,
        given_name="Li",
        family_name="Wu",
        date_of_birth=dt.date(1990, 1, 1),
        primary_location=location,
    )
    fourth = create_patient(
        actor=owner,
        given_name="Bo",
        family_name="Ng",
        date_of_birth=dt.date(1990, 1, 2),
        primary_location=location,
    )
    wants_other = services.add_to_waitlist(
        actor=front_desk,
        patient=third,
        location=location,
        appointment_type=treatment,
        practitioner=other_practitioner,
    )
    wants_afternoon = services.add_to_waitlist(
        actor=front_desk,
        patient=fourth,
        location=location,
        appointment_type=treatment,
        window_start=dt.time(13),
        window_end=dt.time(17),
    )
    fits = services.add_to_waitlist(
        actor=front_desk,
        patient=second_patient,
        location=location,
        appointment_type=treatment_30,
        weekdays=[0],
        latest_date=NEXT_MONDAY,
    )
    seen: list[object] = []
    events.subscribe(WaitlistSlotOffered, seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.cancel_appointment(
                actor=front_desk, appointment=appointment, reason="Moved away"
            )
    finally:
        events.unsubscribe(WaitlistSlotOffered, seen.append)
    offer = WaitlistOffer.objects.get()
    assert seen == [WaitlistSlotOffered(offer.pk, offer.public_id)]
    assert offer.entry == fits
    assert (offer.start, offer.end) == (at(NEXT_MONDAY, "10:00"), at(NEXT_MONDAY, "10:30"))
    assert offer.freed_by == appointment
    assert [e.status for e in (wants_other, wants_afternoon)] == ["waiting", "waiting"]
    fits.refresh_from_db()
    assert fits.status == WaitlistEntry.Status.OFFERED
    assert AuditEvent.objects.filter(object_type="WaitlistOffer").count() == 1


def test_nobody_fitting_means_no_offer(
    front_desk: User,
    appointment: Appointment,
    second_patient: Patient,
    location: Location,
    evaluation: AppointmentType,
) -> None:
    services.add_to_waitlist(
        actor=front_desk,
        patient=second_patient,
        location=location,
        appointment_type=evaluation,
        earliest_date=NEXT_MONDAY + dt.timedelta(days=1),
    )
    services.cancel_appointment(actor=front_desk, appointment=appointment, reason="Ill")
    assert not WaitlistOffer.objects.exists()


def test_waitlist_input_is_checked_field_by_field(
    front_desk: User, patient: Patient, location: Location, treatment: AppointmentType
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.add_to_waitlist(
            actor=front_desk,
            patient=patient,
            location=location,
            appointment_type=treatment,
            earliest_date=NEXT_MONDAY,
            latest_date=MONDAY,
            weekdays=[7],
            window_start=dt.time(12),
            window_end=dt.time(9),
        )
    assert set(refused.value.message_dict) == {"latest_date", "weekdays", "window_end"}


def test_arrival_no_show_and_fulfilment_follow_the_clock(
    front_desk: User, therapist: User, appointment: Appointment
) -> None:
    with pytest.raises(services.NotAllowedNow, match="appointment's day"):
        services.mark_arrived(actor=front_desk, appointment=appointment)
    with pytest.raises(services.NotAllowedNow, match="not started"):
        services.mark_no_show(actor=front_desk, appointment=appointment)
    with time_machine.travel(at(NEXT_MONDAY, "09:55"), tick=False):
        arrived = services.mark_arrived(actor=front_desk, appointment=appointment)
    assert arrived.status == "arrived"
    assert arrived.arrived_at == at(NEXT_MONDAY, "09:55")
    with time_machine.travel(at(NEXT_MONDAY, "11:00"), tick=False):
        with pytest.raises(services.NotAllowedNow):
            services.mark_no_show(actor=front_desk, appointment=appointment)
        done = services.mark_fulfilled(actor=therapist, appointment=appointment)
    assert done.status == "fulfilled"
    with pytest.raises(services.NotAllowedNow):
        services.cancel_appointment(actor=front_desk, appointment=appointment, reason="Too late")


def test_a_no_show_keeps_its_record_and_frees_the_slot(
    front_desk: User,
    appointment: Appointment,
    second_patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    with time_machine.travel(at(NEXT_MONDAY, "10:20"), tick=False):
        services.mark_no_show(actor=front_desk, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == "noshow"
    assert Appointment.objects.filter(status__in=Appointment.ACTIVE).count() == 0


def test_an_unused_room_stays_with_a_moved_appointment_when_free(
    front_desk: User, appointment: Appointment, location: Location, room: Room
) -> None:
    moved = services.reschedule_appointment(
        actor=front_desk, appointment=appointment, start=at(NEXT_MONDAY, "15:00")
    )
    assert moved.room == room


def test_an_accepted_offer_books_the_waiting_patient_and_a_declined_one_waits_again(
    front_desk: User,
    appointment: Appointment,
    second_patient: Patient,
    owner: User,
    location: Location,
    treatment: AppointmentType,
) -> None:
    entry = services.add_to_waitlist(
        actor=front_desk, patient=second_patient, location=location, appointment_type=treatment
    )
    services.cancel_appointment(actor=front_desk, appointment=appointment, reason="Ill")
    offer = WaitlistOffer.objects.get()
    services.decline_offer(actor=front_desk, offer=offer)
    entry.refresh_from_db()
    assert (offer.status, entry.status) == ("declined", "waiting")
    with pytest.raises(services.NotAllowedNow):
        services.accept_offer(actor=front_desk, offer=offer)
    third = create_patient(
        actor=owner,
        given_name="Li",
        family_name="Wu",
        date_of_birth=dt.date(1990, 1, 1),
        primary_location=location,
    )
    again = services.book_appointment(
        actor=front_desk,
        patient=third,
        practitioner=appointment.practitioner,
        location=location,
        appointment_type=treatment,
        start=appointment.start,
    )
    services.cancel_appointment(actor=front_desk, appointment=again, reason="Ill too")
    second_offer = WaitlistOffer.objects.get(freed_by=again)
    booked = services.accept_offer(actor=front_desk, offer=second_offer)
    entry.refresh_from_db()
    assert (booked.patient, booked.start) == (second_patient, appointment.start)
    assert (second_offer.status, entry.status) == ("accepted", "booked")


def test_the_starting_set_of_types_is_installed_once(owner: User, front_desk: User) -> None:
    with pytest.raises(PermissionDenied):
        services.install_default_types(actor=front_desk)
    added = services.install_default_types(actor=owner)
    assert [t.code for t in added][:3] == ["evaluation", "treatment-30", "treatment-45"]
    assert {t.code for t in added if t.online_bookable} == {"spa-60", "spa-90"}
    assert services.install_default_types(actor=owner) == []
