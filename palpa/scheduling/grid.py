"""The staff calendar's data: the day or week of a location (optionally one practitioner
or one room), each appointment with the flags the front desk needs.

Built in a bounded number of queries however many appointments the span holds: the
appointments (one query), then for all their patients at once the screenings and
clearances (the decision on each appointment's day), the referrals covering the span
(visits left), the first appointment of each patient (first visit) and the batch flag
providers (``flags.register_many``, e.g. billing's unpaid balance). Times are shown in
the location's time zone. Reading the calendar is audited once per page, naming the
patients it showed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, Subquery

from palpa.accounts.models import Location, Room, User
from palpa.audit.services import Action, record
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.queries import practitioners_for
from palpa.referrals import queries as referral_queries
from palpa.referrals.countdown import Countdown
from palpa.referrals.models import Referral
from palpa.referrals.services import countdown, policy_for
from palpa.scheduling import flags, hours, layout, queries
from palpa.scheduling.models import Appointment, AvailabilityException
from palpa.scheduling.slots import Interval
from palpa.screening import queries as screening_queries
from palpa.screening.models import Clearance, Screening
from palpa.screening.queries import BLOCKING, FindingState, ScreeningStatus, evidence_of

DAY = "day"
WEEK = "week"
BY_PRACTITIONER = "practitioner"
BY_ROOM = "room"
GROUPS = (BY_PRACTITIONER, BY_ROOM)
# The columns the calendar shows (loading every timestamp of six joined rows per
# appointment costs more than the query itself).
SHOWN = (
    "public_id",
    "organization_id",
    "location_id",
    "start",
    "end",
    "status",
    "patient__public_id",
    "patient__organization_id",
    "patient__given_name",
    "patient__family_name",
    "practitioner__public_id",
    "practitioner__given_name",
    "practitioner__family_name",
    "practitioner__credentials",
    "room__public_id",
    "room__name",
    "appointment_type__name",
    "appointment_type__kind",
    "appointment_type__counts_as_visit",
)
SPANS = (DAY, WEEK)


@dataclass
class Block:
    """One appointment as the calendar shows it."""

    appointment: Appointment
    local_start: dt.datetime
    local_end: dt.datetime
    decision: str | None = None  # PROCEED / MODIFY / CLEARANCE / STOP; None: not screened
    screened: bool = False  # whether the viewer may see the screening flag at all
    referral: Countdown | None = None
    first_visit: bool = False
    flags: list[flags.Flag] = field(default_factory=list)
    place: layout.Placed = field(default_factory=lambda: layout.Placed(2, 1))

    @property
    def movable(self) -> bool:
        return self.appointment.status == Appointment.Status.BOOKED

    @property
    def time_label(self) -> str:
        return f"{self.local_start:%H:%M}\N{EN DASH}{self.local_end:%H:%M}"

    @property
    def active(self) -> bool:
        return self.appointment.is_active

    @property
    def label(self) -> str:
        """The whole block in words, for screen readers."""
        a = self.appointment
        parts = [
            f"{self.local_start:%A %d %B} {self.time_label}",
            a.patient.full_name,
            a.appointment_type.name,
            f"with {a.practitioner.display_name}",
        ]
        if a.room is not None:
            parts.append(f"in {a.room.name}")
        parts.append(a.get_status_display())
        if self.first_visit:
            parts.append("first visit")
        if self.screened:
            parts.append(f"screening {self.decision}" if self.decision else "not screened")
        if self.referral is not None:
            parts.append(referral_text(self.referral))
        parts.extend(f.label for f in self.flags)
        return ", ".join(parts)


def referral_text(c: Countdown) -> str:
    if c.status == "exhausted":
        return f"referral used up ({c.visits_used} of {c.visits_authorized})"
    if c.status == "expired":
        return "referral expired"
    return f"{c.visits_left} of {c.visits_authorized} referral visits left"


@dataclass
class Column:
    """A day (week view) or a practitioner or room (day view): its appointments, its
    empty slots (each a booking link and a drop target) and whether it is closed."""

    key: str
    title: str
    blocks: list[Block]
    today: bool = False
    day: dt.date = dt.date(2000, 1, 1)
    practitioner: Practitioner | None = None
    room: Room | None = None
    cells: list[layout.Cell] = field(default_factory=list)
    closed: str = ""  # e.g. "Closed", "Not working", "Time off: Thanksgiving"
    working: list[Interval] = field(default_factory=list)


@dataclass
class Calendar:
    span: str
    first: dt.date
    last: dt.date
    location: Location
    practitioner: Practitioner | None
    room: Room | None
    columns: list[Column]
    time_zone: str
    rows: layout.Rows = field(default_factory=lambda: layout.Rows(*layout.DEFAULT_HOURS, 15))
    group: str = BY_PRACTITIONER
    closed: str = ""  # the day view of a closed day: "Closed: Thanksgiving"

    @property
    def times(self) -> list[tuple[int, str, bool]]:
        """Each row's grid line, wall-clock label and whether it starts an hour."""
        return [(self.rows.row_of(m), layout.label(m), m % 60 == 0) for m in self.rows.minutes()]

    @property
    def last_row(self) -> int:
        return self.rows.count + 2

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def previous(self) -> dt.date:
        return self.first - dt.timedelta(days=self.days)

    @property
    def next(self) -> dt.date:
        return self.first + dt.timedelta(days=self.days)

    @property
    def title(self) -> str:
        if self.span == DAY:
            return f"{self.first:%A %d %B %Y}"
        return f"Week of {self.first:%d %B %Y}"

    @property
    def count(self) -> int:
        return sum(len(c.blocks) for c in self.columns)


def first_day(span: str, day: dt.date) -> dt.date:
    """The first day shown: the day itself, or the Monday of its week."""
    return day if span == DAY else day - dt.timedelta(days=day.weekday())


def build(
    actor: User,
    *,
    span: str,
    day: dt.date,
    location: Location,
    practitioner: Practitioner | None = None,
    room: Room | None = None,
    today: dt.date | None = None,
    group: str = BY_PRACTITIONER,
) -> Calendar:
    tz = hours.zone(location.time_zone)
    first = first_day(span, day)
    last = first + dt.timedelta(days=0 if span == DAY else 6)
    start = hours.day_bounds(first, tz).start
    end = hours.day_bounds(last, tz).end
    found = (
        queries.appointments_for(
            actor, location=location, practitioner=practitioner, start=start, end=end
        )
        .exclude(status=Appointment.Status.ENTERED_IN_ERROR)
        .select_related(None)
        .select_related("patient", "practitioner", "room", "appointment_type")
        .only(*SHOWN)
    )
    if room is not None:
        found = found.filter(room=room)
    appointments = list(found)
    blocks = [Block(a, a.start.astimezone(tz), a.end.astimezone(tz)) for a in appointments]
    annotate(actor, blocks, first=first, last=last)
    _audit(actor, location, first, last, appointments)
    now_day = today or hours.local_day(dt.datetime.now(dt.UTC), tz)
    closed_days = queries.closed_days_at(location, first, last)
    working = queries.working_intervals_at(
        location,
        first,
        last,
        practitioner_ids=[practitioner.pk] if practitioner else None,
        closed=closed_days,
    )
    working_by_day: dict[dt.date, list[Interval]] = defaultdict(list)
    for intervals in working.values():
        for w in intervals:
            working_by_day[hours.local_day(w.start, tz)].append(w)
    if span == WEEK:
        columns = _day_columns(
            blocks, working_by_day, closed_days, location, first, last, now_day, tz
        )
    elif group == BY_ROOM:
        columns = _room_columns(
            actor, blocks, working_by_day, closed_days, location, room, first, now_day
        )
    else:
        columns = _practitioner_columns(
            actor, blocks, working, closed_days, practitioner, first, now_day, tz
        )
    rows = layout.rows_for(
        [
            *((hours.local_day(w.start, tz), w) for ws in working.values() for w in ws),
            *(
                (b.local_start.date(), Interval(b.appointment.start, b.appointment.end))
                for b in blocks
            ),
        ],
        tz,
        int(queries.DEFAULT_STEP.total_seconds() // 60),
    )
    for col in columns:
        places = layout.place(
            [
                (
                    layout.wall_minutes(b.appointment.start, col.day, tz),
                    layout.wall_minutes(b.appointment.end, col.day, tz),
                )
                for b in col.blocks
            ],
            rows,
        )
        for b, p in zip(col.blocks, places, strict=True):
            b.place = p
        col.cells = layout.cells(col.day, rows, tz, col.working, places)
    return Calendar(
        span,
        first,
        last,
        location,
        practitioner,
        room,
        columns,
        location.time_zone,
        rows=rows,
        group=group if span == DAY else BY_PRACTITIONER,
        closed=f"Closed: {closed_days[first]}" if span == DAY and first in closed_days else "",
    )


def _day_columns(
    blocks: Sequence[Block],
    working_by_day: dict[dt.date, list[Interval]],
    closed_days: dict[dt.date, str],
    location: Location,
    first: dt.date,
    last: dt.date,
    now_day: dt.date,
    tz: dt.tzinfo,
) -> list[Column]:
    """The week: a column a day; a closed day of the location is marked with its reason;
    another day nobody works at the location is closed, named for the time off everyone
    took that day when they all gave one reason (a holiday)."""
    by_day: dict[dt.date, list[Block]] = defaultdict(list)
    for b in blocks:
        by_day[b.local_start.date()].append(b)
    reasons = _time_off_reasons(location, first, last, tz)
    columns = []
    for d in hours.days(first, last):
        closed = ""
        if d in closed_days:
            closed = f"Closed: {closed_days[d]}"
        elif not working_by_day.get(d):
            named = reasons.get(d, set())
            closed = f"Closed: {next(iter(named))}" if len(named) == 1 else "Closed"
        columns.append(
            Column(
                d.isoformat(),
                f"{d:%a %d %b}",
                by_day.get(d, []),
                today=d == now_day,
                day=d,
                closed=closed,
                working=working_by_day.get(d, []),
            )
        )
    return columns


def _time_off_reasons(
    location: Location, first: dt.date, last: dt.date, tz: dt.tzinfo
) -> dict[dt.date, set[str]]:
    """The reasons of the time off (here or everywhere) covering each whole local day."""
    start = hours.day_bounds(first, tz).start
    end = hours.day_bounds(last, tz).end
    found: dict[dt.date, set[str]] = defaultdict(set)
    for starts_at, ends_at, reason in (
        AvailabilityException.objects.filter(
            Q(location=location) | Q(location__isnull=True),
            organization_id=location.organization_id,
            kind=AvailabilityException.Kind.TIME_OFF,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .exclude(reason="")
        .values_list("starts_at", "ends_at", "reason")
    ):
        for d in hours.days(first, last):
            bounds = hours.day_bounds(d, tz)
            if starts_at <= bounds.start and bounds.end <= ends_at:
                found[d].add(reason)
    return found


def _practitioner_columns(
    actor: User,
    blocks: Sequence[Block],
    working: dict[int, list[Interval]],
    closed_days: dict[dt.date, str],
    practitioner: Practitioner | None,
    day: dt.date,
    now_day: dt.date,
    tz: dt.tzinfo,
) -> list[Column]:
    """The day: a column for each practitioner who works at the location that day or
    has an appointment there (or only the one chosen)."""
    by_who: dict[int, list[Block]] = defaultdict(list)
    people: dict[int, Practitioner] = {}
    for b in blocks:
        who = b.appointment.practitioner
        by_who[who.pk].append(b)
        people[who.pk] = who
    if practitioner is not None:
        people.setdefault(practitioner.pk, practitioner)
    else:
        missing = [pk for pk in working if pk not in people]
        if missing:
            for who in practitioners_for(actor).filter(pk__in=missing).prefetch_related(None):
                people[who.pk] = who
    shut = f"Closed: {closed_days[day]}" if day in closed_days else ""
    columns = []
    for pk in sorted(people, key=lambda pk: (people[pk].display_name, pk)):
        mine = working.get(pk, [])
        columns.append(
            Column(
                str(people[pk].public_id),
                people[pk].display_name,
                by_who.get(pk, []),
                today=day == now_day,
                day=day,
                practitioner=people[pk],
                closed=shut or ("" if mine else "Not working"),
                working=mine,
            )
        )
    return columns


def _room_columns(
    actor: User,
    blocks: Sequence[Block],
    working_by_day: dict[dt.date, list[Interval]],
    closed_days: dict[dt.date, str],
    location: Location,
    room: Room | None,
    day: dt.date,
    now_day: dt.date,
) -> list[Column]:
    """The day by room: a column for each room of the location (or the one chosen), and
    one for appointments without a room; shaded by everyone's working hours."""
    rooms = (
        [room] if room is not None else list(queries.rooms_for(actor, location).order_by("name"))
    )
    by_room: dict[int | None, list[Block]] = defaultdict(list)
    for b in blocks:
        by_room[b.appointment.room_id].append(b)
    open_hours = working_by_day.get(day, [])
    closed = f"Closed: {closed_days[day]}" if day in closed_days else ""
    closed = closed or ("" if open_hours else "Closed")
    columns = [
        Column(
            str(r.public_id),
            r.name,
            by_room.get(r.pk, []),
            today=day == now_day,
            day=day,
            room=r,
            closed=closed,
            working=open_hours,
        )
        for r in rooms
    ]
    if by_room.get(None) or not rooms:
        columns.append(
            Column(
                "no-room",
                "No room",
                by_room.get(None, []),
                today=day == now_day,
                day=day,
                closed=closed,
                working=open_hours,
            )
        )
    return columns


def annotate(actor: User, blocks: Sequence[Block], *, first: dt.date, last: dt.date) -> None:
    """Fill in each block's flags with a fixed number of queries."""
    if not blocks:
        return
    patients = list({b.appointment.patient_id: b.appointment.patient for b in blocks}.values())
    ids = [p.pk for p in patients]
    if screening_queries.may_see_flag(actor):
        decisions = _decisions(patients, blocks, last)
        for b in blocks:
            b.screened = True
            b.decision = decisions.get((b.appointment.patient_id, b.local_start.date()))
    if referral_queries.may_see_referrals(actor):
        _referrals(actor, blocks, ids, first, last)
    # First visit: no active appointment before the span, and the earliest active one
    # within it; one query, two index probes per patient (each stops at the first row).
    lo = min(b.appointment.start for b in blocks)
    hi = max(b.appointment.start for b in blocks)
    active = Appointment.objects.filter(status__in=Appointment.ACTIVE)
    seen_before: set[int] = set()
    firsts: dict[int, dt.datetime] = {}
    for pk, before, earliest in (
        Patient.objects.filter(pk__in=ids)
        .annotate(
            before=Exists(active.filter(patient_id=OuterRef("pk"), start__lt=lo)),
            earliest=Subquery(
                active.filter(patient_id=OuterRef("pk"), start__gte=lo, start__lte=hi)
                .order_by("start")
                .values("start")[:1]
            ),
        )
        .values_list("pk", "before", "earliest")
    ):
        if before:
            seen_before.add(pk)
        if earliest is not None:
            firsts[pk] = earliest
    extra = flags.flags_for_many(patients, actor)
    for b in blocks:
        a = b.appointment
        b.first_visit = (
            a.is_active and a.patient_id not in seen_before and firsts.get(a.patient_id) == a.start
        )
        b.flags = extra.get(a.patient_id, [])


def _decisions(
    patients: Sequence[Patient], blocks: Sequence[Block], last: dt.date
) -> dict[tuple[int, dt.date], str | None]:
    """The effective screening decision of each patient on each day they are booked,
    as ``screening.services.screening_status`` works it out (latest valid screening on
    or before the day, with the clearances in effect that day), for all at once."""
    ids = [p.pk for p in patients]
    screenings: dict[int, list[Screening]] = defaultdict(list)
    for s in Screening.objects.filter(
        patient_id__in=ids, status=Screening.Status.VALID, as_of__lte=last
    ).order_by("patient_id", "-as_of", "-created_at", "-pk"):
        screenings[s.patient_id].append(s)
    clearances: dict[int, list[Clearance]] = defaultdict(list)
    for c in Clearance.objects.filter(
        patient_id__in=ids, status=Clearance.Status.VALID, cleared_on__lte=last
    ).order_by("-cleared_on", "-created_at"):
        clearances[c.patient_id].append(c)
    by_pk = {p.pk: p for p in patients}
    out: dict[tuple[int, dt.date], str | None] = {}
    for b in blocks:
        key = (b.appointment.patient_id, b.local_start.date())
        if key in out:
            continue
        day = key[1]
        screening = next((s for s in screenings[key[0]] if s.as_of <= day), None)
        if screening is None:
            out[key] = None
            continue
        in_effect = [
            c
            for c in clearances[key[0]]
            if c.cleared_on <= day and (c.valid_until is None or c.valid_until >= day)
        ]
        states = []
        for finding in screening.result.get("findings", []):
            cleared_by = None
            if finding["decision"] in BLOCKING:
                evidence = evidence_of(screening.facts, finding)
                for c in in_effect:
                    if c.covered.get(finding["rule_id"]) != evidence:
                        continue
                    if c.kind == Clearance.Kind.OVERRIDE and finding["decision"] == "STOP":
                        continue
                    cleared_by = c
                    break
            states.append(FindingState(finding, cleared_by))
        status = ScreeningStatus(
            patient=by_pk[key[0]],
            on=day,
            screening=screening,
            rescreen_days=0,
            findings=tuple(states),
        )
        out[key] = status.effective_decision
    return out


def _referrals(
    actor: User, blocks: Sequence[Block], ids: list[int], first: dt.date, last: dt.date
) -> None:
    """Each counted appointment's referral countdown: the oldest referral covering its
    day with visits left (the one used first), else the last covering one (used up)."""
    covering: dict[int, list[Referral]] = defaultdict(list)
    found = referral_queries.referrals_for(actor).filter(
        patient_id__in=ids,
        status=Referral.Status.ACTIVE,
        starts_on__lte=last,
        expires_on__gte=first - dt.timedelta(days=366),
    )
    referrals = list(found.order_by("starts_on", "created_at", "pk"))
    if not referrals:
        return
    for r in referrals:
        covering[r.patient_id].append(r)
    policy = policy_for(referrals[0].organization_id)
    for b in blocks:
        if not b.appointment.appointment_type.counts_as_visit:
            continue
        day = b.local_start.date()
        mine = [r for r in covering.get(b.appointment.patient_id, []) if r.starts_on <= day]
        if not mine:
            continue
        live = [r for r in mine if r.expires_on >= day]
        chosen: Referral | None = next(
            (r for r in live if getattr(r, "visits_used", 0) < r.visits_authorized), None
        )
        chosen = chosen or (live[-1] if live else mine[-1])
        b.referral = countdown(chosen, day, policy=policy)


def _audit(
    actor: User,
    location: Location,
    first: dt.date,
    last: dt.date,
    appointments: Sequence[Appointment],
) -> None:
    if not appointments:
        return
    detail: dict[str, Any] = {
        "view": "calendar",
        "location": str(location.public_id),
        "from": first.isoformat(),
        "to": last.isoformat(),
        "patients": sorted({str(a.patient.public_id) for a in appointments}),
    }
    record(actor=actor, action=Action.READ, object_type="Appointment", detail=detail)
