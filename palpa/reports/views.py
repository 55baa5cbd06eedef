"""Report pages: the draft and its preview, signing, corrections, sending and download for
staff; the physician's single-use link (no sign-in); the owner's report policy."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from palpa.accounts.gates import public, requires
from palpa.accounts.permissions import Capability, has_capability
from palpa.core.dates import local
from palpa.core.errors import Refused
from palpa.core.forms import apply_validation_error
from palpa.core.views import staff_user
from palpa.patients.queries import patients_for
from palpa.reports import gates as report_gates
from palpa.reports import queries, rules, services
from palpa.reports import render as report_render
from palpa.reports.forms import CorrectionForm, DiscardForm, PolicyForm, ReportForm, SendForm
from palpa.reports.models import Report


def _report(request: HttpRequest, report_id: str) -> Report:
    user = staff_user(request)
    return get_object_or_404(queries.reports_for(user), public_id=report_id)


def _fresh(report: Report) -> Report:
    return Report.objects.get(pk=report.pk)


def _problem(exc: Exception) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=report_gates.PATIENT)
def report_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    kind = request.POST.get("kind", Report.Kind.PROGRESS)
    try:
        report = services.start_report(actor=user, patient=patient, kind=kind)
    except (ValidationError, Refused) as exc:
        messages.error(request, f"No report drafted: {_problem(exc)}")
        return redirect("patients:detail", public_id=patient.public_id)
    return redirect("reports:detail", report_id=report.public_id)


@login_required
@requires(
    Capability.CLINICAL_READ, post=Capability.CLINICAL_AUTHOR, record=report_gates.REPORT_DRAFT
)
def report_detail(request: HttpRequest, report_id: str) -> HttpResponse:
    user = staff_user(request)
    report = _report(request, report_id)
    mine = report.practitioner.user_id == user.pk
    editable = report.status == Report.Status.DRAFT and mine
    form = ReportForm(request.POST or None, instance=_fresh(report), prefix="report")
    if request.method == "POST":
        if not editable:
            messages.error(request, "Only the report's practitioner changes the draft.")
            return redirect("reports:detail", report_id=report.public_id)
        if form.is_valid():
            try:
                services.update_report(
                    actor=user,
                    report=_fresh(report),
                    changes={k: form.cleaned_data[k] for k in form.changed_data},
                )
            except (ValidationError, Refused) as exc:
                if isinstance(exc, ValidationError):
                    apply_validation_error(form, exc)
                else:
                    messages.error(request, str(exc))
            else:
                messages.success(request, "Report saved.")
                return redirect("reports:detail", report_id=report.public_id)
    content = services.preview(actor=user, report=_fresh(report))
    status = queries.delivery_status(report)
    shares = list(queries.shares_of(user, report))
    context: dict[str, Any] = {
        "report": report,
        "patient": report.patient,
        "document": report_render.html_fragment(content, draft=not report.is_signed),
        "form": form,
        "editable": editable,
        "may_write": has_capability(user, Capability.CLINICAL_AUTHOR),
        "delivery_status": status,
        "delivery_label": rules.DELIVERY_LABELS[status],
        "deliveries": list(queries.deliveries_of(user, report)),
        "versions": list(queries.versions_of(user, report)),
        "send_form": SendForm(),
        "correction_form": CorrectionForm(),
        "discard_form": DiscardForm(),
        "physician_email": report.physician.secure_email if report.physician else "",
        "may_share": has_capability(user, Capability.CLINICAL_WRITE),
        "shares": shares,
        "shared": next((s for s in shares if s.withdrawn_at is None), None),
        "earlier_shared": queries.earlier_version_shared(user, report),
    }
    return render(request, "reports/report.html", context)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=report_gates.REPORT_DRAFT)
def report_sign(request: HttpRequest, report_id: str) -> HttpResponse:
    user = staff_user(request)
    report = _report(request, report_id)
    try:
        services.sign_report(actor=user, report=_fresh(report))
        messages.success(
            request, "Report signed. It can no longer change; a correction is a new version."
        )
    except (ValidationError, Refused) as exc:
        messages.error(request, f"Not signed: {_problem(exc)}")
    return redirect("reports:detail", report_id=report.public_id)


@login_required
@require_POST
@requires(Capability.CLINICAL_WRITE)
def report_send(request: HttpRequest, report_id: str) -> HttpResponse:
    user = staff_user(request)
    report = _report(request, report_id)
    form = SendForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Not sent: " + " ".join(str(e) for e in form.errors.get("email", []))
        )
        return redirect("reports:detail", report_id=report.public_id)
    try:
        delivery = services.send_report(
            actor=user,
            report=_fresh(report),
            recipient=form.cleaned_data["email"] or "",
            base_url=request.build_absolute_uri("/"),
        )
    except (ValidationError, Refused) as exc:
        messages.error(request, f"Not sent: {_problem(exc)}")
    else:
        messages.success(
            request, f"Sending the report to {delivery.recipient} with a single-use link."
        )
    return redirect("reports:detail", report_id=report.public_id)


@login_required
@require_POST
@requires(Capability.CLINICAL_WRITE)
def report_share(request: HttpRequest, report_id: str) -> HttpResponse:
    """Share the signed report with the patient (their portal) and tell them it is ready."""
    user = staff_user(request)
    report = _report(request, report_id)
    try:
        services.share_report_with_patient(actor=user, report=_fresh(report))
    except (ValidationError, Refused) as exc:
        messages.error(request, f"Not shared: {_problem(exc)}")
    else:
        messages.success(
            request,
            "Shared with the patient: they can download it on their page at the clinic. "
            "We are telling them a document is ready (see Messages on the chart).",
        )
    return redirect("reports:detail", report_id=report.public_id)


@login_required
@require_POST
@requires(Capability.CLINICAL_WRITE)
def report_stop_sharing(request: HttpRequest, report_id: str) -> HttpResponse:
    """The report leaves the patient's page."""
    user = staff_user(request)
    report = _report(request, report_id)
    try:
        services.stop_sharing_report(actor=user, report=_fresh(report))
    except (ValidationError, Refused) as exc:
        messages.error(request, _problem(exc))
    else:
        messages.success(request, "No longer shared: the patient's page no longer offers it.")
    return redirect("reports:detail", report_id=report.public_id)


def _pdf_response(report: Report, *, attachment: bool) -> HttpResponse:
    pdf = Report.objects.values_list("pdf", flat=True).get(pk=report.pk)
    response = HttpResponse(bytes(pdf or b""), content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = (
        f'{disposition}; filename="{report_render.filename(report.content)}"'
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@requires(Capability.CLINICAL_READ)
def report_pdf(request: HttpRequest, report_id: str) -> HttpResponse:
    """The signed PDF, as stored (the read is audited)."""
    user = staff_user(request)
    report = _report(request, report_id)
    if not report.is_signed:
        messages.error(request, "A draft has no PDF yet: sign it first (the preview is below).")
        return redirect("reports:detail", report_id=report.public_id)
    services.audit_pdf_read(actor=user, report=report)
    return _pdf_response(report, attachment=False)


@login_required
@require_POST
@requires(Capability.CLINICAL_WRITE)
def report_fax(request: HttpRequest, report_id: str) -> HttpResponse:
    """Download the signed PDF to fax it; the download is recorded as a delivery."""
    user = staff_user(request)
    report = _report(request, report_id)
    try:
        services.download_for_fax(actor=user, report=_fresh(report))
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("reports:detail", report_id=report.public_id)
    return _pdf_response(report, attachment=True)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=report_gates.REPORT)
def report_correct(request: HttpRequest, report_id: str) -> HttpResponse:
    user = staff_user(request)
    report = _report(request, report_id)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what the correction fixes.")
        return redirect("reports:detail", report_id=report.public_id)
    try:
        draft = services.correct_report(
            actor=user, report=_fresh(report), reason=form.cleaned_data["reason"]
        )
    except (ValidationError, Refused) as exc:
        messages.error(request, f"No correction drafted: {_problem(exc)}")
        return redirect("reports:detail", report_id=report.public_id)
    messages.success(request, f"Version {draft.version} drafted; sign it to replace the old one.")
    return redirect("reports:detail", report_id=draft.public_id)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=report_gates.REPORT_DRAFT)
def report_discard(request: HttpRequest, report_id: str) -> HttpResponse:
    user = staff_user(request)
    report = _report(request, report_id)
    form = DiscardForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the draft is discarded.")
        return redirect("reports:detail", report_id=report.public_id)
    try:
        services.discard_report(
            actor=user, report=_fresh(report), reason=form.cleaned_data["reason"]
        )
    except (ValidationError, Refused) as exc:
        messages.error(request, _problem(exc))
        return redirect("reports:detail", report_id=report.public_id)
    messages.success(request, "Draft discarded (kept as entered in error).")
    return redirect("patients:detail", public_id=report.patient.public_id)


@login_required
@requires(Capability.REPORTS_CONFIGURE)
def policy(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    current = services.policy_for(user.organization_id or 0)
    form = PolicyForm(
        request.POST or None,
        initial={
            "every_visits": current.every_visits,
            "every_days": current.every_days,
            "link_days": current.link_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_report_policy(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Report policy saved.")
            return redirect("reports:policy")
    return render(request, "reports/policy.html", {"form": form})


# --- the physician's link (no sign-in) -------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _expired(request: HttpRequest) -> HttpResponse:
    """One answer for an unknown, used or expired link: it reveals nothing."""
    return _private(render(request, "reports/link_expired.html", status=410))


@never_cache
@public
def link_open(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with one button (so that mail scanners that follow links do not use the
    link up). POST: the PDF, once; the link is used up."""
    address = request.META.get("REMOTE_ADDR", "")
    if not services.allow_link_request(address, services.usable_link_id(token)):
        return _private(render(request, "reports/link_slow_down.html", status=429))
    if request.method == "POST":
        report = services.open_link(token=token, client_address=address)
        if report is None:
            return _expired(request)
        return _private(_pdf_response(report, attachment=True))
    delivery = services.find_link(token)
    if delivery is None:
        return _expired(request)
    context = {
        "clinic": delivery.report.organization.name,
        "expires_on": local(delivery.expires_at, delivery.report.location).date()
        if delivery.expires_at
        else None,
    }
    return _private(render(request, "reports/link.html", context))
