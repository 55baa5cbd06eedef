"""The only code that writes reports, their deliveries and the report policy.

Every verb checks the actor's role and organization, validates everything before it
writes, runs in one transaction and leaves one audit entry. Signed reports never change:
a correction is a new version. The physician's link is single use: only the SHA-256 of
its token is stored, the token itself exists only in the email.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from palpa.accounts.backends import NOT_READ, forget_read_with_account, read_with_account
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, require, require_own_or, tenant_id
from palpa.audit.services import Action, record
from palpa.care.models import Plan
from palpa.care.queries import active_plan, first_version
from palpa.core import ratelimit, records
from palpa.core.dates import local, local_today
from palpa.core.errors import Refused
from palpa.core.tenancy import require_same_organization
from palpa.patients import messages as ledger
from palpa.patients.models import MessageKind, Patient, PatientMessage
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import require_current_license
from palpa.referrals.services import active_referral, latest_referral
from palpa.reports import content as report_content
from palpa.reports import render
from palpa.reports.models import (
    DEFAULT_EVERY_DAYS,
    DEFAULT_EVERY_VISITS,
    DEFAULT_LINK_DAYS,
    Report,
    ReportDelivery,
    ReportPolicy,
    ReportShare,
)

EDITABLE = ("assessment", "recommendation", "recommendation_detail")
SIGNED = (Report.Status.SIGNED, Report.Status.SUPERSEDED)
TOKEN_BYTES = 32


class ReportRefused(Refused):
    code = "report_refused"


class ReportLocked(Refused):
    code = "report_locked"


def _practitioner_of(actor: User) -> Practitioner:
    require(actor, Capability.CLINICAL_AUTHOR)
    found = Practitioner.objects.filter(user=actor, organization_id=tenant_id(actor)).first()
    if found is None or not found.active:
        raise PermissionDenied("Only an active practitioner of this organization writes reports.")
    return found


def _audit(
    actor: User | None, action: str, report: Report, label: str = "physician link", **detail: Any
) -> Any:
    return record(
        actor=actor,
        action=action,
        organization=report.organization if actor is None else None,
        obj=report,
        patient_id=str(report.patient.public_id),
        detail={"kind": report.kind, "version": report.version, **detail},
        actor_label="" if actor is not None else label,
    )


# --- policy ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    every_visits: int | None
    every_days: int | None
    link_days: int


POLICY_READ = "report_policy_row"
POLICY_FIELDS = ("every_visits", "every_days", "link_days")


def policy_for(organization_id: int, *, actor: Any = None) -> Policy:
    """The organization's report policy, else the deployment's settings, else 10 visits,
    30 days and 14-day links. With ``actor`` (this request's account) the row read with
    the account is used."""
    row = read_with_account(actor, POLICY_READ, organization_id)
    if row is NOT_READ:
        rows = ReportPolicy.objects.filter(organization_id=organization_id)
        row = rows.values(*POLICY_FIELDS).first()
    if row is not None:
        return Policy(row["every_visits"], row["every_days"], row["link_days"])
    return Policy(
        getattr(settings, "PALPA_REPORT_EVERY_VISITS", DEFAULT_EVERY_VISITS),
        getattr(settings, "PALPA_REPORT_EVERY_DAYS", DEFAULT_EVERY_DAYS),
        int(getattr(settings, "PALPA_REPORT_LINK_DAYS", DEFAULT_LINK_DAYS)),
    )


def set_report_policy(
    *, actor: User, every_visits: int | None, every_days: int | None, link_days: int
) -> ReportPolicy:
    require(actor, Capability.REPORTS_CONFIGURE)
    org = tenant_id(actor)
    policy = ReportPolicy.objects.filter(organization_id=org).first() or ReportPolicy(
        organization_id=org
    )
    before = {
        "every_visits": policy.every_visits,
        "every_days": policy.every_days,
        "link_days": policy.link_days,
    }
    policy.every_visits = every_visits
    policy.every_days = every_days
    policy.link_days = link_days
    policy.full_clean(exclude=["organization"])
    if every_visits is None and every_days is None:
        raise ValidationError(
            {"every_visits": "Set visits, days or both: otherwise no report is ever due."}
        )
    after = {"every_visits": every_visits, "every_days": every_days, "link_days": link_days}
    forget_read_with_account(actor, POLICY_READ)
    with transaction.atomic():
        policy.save()
        record(
            actor=actor, action=Action.SETTINGS, obj=policy, detail={"from": before, "to": after}
        )
    return policy


# --- drafting --------------------------------------------------------------------------


def _reported_plan(patient: Patient, kind: str) -> Plan:
    plans = Plan.objects.filter(patient=patient).order_by("-starts_on", "-version", "-created_at")
    if kind == Report.Kind.DISCHARGE:
        plan = plans.filter(status=Plan.Status.COMPLETED, discharge__isnull=False).first()
        if plan is None:
            raise ReportRefused(
                "A discharge report needs a discharged plan of care: discharge the plan first."
            )
        return plan
    plan = active_plan(patient)
    if plan is None:
        raise ReportRefused(
            "A progress report reports on an active (signed) plan of care; this patient has none."
        )
    return plan


def last_signed_report(plan: Plan) -> Report | None:
    return (
        Report.objects.filter(plan__lineage=plan.lineage, status__in=SIGNED)
        .order_by("-period_end", "-version")
        .first()
    )


def _period(plan: Plan, end: dt.date) -> tuple[dt.date, dt.date]:
    first = first_version(plan)
    start = first.starts_on
    last = last_signed_report(plan)
    if last is not None and last.period_end < end:
        start = last.period_end + dt.timedelta(days=1)
    return min(start, end), end


def start_report(*, actor: User, patient: Patient, kind: str) -> Report:
    """Draft a progress report (on the active plan, up to today) or a discharge report (on
    the discharged plan, up to the discharge). An open draft of the same kind for the same
    plan is returned instead of a second one."""
    practitioner = _practitioner_of(actor)
    require_same_organization(actor, patient)
    if kind not in Report.Kind.values:
        raise ValidationError({"kind": f"The kind is one of {', '.join(Report.Kind.values)}."})
    plan = _reported_plan(patient, kind)
    existing = Report.objects.filter(
        plan__lineage=plan.lineage, kind=kind, status=Report.Status.DRAFT, supersedes__isnull=True
    ).first()
    if existing is not None:
        return existing
    if kind == Report.Kind.DISCHARGE:
        end = plan.discharge.discharged_on
        recommendation = Report.Recommendation.DISCHARGE
    else:
        end = local_today(plan.location)
        recommendation = Report.Recommendation.CONTINUE
    start, end = _period(plan, end)

    referral = active_referral(patient, end) or latest_referral(patient)
    report = Report(
        organization_id=patient.organization_id,
        patient=patient,
        plan=plan,
        referral=referral,
        physician=referral.physician if referral is not None else None,
        practitioner=practitioner,
        location=plan.location,
        kind=kind,
        period_start=start,
        period_end=end,
        recommendation=recommendation,
    )
    with transaction.atomic():
        report.save()
        _audit(actor, Action.CREATE, report, plan=str(plan.public_id))
    return report


def _editable(actor: User, report: Report) -> Practitioner:
    practitioner = _practitioner_of(actor)
    require_same_organization(actor, report)
    if report.status != Report.Status.DRAFT:
        raise ReportLocked("A signed report never changes; correct it to make a new version.")
    own = report.practitioner_id == practitioner.pk
    require_own_or(actor, None, own=own, what="the report")
    return practitioner


def _field_errors(report: Report) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if report.recommendation not in Report.Recommendation.values:
        errors["recommendation"] = [
            f"The recommendation is one of {', '.join(Report.Recommendation.values)}."
        ]
    if len(report.assessment) > 4000:
        errors["assessment"] = ["At most 4000 characters."]
    if len(report.recommendation_detail) > 2000:
        errors["recommendation_detail"] = ["At most 2000 characters."]
    return errors


def update_report(*, actor: User, report: Report, changes: dict[str, Any]) -> Report:
    """Change a draft's assessment, recommendation or its detail."""
    _editable(actor, report)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    for name, value in changes.items():
        setattr(
            report,
            name,
            (value or "").strip() if isinstance(value, str) or value is None else value,
        )
    errors = _field_errors(report)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        report.save(update_fields=[*changes, "updated_at"])
        _audit(actor, Action.UPDATE, report, fields=sorted(changes))
    return report


def _current_period(report: Report) -> None:
    """A first progress report runs up to today until it is signed."""
    if (
        report.status == Report.Status.DRAFT
        and report.kind == Report.Kind.PROGRESS
        and report.supersedes_id is None
    ):
        report.period_end = max(local_today(report.location), report.period_start)


def preview(*, actor: User, report: Report) -> dict[str, Any]:
    """What the report shows: a signed report's snapshot, or a draft built from the chart
    as it is now. The read is audited."""
    require(actor, Capability.CLINICAL_READ)
    require_same_organization(actor, report)
    _audit(actor, Action.READ, report)
    if report.is_signed or (report.status == Report.Status.ENTERED_IN_ERROR and report.content):
        return dict(report.content)
    _current_period(report)
    return report_content.build(report)


def _report_sign_checks(actor: User, report: Report) -> None:
    """The report's own rules and the license today; then the snapshot and its PDF are
    made (before the signing transaction: rendering takes a while)."""
    practitioner = _editable(actor, report)
    errors = _field_errors(report)
    if not report.assessment.strip():
        errors["assessment"] = ["Write your assessment: the physician reads it first."]
    needs_detail = (Report.Recommendation.MODIFY, Report.Recommendation.REFER_BACK)
    if report.recommendation in needs_detail and not report.recommendation_detail.strip():
        errors["recommendation_detail"] = [
            "Say what should change." if report.recommendation == "modify" else "Say why."
        ]
    if errors:
        raise ValidationError(errors)
    today = local_today(report.location)
    decision = require_current_license(practitioner, location=report.location, on=today)
    license_ = decision.license
    _current_period(report)
    snapshot = report_content.build(report)
    now = timezone.now()
    snapshot["signature"] = {
        "name": f"{practitioner.given_name} {practitioner.family_name}",
        "credentials": practitioner.credentials,
        "npi": practitioner.npi,
        "license": (
            f"{license_.license_type} {license_.jurisdiction} #{license_.number}"
            if license_ is not None
            else ""
        ),
        "license_expires": license_.expires_on.isoformat() if license_ is not None else "",
        "signed_at": local(now, report.location).strftime("%Y-%m-%d %H:%M %Z"),
    }
    report.content = snapshot
    report.pdf = render.pdf(snapshot, draft=False)
    report.pdf_size = len(report.pdf)
    report.signed_at = now


def _after_report_signed(actor: User, report: Report) -> None:
    records.supersede(
        REPORT,
        actor=actor,
        record=report,
        status=Report.Status.SUPERSEDED,
        reason=f"Corrected by version {report.version}.",
    )


REPORT = records.Lifecycle(
    model=Report,
    what="report",
    audit=_audit,
    locked=ReportLocked,
    check=_report_sign_checks,
    seal=lambda report: hashlib.sha256(bytes(report.pdf or b"")).hexdigest(),
    sealed=("content", "pdf", "pdf_size", "period_end"),
    sign_detail=lambda report: {"license": report.content["signature"]["license"]},
    after_sign=_after_report_signed,
)


def sign_report(*, actor: User, report: Report) -> Report:
    """Sign: license check, snapshot, PDF, SHA-256 of the PDF; a correction supersedes the
    version before it."""
    return records.sign(REPORT, actor=actor, record=report)


def correct_report(*, actor: User, report: Report, reason: str) -> Report:
    """A new draft version of a signed report; the signed one stays until the new one is
    signed, then becomes superseded. Both are kept."""
    practitioner = _practitioner_of(actor)
    require_same_organization(actor, report)
    if report.status != Report.Status.SIGNED:
        raise ReportRefused("Only the current signed version of a report is corrected.")
    reason = records.checked_reason(reason, "Say what the correction is for.")
    taken = ReportRefused("A correction of this report is already drafted.")
    if records.pending_version(report) is not None:
        raise taken
    fields = ("patient", "plan", "referral", "physician", "location", "kind", "period_start")
    return records.new_version(
        REPORT,
        actor=actor,
        record=report,
        fields={
            **{name: getattr(report, name) for name in (*fields, "period_end", *EDITABLE)},
            "practitioner": practitioner,
            "correction_reason": reason,
        },
        taken=taken,
        detail={"corrects": str(report.public_id), "reason": reason},
    )


def discard_report(*, actor: User, report: Report, reason: str) -> Report:
    """Mark a draft entered in error (a signed report is corrected, never discarded)."""
    _editable(actor, report)
    records.checked_reason(reason, "Say why the draft is discarded.")
    return records.enter_in_error(REPORT, actor=actor, record=report, reason=reason)


# --- delivery --------------------------------------------------------------------------


def _sendable(actor: User, report: Report) -> None:
    require(actor, Capability.CLINICAL_WRITE)
    require_same_organization(actor, report)
    if report.status != Report.Status.SIGNED:
        state = "a draft" if report.status == Report.Status.DRAFT else report.get_status_display()
        raise ReportRefused(f"Only a signed, current report is sent; this one is {state.lower()}.")


def send_report(
    *, actor: User, report: Report, base_url: str, recipient: str = ""
) -> ReportDelivery:
    """Email the physician a single-use link to the signed PDF (sent by a background task,
    queued in this transaction so it survives a restart)."""
    _sendable(actor, report)
    address = (recipient or (report.physician.secure_email if report.physician else "")).strip()
    if not address:
        raise ValidationError(
            {"email": "The physician has no secure email on file: give an address."}
        )
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError({"email": f"'{address}' is not an email address."}) from exc
    if not base_url.startswith(("http://", "https://")):
        raise ValueError("send_report needs the site's absolute base URL")

    delivery = ReportDelivery(
        organization_id=report.organization_id,
        report=report,
        channel=ReportDelivery.Channel.EMAIL,
        recipient=address,
        created_by=actor,
    )
    with transaction.atomic():
        delivery.save()
        _audit(actor, Action.EXPORT, report, channel="email", to=address)
        deliver_email.enqueue(delivery_id=delivery.pk, base_url=base_url.rstrip("/"))
    return delivery


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_path(token: str) -> str:
    return reverse("report_link:open", args=[token])


@task()
def deliver_email(*, delivery_id: int, base_url: str, send: bool = True) -> bool:
    """Make the link's token, store its hash and expiry, and send the email. Returns False
    when the delivery was sent already (a Django task, run by ``palpa db_worker``: safe to
    run twice; call it in-process with ``deliver_email.call(...)``). ``send=False``
    records the delivery without emailing anyone (the demo clinic's physicians are
    fictional)."""
    with transaction.atomic():
        delivery = (
            ReportDelivery.objects.select_for_update()
            .select_related("report__patient", "report__organization", "report__location")
            .get(pk=delivery_id)
        )
        if delivery.sent_at is not None:
            return False
        report = delivery.report
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = timezone.now()
        delivery.token_hash = _token_hash(token)
        delivery.sent_at = now
        delivery.expires_at = now + dt.timedelta(days=policy_for(report.organization_id).link_days)
        delivery.save(update_fields=["token_hash", "sent_at", "expires_at", "updated_at"])
        context = {
            "clinic": report_content.clinic(report),
            "physician": str(report.physician) if report.physician else "",
            "kind": report.get_kind_display().lower(),
            "initials": ".".join(
                [report.patient.given_name[:1].upper(), report.patient.family_name[:1].upper()]
            )
            + ".",
            "signed_on": local(report.signed_at, report.location).date()
            if report.signed_at
            else None,
            "link": base_url + link_path(token),
            "expires_on": local(delivery.expires_at, report.location).date(),
        }
        message = EmailMessage(
            subject=f"A {context['kind']} from {report.organization.name}",
            body=render_to_string("reports/email.txt", context),
            to=[delivery.recipient],
        )
        _audit(
            None,
            Action.EXPORT,
            report,
            "report delivery",
            delivery=str(delivery.public_id),
            sent_to=delivery.recipient,
            expires_at=delivery.expires_at.isoformat(),
        )
        if send:
            message.send()
    return True


def download_for_fax(*, actor: User, report: Report) -> ReportDelivery:
    """Record that the signed PDF was downloaded to fax it (the caller streams the PDF)."""
    _sendable(actor, report)
    delivery = ReportDelivery(
        organization_id=report.organization_id,
        report=report,
        channel=ReportDelivery.Channel.DOWNLOAD,
        created_by=actor,
        sent_at=timezone.now(),
    )
    with transaction.atomic():
        delivery.save()
        _audit(actor, Action.EXPORT, report, channel="download")
    return delivery


def audit_pdf_read(*, actor: User, report: Report) -> None:
    require(actor, Capability.CLINICAL_READ)
    require_same_organization(actor, report)
    _audit(actor, Action.EXPORT, report, channel="view")


# --- the patient's own copy (the portal) ------------------------------------------------


def current_share(report: Report) -> ReportShare | None:
    """The share that lets the patient see this version in the portal, if any (not
    withdrawn; the report still the current signed version)."""
    if report.status != Report.Status.SIGNED:
        return None
    return ReportShare.objects.filter(report=report, withdrawn_at__isnull=True).first()


def _report_ready(
    actor: User, report: Report, resend_of: PatientMessage | None = None
) -> list[PatientMessage]:
    """The "Report ready" message: only that a document waits in the portal, with the
    portal's address (the kind of report in the email alone, never in a text)."""
    return ledger.send_message(
        actor=actor,
        patient=report.patient,
        kind=MessageKind.REPORT_READY,
        values={"report": report.get_kind_display().lower()},
        link=ledger.site_url() + reverse("portal:home"),
        about=f"report:{report.public_id}",
        resend_of=resend_of,
    )


def share_report_with_patient(*, actor: User, report: Report) -> ReportShare:
    """Let the patient read and download the signed report in the portal, and tell them
    ("Report ready", through the message ledger: consent and preferred channel apply).
    Only a signed, current version is shared; a correction is shared on its own."""
    require(actor, Capability.CLINICAL_WRITE)
    require_same_organization(actor, report)
    patient = report.patient
    if patient.status != Patient.Status.ACTIVE:
        raise ReportRefused(
            f"The patient's record is {patient.get_status_display().lower()}: "
            "nothing is shared with them."
        )
    with transaction.atomic():
        locked = Report.objects.select_for_update().defer("pdf").get(pk=report.pk)
        if locked.status != Report.Status.SIGNED:
            state = (
                "a draft"
                if locked.status == Report.Status.DRAFT
                else locked.get_status_display().lower()
            )
            raise ReportRefused(
                f"Only a signed, current report is shared with the patient; this one is {state}."
            )
        if current_share(locked) is not None:
            raise ReportRefused("This report is already shared with the patient.")
        share = ReportShare.objects.create(
            organization_id=report.organization_id,
            report=report,
            shared_at=timezone.now(),
            shared_by=actor,
        )
        _audit(actor, Action.EXPORT, report, channel="portal", share=str(share.public_id))
        _report_ready(actor, report)
    return share


def stop_sharing_report(*, actor: User, report: Report) -> ReportShare:
    """The report leaves the patient's portal (the share is kept, marked withdrawn)."""
    require(actor, Capability.CLINICAL_WRITE)
    require_same_organization(actor, report)
    with transaction.atomic():
        share = (
            ReportShare.objects.select_for_update()
            .filter(report=report, withdrawn_at__isnull=True)
            .first()
        )
        if share is None:
            raise ReportRefused("This report is not shared with the patient.")
        share.withdrawn_at = timezone.now()
        share.withdrawn_by = actor
        share.save(update_fields=["withdrawn_at", "withdrawn_by", "updated_at"])
        _audit(
            actor,
            Action.UPDATE,
            report,
            channel="portal",
            share=str(share.public_id),
            withdrawn=True,
        )
    return share


def resend_report_ready(actor: User, message: PatientMessage) -> list[PatientMessage]:
    """Send "Report ready" again while the report is still shared (the ledger's resend)."""
    _what, public_id = ledger.parse_about(message.about)
    report = (
        Report.objects.filter(organization_id=message.organization_id, public_id=public_id)
        .select_related("patient", "organization")
        .defer("pdf")
        .first()
        if public_id is not None
        else None
    )
    if report is None or current_share(report) is None:
        raise ValidationError(
            {
                "message": "This report is no longer shared with the patient: share it again "
                "from the report's page."
            }
        )
    require(actor, Capability.PATIENT_MESSAGES)
    return _report_ready(actor, report, resend_of=message)


def patient_copy(report: Report) -> tuple[str, bytes]:
    """(file name, PDF) of a shared report: the signed PDF itself, the same bytes the
    physician gets (their SHA-256 is the report's ``content_hash``)."""
    pdf = Report.objects.values_list("pdf", flat=True).get(pk=report.pk)
    return render.filename(report.content), bytes(pdf or b"")


# --- the physician's link --------------------------------------------------------------


def allow_link_request(client_address: str, link_id: object | None = None) -> bool:
    """Count a request to a report link; False once over the limit. A usable link
    (``link_id``) counts on its own, an unknown token against the address:
    ``PALPA_REPORT_LINK_RATE_LIMIT`` requests (default 20) per
    ``PALPA_REPORT_LINK_RATE_WINDOW_MINUTES`` (default 15)."""
    return ratelimit.allow(
        "report_link",
        ratelimit.key_for_link(client_address, link_id),
        limit=int(getattr(settings, "PALPA_REPORT_LINK_RATE_LIMIT", 20)),
        window_minutes=int(getattr(settings, "PALPA_REPORT_LINK_RATE_WINDOW_MINUTES", 15)),
    )


def _usable(token: str) -> QuerySet[ReportDelivery]:
    return ReportDelivery.objects.filter(
        token_hash=_token_hash(token),
        channel=ReportDelivery.Channel.EMAIL,
        opened_at__isnull=True,
        expires_at__gt=timezone.now(),
        report__status__in=SIGNED,
    )


def _refused_link(token: str, why: str) -> None:
    """Audit a request to a link that cannot be used (in the clinic's log when the token
    is known, else in the system log; the token itself is never written)."""
    known = (
        ReportDelivery.objects.select_related("report__patient", "report__organization")
        .filter(token_hash=_token_hash(token))
        .first()
        if token and len(token) <= 100
        else None
    )
    if known is None:
        record(
            actor=None,
            action=Action.READ,
            object_type="ReportDelivery",
            detail={"refused": "unknown report link"},
            actor_label="physician link",
        )
        return
    _audit(None, Action.READ, known.report, delivery=str(known.public_id), refused=why)


def usable_link_id(token: str) -> int | None:
    """The delivery's id when the token names one that can still be opened (for the rate
    limit; nothing is audited here)."""
    if not token or len(token) > 100:
        return None
    return _usable(token).values_list("pk", flat=True).first()


def find_link(token: str) -> ReportDelivery | None:
    """The delivery behind a token if it can still be opened; otherwise None (audited)."""
    if token and len(token) <= 100:
        found = _usable(token).select_related("report__organization").first()
        if found is not None:
            return found
    _refused_link(token, "used, expired or withdrawn")
    return None


def open_link(*, token: str, client_address: str) -> Report | None:
    """Open the report once: mark the delivery opened and return the report (its PDF is
    streamed by the caller). None when the link cannot be used; every open is audited."""
    if token and len(token) <= 100:
        with transaction.atomic():
            delivery = (
                _usable(token)
                .select_for_update()
                .select_related("report__patient", "report__organization")
                .first()
            )
            if delivery is not None:
                delivery.opened_at = timezone.now()
                delivery.opened_from = (client_address or "")[:64]
                delivery.save(update_fields=["opened_at", "opened_from", "updated_at"])
                _audit(
                    None,
                    Action.READ,
                    delivery.report,
                    delivery=str(delivery.public_id),
                    opened=True,
                )
                return delivery.report
    _refused_link(token, "used, expired or withdrawn")
    return None
