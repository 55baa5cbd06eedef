"""What the portal shows the signed-in patient: only their own records, as plain rows a
template prints (times at the location's wall clock, no internal ids). Every function
takes the patient the portal session names and reads nothing of anyone else's."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from palpa.billing.documents import receipt_payments
from palpa.billing.models import Charge, LedgerEntry
from palpa.billing.queries import patient_balance
from palpa.care import charts
from palpa.care import queries as care_queries
from palpa.care.models import Goal, HomeCareItem, Plan
from palpa.care.plans.services import goal_progress
from palpa.core.dates import local, local_today
from palpa.outcomes.library import UnknownInstrument, get_instrument
from palpa.outcomes.models import InstrumentLink
from palpa.patients.models import Consent, Patient
from palpa.patients.services import WITHDRAWABLE
from palpa.portal.models import HomeCareLog
from palpa.reports.models import Report, ReportShare
from palpa.scheduling import online, patient_messages
from palpa.scheduling.models import Appointment
from palpa.screening.models import IntakeLink, Screening

PAST_SHOWN = 10
ADHERENCE_DAYS = 7


# --- appointments -----------------------------------------------------------------------


def own_appointments(patient: Patient) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(organization_id=patient.organization_id, patient=patient)
        .exclude(status=Appointment.Status.ENTERED_IN_ERROR)
        .select_related("appointment_type", "practitioner", "location")
    )


def own_appointment(patient: Patient, public_id: uuid.UUID | str) -> Appointment | None:
    return own_appointments(patient).filter(public_id=public_id).first()


def _appointment_row(appointment: Appointment, now: dt.datetime) -> dict[str, Any]:
    date, time, zone = patient_messages.local_text(appointment.start, appointment.location)
    deadline = patient_messages.change_deadline(appointment)
    until_date, until_time, until_zone = patient_messages.local_text(deadline, appointment.location)
    practitioner = appointment.practitioner
    return {
        "public_id": appointment.public_id,
        "what": appointment.appointment_type.name,
        "therapist": f"{practitioner.given_name} {practitioner.family_name}",
        "date": date,
        "time": time,
        "zone": zone,
        "location": appointment.location.name,
        "address": patient_messages.address_line(appointment.location),
        "phone": appointment.location.phone,
        "status": appointment.status,
        "status_label": appointment.get_status_display(),
        "ahead": appointment.start > now,
        "may_cancel": appointment.status == Appointment.Status.BOOKED
        and appointment.start > now
        and online.may_change(appointment, now),
        "change_until": f"{until_date} at {until_time} ({until_zone})",
    }


def appointments(patient: Patient) -> dict[str, list[dict[str, Any]]]:
    """Upcoming (booked or arrived, still ahead) and the latest past ones."""
    now = timezone.now()
    mine = own_appointments(patient)
    upcoming = mine.filter(
        start__gte=now, status__in=[Appointment.Status.BOOKED, Appointment.Status.ARRIVED]
    ).order_by("start")
    past = mine.filter(start__lt=now).order_by("-start")[:PAST_SHOWN]
    return {
        "upcoming": [_appointment_row(a, now) for a in upcoming],
        "past": [_appointment_row(a, now) for a in past],
    }


def booking_url(patient: Patient) -> str:
    """The portal's booking page, when the patient's clinic takes bookings online."""
    location = patient.primary_location
    if location is None:
        return ""
    config = online.open_booking(location.public_id)
    return reverse("portal:book") if config is not None else ""


# --- forms to fill ----------------------------------------------------------------------


def open_forms(patient: Patient) -> list[dict[str, Any]]:
    """Intake and questionnaire links issued to the patient that still work (not filled
    in, not expired, not revoked). Their links are secrets the clinic sent (only a hash is
    kept), so the portal names each one and offers "Fill in now" (``services.open_form``:
    a fresh link for the same form replaces the one sent)."""
    now = timezone.now()
    rows: list[dict[str, Any]] = []
    intakes = IntakeLink.objects.filter(
        organization_id=patient.organization_id,
        patient=patient,
        used_at__isnull=True,
        expires_at__gt=now,
    ).order_by("-created_at")[:1]
    for link in intakes:
        again = Screening.objects.filter(
            organization_id=patient.organization_id,
            patient=patient,
            status=Screening.Status.VALID,
        ).exists()
        rows.append(
            {
                "public_id": link.public_id,
                "what": "Health questions again (your answers from last time are filled in)"
                if again
                else "Health history form",
                "sent": local(link.created_at, patient.time_zone),
                "expires": local(link.expires_at, patient.time_zone),
            }
        )
    questionnaires = InstrumentLink.objects.filter(
        organization_id=patient.organization_id,
        patient=patient,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).order_by("-created_at")
    for instrument_link in questionnaires:
        names = []
        for instrument_id in instrument_link.instruments or []:
            try:
                names.append(get_instrument(str(instrument_id)).name)
            except UnknownInstrument:
                names.append(str(instrument_id))
        rows.append(
            {
                "public_id": instrument_link.public_id,
                "what": "Questions before your visit: " + ", ".join(names),
                "sent": local(instrument_link.created_at, patient.time_zone),
                "expires": local(instrument_link.expires_at, patient.time_zone),
            }
        )
    return rows


def own_form_ever(patient: Patient, public_id: uuid.UUID | str) -> bool:
    """Whether the id names an intake or questionnaire link issued to this patient, open
    or not (filled in, expired, replaced): the portal then says the form is no longer
    open instead of "not found"."""
    mine = {"organization_id": patient.organization_id, "patient": patient, "public_id": public_id}
    return (
        IntakeLink.objects.filter(**mine).exists() or InstrumentLink.objects.filter(**mine).exists()
    )


# --- money and documents ----------------------------------------------------------------


def balance(patient: Patient) -> Decimal:
    """What the patient owes (negative: a credit), from the billing ledger."""
    return patient_balance(patient)


def billed_visits(patient: Patient) -> QuerySet[Charge]:
    """The patient's visits posted to the ledger: each has a superbill."""
    return Charge.objects.filter(
        organization_id=patient.organization_id, patient=patient, status=Charge.Status.READY
    ).order_by("-date_of_service", "-created_at")


def payments(patient: Patient) -> QuerySet[LedgerEntry]:
    """The payments the patient made, newest first: each has a receipt."""
    return receipt_payments(patient)


def own_payment(patient: Patient, public_id: Any) -> LedgerEntry | None:
    return payments(patient).filter(public_id=public_id).first()


def statement_period(patient: Patient) -> tuple[dt.date, dt.date]:
    """The statement the portal offers: the last twelve months, to today (the clinic's)."""
    today = local_today(patient.time_zone)
    return today - dt.timedelta(days=365), today


def shared_reports(patient: Patient) -> QuerySet[ReportShare]:
    """The reports the clinic shares with the patient, newest first: each share not
    withdrawn, of a signed report that is still the current version (a correction is
    offered only once it is shared itself; an entered-in-error report never is)."""
    return (
        ReportShare.objects.filter(
            organization_id=patient.organization_id,
            withdrawn_at__isnull=True,
            report__organization_id=patient.organization_id,
            report__patient=patient,
            report__status=Report.Status.SIGNED,
        )
        .select_related("report")
        .defer("report__pdf", "report__content")
        .order_by("-shared_at", "-pk")
    )


def own_shared_report(patient: Patient, public_id: uuid.UUID | str) -> Report | None:
    """One of the patient's shared reports, by its public id; None for any other."""
    share = shared_reports(patient).filter(report__public_id=public_id).first()
    return None if share is None else Report.objects.defer("pdf").get(pk=share.report_id)


def report_rows(patient: Patient) -> list[dict[str, Any]]:
    """Shared reports in plain words: the kind, the period, the day shared."""
    return [
        {
            "public_id": share.report.public_id,
            "what": share.report.get_kind_display(),
            "start": share.report.period_start,
            "end": share.report.period_end,
            "shared_on": local(share.shared_at, patient.time_zone).date(),
        }
        for share in shared_reports(patient)
    ]


# --- progress ---------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _with_unit(value: float, unit: str) -> str:
    if unit == "%":
        return f"{_number(value)} %"
    if unit == "degrees":
        return f"{_number(value)}°"
    return _number(value)


def goal_words(goal: Goal, today: dt.date) -> dict[str, Any]:
    """One goal in plain words: where the patient's score started and stands, and the
    change people notice (the measure's MCID from the instrument library)."""
    result = goal_progress(goal, today)
    better = ""
    if goal.measure_kind == Goal.Measure.ROM:
        name, unit, points = f"{goal.measure_label} movement", "degrees", "degrees"
        mcid: float | None = None
    else:
        activity = goal.measure_kind == Goal.Measure.PSFS_ACTIVITY
        instrument = get_instrument("PSFS" if activity else goal.instrument)
        name = (
            f"ability to {goal.psfs_activity} (0 = unable, 10 = as before)"
            if activity
            else f"{instrument.name} score"
        )
        unit = instrument.unit if instrument.unit == "%" else ""
        points = "points"
        threshold = instrument.defaults_for(activity=activity).mcid
        mcid = None if threshold is None else float(threshold.value)
        if not activity:
            better = " (higher is better)" if instrument.higher_is_better else " (lower is better)"
    start = _with_unit(result.baseline, unit)
    latest = _with_unit(result.latest, unit)
    if result.measurements:
        sentence = f"Your {name} went from {start} to {latest}{better}."
    else:
        sentence = (
            f"Your {name} was {start} when you started{better}; it has not been measured again yet."
        )
    notice = f"A change of {_number(mcid)} {points} is one people notice." if mcid else ""
    # render_svg writes no style, script or comment (charts.inline_svg): safe to embed.
    chart = mark_safe(  # noqa: S308
        charts.inline_svg(
            charts.render_svg(care_queries.goal_chart_points(goal)),
            f"Your {goal.measure_label} over time",
        )
    )
    return {
        "statement": goal.statement,
        "sentence": sentence,
        "notice": notice,
        "target": _with_unit(result.target, unit),
        "due_on": result.due_on,
        "status": result.status_label,
        "chart": chart,
    }


def progress(patient: Patient) -> list[dict[str, Any]]:
    """The goals of the patient's signed plans in effect, each in plain words."""
    today = local_today(patient.time_zone)
    goals = Goal.objects.filter(
        organization_id=patient.organization_id,
        plan__patient=patient,
        plan__status=Plan.Status.ACTIVE,
    ).select_related("plan", "baseline_rom", "baseline_administration")
    return [goal_words(goal, today) for goal in goals]


# --- home care --------------------------------------------------------------------------


def adherence(patient: Patient, items: list[HomeCareItem], today: dt.date) -> dict[int, int]:
    """Days each item was ticked done in the last ``ADHERENCE_DAYS`` days (today too)."""
    since = today - dt.timedelta(days=ADHERENCE_DAYS - 1)
    done: dict[int, int] = {item.pk: 0 for item in items}
    for item_id in HomeCareLog.objects.filter(
        patient=patient,
        item__in=items,
        day__gte=since,
        day__lte=today,
        done=True,
    ).values_list("item_id", flat=True):
        done[item_id] = done.get(item_id, 0) + 1
    return done


def home_care_days(
    patient_id: int, item_ids: Sequence[int], first_day: dt.date, last_day: dt.date
) -> dict[int, int]:
    """Days each item was ticked done from ``first_day`` to ``last_day`` (both included),
    in one query: the source of the treatment note's home-care panel
    (``care.notes.adherence``, registered in ``PortalConfig.ready``)."""
    return dict(
        HomeCareLog.objects.filter(
            patient_id=patient_id,
            item_id__in=list(item_ids),
            day__gte=first_day,
            day__lte=last_day,
            done=True,
        )
        .order_by()
        .values("item_id")
        .annotate(days=Count("id"))
        .values_list("item_id", "days")
    )


def home_care_rows(patient: Patient, items: list[HomeCareItem]) -> list[dict[str, Any]]:
    today = local_today(patient.time_zone)
    done_today = set(
        HomeCareLog.objects.filter(patient=patient, day=today, done=True).values_list(
            "item_id", flat=True
        )
    )
    counts = adherence(patient, items, today)
    return [
        {
            "public_id": item.public_id,
            "kind": item.get_kind_display(),
            "instructions": item.instructions,
            "frequency": item.frequency,
            "tool": "" if item.tool in ("", "none") else item.tool.replace("_", " "),
            "picture": item.has_picture,
            "picture_alt": item.picture_alt,
            "picture_width": item.picture_width,
            "picture_height": item.picture_height,
            "done_today": item.pk in done_today,
            "days_done": counts.get(item.pk, 0),
            "days": ADHERENCE_DAYS,
        }
        for item in items
    ]


# --- consents ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentRow:
    kind: str
    label: str
    granted: bool
    on: dt.date
    version: str
    may_withdraw: bool


def consents(patient: Patient) -> list[ConsentRow]:
    """The patient's latest consent of each kind they gave or withdrew."""
    latest: dict[str, Consent] = {}
    for consent in Consent.objects.filter(
        organization_id=patient.organization_id, patient=patient
    ).order_by("-given_on", "-created_at", "-pk"):
        latest.setdefault(consent.kind, consent)
    return [
        ConsentRow(
            kind=c.kind,
            label=c.get_kind_display(),
            granted=c.granted,
            on=c.given_on,
            version=c.version,
            may_withdraw=c.granted and c.kind in WITHDRAWABLE,
        )
        for c in sorted(latest.values(), key=lambda c: c.kind)
    ]
