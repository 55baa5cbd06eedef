"""The episode table is written here, and only here: from the clinical records, never by
hand.

``refresh_episode(evaluation)`` recomputes one episode from its records, so running it
twice (or replaying an event) gives the same row. The domain events the care and outcomes
apps publish (subscribed in ``AnalyticsConfig.ready``) call it for the episode they touch;
a signed treatment note, the commonest event, updates only what a note changes (visits,
technique minutes, visits to the first meaningful change, last contact and ending) with
the same functions the full refresh uses. ``rebuild_episodes`` recomputes every episode of
one or every organization (``palpa episodes rebuild``); ``sweep_dropouts`` re-judges the
open episodes whose last contact is old enough to have dropped out (``palpa episodes
sweep``, the nightly task), at each location's own date. No page view recomputes anything.

The rows are derived, not clinical records: they carry no audit entry of their own (the
records they are computed from have theirs), and an episode whose evaluation was entered
in error is removed (the rebuild would not make it again).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum

from palpa.accounts.models import Location
from palpa.analytics import episode_rules as rules
from palpa.analytics import rows
from palpa.analytics.conditions import condition_groups
from palpa.analytics.generated import GENERATED_PREFIX
from palpa.analytics.models import Episode
from palpa.billing.queries import coverage_on
from palpa.care.models import (
    Discharge,
    Evaluation,
    Goal,
    LinkedAdministration,
    Plan,
    TechniqueEntry,
    TreatmentNote,
)
from palpa.core.dates import local_today, zone_of
from palpa.outcomes.library import UnknownInstrument, get_instrument
from palpa.outcomes.models import InstrumentAdministration
from palpa.scheduling.models import Appointment
from palpa.screening.models import Screening

logger = logging.getLogger(__name__)

SIGNED_PLAN = (Plan.Status.ACTIVE, Plan.Status.SUPERSEDED, Plan.Status.COMPLETED)
OPEN_APPOINTMENT = (Appointment.Status.BOOKED, Appointment.Status.ARRIVED)


def dropout_days() -> int:
    return int(settings.PALPA_EPISODE_DROPOUT_DAYS)


# --- parts of an episode ---------------------------------------------------------------------


@dataclass(frozen=True)
class Visits:
    dates: list[dt.date]
    minutes: dict[str, int]


def _visits(evaluation_id: int) -> Visits:
    """The episode's signed notes (under any version of the evaluation's plans of care):
    their dates, and the minutes of each technique."""
    signed = {"status": TreatmentNote.Status.SIGNED}
    dates = list(
        TreatmentNote.objects.filter(plan_of_care__evaluation_id=evaluation_id, **signed)
        .order_by("visit_date", "pk")
        .values_list("visit_date", flat=True)
    )
    minutes = {
        row["technique"]: int(row["total"])
        for row in TechniqueEntry.objects.filter(
            note__plan_of_care__evaluation_id=evaluation_id,
            note__status=TreatmentNote.Status.SIGNED,
        )
        .values("technique")
        .annotate(total=Sum("minutes"))
        .order_by("technique")
    }
    return Visits(dates, minutes)


def _booked_ahead(patient_id: int, today: dt.date, location: Location) -> bool:
    """A visit booked (or arrived) from the start of the clinic's today on."""
    since = dt.datetime.combine(today, dt.time.min, tzinfo=zone_of(location))
    return Appointment.objects.filter(
        patient_id=patient_id, status__in=OPEN_APPOINTMENT, start__gte=since
    ).exists()


def _care_fields(
    *,
    evaluation: Evaluation,
    location: Location,
    scores: list[tuple[dt.date, float]],
    higher_is_better: bool,
    mcid: float | None,
    mdc: float | None,
    discharge: Discharge | None,
    today: dt.date | None,
) -> dict[str, Any]:
    """What a signed note changes: visits, technique minutes and mix, visits to the first
    meaningful change, last contact, ending and end."""
    visits = _visits(evaluation.pk)
    last_contact = max([evaluation.evaluated_on, *visits.dates])
    day = today or local_today(location)
    if discharge is not None:
        ending = rules.ending(
            discharge_reason=discharge.reason,
            last_contact_on=last_contact,
            booked_ahead=False,
            today=day,
            dropout_days=dropout_days(),
        )
        end: dt.date | None = discharge.discharged_on
    else:
        overdue = (day - last_contact).days > dropout_days()
        ending = rules.ending(
            discharge_reason=None,
            last_contact_on=last_contact,
            booked_ahead=overdue and _booked_ahead(evaluation.patient_id, day, location),
            today=day,
            dropout_days=dropout_days(),
        )
        end = last_contact if ending == rows.DROPPED_OUT else None
    return {
        "visits": len(visits.dates),
        "technique_minutes": visits.minutes,
        "technique_mix": rules.technique_mix(visits.minutes),
        "visits_to_meaningful_change": rules.visits_to_meaningful_change(
            scores, visits.dates, higher_is_better=higher_is_better, mcid=mcid, mdc=mdc
        ),
        "last_contact_on": last_contact,
        "ending": ending,
        "discharge_reason": discharge.reason if discharge else "",
        "end": end,
    }


def _primary_measure(evaluation: Evaluation, plan: Plan | None) -> str:
    """The plan's primary goal's instrument; else its first goal on an instrument; else
    the evaluation's first baseline instrument; else none."""
    if plan is not None:
        goal = (
            Goal.objects.filter(plan=plan, measure_kind=Goal.Measure.INSTRUMENT)
            .order_by("-is_primary", "position", "created_at")
            .values_list("instrument", flat=True)
            .first()
        )
        if goal:
            return goal
    first = (
        LinkedAdministration.objects.filter(evaluation=evaluation)
        .order_by("created_at", "pk")
        .values_list("administration__instrument", flat=True)
        .first()
    )
    return first or ""


def _window_end(evaluation: Evaluation, discharge: Discharge | None) -> dt.date | None:
    """The last day whose scores belong to the episode: the discharge, or the day before
    the patient's next signed evaluation (which opens the next episode), or open."""
    if discharge is not None:
        return discharge.discharged_on
    following = (
        Evaluation.objects.filter(
            patient_id=evaluation.patient_id,
            status=Evaluation.Status.SIGNED,
            evaluated_on__gt=evaluation.evaluated_on,
        )
        .order_by("evaluated_on")
        .values_list("evaluated_on", flat=True)
        .first()
    )
    return following - dt.timedelta(days=1) if following else None


def _scores(
    evaluation: Evaluation, measure: str, window_end: dt.date | None
) -> list[tuple[dt.date, float]]:
    """The measure's scores in the episode, intake first: the evaluation's baseline of the
    measure (else the first score from the evaluation day on), then every later score
    that counts (not entered in error), in date order."""
    if not measure:
        return []
    final = InstrumentAdministration.Status.FINAL
    baseline = (
        InstrumentAdministration.objects.filter(
            pk__in=LinkedAdministration.objects.filter(evaluation=evaluation).values(
                "administration_id"
            ),
            instrument=measure,
            status=final,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    later = InstrumentAdministration.objects.filter(
        patient_id=evaluation.patient_id,
        instrument=measure,
        status=final,
        administered_on__gte=evaluation.evaluated_on,
    )
    if window_end is not None:
        later = later.filter(administered_on__lte=window_end)
    series = [
        (a.administered_on, a.score)
        for a in later.order_by("administered_on", "created_at", "pk")
        if baseline is None or a.pk != baseline.pk
    ]
    if baseline is not None:
        series.insert(0, (baseline.administered_on, baseline.score))
    return series


def _screening(evaluation: Evaluation) -> Screening | None:
    return (
        Screening.objects.filter(
            patient_id=evaluation.patient_id,
            status=Screening.Status.VALID,
            as_of__lte=evaluation.evaluated_on,
        )
        .order_by("-as_of", "-created_at")
        .first()
    )


# --- one episode -----------------------------------------------------------------------------


def refresh_episode(evaluation: Evaluation, *, today: dt.date | None = None) -> Episode | None:
    """Recompute the episode opened by ``evaluation`` from its records (``today``: the
    clinic's date the drop-out rule counts to; by default the location's today). An
    evaluation that is not signed has no episode (one left from before is removed)."""
    with transaction.atomic():
        evaluation = Evaluation.objects.select_related("patient", "location").get(pk=evaluation.pk)
        if evaluation.status != Evaluation.Status.SIGNED:
            Episode.objects.filter(evaluation=evaluation).delete()
            return None
        plan = (
            Plan.objects.filter(evaluation=evaluation, status__in=SIGNED_PLAN)
            .order_by("-signed_at", "-version", "-pk")
            .first()
        )
        discharge = (
            Discharge.objects.filter(plan__evaluation=evaluation)
            .order_by("-discharged_on", "-created_at")
            .first()
        )
        diagnosis = evaluation.diagnoses.order_by("rank", "pk").values_list("code", flat=True)
        code = (
            (
                plan.diagnoses.order_by("rank", "pk").values_list("code", flat=True).first()
                if plan is not None
                else None
            )
            or diagnosis.first()
            or ""
        )
        groups = condition_groups()
        measure = _primary_measure(evaluation, plan)
        higher_is_better, mcid, mdc = False, None, None
        if measure:
            try:
                instrument = get_instrument(measure)
            except UnknownInstrument:
                instrument = None
            if instrument is not None:
                higher_is_better = instrument.higher_is_better
                defaults = instrument.change_defaults
                mcid = defaults.mcid.value if defaults.mcid else None
                mdc = defaults.mdc.value if defaults.mdc else None
        scores = _scores(evaluation, measure, _window_end(evaluation, discharge))
        patient = evaluation.patient
        coverage = coverage_on(patient, evaluation.evaluated_on)
        screening = _screening(evaluation)
        fields: dict[str, Any] = {
            "organization_id": evaluation.organization_id,
            "patient": patient,
            "plan": plan,
            "practitioner_id": plan.practitioner_id if plan else evaluation.practitioner_id,
            "location_id": evaluation.location_id,
            "icd10": code,
            "condition_group": groups.group_of(code) if code else "other",
            "conditions_version": groups.version,
            "measure": measure,
            "higher_is_better": higher_is_better,
            "intake_score": scores[0][1] if scores else None,
            "intake_on": scores[0][0] if scores else None,
            "last_score": scores[-1][1] if len(scores) > 1 else None,
            "last_on": scores[-1][0] if len(scores) > 1 else None,
            "mcid": mcid,
            "mdc": mdc,
            "scores": [[on.isoformat(), value] for on, value in scores],
            "planned_visits": plan.planned_visits if plan else None,
            "payer_type": rules.payer_type(coverage.kind if coverage else None),
            "age_band": rules.age_band(patient.date_of_birth, evaluation.evaluated_on),
            "sex": patient.sex,
            "chronicity": rules.chronicity(evaluation.onset_on, evaluation.evaluated_on),
            "screening_decision": screening.decision if screening else "",
            "comorbidity_count": rules.comorbidity_count(screening.facts if screening else None),
            "start": evaluation.evaluated_on,
            **_care_fields(
                evaluation=evaluation,
                location=evaluation.location,
                scores=scores,
                higher_is_better=higher_is_better,
                mcid=mcid,
                mdc=mdc,
                discharge=discharge,
                today=today,
            ),
        }
        episode, _ = Episode.objects.update_or_create(evaluation=evaluation, defaults=fields)
    return episode


CARE_FIELDS = (
    "visits",
    "technique_minutes",
    "technique_mix",
    "visits_to_meaningful_change",
    "last_contact_on",
    "ending",
    "discharge_reason",
    "end",
)


def refresh_episode_visits(episode: Episode, *, today: dt.date | None = None) -> Episode:
    """What a signed note changes, recomputed with the full refresh's own functions (a few
    statements: the notes, their minutes, perhaps the bookings ahead, one update)."""
    evaluation = Evaluation(
        pk=episode.evaluation_id,
        patient_id=episode.patient_id,
        evaluated_on=episode.start,
    )
    discharge = None
    if episode.discharge_reason and episode.end is not None:
        discharge = Discharge(reason=episode.discharge_reason, discharged_on=episode.end)
    fields = _care_fields(
        evaluation=evaluation,
        location=episode.location,
        scores=[(dt.date.fromisoformat(on), float(v)) for on, v in episode.scores],
        higher_is_better=episode.higher_is_better,
        mcid=episode.mcid,
        mdc=episode.mdc,
        discharge=discharge,
        today=today,
    )
    for name, value in fields.items():
        setattr(episode, name, value)
    episode.save(update_fields=[*CARE_FIELDS, "updated_at"])
    return episode


# --- many episodes -----------------------------------------------------------------------------


def _signed_evaluations(organization_id: int | None) -> Iterable[Evaluation]:
    evaluations = Evaluation.objects.filter(status=Evaluation.Status.SIGNED)
    if organization_id is not None:
        evaluations = evaluations.filter(organization_id=organization_id)
    evaluations = evaluations.exclude(organization__slug__startswith=GENERATED_PREFIX)
    return evaluations.order_by("pk").only("pk").iterator(chunk_size=500)


def rebuild_episodes(*, organization_id: int | None = None, today: dt.date | None = None) -> int:
    """Recompute every episode of one organization (or of all), and remove those whose
    evaluation is no longer signed. Returns the number of episodes kept."""
    # A generated organization's episodes are planted, not derived from records: kept.
    generated = Q(organization__slug__startswith=GENERATED_PREFIX)
    stale = Episode.objects.exclude(evaluation__status=Evaluation.Status.SIGNED).exclude(generated)
    if organization_id is not None:
        stale = stale.filter(organization_id=organization_id)
    stale.delete()
    count = 0
    for evaluation in _signed_evaluations(organization_id):
        refresh_episode(evaluation, today=today)
        count += 1
    return count


def sweep_dropouts(*, organization_id: int | None = None, today: dt.date | None = None) -> int:
    """Re-judge the open episodes whose last contact is more than the drop-out days before
    their location's today (``today`` overrides it, for tests and catch-up runs): they
    become dropped out unless a visit is booked ahead. Returns how many changed."""
    days = dropout_days()
    # A coarse first cut in UTC's date, a day wide either side; each episode then counts in
    # its own location's date.
    reference = today or dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    candidates = Episode.objects.filter(
        ending=Episode.Ending.ONGOING,
        last_contact_on__lt=reference - dt.timedelta(days=days),
    ).select_related("location")
    if organization_id is not None:
        candidates = candidates.filter(organization_id=organization_id)
    changed = 0
    for episode in candidates.iterator(chunk_size=500):
        with transaction.atomic():
            refreshed = refresh_episode_visits(episode, today=today)
        if refreshed.ending != Episode.Ending.ONGOING:
            changed += 1
    return changed


# --- the events ---------------------------------------------------------------------------


def _quietly(what: str, key: object, work: Any) -> None:
    """An analytics failure never reaches the clinical act that caused it (it has been
    committed already); it is logged, and ``palpa episodes rebuild`` catches up."""
    try:
        work()
    except Exception:
        logger.exception("Updating the episode for %s %s failed", what, key)


def refresh_for_evaluation(evaluation_id: int) -> None:
    evaluation = Evaluation.objects.filter(pk=evaluation_id).first()
    if evaluation is not None:
        refresh_episode(evaluation)


def _refresh_with_previous(evaluation_id: int) -> None:
    """A new (or withdrawn) evaluation also moves the end of the window of the patient's
    previous episode: the scores from its day on belong to one or the other."""
    evaluation = Evaluation.objects.filter(pk=evaluation_id).first()
    if evaluation is None:
        return
    refresh_episode(evaluation)
    previous = (
        Evaluation.objects.filter(
            patient_id=evaluation.patient_id,
            status=Evaluation.Status.SIGNED,
            evaluated_on__lte=evaluation.evaluated_on,
        )
        .exclude(pk=evaluation.pk)
        .order_by("-evaluated_on", "-created_at")
        .first()
    )
    if previous is not None:
        refresh_episode(previous)


def on_evaluation_changed(event: Any) -> None:
    _quietly("evaluation", event.evaluation_id, lambda: _refresh_with_previous(event.evaluation_id))


def on_plan_changed(event: Any) -> None:
    _quietly("plan", event.plan_id, lambda: refresh_for_evaluation(event.evaluation_id))


def _refresh_for_note(note_id: int) -> None:
    """Four statements for a note of a known episode: the episode, the notes' dates, their
    minutes, one update (five when the drop-out rule must look for a booking ahead)."""
    episode = (
        Episode.objects.select_related("location")
        .filter(evaluation__plans__treatment_notes__pk=note_id)
        .first()
    )
    if episode is not None:
        refresh_episode_visits(episode)
        return
    evaluation_id = (
        TreatmentNote.objects.filter(pk=note_id)
        .values_list("plan_of_care__evaluation_id", flat=True)
        .first()
    )
    if evaluation_id is not None:  # a visit outside a plan of care belongs to no episode
        refresh_for_evaluation(evaluation_id)


def on_note_changed(event: Any) -> None:
    _quietly("treatment note", event.note_id, lambda: _refresh_for_note(event.note_id))


def _refresh_for_administration(administration_id: int) -> None:
    administration = (
        InstrumentAdministration.objects.filter(pk=administration_id)
        .values("patient_id", "administered_on")
        .first()
    )
    if administration is None:
        return
    evaluation = (
        Evaluation.objects.filter(
            patient_id=administration["patient_id"],
            status=Evaluation.Status.SIGNED,
            evaluated_on__lte=administration["administered_on"],
        )
        .order_by("-evaluated_on", "-created_at")
        .first()
    )
    if evaluation is not None:
        refresh_episode(evaluation)


def on_administration_changed(event: Any) -> None:
    _quietly(
        "administration",
        event.administration_id,
        lambda: _refresh_for_administration(event.administration_id),
    )


def _reopen_for_booking(appointment_id: int) -> None:
    """A visit booked for a patient whose episode dropped out (without a discharge): the
    drop-out rule no longer holds while the visit is ahead."""
    patient_id = (
        Appointment.objects.filter(pk=appointment_id).values_list("patient_id", flat=True).first()
    )
    if patient_id is None:
        return
    dropped = Episode.objects.select_related("location").filter(
        patient_id=patient_id, ending=Episode.Ending.DROPPED_OUT, discharge_reason=""
    )
    for episode in dropped:
        refresh_episode_visits(episode)


def on_appointment_booked(event: Any) -> None:
    _quietly("appointment", event.appointment_id, lambda: _reopen_for_booking(event.appointment_id))
