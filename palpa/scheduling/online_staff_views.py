"""Staff pages of online booking: the notices of online bookings and requests, the
owner's settings per location and reminder wording, and the therapist's calendar feed."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from palpa.accounts.gates import Record, requires
from palpa.accounts.models import Location
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.core.errors import Refused
from palpa.core.forms import apply_validation_error
from palpa.core.views import staff_user
from palpa.scheduling import feeds, online, queries, reminders, wording
from palpa.scheduling.models import CalendarFeed, ReminderPolicy
from palpa.scheduling.online_forms import OnlineSettingsForm, ReminderPolicyForm


@login_required
@requires(Capability.SCHEDULE_READ)
def notices(request: HttpRequest) -> HttpResponse:
    """Online bookings, moves, cancellations and new-patient requests not yet handled
    (``?all=1``: the last 100, handled ones too)."""
    user = staff_user(request)
    show_all = request.GET.get("all") == "1"
    found = list(online.notices_for(user, open_only=not show_all)[:100])
    online.audit_notices_read(actor=user, notices=found)
    locations = list(queries.locations_for(user))
    context = {
        "notices": found,
        "show_all": show_all,
        "may_handle": queries.may_book(user),
        "locations": locations,
        "may_configure": has_capability(user, Capability.SCHEDULE_CONFIGURE),
    }
    return render(request, "scheduling/online/staff_notices.html", context)


@login_required
@require_POST
@requires(Capability.SCHEDULE_BOOK)
def notice_handled(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    notice = get_object_or_404(online.notices_for(user, open_only=False), public_id=public_id)
    try:
        online.mark_handled(actor=user, notice=notice)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Marked handled.")
    return redirect("online:notices")


@login_required
@requires(Capability.SCHEDULE_CONFIGURE)
def location_settings(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    location = get_object_or_404(
        Location.objects.filter(organization_id=tenant_id(user)), public_id=public_id
    )
    config = online.settings_for(location)
    form = OnlineSettingsForm(
        request.POST or None,
        instance=config,
        organization_id=location.organization_id,
        initial={"appointment_types": list(config.appointment_types.all()) if config.pk else []},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            online.update_online_settings(
                actor=user,
                location=location,
                changes={f: data[f] for f in online.SETTING_FIELDS},
                appointment_types=list(data["appointment_types"]),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Online booking at {location.name} saved.")
            return redirect("online:settings", public_id=location.public_id)
    public_url = request.build_absolute_uri(f"/book/{location.public_id}/")
    return render(
        request,
        "scheduling/online/staff_settings.html",
        {"location": location, "form": form, "config": config, "public_url": public_url},
    )


@login_required
@requires(Capability.SCHEDULE_CONFIGURE)
def reminder_settings(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = ReminderPolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reminders.set_reminder_policy(
                actor=user,
                channel=data["channel"],
                lead_minutes=int(Decimal(data["lead_hours"]) * 60),
                subject=data["subject"],
                body=data["body"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Reminder saved.")
            return redirect("online:reminders")
    rows = list(ReminderPolicy.objects.filter(organization_id=tenant_id(user)))
    context = {
        "form": form,
        "policies": rows,
        "defaults": reminders.DEFAULT_POLICIES if not rows else (),
        "placeholders": wording.PLACEHOLDERS,
    }
    return render(request, "scheduling/online/staff_reminders.html", context)


@login_required
@require_POST
@requires(Capability.SCHEDULE_CONFIGURE)
def reminder_switch(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    policy = get_object_or_404(
        ReminderPolicy.objects.filter(organization_id=tenant_id(user)), public_id=public_id
    )
    reminders.switch_reminder_policy(
        actor=user, policy=policy, active=request.POST.get("active") == "1"
    )
    return redirect("online:reminders")


@login_required
@requires(Capability.PRACTITIONERS_OWN_HOURS)
def calendar_feeds(request: HttpRequest) -> HttpResponse:
    """The therapist's own feed (make one, see its state, revoke it); owners see and may
    revoke every feed of the organization."""
    user = staff_user(request)
    mine = feeds.own_practitioner(user)
    if mine is None and not has_capability(user, Capability.SCHEDULE_CONFIGURE):
        raise PermissionDenied("Only practitioners and owners have calendar feeds.")
    context: dict[str, object] = {"feeds": list(feeds.feeds_for(user)), "mine": mine}
    if request.method == "POST":
        try:
            _feed, token = feeds.create_feed(actor=user)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("online:feeds")
        context["new_url"] = request.build_absolute_uri(feeds.feed_path(token))
        context["feeds"] = list(feeds.feeds_for(user))
        response = render(request, "scheduling/online/staff_feeds.html", context)
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "scheduling/online/staff_feeds.html", context)


@login_required
@require_POST
@requires(
    Capability.PRACTITIONERS_OWN_HOURS,
    record=Record(
        "public_id",
        CalendarFeed,
        "practitioner__user_id",
        Capability.SCHEDULE_CONFIGURE,
        what="the calendar feed",
        hidden=True,  # another therapist's feed is not shown at all (404)
    ),
)
def calendar_feed_revoke(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    feed = get_object_or_404(feeds.feeds_for(user), public_id=public_id)
    try:
        feeds.revoke_feed(actor=user, feed=feed)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The feed was revoked: calendar apps can no longer read it.")
    return redirect("online:feeds")
