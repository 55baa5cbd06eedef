from __future__ import annotations

import base64

import segno
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from palpa.accounts import services
from palpa.accounts.forms import LocationForm, LoginForm, OrganizationForm, OtpForm, RoomForm
from palpa.accounts.gates import OWN_TOKEN, public, requires
from palpa.accounts.models import ApiToken, Location
from palpa.accounts.permissions import Capability
from palpa.audit.services import Action, record
from palpa.core.redirects import local_next
from palpa.core.views import staff_user


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


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
    locations = Location.objects.filter(organization=org).prefetch_related("rooms")
    return render(request, "accounts/settings.html", {"form": form, "locations": locations})


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
