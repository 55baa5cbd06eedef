from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from palpa.accounts.gates import Record, requires
from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.accounts.queries import locations_for
from palpa.core.forms import apply_validation_error
from palpa.core.views import staff_user
from palpa.practitioners import queries, services
from palpa.practitioners.forms import LicenseForm, LoginLinkForm, PractitionerForm
from palpa.practitioners.models import License, Practitioner
from palpa.practitioners.rules import LicenseDecision

PRACTITIONER = Record("public_id", Practitioner, what="the practitioner")


@dataclass(frozen=True)
class Row:
    practitioner: Practitioner
    decisions: list[tuple[Location, LicenseDecision]]


@login_required
@requires(Capability.PRACTITIONERS_READ)
def practitioner_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    today = timezone.localdate()
    locations = list(locations_for(user).filter(active=True))
    rows = [
        Row(
            p,
            [
                (loc, services.check_license(p, jurisdiction=loc.jurisdiction, on=today))
                for loc in locations
            ],
        )
        for p in queries.practitioners_for(user)
    ]
    return render(request, "practitioners/list.html", {"rows": rows, "today": today})


@login_required
@requires(Capability.PRACTITIONERS_READ, post=Capability.PRACTITIONERS_MANAGE)
def practitioner_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    practitioner = get_object_or_404(queries.practitioners_for(user), public_id=public_id)
    can_manage = has_capability(user, Capability.PRACTITIONERS_MANAGE)
    form = LicenseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_license(actor=user, practitioner=practitioner, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "License added.")
            return redirect("practitioners:detail", public_id=practitioner.public_id)
    login_form = LoginLinkForm(actor=user) if can_manage and practitioner.user_id is None else None
    return render(
        request,
        "practitioners/detail.html",
        {
            "practitioner": practitioner,
            "form": form,
            "can_manage": can_manage,
            "login_form": login_form,
        },
    )


@login_required
@require_POST
@requires(Capability.PRACTITIONERS_MANAGE, record=PRACTITIONER)
def practitioner_login(request: HttpRequest, public_id: str) -> HttpResponse:
    """Link the practitioner to a staff member's sign-in account."""
    user = staff_user(request)
    practitioner = get_object_or_404(queries.practitioners_for(user), public_id=public_id)
    form = LoginLinkForm(request.POST, actor=user)
    if not form.is_valid():
        messages.error(request, "Sign-in account: choose one of the listed staff accounts.")
    else:
        try:
            services.update_practitioner(
                actor=user, practitioner=practitioner, changes={"user": form.cleaned_data["user"]}
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, f"{practitioner} now signs in as {practitioner.user}.")
    return redirect("practitioners:detail", public_id=practitioner.public_id)


@login_required
@requires(Capability.PRACTITIONERS_MANAGE)
def practitioner_new(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = PractitionerForm(request.POST or None, actor=user)
    if request.method == "POST" and form.is_valid():
        try:
            practitioner = services.create_practitioner(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return redirect("practitioners:detail", public_id=practitioner.public_id)
    return render(request, "practitioners/form.html", {"form": form})


@login_required
@require_POST
@requires(Capability.PRACTITIONERS_MANAGE)
def license_verify(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    lic = get_object_or_404(License, public_id=public_id, organization_id=tenant_id(user))
    status = request.POST.get("status", "")
    try:
        services.set_license_verification(actor=user, license=lic, status=status)
        messages.success(request, "Verification recorded.")
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("practitioners:detail", public_id=lic.practitioner.public_id)


def dashboard_panel(user: User) -> dict[str, object]:
    """Licenses expiring soon and practitioners whose license has lapsed, for those who
    manage practitioners (registered in PractitionersConfig.ready)."""
    if not has_capability(user, Capability.PRACTITIONERS_MANAGE):
        return {}
    today = timezone.localdate()
    lapsed = []
    for practitioner in queries.practitioners_for(user).filter(active=True):
        licenses = list(practitioner.licenses.all())
        if licenses and not any(lic.issued_on <= today <= lic.expires_on for lic in licenses):
            lapsed.append(practitioner)
    return {"expiring": services.licenses_expiring(actor=user), "expired": lapsed}
