from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from palpa.accounts.gates import Record, requires
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.core.forms import apply_validation_error
from palpa.core.views import staff_user
from palpa.patients import chart, queries, services
from palpa.patients import messages as patient_messages
from palpa.patients.forms import (
    AllergyForm,
    ConsentForm,
    GuardianForm,
    MessageTemplateForm,
    PatientForm,
    StatusForm,
)
from palpa.patients.models import MessageKind, Patient, PatientMessage


@login_required
@requires(Capability.PATIENTS_READ)
def patient_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(
        queries.search_patients(user, q).select_related("primary_location"), 25
    ).get_page(request.GET.get("page"))
    services.audit_patient_search(actor=user, query={"q": q}, results=list(page.object_list))
    context = {"page": page, "q": q}
    template = "patients/_results.html" if request.htmx else "patients/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _get_patient(request: HttpRequest, public_id: str) -> Patient:
    user = staff_user(request)
    return get_object_or_404(queries.patients_for(user), public_id=public_id)


def _get_chart_patient(request: HttpRequest, public_id: str) -> Patient:
    """The patient with the primary location the chart names (and whose time zone its
    times use), in one query."""
    user = staff_user(request)
    found = queries.patients_for(user).select_related("primary_location")
    return get_object_or_404(found, public_id=public_id)


@login_required
@requires(Capability.PATIENTS_READ)
def patient_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = _get_chart_patient(request, public_id)
    clinical = has_capability(user, Capability.CLINICAL_READ)
    context = {
        "patient": patient,
        "consents": queries.consents_for(user, patient),
        "clinical": clinical,
        "allergies": queries.allergies_for(user, patient) if clinical else [],
        "consent_form": ConsentForm(prefix="consent"),
        "allergy_form": AllergyForm(prefix="allergy"),
        "guardians": queries.guardians_for(user, patient),
        "guardian_form": GuardianForm(prefix="guardian"),
        "status_form": StatusForm(initial={"status": patient.status}),
        "sections": chart.sections_for(user, patient),
    }
    response = render(request, "patients/detail.html", context)
    # One entry of the read, written once the page is rendered (and before it is sent):
    # it names what the sections read beyond the chart (the plan of care and its
    # progress), which would otherwise each write an entry of their own.
    services.audit_patient_read(
        actor=user, patient=patient, what="chart", also=chart.reads_noted(patient)
    )
    return response


@login_required
@requires(Capability.PATIENTS_WRITE)
def patient_new(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = PatientForm(request.POST or None, actor=user)
    if request.method == "POST" and form.is_valid():
        try:
            fields = {k: form.cleaned_data[k] for k in form.Meta.fields}
            patient = services.create_patient(actor=user, **fields)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{patient.full_name} added with MRN {patient.mrn}.")
            return redirect("patients:detail", public_id=patient.public_id)
    return render(request, "patients/form.html", {"form": form, "patient": None})


@login_required
@requires(Capability.PATIENTS_WRITE)
def patient_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = _get_patient(request, public_id)
    original = Patient.objects.get(pk=patient.pk)
    form = PatientForm(request.POST or None, instance=patient, actor=user)
    if request.method == "POST" and form.is_valid():
        changes = {k: form.cleaned_data[k] for k in form.changed_data}
        try:
            services.update_patient(actor=user, patient=original, changes=changes)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Changes saved.")
            return redirect("patients:detail", public_id=patient.public_id)
    elif request.method != "POST":
        services.audit_patient_read(actor=user, patient=patient, what="edit form")
    return render(request, "patients/form.html", {"form": form, "patient": original})


@login_required
@require_POST
@requires(Capability.PATIENTS_WRITE)
def patient_status(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = _get_patient(request, public_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.set_patient_status(
                actor=user,
                patient=patient,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, f"Status set to {patient.get_status_display()}.")
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    return redirect("patients:detail", public_id=patient.public_id)


@login_required
@require_POST
@requires(Capability.PATIENTS_WRITE)
def consent_add(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = _get_patient(request, public_id)
    form = ConsentForm(request.POST, prefix="consent")
    if form.is_valid():
        try:
            services.record_consent(actor=user, patient=patient, **form.cleaned_data)
            messages.success(request, "Consent recorded.")
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    else:
        messages.error(request, "Consent not recorded: " + form.errors.as_text())
    return redirect("patients:detail", public_id=patient.public_id)


@login_required
@require_POST
@requires(Capability.CLINICAL_WRITE)
def allergy_add(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = _get_patient(request, public_id)
    form = AllergyForm(request.POST, prefix="allergy")
    if form.is_valid():
        try:
            services.add_allergy(actor=user, patient=patient, **form.cleaned_data)
            messages.success(request, "Allergy recorded.")
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    else:
        messages.error(request, "Allergy not recorded: " + form.errors.as_text())
    return redirect("patients:detail", public_id=patient.public_id)


@login_required
@require_POST
@requires(Capability.PATIENTS_WRITE)
def guardian_add(request: HttpRequest, public_id: str) -> HttpResponse:
    """Record a parent or guardian who may act for the patient in the portal."""
    user = staff_user(request)
    patient = _get_patient(request, public_id)
    form = GuardianForm(request.POST, prefix="guardian")
    if form.is_valid():
        try:
            guardian = services.add_guardian(actor=user, patient=patient, **form.cleaned_data)
            messages.success(request, f"{guardian.name} recorded as {guardian.relationship}.")
        except ValidationError as exc:
            messages.error(request, "Guardian not recorded: " + _field_errors(exc))
    else:
        messages.error(request, "Guardian not recorded: " + form.errors.as_text())
    return redirect("patients:detail", public_id=patient.public_id)


def _field_errors(exc: ValidationError) -> str:
    if not hasattr(exc, "error_dict"):
        return "; ".join(exc.messages)
    return "; ".join(
        f"{name.replace('_', ' ')}: {' '.join(texts)}" for name, texts in exc.message_dict.items()
    )


@login_required
@require_POST
@requires(Capability.PATIENTS_WRITE)
def guardian_end(request: HttpRequest, public_id: str, guardian_id: str) -> HttpResponse:
    """The guardian no longer acts for the patient."""
    user = staff_user(request)
    patient = _get_patient(request, public_id)
    guardian = get_object_or_404(queries.guardians_for(user, patient), public_id=guardian_id)
    services.end_guardian(actor=user, guardian=guardian)
    messages.success(request, f"{guardian.name} no longer acts for {patient.full_name}.")
    return redirect("patients:detail", public_id=patient.public_id)


@login_required
@require_POST
@requires(
    Capability.PATIENT_MESSAGES,
    record=Record("message_id", PatientMessage, what="the message"),
)
def message_resend(request: HttpRequest, public_id: str, message_id: str) -> HttpResponse:
    """Send a message to the patient again (a fresh link where it had one)."""
    user = staff_user(request)
    patient = _get_patient(request, public_id)
    message = get_object_or_404(queries.messages_for(user, patient=patient), public_id=message_id)
    try:
        sent = patient_messages.resend_message(actor=user, message=message)
    except ValidationError as exc:
        messages.error(request, "Not sent again: " + "; ".join(exc.messages))
    else:
        if sent and sent[0].status == PatientMessage.Status.NOT_SENT:
            messages.error(request, f"Not sent again: {sent[0].last_error}")
        else:
            messages.success(request, f"{message.get_kind_display()} queued to be sent again.")
    return redirect(reverse("patients:detail", args=[patient.public_id]) + "#messages-h")


@login_required
@requires(Capability.ORGANIZATION_MANAGE)
def message_templates(request: HttpRequest) -> HttpResponse:
    """The organization's wording of each kind of message, email and text."""
    user = staff_user(request)
    own = {(t.kind, t.channel) for t in queries.message_templates_for(user)}
    rows = []
    for kind in MessageKind:
        for channel in Patient.Channel:
            subject, body = patient_messages.template_for(tenant_id(user), kind, channel)
            rows.append(
                {
                    "kind": kind,
                    "kind_label": kind.label,
                    "channel": channel,
                    "channel_label": channel.label,
                    "own": (kind.value, channel.value) in own,
                    "subject": subject,
                    "body": body,
                }
            )
    return render(request, "patients/message_templates.html", {"rows": rows})


@login_required
@requires(Capability.ORGANIZATION_MANAGE)
def message_template_edit(request: HttpRequest) -> HttpResponse:
    """One kind of message on one channel (``?kind=…&channel=…``)."""
    user = staff_user(request)
    kind = request.GET.get("kind", "")
    channel = request.GET.get("channel", "")
    if kind not in MessageKind.values or channel not in Patient.Channel.values:
        messages.error(request, "Choose a message to edit from the list.")
        return redirect("patients:message_templates")
    subject, body = patient_messages.template_for(tenant_id(user), kind, channel)
    form = MessageTemplateForm(
        request.POST or None, channel=channel, initial={"subject": subject, "body": body}
    )
    if request.method == "POST" and request.POST.get("reset"):
        patient_messages.reset_message_template(actor=user, kind=kind, channel=channel)
        messages.success(request, "Back to the default wording.")
        return redirect("patients:message_templates")
    if request.method == "POST" and form.is_valid():
        try:
            patient_messages.set_message_template(
                actor=user,
                kind=kind,
                channel=channel,
                subject=form.cleaned_data.get("subject", ""),
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Wording saved.")
            return redirect("patients:message_templates")
    context = {
        "form": form,
        "kind_label": MessageKind(kind).label,
        "channel_label": Patient.Channel(channel).label,
        "placeholders": patient_messages.allowed(kind, channel),
        "sms": channel == Patient.Channel.SMS,
    }
    return render(request, "patients/message_template_form.html", context)


def dashboard_panel(user: User) -> dict[str, object]:
    """The dashboard's count of active patients (registered in PatientsConfig.ready)."""
    if not has_capability(user, Capability.PATIENTS_READ):
        return {"patient_count": 0}
    return {"patient_count": queries.patients_for(user).filter(status="active").count()}
