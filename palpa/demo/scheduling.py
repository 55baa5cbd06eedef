"""The demo clinic's calendar, written through the scheduling services.

Appointment types, room features, weekly hours, a therapist's time off, today's list at
the clinic (one patient arrived, one finished, one still to come), each active plan of
care's next two weeks booked as a recurring course, a new patient's evaluation, a
patient whose screen is STOP booked for an evaluation only, a cancellation with its
reason, an online booking and a waitlist entry. Everything is relative to today, in the
location's time zone, so the calendar always looks like a working week.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from palpa.accounts.models import Location, Organization, Room, User
from palpa.care.models import Plan, TreatmentNote
from palpa.core.errors import Refused
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services
from palpa.scheduling.hours import to_utc, zone
from palpa.scheduling.models import Appointment, AppointmentType
from palpa.scheduling.online import update_online_settings
from palpa.scheduling.services import CourseTime, HoursRow
from palpa.screening.queries import screening_status

DOWNTOWN = "Harbor Clinic Downtown"
SPA = "Harbor Wellness Spa"

# code, name, kind, minutes, buffer, online, counts as a referral visit, room features
TYPES: list[tuple[str, str, str, int, int, bool, bool, list[str]]] = [
    ("evaluation-60", "Initial evaluation, 60 minutes", "evaluation", 60, 15, True, True, []),
    ("treatment-30", "Treatment, 30 minutes", "treatment", 30, 10, False, True, []),
    ("treatment-45", "Treatment, 45 minutes", "treatment", 45, 15, True, True, []),
    ("treatment-60", "Treatment, 60 minutes", "treatment", 60, 15, True, True, []),
    ("treatment-90", "Treatment, 90 minutes", "treatment", 90, 15, False, True, []),
    (
        "lymphedema-60",
        "Lymphedema treatment (MLD), 60 minutes",
        "treatment",
        60,
        15,
        False,
        True,
        ["lymphedema-pump"],
    ),
    ("reassessment-45", "Re-assessment, 45 minutes", "reassessment", 45, 15, False, True, []),
    ("spa-60", "Spa massage, 60 minutes", "spa", 60, 15, True, False, []),
    ("hot-stone-75", "Hot stone massage, 75 minutes", "spa", 75, 15, True, False, ["hot-stones"]),
]
ROOM_FEATURES = {
    "Room 1": ["hydraulic-table"],
    "Room 2": ["hydraulic-table", "lymphedema-pump"],
    "Room 3": [],
    "Suite A": ["heated-table"],
    "Suite B": ["heated-table", "hot-stones"],
}
# email -> [(location, weekdays, start, end)]
HOURS: dict[str, list[tuple[str, list[int], str, str]]] = {
    "therapist@harbor.example": [(DOWNTOWN, [0, 1, 2, 3, 4], "08:00", "17:00")],
    "jordan@harbor.example": [(DOWNTOWN, [1, 2, 3, 4, 5], "10:00", "18:00")],
    "sofia@harbor.example": [
        (SPA, [0, 1, 2, 3], "09:00", "17:00"),
        (DOWNTOWN, [4], "09:00", "15:00"),
    ],
    "daniel@harbor.example": [(DOWNTOWN, [0, 2, 4], "12:00", "18:00")],
}


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _next_weekday(day: dt.date, weekday: int) -> dt.date:
    """The first ``weekday`` on or after ``day``."""
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _quarter(instant: dt.datetime) -> dt.datetime:
    """``instant`` rounded down to the quarter hour."""
    return instant.replace(minute=instant.minute - instant.minute % 15, second=0, microsecond=0)


def _local_now(location: Location) -> dt.datetime:
    return timezone.now().astimezone(zone(location.time_zone))


def _finished_starts(cal: _Calendar, location: Location) -> list[dt.datetime]:
    """Start times for a visit that has already taken place: earlier today when the
    clinic's day is under way, else late yesterday afternoon (never in the night)."""
    local = _local_now(location)
    if local.hour >= 10:
        latest = min(local - dt.timedelta(minutes=90), local.replace(hour=16, minute=0))
        return [_quarter(latest - dt.timedelta(hours=h)) for h in (0, 1, 2)]
    yesterday = local.date() - dt.timedelta(days=1)
    return [cal.at(location, yesterday, clock) for clock in ("16:00", "15:00", "14:00")]


def _waiting_starts(cal: _Calendar, location: Location) -> list[dt.datetime]:
    """Start times today for the patient in the waiting room: about now, kept within
    08:00-17:00 at the location (arrival is allowed on the appointment's day)."""
    local = _local_now(location)
    clock = min(max(local, local.replace(hour=8, minute=0)), local.replace(hour=17, minute=0))
    start = _quarter(clock)
    return [start + dt.timedelta(minutes=15 * step) for step in range(4)]


def _workday(day: dt.date) -> dt.date:
    """``day``, or the Monday after it when it falls on a weekend."""
    return day if day.weekday() < 5 else _next_weekday(day, 0)


class _Calendar:
    def __init__(self, org: Organization, today: dt.date) -> None:
        self.org = org
        self.today = today
        self.owner = User.objects.get(organization=org, role="owner")
        self.desk = User.objects.get(organization=org, role="front_desk")
        self.locations = {loc.name: loc for loc in Location.objects.filter(organization=org)}
        self.practitioners = {
            p.user.email: p
            for p in Practitioner.objects.filter(organization=org).select_related("user")
            if p.user is not None
        }
        self.types: dict[str, AppointmentType] = {}

    def at(self, location: Location, day: dt.date, clock: str) -> dt.datetime:
        return to_utc(day, _time(clock), zone(location.time_zone))

    def book(self, **kwargs: Any) -> Appointment | None:
        """Book through the service as the front desk; a refusal (a rule the demo data
        happens to meet) leaves that booking out rather than stopping the demo."""
        actor = kwargs.pop("actor", self.desk)
        try:
            try:
                return services.book_appointment(actor=actor, **kwargs)
            except services.OutsideHours:
                # Today's list is kept on a weekend too: an extra session, as clinics do.
                kwargs["outside_hours_reason"] = "Extra session, agreed with the therapist"
                return services.book_appointment(actor=actor, **kwargs)
        except (Refused, ValidationError):
            return None


def _configure(cal: _Calendar) -> None:
    for code, name, kind, minutes, buffer, online, counts, features in TYPES:
        cal.types[code] = services.create_appointment_type(
            actor=cal.owner,
            code=code,
            name=name,
            kind=kind,
            duration_minutes=minutes,
            buffer_minutes=buffer,
            online_bookable=online,
            counts_as_visit=counts,
            required_features=features,
            needs_room=True,
        )
    for room in Room.objects.filter(organization=cal.org):
        services.set_room_features(actor=cal.owner, room=room, features=ROOM_FEATURES[room.name])
    for email, blocks in HOURS.items():
        practitioner = cal.practitioners[email]
        for location_name, weekdays, start, end in blocks:
            services.set_weekly_hours(
                actor=cal.owner,
                practitioner=practitioner,
                location=cal.locations[location_name],
                rows=[HoursRow(weekday=d, start=_time(start), end=_time(end)) for d in weekdays],
            )
    # Jordan is at a continuing-education course on Thursday and Friday next week.
    jordan = cal.practitioners["jordan@harbor.example"]
    downtown = cal.locations[DOWNTOWN]
    thursday = _next_weekday(cal.today + dt.timedelta(days=7), 3)
    services.add_availability_exception(
        actor=cal.owner,
        practitioner=jordan,
        starts_at=cal.at(downtown, thursday, "00:00"),
        ends_at=cal.at(downtown, thursday + dt.timedelta(days=2), "00:00"),
        reason="Continuing education: lymphatic drainage course",
    )


def _treating(cal: _Calendar, plan: Plan) -> Practitioner:
    """The practitioner who gave the patient's latest signed treatment, when still
    licensed to be booked; otherwise the practitioner who wrote the plan."""
    note = (
        TreatmentNote.objects.filter(patient=plan.patient, status=TreatmentNote.Status.SIGNED)
        .select_related("practitioner__user")
        .order_by("-visit_date", "-pk")
        .first()
    )
    if note is not None and note.practitioner.user is not None:
        email = note.practitioner.user.email
        if email != "daniel@harbor.example":  # his license has lapsed
            return note.practitioner
    return plan.practitioner


def _patterns(
    weekdays: list[int], per_week: int, start: str, end: str, shift: int
) -> list[list[CourseTime]]:
    """Weekly patterns to try, in order: ``per_week`` days spread over the therapist's
    working days, at each whole hour of the working day (starting ``shift`` hours in)."""
    day_sets: list[list[int]] = []
    for first in range(len(weekdays)):
        days = weekdays[first::2][:per_week]
        if len(days) == per_week and days not in day_sets:
            day_sets.append(days)
    hours = list(range(_time(start).hour, _time(end).hour - 1))
    hours = hours[shift % len(hours) :] + hours[: shift % len(hours)]
    return [
        [CourseTime(weekday=day, at=dt.time(hour, 0)) for day in days]
        for hour in hours
        for days in day_sets
    ]


def _courses(cal: _Calendar) -> int:
    """Each active plan's next visits booked as one recurring course: two weeks at the
    plan's frequency, in the first free weekly pattern in the therapist's hours (one week
    when the referral has too few visits left; none when it has lapsed, as the chart's
    referral warning then says)."""
    booked = 0
    plans = (
        Plan.objects.filter(organization=cal.org, status=Plan.Status.ACTIVE)
        .select_related("patient", "practitioner__user")
        .order_by("pk")
    )
    first_day = _workday(cal.today + dt.timedelta(days=1))
    for index, plan in enumerate(plans):
        practitioner = _treating(cal, plan)
        if practitioner.user is None:
            continue
        location_name, weekdays, start, end = HOURS[practitioner.user.email][0]
        per_week = max(1, min(3, plan.frequency_per_week))
        request: dict[str, Any] = {
            "actor": cal.desk,
            "patient": plan.patient,
            "practitioner": practitioner,
            "location": cal.locations[location_name],
            "appointment_type": cal.types["treatment-60"],
            "first_day": first_day,
        }
        for weeks in (2, 1):
            chosen = None
            for times in _patterns(weekdays, per_week, start, end, shift=index * 2):
                preview = services.preview_course(**request, weeks=weeks, times=times)
                if preview.problems:
                    break  # the referral: fewer weeks may fit
                if preview.ok:
                    chosen = times
                    break
            if chosen is not None:
                made = services.book_course(
                    **request, weeks=weeks, times=chosen, notes="Plan of care course"
                )
                booked += len(made)
                break
    return booked


def _first(
    cal: _Calendar,
    patients: list[Patient],
    starts: list[dt.datetime],
    *,
    online: bool = False,
    **booking: Any,
) -> Appointment | None:
    """Book the first patient and start time that the rules allow (each patient at most
    once in the demo's extras) and take that patient out of ``patients``."""
    for patient in list(patients):
        for start in starts:
            if online:
                try:
                    made: Appointment | None = services.book_online_appointment(
                        patient=patient, start=start, **booking
                    )
                except (Refused, ValidationError):
                    made = None
            else:
                made = cal.book(patient=patient, start=start, **booking)
            if made is not None:
                patients.remove(patient)
                return made
    return None


def _afternoons(
    cal: _Calendar, location: Location, weekday: int, clocks: list[str]
) -> list[dt.datetime]:
    """Start times on the next ``weekday`` after tomorrow and the week after, at ``clocks``."""
    first = _next_weekday(cal.today + dt.timedelta(days=2), weekday)
    return [
        cal.at(location, first + dt.timedelta(days=7 * week), clock)
        for week in (0, 1)
        for clock in clocks
    ]


def _extras(cal: _Calendar) -> None:
    """Today's list (one visit finished, one patient in the waiting room), a cancelled
    slot, a new patient's evaluation, a patient whose screen says STOP booked for an
    evaluation only, a hot stone massage in the suite with the stones, an online booking
    and a waitlist entry."""

    downtown = cal.locations[DOWNTOWN]
    spa = cal.locations[SPA]
    maya = cal.practitioners["therapist@harbor.example"]
    jordan = cal.practitioners["jordan@harbor.example"]
    sofia = cal.practitioners["sofia@harbor.example"]
    active = list(
        Patient.objects.filter(organization=cal.org, status=Patient.Status.ACTIVE).order_by("mrn")
    )
    on_plans = set(
        Plan.objects.filter(organization=cal.org, status=Plan.Status.ACTIVE).values_list(
            "patient_id", flat=True
        )
    )
    treated = [p for p in active if p.pk in on_plans]
    decisions = {p.pk: screening_status(p, on=cal.today).decision for p in active}
    stopped = [p for p in active if p.pk not in on_plans and decisions[p.pk] == "STOP"]
    new = [p for p in active if p.pk not in on_plans and decisions[p.pk] in ("PROCEED", "MODIFY")]

    finished = _first(
        cal,
        treated,
        _finished_starts(cal, downtown),
        practitioner=maya,
        location=downtown,
        appointment_type=cal.types["treatment-45"],
    )
    if finished is not None:
        services.mark_arrived(actor=cal.desk, appointment=finished)
        services.mark_fulfilled(actor=cal.desk, appointment=finished)
    arrived = _first(
        cal,
        treated,
        _waiting_starts(cal, downtown),
        practitioner=maya,
        location=downtown,
        appointment_type=cal.types["reassessment-45"],
        notes="Re-assessment due",
    )
    if arrived is not None:
        services.mark_arrived(actor=cal.desk, appointment=arrived)
    cancelled = _first(
        cal,
        treated,
        _afternoons(cal, downtown, 0, ["07:00"]),
        practitioner=maya,
        location=downtown,
        appointment_type=cal.types["treatment-30"],
        outside_hours_reason="Early slot before work, agreed with Maya",
    )
    if cancelled is not None:
        services.cancel_appointment(
            actor=cal.desk,
            appointment=cancelled,
            reason="Patient called: child is sick, will rebook next week",
        )
    _first(
        cal,
        new,
        _afternoons(cal, downtown, 1, ["10:00", "11:30", "14:00", "16:00"]),
        practitioner=jordan,
        location=downtown,
        appointment_type=cal.types["evaluation-60"],
        notes="New patient, referred for neck pain",
    )
    _first(
        cal,
        stopped,
        _afternoons(cal, downtown, 2, ["14:00", "15:30", "11:00"]),
        practitioner=maya,
        location=downtown,
        appointment_type=cal.types["evaluation-60"],
        notes="Screen says STOP: evaluation only, with the physician's letter",
    )
    _first(
        cal,
        new,
        _afternoons(cal, spa, 1, ["11:00", "13:00", "15:00"]),
        practitioner=sofia,
        location=spa,
        appointment_type=cal.types["hot-stone-75"],
    )
    _first(
        cal,
        new,
        _afternoons(cal, downtown, 5, ["10:00", "12:00", "14:00", "16:00"]),
        online=True,
        practitioner=jordan,
        location=downtown,
        appointment_type=cal.types["treatment-45"],
        notes="Booked on the clinic's booking page",
    )
    if new:
        services.add_to_waitlist(
            actor=cal.desk,
            patient=new[0],
            location=spa,
            appointment_type=cal.types["spa-60"],
            practitioner=sofia,
            earliest_date=cal.today,
            latest_date=cal.today + dt.timedelta(days=21),
            weekdays=[0, 1, 2, 3],
            window_start=_time("12:00"),
            window_end=_time("17:00"),
            notes="Prefers afternoons; any cancellation with Sofia",
        )


def _online_booking(cal: _Calendar) -> None:
    """Both booking pages open: the clinic books evaluations and treatments for
    patients on file and takes new patients' requests; the spa books new clients."""

    pages = {
        DOWNTOWN: (["evaluation-60", "treatment-45", "treatment-60"], "request"),
        SPA: (["spa-60", "hot-stone-75"], "book"),
    }
    for name, (codes, new_patients) in pages.items():
        update_online_settings(
            actor=cal.owner,
            location=cal.locations[name],
            changes={"enabled": True, "new_patients": new_patients, "days_ahead": 28},
            appointment_types=[cal.types[code] for code in codes],
        )


def build_calendar(org: Organization, today: dt.date) -> None:
    cal = _Calendar(org, today)
    _configure(cal)
    _online_booking(cal)
    _courses(cal)
    _extras(cal)
