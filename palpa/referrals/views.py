"""Pages of the physician directory, a patient's referrals, overrides and the warning
policy. Every read of a referral is audited; every write goes through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from palpa.accounts.gates import requires
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability
from palpa.core.errors import Refused
from palpa.core.forms import apply_validation_error
from palpa.core.views import staff_user
from palpa.patients.models import Patient
from palpa.patients.queries import patients_for
from palpa.referrals import queries, services
from palpa.referrals.forms import CancelForm, OverrideForm, PhysicianForm, PolicyForm, ReferralForm
from palpa.referrals.models import Physician, Referral

# --- the physician directory ---------------------------------------------------------


@login_required
@requires(Capability.PHYSICIANS_READ)
def physician_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    show = request.GET.get("show", "")
    physicians = queries.physicians_for(user)
    if show != "all":
        physicians = physicians.filter(active=True)
    context = {
        "physicians": list(physicians),
        "show_all": show == "all",
        "may_edit": queries.may_edit_directory(user),
        "may_set_policy": queries.may_configure(user),
    }
    return render(request, "referrals/physician_list.html", context)


@login_required
@requires(Capability.PHYSICIANS_WRITE)
def physician_new(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = PhysicianForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            physician = services.add_physician(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{physician} added to the directory.")
            return redirect("referrals:physicians")
    return render(request, "referrals/physician_form.html", {"form": form, "physician": None})


@login_required
@requires(Capability.PHYSICIANS_READ, post=Capability.PHYSICIANS_WRITE)
def physician_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    physician = get_object_or_404(queries.physicians_for(user), public_id=public_id)
    may_edit = queries.may_edit_directory(user)
    form = PhysicianForm(request.POST or None, instance=physician) if may_edit else None
    if request.method == "POST":
        assert form is not None
        if form.is_valid():
            stored = Physician.objects.get(pk=physician.pk)
            changes = {k: form.cleaned_data[k] for k in form.changed_data}
            for name in PhysicianForm.Meta.fields:  # the form wrote to the instance
                setattr(physician, name, getattr(stored, name))
            try:
                services.update_physician(actor=user, physician=physician, changes=changes)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{physician} saved.")
                return redirect("referrals:physician", public_id=physician.public_id)
    context = {"physician": physician, "form": form, "may_edit": may_edit}
    return render(request, "referrals/physician_form.html", context)


@login_required
@require_POST
@requires(Capability.PHYSICIANS_WRITE)
def physician_active(request: HttpRequest, public_id: str) -> HttpResponse:
    """Deactivate (or reactivate) a directory entry; physicians are never deleted."""
    user = staff_user(request)
    physician = get_object_or_404(queries.physicians_for(user), public_id=public_id)
    active = request.POST.get("active") == "1"
    services.update_physician(actor=user, physician=physician, changes={"active": active})
    messages.success(
        request,
        f"{physician} is active again." if active else f"{physician} is now inactive.",
    )
    return redirect("referrals:physician", public_id=physician.public_id)


# --- referrals ------------------------------------------------------------------------


def _patient(user: User, public_id: str) -> Patient:
    return get_object_or_404(patients_for(user), public_id=public_id)


def _referral(user: User, public_id: str) -> Referral:
    return get_object_or_404(queries.referrals_for(user), public_id=public_id)


@login_required
@requires(Capability.REFERRALS_WRITE)
def referral_new(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(user, public_id)
    today = timezone.localdate()
    form = ReferralForm(
        request.POST or None,
        request.FILES or None,
        actor=user,
        initial={"starts_on": today},
    )
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.record_referral(actor=user, patient=patient, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Referral recorded.")
            return redirect("referrals:detail", public_id=referral.public_id)
    return render(request, "referrals/referral_form.html", {"form": form, "patient": patient})


def _detail_context(user: User, referral: Referral, **forms: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "referral": referral,
        "patient": referral.patient,
        "countdown": services.countdown(referral, today),
        "visits": list(referral.visits.all()),
        "overrides": list(referral.overrides.select_related("granted_by")),
        "may_edit": queries.may_edit_referrals(user)
        and referral.status != Referral.Status.CANCELLED,
        "form": forms.get("form")
        or ReferralForm(actor=user, initial=ReferralForm.initial_for(referral)),
        "cancel_form": forms.get("cancel_form") or CancelForm(prefix="cancel"),
    }


@login_required
@requires(Capability.REFERRALS_READ, post=Capability.REFERRALS_WRITE)
def referral_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """The referral with its countdown and counted visits; editors change it here."""
    user = staff_user(request)
    referral = _referral(user, public_id)
    if request.method == "POST":
        form = ReferralForm(request.POST, request.FILES, actor=user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            file = data.pop("prescription")
            initial = ReferralForm.initial_for(referral)
            initial["diagnoses"] = list(referral.diagnoses)
            initial["physician"] = referral.physician
            changes = {k: v for k, v in data.items() if initial[k] != v}
            try:
                services.update_referral(
                    actor=user, referral=referral, changes=changes, prescription=file
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Referral saved.")
                return redirect("referrals:detail", public_id=referral.public_id)
        services.audit_referral_read(actor=user, patient=referral.patient, what="referral")
        return render(
            request, "referrals/referral_detail.html", _detail_context(user, referral, form=form)
        )
    services.audit_referral_read(actor=user, patient=referral.patient, what="referral")
    return render(request, "referrals/referral_detail.html", _detail_context(user, referral))


@login_required
@require_POST
@requires(Capability.REFERRALS_WRITE)
def referral_cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    referral = _referral(user, public_id)
    form = CancelForm(request.POST, prefix="cancel")
    if form.is_valid():
        try:
            services.cancel_referral(
                actor=user, referral=referral, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Referral cancelled.")
            return redirect("referrals:detail", public_id=referral.public_id)
    context = _detail_context(user, referral, cancel_form=form)
    return render(request, "referrals/referral_detail.html", context, status=422)


@login_required
@requires(Capability.REFERRALS_READ)
def prescription(request: HttpRequest, public_id: str) -> FileResponse:
    user = staff_user(request)
    referral = _referral(user, public_id)
    if not referral.prescription:
        raise Http404
    services.audit_prescription_read(actor=user, referral=referral)
    return FileResponse(
        referral.prescription.open("rb"),
        content_type=referral.prescription_content_type,
        as_attachment=True,
        filename=referral.prescription_name,
    )


@login_required
@require_POST
@requires(Capability.REFERRALS_OVERRIDE)
def override(request: HttpRequest, public_id: str) -> HttpResponse:
    """An owner lets care go beyond the patient's referral, with a written reason."""
    user = staff_user(request)
    patient = _patient(user, public_id)
    form = OverrideForm(request.POST, prefix="override")
    if form.is_valid():
        try:
            services.override_authorization(actor=user, patient=patient, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Override recorded.")
            return redirect("patients:detail", public_id=patient.public_id)
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, f"Override not recorded: {field}: {error}")
    return redirect("patients:detail", public_id=patient.public_id)


@login_required
@requires(Capability.REFERRALS_CONFIGURE)
def policy(request: HttpRequest) -> HttpResponse:
    """Owners: when the countdown warns (visits and days left)."""
    user = staff_user(request)
    assert user.organization_id is not None
    current = services.policy_for(user.organization_id)
    form = PolicyForm(
        request.POST or None,
        initial={
            "warn_visits_left": current.warn_visits_left,
            "warn_days_left": current.warn_days_left,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_referral_policy(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Referral warnings saved.")
            return redirect("referrals:policy")
    return render(request, "referrals/policy.html", {"form": form})


def dashboard_panel(user: User) -> dict[str, object]:
    """Referrals running low on visits or days, for the owner (registered in
    ReferralsConfig.ready)."""
    if not has_capability(user, Capability.REFERRALS_OVERRIDE):
        return {}
    return {"referrals_low": services.referrals_running_low(actor=user, today=timezone.localdate())}
