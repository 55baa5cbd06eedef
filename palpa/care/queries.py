"""Care records as the actor may see them: clinical roles of the same organization."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, Min, OuterRef, QuerySet
from django.utils import timezone

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.care import charts, progress
from palpa.care.models import (
    Discharge,
    Evaluation,
    Goal,
    HomeCareItem,
    Plan,
    RomMeasurement,
    TreatmentNote,
)
from palpa.core.dates import local_today, zone_of
from palpa.outcomes.library import get_instrument
from palpa.outcomes.models import InstrumentAdministration
from palpa.patients.chart import remembered
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import hours
from palpa.scheduling.models import Appointment
from palpa.scheduling.queries import appointments_for


def notes_for(actor: User) -> QuerySet[TreatmentNote]:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return TreatmentNote.objects.none()
    return TreatmentNote.objects.filter(organization_id=tenant_id(actor)).select_related(
        "patient", "practitioner", "location", "signed_by", "plan_of_care"
    )


def patient_notes(actor: User, patient: Patient) -> QuerySet[TreatmentNote]:
    return notes_for(actor).filter(patient=patient).prefetch_related("techniques", "addenda")


def unsigned_notes(actor: User, *, older_than_hours: int = 72) -> QuerySet[TreatmentNote]:
    """The actor's own drafts started more than ``older_than_hours`` ago."""
    cutoff = timezone.now() - dt.timedelta(hours=older_than_hours)
    return notes_for(actor).filter(
        practitioner__user=actor,
        status=TreatmentNote.Status.DRAFT,
        created_at__lt=cutoff,
    )


def evaluations_for(actor: User) -> QuerySet[Evaluation]:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return Evaluation.objects.none()
    return Evaluation.objects.filter(organization_id=tenant_id(actor)).select_related(
        "patient", "practitioner", "location", "signed_by"
    )


def patient_evaluations(actor: User, patient: Patient) -> QuerySet[Evaluation]:
    return (
        evaluations_for(actor)
        .filter(patient=patient)
        .prefetch_related(
            "pain_map",
            "palpation",
            "rom_measurements",
            "special_tests",
            "diagnoses",
            "administration_links__administration",
            "addenda__signed_by",
        )
    )


def administrations_for(actor: User) -> QuerySet[InstrumentAdministration]:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return InstrumentAdministration.objects.none()
    return InstrumentAdministration.objects.filter(organization_id=tenant_id(actor)).select_related(
        "patient", "entered_by"
    )


def patient_administrations(
    actor: User, patient: Patient, *, instrument: str = ""
) -> QuerySet[InstrumentAdministration]:
    qs = administrations_for(actor).filter(patient=patient)
    if instrument:
        qs = qs.filter(instrument__iexact=instrument)
    return qs


def plans_for(actor: User) -> QuerySet[Plan]:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return Plan.objects.none()
    return Plan.objects.filter(organization_id=tenant_id(actor)).select_related(
        "patient", "evaluation", "practitioner", "location", "signed_by", "supersedes"
    )


def patient_plans(actor: User, patient: Patient) -> QuerySet[Plan]:
    return (
        plans_for(actor).filter(patient=patient).prefetch_related("goals", "diagnoses", "home_care")
    )


def goal_series(goal: Goal) -> list[progress.Point]:
    """The measurements of the goal's measure taken since its baseline (not the baseline
    itself), oldest first; records entered in error do not count."""
    return goal_series_for([goal])[goal.pk]


def goal_series_for(goals: Sequence[Goal]) -> dict[int, list[progress.Point]]:
    """``goal_series`` of each goal (by goal id), in at most two queries however many
    goals: the instrument scores of all the goals in one, their range-of-motion
    measurements in the other; each goal then takes its own from them."""
    rom_goals = [g for g in goals if g.measure_kind == Goal.Measure.ROM]
    score_goals = [g for g in goals if g.measure_kind != Goal.Measure.ROM]
    found: dict[int, list[progress.Point]] = {}
    if rom_goals:
        measures = list(
            RomMeasurement.objects.filter(
                patient_id__in={g.plan.patient_id for g in rom_goals},
                joint__in={g.rom_joint for g in rom_goals},
                status=RomMeasurement.Status.FINAL,
                measured_on__gte=min(g.baseline_on for g in rom_goals),
            )
            .exclude(evaluation__status=Evaluation.Status.ENTERED_IN_ERROR)
            .order_by("measured_on", "created_at")
        )
        for goal in rom_goals:
            found[goal.pk] = [
                progress.Point(
                    on=m.measured_on,
                    value=float(m.degrees),
                    rater=str(m.rater_id),
                    instrument=m.instrument,
                    position=m.position,
                )
                for m in measures
                if m.patient_id == goal.plan.patient_id
                and (m.joint, m.motion, m.side) == (goal.rom_joint, goal.rom_motion, goal.rom_side)
                and m.measured_on >= goal.baseline_on
                and m.pk != goal.baseline_rom_id
            ]
    if score_goals:
        administrations = list(
            InstrumentAdministration.objects.filter(
                patient_id__in={g.plan.patient_id for g in score_goals},
                instrument__in={_instrument_of(g) for g in score_goals},
                status=InstrumentAdministration.Status.FINAL,
                administered_on__gte=min(g.baseline_on for g in score_goals),
            ).order_by("administered_on", "created_at")
        )
        for goal in score_goals:
            found[goal.pk] = _score_points(goal, administrations)
    return found


def _instrument_of(goal: Goal) -> str:
    return "PSFS" if goal.measure_kind == Goal.Measure.PSFS_ACTIVITY else goal.instrument


def _score_points(
    goal: Goal, administrations: list[InstrumentAdministration]
) -> list[progress.Point]:
    instrument = _instrument_of(goal)
    points: list[progress.Point] = []
    for administration in administrations:
        if (
            administration.patient_id != goal.plan.patient_id
            or administration.instrument != instrument
            or administration.administered_on < goal.baseline_on
            or administration.pk == goal.baseline_administration_id
        ):
            continue
        if goal.measure_kind != Goal.Measure.PSFS_ACTIVITY:
            points.append(progress.Point(administration.administered_on, administration.score))
            continue
        # The same activity must be re-rated: match it by name, wherever it is listed.
        labels = [str(label).casefold() for label in administration.item_labels or []]
        wanted = goal.psfs_activity.casefold()
        if wanted in labels:
            value = administration.answers[labels.index(wanted)]
            if value is not None:
                points.append(progress.Point(administration.administered_on, float(value)))
    return points


def signed_notes_under(plan: Plan) -> QuerySet[TreatmentNote]:
    """Which notes of a lineage: the signed treatment notes linked to any version of the
    plan (the visits it counts, reports and judges the response by)."""
    return TreatmentNote.objects.filter(
        plan_of_care__lineage=plan.lineage, status=TreatmentNote.Status.SIGNED
    )


def signed_visit_dates(plan: Plan) -> list[dt.date]:
    """The visit dates of ``signed_notes_under(plan)``, in one query: what counting the
    lineage's signed notes, and those after a date, needs (the plan's progress and the
    progress report due both count from it)."""
    return list(signed_notes_under(plan).order_by().values_list("visit_date", flat=True))


def chart_plans(actor: User, patient: Patient) -> list[Plan]:
    """The patient's plans of care as the actor may see them, every status, newest first,
    each with ``has_discharge``, in one query read once per chart request (kept on the
    chart's patient): the care section shows them, the reports section reads from them
    which plan a progress report is due on and whether a discharge report may be written."""

    def read() -> list[Plan]:
        discharged = Discharge.objects.filter(plan=OuterRef("pk"))
        return list(
            plans_for(actor)
            .filter(patient=patient)
            .annotate(has_discharge=Exists(discharged))
            .order_by("-starts_on", "-version", "-created_at")
        )

    return remembered(patient, ("plans", actor.pk), read)


def chart_signed_visits(patient: Patient, plan: Plan) -> list[dt.date]:
    """``signed_visit_dates(plan)``, read once per chart request (kept on the chart's
    patient): the care and the reports sections both count from it."""
    return remembered(patient, ("signed_visits", plan.lineage), lambda: signed_visit_dates(plan))


def active_plan(patient: Patient) -> Plan | None:
    """Which plan: the patient's active (signed, current) plan of care, the newest should
    there be more than one; None without one."""
    return (
        Plan.objects.filter(patient=patient, status=Plan.Status.ACTIVE)
        .order_by("-starts_on", "-version", "-created_at")
        .first()
    )


def home_care_in_effect(patient: Patient) -> list[HomeCareItem]:
    """The home-care program of the patient's signed plans of care in effect (what the
    patient ticks off in the portal and the therapist's next note shows)."""
    return list(
        HomeCareItem.objects.filter(
            organization_id=patient.organization_id,
            plan__patient=patient,
            plan__status=Plan.Status.ACTIVE,
        )
        .select_related("plan")
        .order_by("plan__starts_on", "position", "created_at")
    )


def first_version(plan: Plan) -> Plan:
    """The first version of the plan's lineage (where its course of care starts)."""
    return Plan.objects.filter(lineage=plan.lineage).order_by("version").first() or plan


def plan_goals(plan: Plan) -> QuerySet[Goal]:
    """The plan's goals in their order, with what their status is computed from."""
    return plan.goals.select_related("baseline_rom").order_by("position", "created_at")


def goal_chart_points(goal: Goal, series: list[progress.Point] | None = None) -> charts.TrendChart:
    """The goal's measurements as a trend chart (MCID band, target, due date): the one
    source of the chart on the care pages and in the physician's report. ``series`` is
    ``goal_series(goal)`` when the caller has read it already."""
    activity = goal.measure_kind == Goal.Measure.PSFS_ACTIVITY
    instrument = "PSFS" if activity else goal.instrument
    low: float | None = None
    high: float | None = None
    band, band_label = charts.noise_band_of(instrument, activity=activity)
    if goal.measure_kind == Goal.Measure.ROM and goal.rom_local_mdc is not None:
        band, band_label = goal.rom_local_mdc, "local MDC"
    if instrument:
        found = get_instrument(instrument)
        low, high = float(found.range_min), float(found.range_max)
    return charts.TrendChart(
        title=goal.measure_label,
        unit="degrees" if goal.measure_kind == Goal.Measure.ROM else "score",
        baseline=progress.Point(goal.baseline_on, goal.baseline_value),
        series=goal_series(goal) if series is None else series,
        target=goal.target_value,
        due_on=goal.due_on,
        mcid=band,
        band_label=band_label or "MCID",
        low=low,
        high=high,
    )


def documenting_notes() -> QuerySet[TreatmentNote]:
    """Notes that document a booked visit (an entered-in-error note frees its visit)."""
    return TreatmentNote.objects.filter(appointment__isnull=False).exclude(
        status=TreatmentNote.Status.ENTERED_IN_ERROR
    )


def visits_to_document(actor: User, patient: Patient) -> list[Appointment]:
    """The patient's appointments from 12 hours ago to 12 hours ahead that are booked or
    arrived and that no treatment note documents yet (entered-in-error notes aside)."""
    now = timezone.now()
    documented = documenting_notes().filter(patient=patient)
    return list(
        appointments_for(
            actor,
            patient=patient,
            start=now - dt.timedelta(hours=12),
            end=now + dt.timedelta(hours=12),
            statuses=[Appointment.Status.BOOKED, Appointment.Status.ARRIVED],
        ).exclude(pk__in=documented.values("appointment_id"))
    )


def todays_visits(actor: User) -> list[tuple[Appointment, TreatmentNote | None]] | None:
    """The actor's own appointments (as a practitioner) on today's date in the
    organization's time zone, by start, not cancelled; each with the note that documents
    it (None: none yet). None for a member who is not a practitioner."""
    if not has_capability(actor, Capability.CLINICAL_AUTHOR):
        return None
    practitioner = Practitioner.objects.filter(user=actor, organization_id=tenant_id(actor)).first()
    if practitioner is None:
        return None
    zone = zone_of(actor.organization)
    today = local_today(actor.organization)
    start = hours.to_utc(today, dt.time(0), zone)
    end = hours.to_utc(today + dt.timedelta(days=1), dt.time(0), zone)
    visits = list(
        appointments_for(
            actor,
            practitioner=practitioner,
            start=start,
            end=end,
            statuses=[
                Appointment.Status.BOOKED,
                Appointment.Status.ARRIVED,
                Appointment.Status.FULFILLED,
                Appointment.Status.NOSHOW,
            ],
        ).filter(start__gte=start)  # starting today, not running over from yesterday
    )
    notes = {
        n.appointment_id: n
        for n in documenting_notes().filter(appointment__in=[a.pk for a in visits])
    }
    return [(a, notes.get(a.pk)) for a in visits]


def appointment_to_document(actor: User, patient: Patient, public_id: str) -> Appointment | None:
    """One of the patient's booked or arrived appointments, by public id, if the actor's
    organization holds it."""
    try:
        return (
            appointments_for(
                actor,
                patient=patient,
                statuses=[Appointment.Status.BOOKED, Appointment.Status.ARRIVED],
            )
            .filter(public_id=public_id)
            .first()
        )
    except ValidationError:  # not a UUID
        return None


# --- the business page's figures (read by billing.business) --------------------------------


def visits_by_day(
    actor: User, *, first: dt.date, last: dt.date, location: Location | None = None
) -> dict[dt.date, int]:
    """Visits: signed treatment notes by their visit date (the clinic's local day), from
    ``first`` to ``last``, in one grouped query. Notes entered in error are not visits."""
    found = TreatmentNote.objects.filter(
        organization_id=tenant_id(actor),
        status=TreatmentNote.Status.SIGNED,
        visit_date__gte=first,
        visit_date__lte=last,
    )
    if location is not None:
        found = found.filter(location=location)
    rows = found.values("visit_date").annotate(n=Count("pk")).order_by()
    return {row["visit_date"]: row["n"] for row in rows}


def unsigned_by_practitioner(
    actor: User, *, older_than_days: int, location: Location | None = None
) -> list[dict[str, object]]:
    """Draft notes started more than ``older_than_days`` days ago, counted by practitioner
    (``name``, ``count``, ``oldest`` visit date), most first, in one grouped query."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    found = TreatmentNote.objects.filter(
        organization_id=tenant_id(actor), status=TreatmentNote.Status.DRAFT, created_at__lt=cutoff
    )
    if location is not None:
        found = found.filter(location=location)
    rows = (
        found.values("practitioner_id", "practitioner__given_name", "practitioner__family_name")
        .annotate(count=Count("pk"), oldest=Min("visit_date"))
        .order_by("-count", "practitioner__family_name", "practitioner__given_name")
    )
    return [
        {
            "name": f"{row['practitioner__given_name']} {row['practitioner__family_name']}",
            "count": row["count"],
            "oldest": row["oldest"],
        }
        for row in rows
    ]
