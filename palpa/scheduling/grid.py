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

from django.db.models import Exists, OuterRef, Subquery

from palpa.accounts.models import Location, Room, User
from palpa.audit.services import Action, record
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.referrals import queries as referral_queries
from palpa.referrals.countdown import Countdown
from palpa.referrals.models import Referral
from palpa.referrals.services import countdown, policy_for
from palpa.scheduling import flags, hours, queries
from palpa.scheduling.models import Appointment
from palpa.screening import queries as screening_queries
from palpa.screening.models import Clearance, Screening
from palpa.screening.services import BLOCKING, FindingState, ScreeningStatus, evidence_of

DAY = "day"
WEEK = "week"
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
    """A day (week view) or a practitioner (day view) and its appointments."""

    key: str
    title: str
    blocks: list[Block]
    today: bool = False


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
    if span == WEEK:
        by_day: dict[dt.date, list[Block]] = defaultdict(list)
        for b in blocks:
            by_day[b.local_start.date()].append(b)
        columns = [
            Column(d.isoformat(), f"{d:%a %d %b}", by_day.get(d, []), today=d == now_day)
            for d in hours.days(first, last)
        ]
    else:
        by_who: dict[int, list[Block]] = defaultdict(list)
        names: dict[int, str] = {}
        for b in blocks:
            who = b.appointment.practitioner
            by_who[who.pk].append(b)
            names[who.pk] = who.display_name
        if practitioner is not None:
            by_who.setdefault(practitioner.pk, [])
            names.setdefault(practitioner.pk, practitioner.display_name)
        columns = [
            Column(str(pk), names[pk], by_who[pk], today=first == now_day)
            for pk in sorted(by_who, key=lambda pk: names[pk])
        ]
    return Calendar(span, first, last, location, practitioner, room, columns, location.time_zone)


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
