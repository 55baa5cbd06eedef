"""Downloading billing documents: the superbill (one visit or a period), the patient
statement, a payment's receipt, and the claims export (CSV or JSON). Permissions and
auditing live in ``billing.documents`` and ``billing.exports``; these views parse the
period and answer.

Bad or missing dates re-show the page's form with the field named (HTTP 400); a role that
may not gets 403; another organization's patient or charge 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from palpa.accounts.gates import Record, requires
from palpa.accounts.permissions import Capability
from palpa.billing import documents, exports
from palpa.billing.models import Charge, LedgerEntry
from palpa.core.dates import local_today
from palpa.core.forms import Form
from palpa.core.views import staff_user
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for

DEFAULT_DAYS = 90


class PeriodForm(Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            try:
                documents.check_period(start, end)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field, errors)
        return cleaned


def _default_period(place: Any) -> dict[str, dt.date]:
    today = local_today(place)  # the clinic's day
    return {"start": today - dt.timedelta(days=DEFAULT_DAYS), "end": today}


def _pdf(content: dict[str, Any], pdf: bytes) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.filename(content)}"'
    return _private(response)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _patient(request: HttpRequest, patient_id: str) -> Patient:
    return get_object_or_404(patients_for(staff_user(request)), public_id=patient_id)


@login_required
@never_cache
@requires(Capability.BILLING_READ_ACCOUNT)
def patient_documents(request: HttpRequest, patient_id: str) -> HttpResponse:
    """The page that asks for a period and offers the superbill and the statement."""
    user = staff_user(request)
    may_superbill = documents.may_download_superbills(user)
    may_statement = documents.may_download_statements(user)
    if not (may_superbill or may_statement):
        raise PermissionDenied("Your role may not download billing documents.")
    patient = _patient(request, patient_id)
    return _documents_page(request, patient, PeriodForm(initial=_default_period(patient)))


def _documents_page(
    request: HttpRequest, patient: Patient, form: PeriodForm, status: int = 200
) -> HttpResponse:
    user = staff_user(request)
    return render(
        request,
        "billing/documents.html",
        {
            "patient": patient,
            "form": form,
            "may_superbill": documents.may_download_superbills(user),
            "may_statement": documents.may_download_statements(user),
        },
        status=status,
    )


@login_required
@never_cache
@requires(Capability.BILLING_SUPERBILL)
def superbill_period(request: HttpRequest, patient_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(request, patient_id)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return _documents_page(request, patient, form, status=400)
    content, pdf = documents.superbill(
        actor=user, patient=patient, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
    )
    return _pdf(content, pdf)


@login_required
@never_cache
@requires(
    Capability.BILLING_SUPERBILL,
    record=Record(
        "charge_id",
        Charge,
        "rendering_provider__user_id",
        Capability.BILLING_SUPERBILL_ANY,
        what="the visit",
        reads=True,
    ),
)
def superbill_visit(request: HttpRequest, charge_id: str) -> HttpResponse:
    user = staff_user(request)
    try:
        content, pdf = documents.superbill(actor=user, charge_id=charge_id)
    except Charge.DoesNotExist as exc:
        raise Http404("No such visit ready to bill.") from exc
    return _pdf(content, pdf)


@login_required
@never_cache
@requires(Capability.BILLING_STATEMENT)
def statement(request: HttpRequest, patient_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(request, patient_id)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return _documents_page(request, patient, form, status=400)
    content, pdf = documents.statement(
        actor=user, patient=patient, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
    )
    return _pdf(content, pdf)


@login_required
@never_cache
@requires(Capability.BILLING_RECEIPT)
def receipt(request: HttpRequest, payment_id: str) -> HttpResponse:
    """The receipt of one payment a patient made (404 for anything else)."""
    user = staff_user(request)
    try:
        content, pdf = documents.receipt(actor=user, payment_id=payment_id)
    except LedgerEntry.DoesNotExist as exc:
        raise Http404("No such payment.") from exc
    return _pdf(content, pdf)


@login_required
@never_cache
@requires(Capability.BILLING_EXPORT_CLAIMS)
def claims_export(request: HttpRequest) -> HttpResponse:
    """The export page (a period and a format); with ``start``, ``end`` and ``format`` in
    the query, the file itself."""
    user = staff_user(request)
    if "start" not in request.GET and "end" not in request.GET:
        form = PeriodForm(initial=_default_period(user.organization))
        return render(request, "billing/claims_export.html", {"form": form})
    form = PeriodForm(request.GET)
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "json"):
        form.add_error(None, "format: choose csv or json.")
    if not form.is_valid():
        return render(request, "billing/claims_export.html", {"form": form}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    found = exports.claims(actor=user, start=start, end=end, fmt=fmt)
    if fmt == "json":
        response = HttpResponse(
            exports.to_json(found, start=start, end=end), content_type="application/json"
        )
    else:
        response = HttpResponse(exports.to_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(start, end, fmt)}"'
    return _private(response)
