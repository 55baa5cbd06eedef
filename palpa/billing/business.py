"""The business page's figures over a period: visits, revenue billed and collected,
no-shows and late cancellations, utilization per therapist and per room, referral
sources, outstanding balances and unsigned notes (docs/business.md defines each).

Billing (line 7) reads the lower apps' selectors (``scheduling``, ``care``, ``referrals``,
``practitioners``); each figure is one bounded query or two, aggregated in the database.
A period is whole local days in the organization's time zone (or the chosen location's),
``first`` to ``last`` inclusive: from local midnight on ``first`` to local midnight after
``last``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability
from palpa.billing import queries
from palpa.billing.money import round_money
from palpa.care import queries as care_queries
from palpa.core.dates import local_today, page_date, zone_of
from palpa.patients.models import Patient
from palpa.practitioners.queries import practitioners_for
from palpa.referrals.queries import Source, referral_sources
from palpa.scheduling import hours
from palpa.scheduling import queries as schedule

#: Drafts older than this many days are counted as unsigned notes.
UNSIGNED_AFTER_DAYS = 3
#: The longest period the page reads at once (a year and a day, for leap years).
MAX_DAYS = 366
#: Outstanding balances listed by name (the largest); the count and total cover all.
BALANCES_LISTED = 20

PRESETS: dict[str, str] = {
    "week": "This week",
    "month": "This month",
    "last_month": "Last month",
    "90_days": "Last 90 days",
}


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date
    zone: dt.tzinfo
    preset: str = ""

    @property
    def start(self) -> dt.datetime:
        return hours.to_utc(self.first, dt.time(0), self.zone)

    @property
    def end(self) -> dt.datetime:
        return hours.to_utc(self.last + dt.timedelta(days=1), dt.time(0), self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def preset_period(name: str, today: dt.date, zone: dt.tzinfo) -> Period:
    """A named period ending today (or last month, whole), in local days."""
    if name == "week":
        return Period(today - dt.timedelta(days=today.weekday()), today, zone, name)
    if name == "last_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return Period(last.replace(day=1), last, zone, name)
    if name == "90_days":
        return Period(today - dt.timedelta(days=89), today, zone, name)
    return Period(today.replace(day=1), today, zone, "month")


def read_period(
    params: Mapping[str, str], today: dt.date, zone: dt.tzinfo
) -> tuple[Period, dict[str, str]]:
    """The period a page's query string asks for, and what was wrong with it by field (the
    page then shows this month). ``preset`` wins over ``from``/``to``; neither: this month."""
    preset = params.get("preset", "")
    if preset in PRESETS:
        return preset_period(preset, today, zone), {}
    raw_first, raw_to = params.get("from", ""), params.get("to", "")
    if not raw_first and not raw_to:
        return preset_period("month", today, zone), {}
    errors: dict[str, str] = {}
    first, last = page_date(raw_first), page_date(raw_to)
    if first is None:
        errors["from"] = "From: enter a date as YYYY-MM-DD."
    if last is None:
        errors["to"] = "To: enter a date as YYYY-MM-DD."
    if first is not None and last is not None:
        if last < first:
            errors["to"] = "To: must be on or after From."
        elif (last - first).days + 1 > MAX_DAYS:
            errors["to"] = f"To: a period is at most {MAX_DAYS} days long."
    if errors or first is None or last is None:
        return preset_period("month", today, zone), errors
    return Period(first, last, zone), {}


@dataclass(frozen=True)
class Bar:
    label: str  # the week's first day, e.g. "Mar 2"
    first: dt.date
    value: Decimal


@dataclass(frozen=True)
class Utilization:
    name: str
    booked: int  # minutes
    available: int  # minutes

    @property
    def percent(self) -> int | None:
        return None if not self.available else round(100 * self.booked / self.available)


@dataclass
class Figures:
    period: Period
    location: Location | None
    revenue: bool  # the reader may see revenue figures
    operations: bool  # the reader may see the rest
    visits: int = 0
    visits_by_week: list[Bar] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    therapists: list[Utilization] = field(default_factory=list)
    rooms: list[Utilization] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    unsigned: list[dict[str, object]] = field(default_factory=list)
    billed: Decimal = Decimal("0.00")
    collected: Decimal = Decimal("0.00")
    revenue_by_week: list[tuple[Bar, Bar]] = field(default_factory=list)
    owing_patients: int = 0
    owing_total: Decimal = Decimal("0.00")
    balances: list[Patient] = field(default_factory=list)
    aging: list[AgingRow] = field(default_factory=list)


#: Aging buckets of outstanding balances: days since the date of service (first, last);
#: the last has no end.
AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30 days", 0, 30),
    ("31-60 days", 31, 60),
    ("61-90 days", 61, 90),
    ("Over 90 days", 91, None),
)


@dataclass(frozen=True)
class AgingRow:
    label: str
    patients: Decimal
    insurers: Decimal
    visits: int

    @property
    def total(self) -> Decimal:
        return self.patients + self.insurers


def aging(rows: Iterable[tuple[dt.date, bool, Decimal]], today: dt.date) -> list[AgingRow]:
    """What is open on visits, by days from the date of service to ``today`` (the
    clinic's day): one row per bucket of ``AGING_BUCKETS``, then the total. A visit
    dated after today (a clock mismatch) counts as 0 days. Pure."""
    patients = [Decimal(0)] * len(AGING_BUCKETS)
    insurers = [Decimal(0)] * len(AGING_BUCKETS)
    visits = [0] * len(AGING_BUCKETS)
    for day, insurer, amount in rows:
        age = max((today - day).days, 0)
        for i, (_, first, last) in enumerate(AGING_BUCKETS):
            if age >= first and (last is None or age <= last):
                if insurer:
                    insurers[i] += amount
                else:
                    patients[i] += amount
                visits[i] += 1
                break
    found = [
        AgingRow(label, round_money(patients[i]), round_money(insurers[i]), visits[i])
        for i, (label, _, _) in enumerate(AGING_BUCKETS)
    ]
    found.append(
        AgingRow(
            "Total",
            round_money(sum((r.patients for r in found), Decimal(0))),
            round_money(sum((r.insurers for r in found), Decimal(0))),
            sum(r.visits for r in found),
        )
    )
    return found


def aging_for(user: User) -> list[AgingRow]:
    """The organization's outstanding balances aged from today in its time zone."""
    return aging(queries.open_by_date_of_service(user), today_for(user, None))


def zone_for(user: User, location: Location | None) -> dt.tzinfo:
    return zone_of(location if location is not None else user.organization)


def today_for(user: User, location: Location | None) -> dt.date:
    return local_today(location if location is not None else user.organization)


def weeks(period: Period) -> list[dt.date]:
    """The Mondays of the weeks the period touches (its first week may start before it)."""
    monday = period.first - dt.timedelta(days=period.first.weekday())
    found = []
    while monday <= period.last:
        found.append(monday)
        monday += dt.timedelta(days=7)
    return found


def by_week(period: Period, by_day: Mapping[dt.date, Decimal | int]) -> list[Bar]:
    totals = {monday: Decimal(0) for monday in weeks(period)}
    for day, value in by_day.items():
        totals[day - dt.timedelta(days=day.weekday())] += Decimal(value)
    return [Bar(f"{m:%b} {m.day}", m, v) for m, v in totals.items()]


def figures(user: User, period: Period, location: Location | None = None) -> Figures:
    """Everything the page shows this reader (what their role may see), for the period."""
    found = Figures(
        period,
        location,
        revenue=has_capability(user, Capability.BUSINESS_READ),
        operations=has_capability(user, Capability.BUSINESS_OPERATIONS),
    )
    if found.operations:
        _operations(user, period, location, found)
    if found.revenue:
        _revenue(user, period, location, found)
    return found


def _operations(user: User, period: Period, location: Location | None, found: Figures) -> None:
    start, end = period.start, period.end
    visits = care_queries.visits_by_day(
        user, first=period.first, last=period.last, location=location
    )
    found.visits = sum(visits.values())
    found.visits_by_week = by_week(period, visits)
    found.outcomes = schedule.appointment_outcomes(user, start=start, end=end, location=location)
    working, open_minutes = schedule.working_minutes(
        user, first=period.first, last=period.last, location=location
    )
    booked = schedule.booked_minutes(
        user, by="practitioner_id", start=start, end=end, location=location
    )
    found.therapists = [
        Utilization(p.display_name, booked.get(p.pk, 0), working.get(p.pk, 0))
        for p in practitioners_for(user).prefetch_related(None).filter(pk__in=[*working, *booked])
    ]
    room_booked = schedule.booked_minutes(
        user, by="room_id", start=start, end=end, location=location
    )
    found.rooms = [
        Utilization(
            room.name if location is not None else f"{room.location.name} / {room.name}",
            room_booked.get(room.pk, 0),
            open_minutes.get(room.location_id, 0),
        )
        for room in schedule.rooms_for(user, location).select_related("location")
    ]
    found.sources = referral_sources(user, first=period.first, last=period.last)
    found.unsigned = care_queries.unsigned_by_practitioner(
        user, older_than_days=UNSIGNED_AFTER_DAYS, location=location
    )


def _revenue(user: User, period: Period, location: Location | None, found: Figures) -> None:
    billed = queries.billed_by_day(user, first=period.first, last=period.last, location=location)
    collected = queries.collected_by_day(user, start=period.start, end=period.end, zone=period.zone)
    found.billed = round_money(sum(billed.values(), Decimal(0)))
    found.collected = round_money(sum(collected.values(), Decimal(0)))
    found.revenue_by_week = list(
        zip(by_week(period, billed), by_week(period, collected), strict=True)
    )
    found.owing_patients, found.owing_total = queries.outstanding_total(user)
    found.balances = list(queries.outstanding_balances(user)[:BALANCES_LISTED])
    found.aging = aging_for(user)


def summary(user: User, period: Period) -> Figures:
    """The dashboard's few figures: visits (operations), billed, collected and what
    patients owe (revenue); no names, no per-therapist figures."""
    found = Figures(
        period,
        None,
        revenue=has_capability(user, Capability.BUSINESS_READ),
        operations=has_capability(user, Capability.BUSINESS_OPERATIONS),
    )
    if found.operations:
        visits = care_queries.visits_by_day(user, first=period.first, last=period.last)
        found.visits = sum(visits.values())
    if found.revenue:
        billed = queries.billed_by_day(user, first=period.first, last=period.last)
        found.billed = round_money(sum(billed.values(), Decimal(0)))
        collected = queries.collected_by_day(
            user, start=period.start, end=period.end, zone=period.zone
        )
        found.collected = round_money(sum(collected.values(), Decimal(0)))
        found.owing_patients, found.owing_total = queries.outstanding_total(user)
    return found
