"""The demo clinic's reports to physicians, written through the report services.

A few patients under an active plan of care get a signed progress report, emailed to the
referring physician (the physicians are fictional: the delivery is recorded, no email
leaves) or downloaded for fax; the discharged patient gets a signed discharge report.
Runs after ``care.treat``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from palpa.accounts.models import Organization, User
from palpa.care.models import Plan
from palpa.practitioners.services import check_license
from palpa.reports import services

LEAD = "therapist@harbor.example"
PROGRESS_REPORTS = 3
BASE_URL = "http://127.0.0.1:8000"


def _author(plan: Plan, today: Any) -> User:
    """The plan's practitioner when their license allows signing today, else the lead."""
    user = plan.practitioner.user
    decision = check_license(plan.practitioner, jurisdiction=plan.location.jurisdiction, on=today)
    if user is not None and decision.allowed:
        return user
    return User.objects.get(email=LEAD)


def _assessment(content: dict[str, Any]) -> tuple[str, str, str]:
    """An assessment written from the measured change, and the recommendation it leads to."""
    lines = []
    for goal in content["goals"]:
        lines.append(
            f"{goal['measure']}: {goal['baseline']:g} at baseline, {goal['current']:g} now "
            f"(target {goal['target']:g}): {goal['status_label'].lower()}."
        )
    primary = next((g for g in content["goals"] if g["primary"]), None)
    if primary is None or primary["status"] in ("achieved", "on_track"):
        return " ".join(lines), "continue", ""
    return (
        " ".join(lines),
        "modify",
        "Add a home stretching program and re-assess in two weeks.",
    )


def write_reports(org: Organization, today: Any) -> None:

    plans = (
        Plan.objects.filter(organization=org, status=Plan.Status.ACTIVE)
        .annotate(signed=Count("treatment_notes", filter=Q(treatment_notes__status="signed")))
        .filter(signed__gte=4)
        .select_related("patient", "practitioner__user", "location")
        .order_by("patient__mrn")[:PROGRESS_REPORTS]
    )
    for n, plan in enumerate(plans):
        author = _author(plan, today)
        report = services.start_report(actor=author, patient=plan.patient, kind="progress")
        assessment, recommendation, detail = _assessment(
            services.preview(actor=author, report=report)
        )
        services.update_report(
            actor=author,
            report=report,
            changes={
                "assessment": assessment,
                "recommendation": recommendation,
                "recommendation_detail": detail,
            },
        )
        report = services.sign_report(actor=author, report=report)
        if (
            n == PROGRESS_REPORTS - 1
            or report.physician is None
            or not (report.physician.secure_email)
        ):
            services.download_for_fax(actor=author, report=report)
            continue
        delivery = services.send_report(actor=author, report=report, base_url=BASE_URL)
        services.deliver_email.call(delivery_id=delivery.pk, base_url=BASE_URL, send=False)

    discharged = (
        Plan.objects.filter(organization=org, status=Plan.Status.COMPLETED, discharge__isnull=False)
        .select_related("patient", "practitioner__user", "location")
        .first()
    )
    if discharged is None:
        return
    author = _author(discharged, today)
    report = services.start_report(actor=author, patient=discharged.patient, kind="discharge")
    services.update_report(
        actor=author,
        report=report,
        changes={
            "assessment": (
                "The course of care is complete: see the goals above. The patient manages "
                "with the home program and needs no further visits."
            ),
            "recommendation": "discharge",
        },
    )
    report = services.sign_report(actor=author, report=report)
    if report.physician is not None and report.physician.secure_email:
        delivery = services.send_report(actor=author, report=report, base_url=BASE_URL)
        services.deliver_email.call(delivery_id=delivery.pk, base_url=BASE_URL, send=False)
    else:
        services.download_for_fax(actor=author, report=report)
