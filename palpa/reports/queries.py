"""Reports as the actor may see them (clinical roles of the same organization), their
delivery status, and whether a progress report is due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.care.models import Discharge, Plan
from palpa.care.queries import signed_notes_under
from palpa.core.tenancy import same_organization
from palpa.patients.models import Patient
from palpa.reports import rules
from palpa.reports.models import Report, ReportDelivery, ReportShare
from palpa.reports.services import SIGNED, last_signed_report, policy_for


def may_see_reports(actor: User) -> bool:
    return has_capability(actor, Capability.CLINICAL_READ)


def may_write_reports(actor: User) -> bool:
    return has_capability(actor, Capability.CLINICAL_AUTHOR)


def reports_for(actor: User) -> QuerySet[Report]:
    """The actor's organization's reports, each annotated with ``was_sent`` and
    ``was_opened`` (an emailed link sent / opened, or a download for fax)."""
    if not may_see_reports(actor):
        return Report.objects.none()
    deliveries = ReportDelivery.objects.filter(report=OuterRef("pk"))
    return (
        Report.objects.filter(organization_id=tenant_id(actor))
        .select_related(
            "patient",
            "plan",
            "practitioner",
            "physician",
            "referral",
            "location",
            "organization",
            "signed_by",
            "supersedes",
        )
        .defer("pdf")
        .annotate(
            was_sent=Exists(deliveries.filter(sent_at__isnull=False)),
            was_opened=Exists(deliveries.filter(opened_at__isnull=False)),
        )
    )


def patient_reports(actor: User, patient: Patient) -> QuerySet[Report]:
    return reports_for(actor).filter(patient=patient)


def delivery_status(report: Report) -> rules.DeliveryStatus:
    sent = getattr(report, "was_sent", None)
    opened = getattr(report, "was_opened", None)
    if sent is None or opened is None:
        deliveries = ReportDelivery.objects.filter(report=report)
        sent = deliveries.filter(sent_at__isnull=False).exists()
        opened = deliveries.filter(opened_at__isnull=False).exists()
    return rules.delivery_status(report.status, sent=bool(sent), opened=bool(opened))


def deliveries_of(actor: User, report: Report) -> QuerySet[ReportDelivery]:
    if not may_see_reports(actor):
        return ReportDelivery.objects.none()
    return ReportDelivery.objects.filter(
        organization_id=tenant_id(actor), report=report
    ).select_related("created_by")


def shares_of(actor: User, report: Report) -> QuerySet[ReportShare]:
    """Every time this version was shared with the patient (and stopped), newest first."""
    if not may_see_reports(actor):
        return ReportShare.objects.none()
    return ReportShare.objects.filter(
        organization_id=tenant_id(actor), report=report
    ).select_related("shared_by", "withdrawn_by")


def earlier_version_shared(actor: User, report: Report) -> bool:
    """Whether the version this one corrects was still shared when it was replaced."""
    if report.supersedes_id is None or not may_see_reports(actor):
        return False
    return ReportShare.objects.filter(
        organization_id=tenant_id(actor),
        report_id=report.supersedes_id,
        withdrawn_at__isnull=True,
    ).exists()


def versions_of(actor: User, report: Report) -> QuerySet[Report]:
    return reports_for(actor).filter(lineage=report.lineage).order_by("-version")


@dataclass(frozen=True)
class ProgressDue:
    plan: Plan
    due: rules.Due


def chart_plans(patient: Patient) -> list[Plan]:
    """The patient's plans of care, newest first, each with ``has_discharge``, in one
    query: what the chart's report section needs (the plan a progress report is due on,
    the first version of its lineage, and whether a discharge report may be written)."""
    discharged = Discharge.objects.filter(plan=OuterRef("pk"))
    return list(
        Plan.objects.filter(patient=patient)
        .annotate(has_discharge=Exists(discharged))
        .order_by("-starts_on", "-version", "-created_at")
    )


def last_signed_end(plan: Plan) -> Subquery:
    """For an annotation: the period end of the last signed report of ``plan``'s lineage
    (None without one), as ``reports.services.last_signed_report`` finds it."""
    rows = Report.objects.filter(plan__lineage=plan.lineage, status__in=SIGNED)
    return Subquery(rows.order_by("-period_end", "-version").values("period_end")[:1])


class _NotGiven:
    pass


NOT_GIVEN = _NotGiven()


def progress_report_due(
    actor: User,
    patient: Patient,
    today: dt.date,
    *,
    plans: list[Plan] | None = None,
    signed_visits: Callable[[Plan], list[dt.date]] | None = None,
    last_end: dt.date | _NotGiven | None = NOT_GIVEN,
) -> ProgressDue | None:
    """Whether the patient's active plan of care is due a progress report under the
    organization's policy; None without an active plan (or for roles that see no care).
    ``plans`` is ``chart_plans(patient)`` when the caller has read it already; its
    order (newest first) makes the first active one ``care.queries.active_plan``.
    ``signed_visits`` gives ``care.queries.signed_visit_dates`` of a plan when the caller
    has read them already (the chart's care section has)."""
    if not may_see_reports(actor) or not same_organization(patient, actor):
        return None

    plans = chart_plans(patient) if plans is None else plans
    plan = next((p for p in plans if p.status == Plan.Status.ACTIVE), None)
    if plan is None:
        return None
    lineage = [p for p in plans if p.lineage == plan.lineage]
    first = min(lineage, key=lambda p: p.version)
    policy = policy_for(patient.organization_id, actor=actor)
    if isinstance(last_end, _NotGiven):
        last = last_signed_report(plan)
        last_end = last.period_end if last is not None else None
    reported = last_end is not None
    since = last_end if last_end is not None else first.starts_on
    if signed_visits is not None:
        visits = signed_visits(plan)
        counted = sum(1 for on in visits if on > since) if reported else len(visits)
    else:
        notes = signed_notes_under(plan)
        counted = (notes.filter(visit_date__gt=since) if reported else notes).count()
    due = rules.progress_report_due(
        since=since,
        visits_since=counted,
        today=today,
        every_visits=policy.every_visits,
        every_days=policy.every_days,
        reported=reported,
    )
    return ProgressDue(plan=plan, due=due)
