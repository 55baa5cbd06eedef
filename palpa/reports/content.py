"""What a report shows, gathered from the chart into one JSON-ready snapshot.

The same snapshot feeds the browser preview and the PDF; a signed report keeps the
snapshot it was rendered from (``Report.content``). Nothing here writes or audits: the
report services call it for an actor they have already checked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from palpa.care import charts, progress
from palpa.care.catalog import catalog
from palpa.care.models import Discharge, Evaluation, Goal, Plan, TechniqueEntry, TreatmentNote
from palpa.care.plans.services import goal_statuses
from palpa.care.queries import first_version, goal_chart_points, signed_notes_under
from palpa.core import icd10
from palpa.outcomes.library import get_instrument
from palpa.outcomes.models import InstrumentAdministration
from palpa.outcomes.scoring import meaningful_change
from palpa.referrals.models import Referral
from palpa.referrals.services import countdown
from palpa.reports.models import Report

FORMAT = 1


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _num(value: float | None) -> float | None:
    if value is None:
        return None
    return round(float(value), 2) + 0.0


def _code_label(code: str) -> str:
    try:
        return icd10.validate(code).label
    except ValueError:
        return ""


def clinic(report: Report) -> dict[str, Any]:
    loc = report.location
    street = ", ".join(part for part in (loc.address_line1, loc.address_line2) if part)
    return {
        "name": report.organization.name,
        "location": loc.name,
        "kind": loc.get_kind_display(),
        "address": street,
        "city_line": f"{loc.city}, {loc.region} {loc.postal_code}".strip(),
        "phone": loc.phone,
    }


def _patient(report: Report) -> dict[str, Any]:
    p = report.patient
    return {
        "name": p.full_name,
        "initials": f"{p.given_name[:1]}{p.family_name[:1]}".upper(),
        "date_of_birth": p.date_of_birth.isoformat(),
        "mrn": p.mrn,
        "sex": p.get_sex_display(),
    }


def _physician(report: Report) -> dict[str, Any] | None:
    doc = report.physician
    if doc is None:
        return None
    return {
        "name": str(doc),
        "npi": doc.npi,
        "practice": doc.practice,
        "address": doc.address,
        "phone": doc.phone,
        "fax": doc.fax,
    }


def _referral(report: Report, as_of: dt.date) -> dict[str, Any] | None:
    referral: Referral | None = report.referral
    if referral is None:
        return None

    count = countdown(referral, as_of)
    return {
        "starts_on": referral.starts_on.isoformat(),
        "expires_on": referral.expires_on.isoformat(),
        "requested_service": referral.requested_service,
        "frequency": referral.frequency,
        "precautions": referral.precautions,
        "diagnoses": [{"code": c, "label": _code_label(c)} for c in referral.diagnoses or []],
        "visits_authorized": count.visits_authorized,
        "visits_used": count.visits_used,
        "visits_left": count.visits_left,
        "days_left": count.days_left,
        "status": count.status,
        "warning": count.warning or "",
    }


def _chart(goal: Goal, as_of: dt.date, series: list[progress.Point]) -> dict[str, Any]:
    chart = goal_chart_points(goal, series)
    return {
        "title": chart.title,
        "unit": chart.unit,
        "baseline": [chart.baseline.on.isoformat(), chart.baseline.value],
        "series": [[p.on.isoformat(), p.value] for p in chart.series if p.on <= as_of],
        "target": chart.target,
        "due_on": chart.due_on.isoformat(),
        "mcid": chart.mcid,
        "band_label": chart.band_label,
        "low": chart.low,
        "high": chart.high,
    }


def trend_chart(data: dict[str, Any]) -> charts.TrendChart:
    """The snapshot's chart data back as a care chart (rendered by ``charts.render_svg``)."""

    def point(pair: list[Any]) -> progress.Point:
        return progress.Point(dt.date.fromisoformat(pair[0]), float(pair[1]))

    return charts.TrendChart(
        title=data["title"],
        unit=data["unit"],
        baseline=point(data["baseline"]),
        series=[point(p) for p in data["series"]],
        target=float(data["target"]),
        due_on=dt.date.fromisoformat(data["due_on"]),
        mcid=data["mcid"],
        band_label=data.get("band_label", "MCID"),
        low=data["low"],
        high=data["high"],
    )


def _goals(plan: Plan, as_of: dt.date) -> list[dict[str, Any]]:
    out = []
    series: dict[int, list[progress.Point]] = {}
    for goal, result in goal_statuses(plan, as_of, series):
        unit = "°" if goal.measure_kind == Goal.Measure.ROM else ""
        out.append(
            {
                "statement": goal.statement,
                "measure": goal.measure_label,
                "primary": goal.is_primary,
                "unit": unit,
                "baseline": _num(result.baseline),
                "baseline_on": result.baseline_on.isoformat(),
                "current": _num(result.latest),
                "current_on": result.latest_on.isoformat(),
                "measured_since": result.measurements,
                "target": _num(result.target),
                "target_basis": goal.target_basis,
                "due_on": result.due_on.isoformat(),
                "improvement": _num(result.improvement),
                "status": result.status,
                "status_label": result.status_label,
                "meaningful": result.meaningful,
                "decided_by": result.decided_by,
                "decided_by_label": result.decided_by_label,
                "detected": result.detected,
                "explanation": result.meaningful_explanation,
                "chart": _chart(goal, as_of, series[goal.pk]),
            }
        )
    return out


def _scores(plan: Plan, start: dt.date, as_of: dt.date) -> list[dict[str, Any]]:
    """Each instrument given since the evaluation: baseline, latest, change against MCID."""
    evaluation: Evaluation = plan.evaluation
    baselines = {
        link.administration.instrument: link.administration
        for link in evaluation.administration_links.select_related("administration")
        if link.administration.status == InstrumentAdministration.Status.FINAL
    }
    given = InstrumentAdministration.objects.filter(
        patient_id=plan.patient_id,
        status=InstrumentAdministration.Status.FINAL,
        administered_on__gte=evaluation.evaluated_on,
        administered_on__lte=as_of,
    ).order_by("administered_on", "created_at")
    series: dict[str, list[InstrumentAdministration]] = defaultdict(list)
    for administration in given:
        series[administration.instrument].append(administration)
    rows = []
    for instrument in sorted(set(series) | set(baselines)):
        taken = series.get(instrument, [])
        baseline = baselines.get(instrument) or (taken[0] if taken else None)
        if baseline is None:
            continue
        later = [
            a
            for a in taken
            if a.pk != baseline.pk and a.administered_on >= baseline.administered_on
        ]
        latest = later[-1] if later else None
        definition = get_instrument(instrument)
        row: dict[str, Any] = {
            "instrument": instrument,
            "name": definition.name,
            "direction": "higher is better" if definition.higher_is_better else "lower is better",
            "baseline": _num(baseline.score),
            "baseline_on": baseline.administered_on.isoformat(),
            "latest": _num(latest.score) if latest else None,
            "latest_on": latest.administered_on.isoformat() if latest else None,
            "times": len(later) + 1,
            "change": None,
            "mcid": None,
            "mdc": None,
            "meaningful": None,
            "decided_by": None,
            "detected": None,
            "trend": "",
            "explanation": "Not measured again since the baseline.",
        }
        defaults = definition.change_defaults
        row["mcid"] = _num(defaults.mcid.value) if defaults.mcid else None
        row["mdc"] = _num(defaults.mdc.value) if defaults.mdc else None
        if latest is not None:
            change = meaningful_change(instrument, baseline.score, latest.score)
            row.update(
                change=_num(change.change),
                meaningful=change.meaningful,
                decided_by=change.decided_by,
                detected=change.detected,
                trend=change.trend,
                explanation=change.explanation,
            )
        rows.append(row)
    return rows


def _notes(plan: Plan) -> list[TreatmentNote]:
    return list(signed_notes_under(plan).order_by("visit_date", "created_at"))


def _techniques(notes: list[TreatmentNote]) -> list[dict[str, Any]]:
    cat = catalog()
    visits: dict[str, set[int]] = defaultdict(set)
    minutes: dict[str, int] = defaultdict(int)
    regions: dict[str, list[str]] = defaultdict(list)
    for entry in TechniqueEntry.objects.filter(note__in=notes).order_by("position", "created_at"):
        visits[entry.technique].add(entry.note_id)
        minutes[entry.technique] += entry.minutes
        region = cat.region_label(entry.region, entry.side)
        if region not in regions[entry.technique]:
            regions[entry.technique].append(region)
    rows = []
    for technique in sorted(visits, key=lambda t: (-len(visits[t]), t)):
        found = cat.techniques.get(technique)
        rows.append(
            {
                "technique": technique,
                "label": found.label if found else technique,
                "visits": len(visits[technique]),
                "minutes": minutes[technique],
                "regions": regions[technique],
            }
        )
    return rows


def _discharge(plan: Plan) -> dict[str, Any] | None:
    found = Discharge.objects.filter(plan__lineage=plan.lineage).first()
    if found is None:
        return None
    return {
        "on": found.discharged_on.isoformat(),
        "reason": found.reason,
        "reason_label": found.get_reason_display(),
        "reason_detail": found.reason_detail,
        "summary": found.summary,
    }


def build(report: Report) -> dict[str, Any]:
    """The snapshot of everything the report shows, as of its period's end."""
    plan = report.plan
    as_of = report.period_end
    all_notes = [n for n in _notes(plan) if n.visit_date <= as_of]
    in_period = [n for n in all_notes if n.visit_date >= report.period_start]
    referral = _referral(report, as_of)
    first = first_version(plan)
    return {
        "format": FORMAT,
        "report_id": str(report.public_id),
        "kind": report.kind,
        "kind_label": report.get_kind_display(),
        "version": report.version,
        "correction_reason": report.correction_reason,
        "period": {"start": report.period_start.isoformat(), "end": as_of.isoformat()},
        "clinic": clinic(report),
        "patient": _patient(report),
        "physician": _physician(report),
        "referral": referral,
        "diagnoses": [{"code": d.code, "label": d.label} for d in plan.diagnoses.order_by("rank")],
        "plan": {
            "version": plan.version,
            "starts_on": first.starts_on.isoformat(),
            "ends_on": plan.ends_on.isoformat(),
            "frequency": f"{plan.frequency_per_week} visits a week for {plan.duration_weeks} weeks",
            "planned_visits": plan.planned_visits,
            "precautions": plan.precautions,
        },
        "goals": _goals(plan, as_of),
        "scores": _scores(plan, report.period_start, as_of),
        "techniques": _techniques(in_period),
        "visits": {
            "in_period": len(in_period),
            "total": len(all_notes),
            "planned": plan.planned_visits,
            "authorized": referral["visits_authorized"] if referral else None,
            "used": referral["visits_used"] if referral else None,
            "dates": [n.visit_date.isoformat() for n in in_period],
        },
        "discharge": _discharge(plan) if report.kind == Report.Kind.DISCHARGE else None,
        "assessment": report.assessment,
        "recommendation": report.recommendation,
        "recommendation_label": report.get_recommendation_display(),
        "recommendation_detail": report.recommendation_detail,
        "signature": None,
    }
