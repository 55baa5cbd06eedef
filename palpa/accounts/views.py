from __future__ import annotations

import base64
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from palpa.accounts import backends, checklist, queries, services
from palpa.accounts.forms import (
    FirstLocationForm,
    FirstRunForm,
    InviteForm,
    LocationForm,
    LoginForm,
    OrganizationForm,
    OtpForm,
    RoleForm,
    RoomForm,
    SetPasswordForm,
)
from palpa.accounts.gates import OWN_TOKEN, Record, public, requires
from palpa.accounts.models import ApiToken, Location, User
from palpa.accounts.permissions import Capability
from palpa.audit.services import Action, record
from palpa.core import ratelimit
from palpa.core.forms import apply_validation_error
from palpa.core.proxies import request_client_address
from palpa.core.redirects import local_next
from palpa.core.views import staff_user

STAFF_RECORD = Record("public_id", User, what="the staff member")


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if services.first_run_open():  # a fresh install: set the clinic up first
            return redirect("accounts:first_run")
        return super().get(request, *args, **kwargs)


def _safe_next(request: HttpRequest) -> str:
    return local_next(request, request.GET.get("next", ""), reverse("core:dashboard"))


@public  # the second step of signing in
@login_required
def otp_view(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in; sends a user without a confirmed device to set one up."""
    user = staff_user(request)
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect("core:dashboard")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return redirect("accounts:otp_setup")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, why = device.verify_is_allowed()
        if not allowed:
            wait = (why or {}).get("locked_until")
            form.add_error(
                "token",
                "Too many wrong codes: wait a few seconds"
                + (f" (until {wait:%H:%M:%S} UTC)" if wait else "")
                + " and try the current code.",
            )
        elif device.verify_token(form.cleaned_data["token"].strip()):
            otp_login(request, device)
            record(
                actor=user,
                action=Action.MFA,
                obj=user,
                object_type="Staff",
                detail={"event": "verified"},
            )
            return redirect(_safe_next(request))
        else:
            record(
                actor=user,
                action=Action.MFA,
                obj=user,
                object_type="Staff",
                detail={"event": "wrong code"},
            )
            form.add_error("token", "That code is not right, or has expired. Try the current one.")
    return render(request, "accounts/otp.html", {"form": form})


@public  # the second step of signing in
@login_required
def otp_setup_view(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("accounts:otp")
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            device.confirmed = True
            device.save()
            otp_login(request, device)
            record(
                actor=user,
                action=Action.MFA,
                obj=user,
                object_type="Staff",
                detail={"event": "device confirmed"},
            )
            messages.success(request, "Two-factor sign-in is set up.")
            return redirect("core:dashboard")
        form.add_error("token", "That code is not right. Check the time on your phone and retry.")
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request, "accounts/otp_setup.html", {"form": form, "qr_svg": qr_svg, "secret": secret}
    )


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@login_required
@requires(Capability.ORGANIZATION_MANAGE)
def settings_view(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    org = user.organization
    assert org is not None
    form = OrganizationForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organization(
                actor=user, changes={k: form.cleaned_data[k] for k in form.changed_data}
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Organization settings saved.")
            return redirect("accounts:settings")
    locations = queries.locations_for(user).prefetch_related("rooms")
    return render(
        request,
        "accounts/settings.html",
        {"form": form, "locations": locations, "setup_steps": checklist.steps_for(user)},
    )


@login_required
@requires(Capability.ORGANIZATION_MANAGE)
def location_edit_view(request: HttpRequest, public_id: str | None = None) -> HttpResponse:
    user = staff_user(request)
    location = (
        get_object_or_404(Location, public_id=public_id, organization_id=user.organization_id)
        if public_id
        else Location(organization=user.organization)
    )
    form = LocationForm(request.POST or None, instance=location)
    room_form = RoomForm(prefix="room")
    if request.method == "POST" and form.is_valid():
        try:
            services.save_location(actor=user, location=form.save(commit=False))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{location.name} saved.")
            return redirect("accounts:settings")
    return render(
        request,
        "accounts/location_form.html",
        {"form": form, "location": location, "room_form": room_form},
    )


@login_required
@require_POST
@requires(Capability.ORGANIZATION_MANAGE)
def room_add_view(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    location = get_object_or_404(
        Location, public_id=public_id, organization_id=user.organization_id
    )
    form = RoomForm(request.POST, prefix="room")
    if form.is_valid():
        try:
            services.add_room(actor=user, location=location, **form.cleaned_data)
            messages.success(request, "Room added.")
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    else:
        messages.error(request, "A room needs a name.")
    return redirect("accounts:location_edit", public_id=location.public_id)


@login_required
@requires(Capability.STAFF)
def tokens_view(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    new_secret = None
    if request.method == "POST":
        try:
            issued = services.issue_token(actor=user, name=request.POST.get("name", ""))
            new_secret = issued.secret
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    tokens = ApiToken.objects.filter(user=user)
    return render(request, "accounts/tokens.html", {"tokens": tokens, "new_secret": new_secret})


@login_required
@require_POST
@requires(Capability.STAFF, record=OWN_TOKEN)
def token_revoke_view(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    token = get_object_or_404(ApiToken, public_id=public_id, organization_id=user.organization_id)
    services.revoke_token(actor=user, token=token)
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("accounts:tokens")


# --- first run --------------------------------------------------------------------------

BACKEND = backends.PATH


@public  # nobody can sign in yet; gone (404) once an organization exists
def first_run_view(request: HttpRequest) -> HttpResponse:
    """A fresh install's first page: the organization, its first location, its owner."""
    if not services.first_run_open():
        raise Http404("This Palpa is already set up.")
    form = FirstRunForm(request.POST or None)
    location_form = FirstLocationForm(request.POST or None, prefix="location")
    if request.method == "POST" and form.is_valid() and location_form.is_valid():
        data = form.cleaned_data
        try:
            owner = services.set_up_clinic(
                organization_name=data["organization_name"],
                time_zone=data["time_zone"],
                location=location_form.save(commit=False),
                owner_email=data["owner_email"],
                owner_name=data["owner_name"],
                password=data["password"],
            )
        except services.SetupClosed as exc:
            raise Http404(str(exc)) from None
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                target = location_form if field in location_form.fields else form
                target.add_error(field if field in target.fields else None, errors)
        else:
            login(request, owner, backend=BACKEND)
            messages.success(
                request,
                f"{owner.organization} is set up. Next: two-factor sign-in for your account.",
            )
            return redirect("accounts:otp_setup")
    return render(
        request, "accounts/first_run.html", {"form": form, "location_form": location_form}
    )


# --- staff -----------------------------------------------------------------------------


def _invitation_link(request: HttpRequest, issued: services.IssuedInvitation) -> str:
    return request.build_absolute_uri(reverse("accounts:invitation", args=[issued.secret]))


@login_required
@requires(Capability.ORGANIZATION_MANAGE)
def staff_view(request: HttpRequest) -> HttpResponse:
    """Everyone's account: invite, resend, change role, deactivate."""
    user = staff_user(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.invite_staff(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            services.send_invitation_email(issued, _invitation_link(request, issued))
            messages.success(request, f"Invitation sent to {issued.invitation.user.email}.")
            return redirect("accounts:staff")
    invited = {i.user_id: i for i in queries.open_invitations_for(user).order_by("created_at")}
    rows = [(m, invited.get(m.pk)) for m in queries.staff_for(user)]
    return render(
        request,
        "accounts/staff.html",
        {
            "form": form,
            "rows": rows,
            "roles": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
        },
    )


def _member(user: User, public_id: str) -> User:
    return get_object_or_404(queries.staff_for(user), public_id=public_id)


@login_required
@require_POST
@requires(Capability.ORGANIZATION_MANAGE, record=STAFF_RECORD)
def staff_resend_view(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    member = _member(user, public_id)
    try:
        issued = services.resend_invitation(actor=user, member=member)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        services.send_invitation_email(issued, _invitation_link(request, issued))
        messages.success(request, f"A new invitation was sent to {member.email}.")
    return redirect("accounts:staff")


@login_required
@require_POST
@requires(Capability.ORGANIZATION_MANAGE, record=STAFF_RECORD)
def staff_deactivate_view(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    member = _member(user, public_id)
    try:
        services.deactivate_staff(actor=user, member=member)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, f"{member} can no longer sign in.")
    return redirect("accounts:staff")


@login_required
@require_POST
@requires(Capability.ORGANIZATION_MANAGE, record=STAFF_RECORD)
def staff_reactivate_view(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    member = _member(user, public_id)
    try:
        services.reactivate_staff(actor=user, member=member)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, f"{member} can sign in again.")
    return redirect("accounts:staff")


@login_required
@require_POST
@requires(Capability.ORGANIZATION_MANAGE, record=STAFF_RECORD)
def staff_role_view(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    member = _member(user, public_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Role: choose one of the listed roles.")
        return redirect("accounts:staff")
    try:
        services.change_role(actor=user, member=member, role=form.cleaned_data["role"])
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, f"{member} is now {member.get_role_display()}.")
    return redirect("accounts:staff")


@public  # the emailed link is the credential
def invitation_view(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee chooses a password, then (for their role) sets up the second factor."""
    address = request_client_address(request)
    if not ratelimit.allow("invitation", address, limit=30, window_minutes=15):
        return render(request, "accounts/link_unusable.html", {"too_many": True}, status=429)
    invitation = services.invitation_for(token)
    if invitation is None:
        return render(request, "accounts/link_unusable.html", status=404)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.accept_invitation(
                secret=token, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            login(request, member, backend=BACKEND)
            if member.mfa_required:
                messages.success(request, "Password set. Now set up two-factor sign-in.")
                return redirect("accounts:otp_setup")
            messages.success(request, "Password set. Welcome to Palpa.")
            return redirect("core:dashboard")
    return render(request, "accounts/invitation.html", {"form": form, "invitation": invitation})


# --- password reset by email (Django's views; no answer tells whether an account exists) ---


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_sent")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        address = request_client_address(request)
        limit = int(getattr(settings, "AXES_FAILURE_LIMIT", 5))
        if not ratelimit.allow("password_reset", address, limit=limit, window_minutes=15):
            return render(request, "accounts/link_unusable.html", {"too_many": True}, status=429)
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        member = form.user
        record(
            actor=member,
            action=Action.SETTINGS,
            obj=member,
            object_type="Staff",
            detail={"event": "password reset by email"},
        )
        return response
