"""`palpa demo` fills the calendar through the scheduling services: a working week."""

from __future__ import annotations

import itertools

from palpa.accounts.models import Organization
from palpa.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    OnlineBookingSettings,
    WaitlistEntry,
    WorkingHours,
)


def test_the_demo_calendar_shows_every_kind_of_booking(demo: Organization) -> None:
    org = demo
    appointments = Appointment.objects.filter(organization=org).select_related(
        "appointment_type", "room", "practitioner__user", "patient"
    )

    kinds = set(AppointmentType.objects.filter(organization=org).values_list("kind", flat=True))
    assert kinds == {"evaluation", "treatment", "reassessment", "spa"}
    assert WorkingHours.objects.filter(organization=org).count() >= 15
    assert AvailabilityException.objects.filter(organization=org, reason__contains="course")

    # Plans of care booked as recurring courses (one series each).
    series = {a.series for a in appointments if a.series is not None}
    assert len(series) >= 5
    # Today's list: one visit finished, one patient waiting; a cancellation with its reason.
    statuses = {a.status for a in appointments}
    assert {"booked", "arrived", "fulfilled", "cancelled"} <= statuses
    cancelled = [a for a in appointments if a.status == "cancelled"]
    assert all(a.cancel_reason for a in cancelled)
    # The patient whose screen says STOP is booked for an evaluation only.
    stopped = [a for a in appointments if a.screening_decision == "STOP"]
    assert stopped
    assert all(a.appointment_type.kind == "evaluation" for a in stopped)
    # A booking from the clinic's booking page; the hot stones need the suite that has them.
    assert any(a.source == "online" for a in appointments)
    stones = [a for a in appointments if a.appointment_type.code == "hot-stone-75"]
    assert [a.room.name for a in stones if a.room is not None] == ["Suite B"]
    # Daniel Brooks's license has lapsed: nobody booked him.
    assert not [a for a in appointments if a.practitioner.family_name == "Brooks"]
    assert WaitlistEntry.objects.filter(organization=org, status="waiting").count() == 1
    # Both booking pages are open: the clinic takes new patients' requests, the spa books.
    pages = {
        s.location.name: s
        for s in OnlineBookingSettings.objects.filter(organization=org).select_related("location")
    }
    assert pages["Harbor Clinic Downtown"].enabled
    assert pages["Harbor Clinic Downtown"].new_patients == "request"
    assert pages["Harbor Wellness Spa"].new_patients == "book"
    assert {t.code for t in pages["Harbor Wellness Spa"].appointment_types.all()} == {
        "spa-60",
        "hot-stone-75",
    }

    # Nobody is in two places at once (buffers included).
    active = sorted(
        (a for a in appointments if a.status in Appointment.ACTIVE),
        key=lambda a: (a.practitioner_id, a.start),
    )
    for before, after in itertools.pairwise(active):
        if before.practitioner_id == after.practitioner_id:
            assert before.busy_until <= after.start
